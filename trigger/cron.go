package trigger

import (
	"encoding/json"
	"time"
)

// CronTrigger is APScheduler's CronTrigger: keyword fields year, month, day,
// week, day_of_week (0 = Monday), hour, minute and second, with inclusive
// start and end dates, a time zone and jitter. Build one with Parse or
// NewCron.
type CronTrigger struct {
	given  [8]string // fields as the user gave them; "" = not given
	has    [8]bool
	spec   *spec
	loc    *time.Location
	start  time.Time // zero: none
	end    time.Time // zero: none
	jitter time.Duration
}

// CronFields are the keyword fields of a cron trigger; an empty string
// leaves a field out (it is then filled by APScheduler's rule: fields
// coarser than the finest given one match everything, finer ones their
// minimum).
type CronFields struct {
	Year, Month, Day, Week, DayOfWeek, Hour, Minute, Second string
}

// NewCron builds a cron trigger in loc (nil means UTC) with no start or end
// date.
func NewCron(f CronFields, loc *time.Location) (*CronTrigger, error) {
	if loc == nil {
		loc = time.UTC
	}
	c := &CronTrigger{loc: named(loc)}
	for i, v := range []string{f.Year, f.Month, f.Day, f.Week, f.DayOfWeek, f.Hour, f.Minute, f.Second} {
		c.given[i], c.has[i] = v, v != ""
	}
	var err error
	c.spec, err = compileCron(fillCronFields(c.given, c.has))
	if err != nil {
		return nil, err
	}
	return c, nil
}

func parseCron(f *fields, def *time.Location) (Trigger, error) {
	if err := f.checkKeys(); err != nil {
		return nil, err
	}
	loc, err := f.location(def)
	if err != nil {
		return nil, err
	}
	c := &CronTrigger{loc: named(loc)}
	for i, name := range cronFieldNames {
		v, ok, err := f.str(name)
		if err != nil {
			return nil, err
		}
		c.given[i], c.has[i] = v, ok
	}
	if c.spec, err = compileCron(fillCronFields(c.given, c.has)); err != nil {
		return nil, err
	}
	if c.start, _, err = f.datetime("start_date", loc); err != nil {
		return nil, err
	}
	if c.end, _, err = f.datetime("end_date", loc); err != nil {
		return nil, err
	}
	if err := checkDateOrder(c.start, c.end); err != nil {
		return nil, err
	}
	if c.jitter, err = f.jitter(); err != nil {
		return nil, err
	}
	return c, nil
}

func checkDateOrder(start, end time.Time) error {
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		return fieldErr("end_date", FormatTime(end), "is before start_date %s", FormatTime(start))
	}
	return nil
}

// First returns the first matching time at or after the later of now and
// the start date, now rounded up to a whole second.
func (c *CronTrigger) First(now time.Time) (time.Time, bool) { return c.atOrAfter(now) }

// Next returns the first matching time after prev.
func (c *CronTrigger) Next(prev time.Time) (time.Time, bool) {
	return c.atOrAfter(time.Unix(prev.Unix()+1, 0))
}

func (c *CronTrigger) atOrAfter(t time.Time) (time.Time, bool) {
	return specAtOrAfter(c.spec, c.loc, t, c.start, c.end)
}

// specAtOrAfter is the search shared by cron and crontab triggers: the first
// fire instant at or after t (rounded up to a whole second) and start, and
// not after end (zero start or end: none).
func specAtOrAfter(s *spec, loc *time.Location, t, start, end time.Time) (time.Time, bool) {
	if !start.IsZero() && t.Before(start) {
		t = start
	}
	x := t.Unix()
	if t.Nanosecond() != 0 {
		x++
	}
	inst, ok := s.nextInstant(loc, x)
	if !ok {
		return time.Time{}, false
	}
	next := time.Unix(inst, 0).In(loc)
	if !end.IsZero() && next.After(end) {
		return time.Time{}, false
	}
	return next, true
}

// Type returns "cron".
func (c *CronTrigger) Type() string { return "cron" }

// Location returns the trigger's time zone.
func (c *CronTrigger) Location() *time.Location { return c.loc }

// Jitter returns the largest random delay to add to each fire time.
func (c *CronTrigger) Jitter() time.Duration { return c.jitter }

// StartDate returns the inclusive start date, zero when there is none.
func (c *CronTrigger) StartDate() time.Time { return c.start }

// EndDate returns the inclusive end date, zero when there is none.
func (c *CronTrigger) EndDate() time.Time { return c.end }

// MarshalJSON writes the fields that were given, as strings, then the dates,
// the time zone and the jitter.
func (c *CronTrigger) MarshalJSON() ([]byte, error) {
	o := newObject("cron")
	for i, name := range cronFieldNames {
		if c.has[i] {
			o.add(name, c.given[i])
		}
	}
	o.addTime("start_date", c.start, c.loc)
	o.addTime("end_date", c.end, c.loc)
	o.add("timezone", c.loc.String())
	if c.jitter > 0 {
		o.add("jitter", jitterJSON(c.jitter))
	}
	return o.bytes()
}

// object writes a JSON object with keys in insertion order.
type object struct {
	buf []byte
}

func newObject(typ string) *object {
	o := &object{buf: []byte{'{'}}
	o.add("type", typ)
	return o
}

func (o *object) add(key string, v any) {
	if len(o.buf) > 1 {
		o.buf = append(o.buf, ',')
	}
	k, _ := json.Marshal(key)
	val, err := json.Marshal(v)
	if err != nil {
		val = []byte("null")
	}
	o.buf = append(append(append(o.buf, k...), ':'), val...)
}

func (o *object) addTime(key string, t time.Time, loc *time.Location) {
	if !t.IsZero() {
		o.add(key, FormatTime(t.In(loc)))
	}
}

func (o *object) bytes() ([]byte, error) {
	return append(o.buf, '}'), nil
}
