package trigger

import (
	"errors"
	"strconv"
	"time"
)

var errTimeSyntax = errors.New("is not a date-time; use RFC 3339 (2024-03-30T09:00:00+01:00), a wall time (2024-03-30 09:00:00) or a date (2024-03-30)")

// ParseTime reads the date-time forms a trigger accepts:
//
//   - RFC 3339 with an offset or Z: 2024-03-30T09:00:00+01:00
//   - a wall time, separator T or space, 1–6 fraction digits optional:
//     2024-03-30 09:00:00
//   - a date: 2024-03-30 (midnight)
//
// A value without an offset is a wall time in loc. A wall time that does not
// exist (clocks jump over it) is read with the offset in force before the
// jump, which moves it forward by the gap; one that occurs twice means its
// first occurrence. A value with an offset keeps that instant and is returned
// in loc.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	p := timeParser{s: s, ok: true}
	y := p.digits(4, 4)
	p.expect('-')
	mo := p.digits(1, 2)
	p.expect('-')
	d := p.digits(1, 2)
	var h, mi, sec, nanos int
	hasOffset, offset := false, 0
	if p.ok && p.i < len(s) {
		if c := s[p.i]; c == 'T' || c == 't' || c == ' ' {
			p.i++
			h = p.digits(1, 2)
			p.expect(':')
			mi = p.digits(1, 2)
			p.expect(':')
			sec = p.digits(1, 2)
			if p.ok && p.i < len(s) && s[p.i] == '.' {
				p.i++
				start := p.i
				frac := p.digits(1, 9)
				for n := p.i - start; n < 9; n++ {
					frac *= 10
				}
				nanos = frac
			}
			if p.ok && p.i < len(s) {
				switch s[p.i] {
				case 'Z', 'z':
					p.i++
					hasOffset = true
				case '+', '-':
					sign := 1
					if s[p.i] == '-' {
						sign = -1
					}
					p.i++
					oh := p.digits(2, 2)
					p.expect(':')
					om := p.digits(2, 2)
					osec := 0
					if p.ok && p.i < len(s) && s[p.i] == ':' {
						// Seconds, as Python writes the offsets of local
						// mean time (Shanghai before 1901: +08:05:43).
						p.i++
						osec = p.digits(2, 2)
					}
					if oh > 23 || om > 59 || osec > 59 {
						p.ok = false
					}
					hasOffset, offset = true, sign*(oh*3600+om*60+osec)
				}
			}
		}
	}
	if !p.ok || p.i != len(s) {
		return time.Time{}, errTimeSyntax
	}
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return time.Time{}, errors.New("is not a date that exists")
	}
	if h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, errors.New("is not a valid time of day")
	}
	w := wallOf(y, mo, d, h, mi, sec)
	var unix int64
	if hasOffset {
		unix = w - int64(offset)
	} else {
		unix = resolveWall(loc, w)
	}
	return time.Unix(unix, int64(nanos)).In(loc), nil
}

type timeParser struct {
	s  string
	i  int
	ok bool
}

func (p *timeParser) digits(minN, maxN int) int {
	if !p.ok {
		return 0
	}
	start := p.i
	for p.i < len(p.s) && p.i-start < maxN && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	if p.i-start < minN {
		p.ok = false
		return 0
	}
	v, _ := strconv.Atoi(p.s[start:p.i])
	return v
}

func (p *timeParser) expect(c byte) {
	if p.ok && p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return
	}
	p.ok = false
}

// FormatTime writes t as RFC 3339 with its numeric offset (UTC as +00:00,
// never Z; with seconds only when the offset has them) and a six-digit
// fraction only when the fraction is not zero: the form of the conformance
// vectors and of APScheduler's isoformat.
func FormatTime(t time.Time) string {
	zone := "-07:00"
	if _, off := t.Zone(); off%60 != 0 {
		// Local mean time before standard zones has offsets with seconds
		// (Shanghai: +08:05:43); written as Python's isoformat does.
		zone = "-07:00:00"
	}
	if t.Nanosecond()%1000 == 0 && t.Nanosecond() != 0 {
		return t.Format("2006-01-02T15:04:05.000000" + zone)
	}
	if t.Nanosecond() != 0 {
		return t.Format("2006-01-02T15:04:05.000000000" + zone)
	}
	return t.Format("2006-01-02T15:04:05" + zone)
}
