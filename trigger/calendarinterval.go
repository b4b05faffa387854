package trigger

import (
	"time"
)

// CalendarIntervalTrigger fires at a fixed wall-clock time of day on dates
// that step by calendar units: years and months (keeping the day of the
// month, and skipping months too short for it, never clamping), then weeks
// and days. It is APScheduler's CalendarIntervalTrigger, except at DST
// changes: a time of day that does not exist on a date fires once, shifted
// forward by the gap, and one that occurs twice fires at its first
// occurrence.
type CalendarIntervalTrigger struct {
	years, months, weeks, days int
	hour, minute, second       int
	loc                        *time.Location
	start, end                 int64 // day numbers; start noDate: first asked
}

const noDate = int64(-1 << 62)

var calUnits = [4]string{"years", "months", "weeks", "days"}

func parseCalendarInterval(f *fields, def *time.Location) (Trigger, error) {
	if err := f.checkKeys(); err != nil {
		return nil, err
	}
	loc, err := f.location(def)
	if err != nil {
		return nil, err
	}
	c := &CalendarIntervalTrigger{loc: loc, start: noDate, end: noDate}
	units := [4]*int{&c.years, &c.months, &c.weeks, &c.days}
	for i, name := range calUnits {
		v, _, err := f.integer(name)
		if err != nil {
			return nil, err
		}
		if v < 0 || v > 100000 {
			return nil, fieldErr(name, f.rawText(name), "must be a whole number from 0 to 100000")
		}
		*units[i] = int(v)
	}
	if c.years == 0 && c.months == 0 && c.weeks == 0 && c.days == 0 {
		return nil, fieldErr("trigger", "", "calendar interval is zero; give at least one of years, months, weeks, days")
	}
	clock := [3]*int{&c.hour, &c.minute, &c.second}
	for i, name := range [3]string{"hour", "minute", "second"} {
		v, _, err := f.integer(name)
		if err != nil {
			return nil, err
		}
		if limit := []int64{23, 59, 59}[i]; v < 0 || v > limit {
			return nil, fieldErr(name, f.rawText(name), "is out of range 0-%d", limit)
		}
		*clock[i] = int(v)
	}
	for _, key := range []string{"start_date", "end_date"} {
		s, ok, err := f.text(key)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		day, err := parsePlainDate(key, s)
		if err != nil {
			return nil, err
		}
		if key == "start_date" {
			c.start = day
		} else {
			c.end = day
		}
	}
	if c.start != noDate && c.end != noDate && c.end < c.start {
		return nil, fieldErr("end_date", dateText(c.end), "is before start_date %s", dateText(c.start))
	}
	return c, nil
}

// parsePlainDate reads YYYY-MM-DD into a day number.
func parsePlainDate(key, s string) (int64, error) {
	p := timeParser{s: s, ok: true}
	y := p.digits(4, 4)
	p.expect('-')
	m := p.digits(2, 2)
	p.expect('-')
	d := p.digits(2, 2)
	if !p.ok || p.i != len(s) {
		return 0, fieldErr(key, s, "must be a plain date YYYY-MM-DD, without a time of day")
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, fieldErr(key, s, "is not a date that exists")
	}
	return daysFromCivil(y, m, d), nil
}

func dateText(day int64) string {
	y, m, d := civilFromDays(day)
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
}

// step returns the candidate date after day, or false past year 9999.
func (c *CalendarIntervalTrigger) step(day int64) (int64, bool) {
	y, m, d := civilFromDays(day)
	if c.years != 0 || c.months != 0 {
		for range 1000 {
			total := y*12 + (m - 1) + c.years*12 + c.months
			y, m = total/12, total%12+1
			if d <= daysIn(y, m) {
				break
			}
		}
		if d > daysIn(y, m) {
			return 0, false
		}
	}
	next := daysFromCivil(y, m, d) + int64(7*c.weeks+c.days)
	if ny, _, _ := civilFromDays(next); ny > 9999 {
		return 0, false
	}
	return next, true
}

// fire returns the fire time on a candidate date, or false after end_date.
func (c *CalendarIntervalTrigger) fire(day int64) (time.Time, bool) {
	if c.end != noDate && day > c.end {
		return time.Time{}, false
	}
	w := day*secondsPerDay + int64(c.hour*3600+c.minute*60+c.second)
	return time.Unix(resolveWall(c.loc, w), 0).In(c.loc), true
}

// dayOf returns the local date of t as a day number.
func (c *CalendarIntervalTrigger) dayOf(t time.Time) int64 {
	return floorDiv(wallAt(c.loc, t), secondsPerDay)
}

// First returns the fire time on the start date, even when it is before
// now. Without a start date the first candidate is the first date, from
// now's, whose fire time is not before now.
func (c *CalendarIntervalTrigger) First(now time.Time) (time.Time, bool) {
	if c.start == noDate {
		return c.atOrAfter(now)
	}
	return c.fire(c.start)
}

// Next returns the fire time on the candidate date after prev's.
func (c *CalendarIntervalTrigger) Next(prev time.Time) (time.Time, bool) {
	day, ok := c.step(c.dayOf(prev))
	if !ok {
		return time.Time{}, false
	}
	return c.fire(day)
}

func (c *CalendarIntervalTrigger) atOrAfter(t time.Time) (time.Time, bool) {
	day := c.start
	if day == noDate {
		day = c.dayOf(t)
	}
	if target := c.dayOf(t) - 1; c.years == 0 && c.months == 0 && target > day {
		n := int64(7*c.weeks + c.days)
		day += (target - day) / n * n
	}
	for {
		f, ok := c.fire(day)
		if !ok {
			return time.Time{}, false
		}
		if !f.Before(t) {
			return f, true
		}
		if day, ok = c.step(day); !ok {
			return time.Time{}, false
		}
	}
}

// Type returns "calendarinterval".
func (c *CalendarIntervalTrigger) Type() string { return "calendarinterval" }

// Location returns the trigger's time zone.
func (c *CalendarIntervalTrigger) Location() *time.Location { return c.loc }

// Jitter returns zero: a calendar interval has none.
func (c *CalendarIntervalTrigger) Jitter() time.Duration { return 0 }

// MarshalJSON writes the non-zero units, the time of day, the dates and the
// time zone.
func (c *CalendarIntervalTrigger) MarshalJSON() ([]byte, error) {
	o := newObject("calendarinterval")
	for i, v := range [4]int{c.years, c.months, c.weeks, c.days} {
		if v != 0 {
			o.add(calUnits[i], v)
		}
	}
	o.add("hour", c.hour)
	o.add("minute", c.minute)
	o.add("second", c.second)
	if c.start != noDate {
		o.add("start_date", dateText(c.start))
	}
	if c.end != noDate {
		o.add("end_date", dateText(c.end))
	}
	o.add("timezone", c.loc.String())
	return o.bytes()
}
