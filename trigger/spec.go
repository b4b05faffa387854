package trigger

import (
	"math/bits"
)

// spec is the compiled form of every cron-like expression (the keyword
// "cron" trigger and both "crontab" dialects): one bit set per field plus the
// day tokens that depend on the month (last day, n-th weekday, nearest
// weekday). Matching works on wall-clock fields only; zones are handled by
// the search in search.go.
type spec struct {
	second, minute uint64 // bit v set: value v matches
	hour           uint32
	month          uint16 // bits 1..12

	dom        uint32 // plain days of the month, bits 1..31
	domSpecial []daySpecial
	domAll     bool // the day-of-month field does not restrict

	dow        uint8 // weekdays, bit 0 = Sunday … bit 6 = Saturday
	dowSpecial []daySpecial
	dowAll     bool // the day-of-week field does not restrict

	week    uint64 // ISO weeks, bits 1..53
	weekAll bool

	// orDays: when both day fields restrict, a day matching either fires
	// (Vixie cron); otherwise a day must match both.
	orDays bool

	minYear, maxYear int
	years            []uint64 // bit y-minYear; nil: every year in range

	dowByFirst [7]uint32 // days matching dow, by weekday of the 1st
}

// daySpecial is a day token whose day depends on the month.
type daySpecial struct {
	kind    specialKind
	n       int // lastDay: days before the last; nearest: the day; nth: which
	weekday int // 0 = Sunday
}

type specialKind uint8

const (
	specLastDay     specialKind = iota // L, L-n, APScheduler "last"
	specNearest                        // nW
	specLastWorkday                    // LW
	specNth                            // n#k, APScheduler "3rd fri"
	specLastWeekday                    // nL, APScheduler "last fri"
)

// finish precomputes the lookup tables; call it once the fields are set.
func (s *spec) finish() {
	for first := 0; first < 7; first++ {
		var m uint32
		for d := 1; d <= 31; d++ {
			if s.dow&(1<<((first+d-1)%7)) != 0 {
				m |= 1 << d
			}
		}
		s.dowByFirst[first] = m
	}
}

func (sp daySpecial) day(y, m, first, n int) int {
	switch sp.kind {
	case specLastDay:
		return n - sp.n
	case specNearest:
		d := sp.n
		if d > n {
			return 0
		}
		switch (first + d - 1) % 7 {
		case 6: // Saturday: Friday before, or Monday after the 1st
			if d == 1 {
				return 3
			}
			return d - 1
		case 0: // Sunday: Monday after, or Friday before the last day
			if d == n {
				return d - 2
			}
			return d + 1
		}
		return d
	case specLastWorkday:
		switch (first + n - 1) % 7 {
		case 6:
			return n - 1
		case 0:
			return n - 2
		}
		return n
	case specNth:
		d := 1 + (sp.weekday-first+7)%7 + 7*(sp.n-1)
		if d > n {
			return 0
		}
		return d
	case specLastWeekday:
		lastWd := (first + n - 1) % 7
		return n - (lastWd-sp.weekday+7)%7
	}
	return 0
}

func specialMask(list []daySpecial, y, m, first, n int) uint32 {
	var mask uint32
	for _, sp := range list {
		if d := sp.day(y, m, first, n); d >= 1 && d <= n {
			mask |= 1 << d
		}
	}
	return mask
}

// monthDays returns the days of month m of year y that match, as bits 1..31.
func (s *spec) monthDays(y, m int) uint32 {
	n := daysIn(y, m)
	valid := uint32(1)<<(n+1) - 2
	days0 := daysFromCivil(y, m, 1)
	first := weekdayOfDays(days0)

	domMask := valid
	if !s.domAll {
		domMask = s.dom & valid
		if len(s.domSpecial) > 0 {
			domMask |= specialMask(s.domSpecial, y, m, first, n)
		}
	}
	dowMask := valid
	if !s.dowAll {
		dowMask = s.dowByFirst[first] & valid
		if len(s.dowSpecial) > 0 {
			dowMask |= specialMask(s.dowSpecial, y, m, first, n)
		}
	}
	var days uint32
	if s.orDays && !s.domAll && !s.dowAll {
		days = domMask | dowMask
	} else {
		days = domMask & dowMask
	}
	if !s.weekAll && days != 0 {
		days &= s.weekMask(days0, n)
	}
	return days
}

// weekMask returns the days 1..n of the month starting at day number days0
// whose ISO week matches.
func (s *spec) weekMask(days0 int64, n int) uint32 {
	var mask uint32
	w := isoWeek(days0)
	for d := 1; d <= n; d++ {
		day := days0 + int64(d-1)
		if d > 1 && weekdayOfDays(day) == 1 {
			w = isoWeek(day)
		}
		if s.week&(1<<w) != 0 {
			mask |= 1 << d
		}
	}
	return mask
}

// nextYear returns the first matching year >= y, or false.
func (s *spec) nextYear(y int) (int, bool) {
	if y < s.minYear {
		y = s.minYear
	}
	if y > s.maxYear {
		return 0, false
	}
	if s.years == nil {
		return y, true
	}
	i := y - s.minYear
	for w := i / 64; w < len(s.years); w++ {
		word := s.years[w]
		if w == i/64 {
			word &= ^uint64(0) << (i % 64)
		}
		if word != 0 {
			yy := s.minYear + w*64 + bits.TrailingZeros64(word)
			if yy > s.maxYear {
				return 0, false
			}
			return yy, true
		}
	}
	return 0, false
}

// nextBit returns the smallest set bit >= v in set, or -1.
func nextBit(set uint64, v int) int {
	if v >= 64 {
		return -1
	}
	m := set & (^uint64(0) << v)
	if m == 0 {
		return -1
	}
	return bits.TrailingZeros64(m)
}

// nextWall returns the smallest matching wall time >= w (wall seconds), or
// false when no year up to maxYear has one.
func (s *spec) nextWall(w int64) (int64, bool) {
	y, mo, d, h, mi, sec := splitWall(w)
	// The Gregorian calendar, weekdays and ISO weeks included, repeats
	// every 400 years; a spec that does not restrict years and has matched
	// no date in 401 of them never will.
	giveUp := y + 401
	for {
		if s.years == nil && y > giveUp {
			return 0, false
		}
		yy, ok := s.nextYear(y)
		if !ok {
			return 0, false
		}
		if yy != y {
			y, mo, d, h, mi, sec = yy, 1, 1, 0, 0, 0
		}
		m2 := nextBit(uint64(s.month), mo)
		if m2 < 0 {
			y, mo, d, h, mi, sec = y+1, 1, 1, 0, 0, 0
			continue
		}
		if m2 != mo {
			mo, d, h, mi, sec = m2, 1, 0, 0, 0
		}
		days := uint64(s.monthDays(y, mo))
		d2 := nextBit(days, d)
		if d2 < 0 {
			mo, d, h, mi, sec = mo+1, 1, 0, 0, 0
			if mo > 12 {
				y, mo = y+1, 1
			}
			continue
		}
		if d2 != d {
			d, h, mi, sec = d2, 0, 0, 0
		}
		h2 := nextBit(uint64(s.hour), h)
		if h2 < 0 {
			d, h, mi, sec = d+1, 0, 0, 0
			if d > daysIn(y, mo) {
				d, mo = 1, mo+1
				if mo > 12 {
					y, mo = y+1, 1
				}
			}
			continue
		}
		if h2 != h {
			h, mi, sec = h2, 0, 0
		}
		mi2 := nextBit(s.minute, mi)
		if mi2 < 0 {
			h, mi, sec = h+1, 0, 0
			if h > 23 {
				h = 0
				d++
				if d > daysIn(y, mo) {
					d, mo = 1, mo+1
					if mo > 12 {
						y, mo = y+1, 1
					}
				}
			}
			continue
		}
		if mi2 != mi {
			mi, sec = mi2, 0
		}
		s2 := nextBit(s.second, sec)
		if s2 < 0 {
			mi, sec = mi+1, 0
			if mi > 59 {
				mi, h = 0, h+1
				if h > 23 {
					h = 0
					d++
					if d > daysIn(y, mo) {
						d, mo = 1, mo+1
						if mo > 12 {
							y, mo = y+1, 1
						}
					}
				}
			}
			continue
		}
		return wallOf(y, mo, d, h, mi, s2), true
	}
}

// matchesWall reports whether the wall time w matches every field. The
// search never calls it; tests use it as an independent check.
func (s *spec) matchesWall(w int64) bool {
	y, mo, d, h, mi, sec := splitWall(w)
	if y < s.minYear || y > s.maxYear {
		return false
	}
	if s.years != nil && s.years[(y-s.minYear)/64]&(1<<((y-s.minYear)%64)) == 0 {
		return false
	}
	return s.month&(1<<mo) != 0 && s.monthDays(y, mo)&(1<<d) != 0 &&
		s.hour&(1<<h) != 0 && s.minute&(1<<mi) != 0 && s.second&(1<<sec) != 0
}
