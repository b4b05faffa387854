package trigger

import (
	"math"
	"time"
)

// A segment is a stretch of absolute time during which a zone keeps one UTC
// offset: instants [start, end) in Unix seconds, wall = instant + offset.
type segment struct {
	start, end int64 // math.MinInt64 / math.MaxInt64 when unbounded
	offset     int64 // seconds east of UTC
}

// segmentAt returns the segment of loc that contains the instant x.
func segmentAt(loc *time.Location, x int64) segment {
	t := time.Unix(x, 0).In(loc)
	_, off := t.Zone()
	s, e := t.ZoneBounds()
	seg := segment{start: math.MinInt64, end: math.MaxInt64, offset: int64(off)}
	if !s.IsZero() {
		seg.start = s.Unix()
	}
	if !e.IsZero() {
		seg.end = e.Unix()
	}
	if seg.end <= x {
		// Past the last transition in the zone file Go computes the
		// rule-based transitions year by year, and in a leap year it ends
		// the bounds a day early (go1.26: [Nov 4 2040, Dec 31 2040) is
		// returned for Dec 31 2040). The offset is right; take the bounds
		// from the next lookup, which lies in the following year.
		next := segmentAt(loc, seg.end+2*secondsPerDay)
		seg.start = seg.end
		if next.start > x {
			seg.end = next.start
		} else {
			seg.end = next.end
		}
	}
	return seg
}

// maxOffset bounds the UTC offset of any zone (tzdata stays within ±26 h).
const maxOffset = 26 * 3600

// wallInstants turns the wall time w of loc into instants. It returns the
// instants at which the wall clock shows w: one normally, two (earlier first)
// when the clocks go back over w. When w does not exist because the clocks
// jump over it, n is 0 and shifted is w read with the offset in force before
// the jump, i.e. w moved forward by the size of the gap.
func wallInstants(loc *time.Location, w int64) (inst [2]int64, n int, shifted int64) {
	seg := segmentAt(loc, w-maxOffset)
	prevWallEnd := int64(math.MinInt64)
	prevOffset := seg.offset
	for {
		if seg.start != math.MinInt64 && seg.start > w+maxOffset {
			break
		}
		if x := w - seg.offset; x >= seg.start && x < seg.end {
			if n < 2 {
				inst[n] = x
				n++
			}
		} else if n == 0 && seg.start != math.MinInt64 && w >= prevWallEnd && w < seg.start+seg.offset {
			// w lies between the wall end of the previous segment and the
			// wall start of this one: a gap.
			shifted = w - prevOffset
		}
		if seg.end == math.MaxInt64 {
			break
		}
		prevWallEnd = seg.end + seg.offset
		prevOffset = seg.offset
		seg = segmentAt(loc, seg.end)
	}
	return inst, n, shifted
}

// resolveWall reads the wall time w of loc as one instant the way a naive
// date-time is read: a repeated wall time means its first occurrence, a wall
// time inside a gap moves forward by the gap.
func resolveWall(loc *time.Location, w int64) int64 {
	inst, n, shifted := wallInstants(loc, w)
	if n == 0 {
		return shifted
	}
	return inst[0]
}

// wallAt returns the wall seconds that loc shows at the instant t.
func wallAt(loc *time.Location, t time.Time) int64 {
	_, off := t.In(loc).Zone()
	return t.Unix() + int64(off)
}
