package trigger

import (
	"math"
	"math/bits"
	"time"
)

// Proof that the children of an "and" never fire at the same instant,
// without searching: every trigger's fire instants fall on a known set of
// UTC seconds of the day and at a known fraction of a second. If the
// children's sets do not intersect, the "and" never fires. (Children that
// can meet only rarely, such as two minutes that meet once a year through a
// DST gap, are not disjoint here and are left to the search.)

// daySeconds is a set of seconds of the day, 0..86399.
type daySeconds [secondsPerDay / 64]uint64

func (d *daySeconds) set(s int64) { s = floorMod(s, secondsPerDay); d[s/64] |= 1 << (s % 64) }

func (d *daySeconds) empty() bool {
	for _, w := range d {
		if w != 0 {
			return false
		}
	}
	return true
}

// fireShape is what is known about where a trigger's fire instants fall:
// secs nil means any second of the day; frac -1 means any fraction, -2 none
// at all (contradictory).
type fireShape struct {
	secs *daySeconds
	frac int
}

func neverMeet(children []Trigger) bool {
	s := andShape(children)
	return s.frac == -2 || (s.secs != nil && s.secs.empty())
}

func andShape(children []Trigger) fireShape {
	out := fireShape{frac: -1}
	for _, c := range children {
		s := shapeOf(c)
		if s.secs != nil {
			if out.secs == nil {
				cp := *s.secs
				out.secs = &cp
			} else {
				for i := range out.secs {
					out.secs[i] &= s.secs[i]
				}
			}
		}
		switch {
		case s.frac == -2 || out.frac == -2:
			out.frac = -2
		case s.frac >= 0 && out.frac >= 0 && s.frac != out.frac:
			out.frac = -2
		case s.frac >= 0:
			out.frac = s.frac
		}
	}
	return out
}

func orShape(children []Trigger) fireShape {
	out := fireShape{secs: &daySeconds{}, frac: -2}
	for _, c := range children {
		s := shapeOf(c)
		if s.secs == nil || out.secs == nil {
			out.secs = nil
		} else {
			for i := range out.secs {
				out.secs[i] |= s.secs[i]
			}
		}
		switch {
		case s.frac == -2:
		case out.frac == -2:
			out.frac = s.frac
		case s.frac != out.frac:
			out.frac = -1
		}
	}
	return out
}

func shapeOf(t Trigger) fireShape {
	switch t := t.(type) {
	case *CronTrigger:
		return specShape(t.spec, t.loc)
	case *CrontabTrigger:
		return specShape(t.spec, t.loc)
	case *IntervalTrigger:
		start := t.start
		if start.IsZero() {
			start = time.Unix(0, 0)
		}
		s := fireShape{frac: start.Nanosecond()}
		switch {
		case secondsPerDay%t.period == 0:
			s.secs = &daySeconds{}
			for x := floorMod(start.Unix(), t.period); x < secondsPerDay; x += t.period {
				s.secs.set(x)
			}
		case t.period%secondsPerDay == 0:
			s.secs = &daySeconds{}
			s.secs.set(start.Unix())
		}
		return s
	case *DateTrigger:
		s := fireShape{secs: &daySeconds{}, frac: t.run.Nanosecond()}
		s.secs.set(t.run.Unix())
		return s
	case *CalendarIntervalTrigger:
		s := fireShape{secs: &daySeconds{}, frac: 0}
		local := int64(t.hour*3600 + t.minute*60 + t.second)
		for _, off := range zoneOffsets(t.loc) {
			s.secs.set(local - off)
		}
		return s
	case *AndTrigger:
		return andShape(t.children)
	case *OrTrigger:
		return orShape(t.children)
	}
	return fireShape{frac: -1}
}

// specShape maps every matching local second of the day through every
// offset the zone uses. A shifted gap time fires at wall-offset for the
// offset before the gap, which is one of them too.
func specShape(sp *spec, loc *time.Location) fireShape {
	s := fireShape{secs: &daySeconds{}, frac: 0}
	offs := zoneOffsets(loc)
	for hs := uint64(sp.hour); hs != 0; hs &= hs - 1 {
		h := int64(bits.TrailingZeros64(hs))
		for ms := sp.minute; ms != 0; ms &= ms - 1 {
			m := int64(bits.TrailingZeros64(ms))
			for ss := sp.second; ss != 0; ss &= ss - 1 {
				local := h*3600 + m*60 + int64(bits.TrailingZeros64(ss))
				for _, off := range offs {
					s.secs.set(local - off)
				}
			}
		}
	}
	return s
}

// zoneOffsets lists the UTC offsets loc uses from 1970 to 2500.
func zoneOffsets(loc *time.Location) []int64 {
	var offs []int64
	x := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	limit := time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	for {
		seg := segmentAt(loc, x)
		known := false
		for _, o := range offs {
			known = known || o == seg.offset
		}
		if !known {
			offs = append(offs, seg.offset)
		}
		if seg.end == math.MaxInt64 || seg.end > limit {
			return offs
		}
		x = seg.end
	}
}
