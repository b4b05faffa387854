package trigger

import (
	"time"
)

// IntervalTrigger fires every period from its start date: start_date +
// k·period in absolute time (a day is 86 400 s whatever the DST calendar
// says), up to an inclusive end date. The zone only decides which offset
// fire times are written with. Without a start date the first fire time is
// one period after the moment the trigger is first asked (APScheduler's
// "now + interval"); Anchor fixes that moment.
type IntervalTrigger struct {
	units  [5]int64 // weeks, days, hours, minutes, seconds as given
	period int64    // seconds
	loc    *time.Location
	start  time.Time
	end    time.Time
	jitter time.Duration
}

var intervalUnits = [5]string{"weeks", "days", "hours", "minutes", "seconds"}
var intervalUnitSeconds = [5]int64{7 * secondsPerDay, secondsPerDay, 3600, 60, 1}

// maxPeriod bounds an interval to about 10 000 years.
const maxPeriod = 10000 * 366 * secondsPerDay

// NewInterval builds an interval trigger with the given period (whole
// seconds, at least one) anchored at start (zero: when first asked), in loc
// (nil: UTC).
func NewInterval(period time.Duration, start time.Time, loc *time.Location) (*IntervalTrigger, error) {
	if loc == nil {
		loc = time.UTC
	}
	if period < time.Second || period%time.Second != 0 {
		return nil, fieldErr("seconds", period.String(), "must be a whole number of seconds, at least 1")
	}
	it := &IntervalTrigger{period: int64(period / time.Second), loc: named(loc), start: start}
	it.units[4] = it.period
	return it, nil
}

func parseInterval(f *fields, def *time.Location) (Trigger, error) {
	if err := f.checkKeys(); err != nil {
		return nil, err
	}
	loc, err := f.location(def)
	if err != nil {
		return nil, err
	}
	it := &IntervalTrigger{loc: loc}
	for i, name := range intervalUnits {
		v, _, err := f.integer(name)
		if err != nil {
			return nil, err
		}
		if v < 0 {
			return nil, fieldErr(name, f.rawText(name), "must not be negative")
		}
		if v > maxPeriod/intervalUnitSeconds[i] || it.period+v*intervalUnitSeconds[i] > maxPeriod {
			return nil, fieldErr(name, f.rawText(name), "makes the interval longer than 10000 years")
		}
		it.units[i] = v
		it.period += v * intervalUnitSeconds[i]
	}
	if it.period == 0 {
		return nil, fieldErr("trigger", "", "interval is zero; give at least one of weeks, days, hours, minutes, seconds")
	}
	if it.start, _, err = f.datetime("start_date", loc); err != nil {
		return nil, err
	}
	if it.end, _, err = f.datetime("end_date", loc); err != nil {
		return nil, err
	}
	if err := checkDateOrder(it.start, it.end); err != nil {
		return nil, err
	}
	if it.jitter, err = f.jitter(); err != nil {
		return nil, err
	}
	return it, nil
}

// First returns the first grid point at or after now (the start date when
// now is before it). Without a start date it is now + period.
func (it *IntervalTrigger) First(now time.Time) (time.Time, bool) {
	if it.start.IsZero() {
		return it.bound(now.Add(time.Duration(it.period) * time.Second))
	}
	return it.atOrAfter(now)
}

// Next returns prev + period.
func (it *IntervalTrigger) Next(prev time.Time) (time.Time, bool) {
	return it.bound(time.Unix(prev.Unix()+it.period, int64(prev.Nanosecond())))
}

// atOrAfter returns the first grid point at or after t. A trigger without a
// start date is taken as anchored at the Unix epoch.
func (it *IntervalTrigger) atOrAfter(t time.Time) (time.Time, bool) {
	start := it.start
	if start.IsZero() {
		start = time.Unix(0, 0)
	}
	if !t.After(start) {
		return it.bound(start)
	}
	ds := t.Unix() - start.Unix()
	dn := int64(t.Nanosecond() - start.Nanosecond())
	if dn < 0 {
		ds--
		dn += 1e9
	}
	k := ds / it.period
	if k*it.period < ds || dn > 0 {
		k++
	}
	return it.bound(time.Unix(start.Unix()+k*it.period, int64(start.Nanosecond())))
}

func (it *IntervalTrigger) bound(t time.Time) (time.Time, bool) {
	if !it.end.IsZero() && t.After(it.end) {
		return time.Time{}, false
	}
	return t.In(it.loc), true
}

// Anchor returns a copy of the trigger whose missing start date is set to
// now + period, the first fire time APScheduler gives a new interval job.
// Schedulers call it when a job is added so that the grid survives restarts.
func (it *IntervalTrigger) Anchor(now time.Time) *IntervalTrigger {
	if !it.start.IsZero() {
		return it
	}
	c := *it
	c.start = now.Add(time.Duration(it.period) * time.Second).In(it.loc)
	return &c
}

// Period returns the interval between fire times.
func (it *IntervalTrigger) Period() time.Duration { return time.Duration(it.period) * time.Second }

// Type returns "interval".
func (it *IntervalTrigger) Type() string { return "interval" }

// Location returns the trigger's time zone.
func (it *IntervalTrigger) Location() *time.Location { return it.loc }

// Jitter returns the largest random delay to add to each fire time.
func (it *IntervalTrigger) Jitter() time.Duration { return it.jitter }

// StartDate returns the grid anchor, zero when not yet anchored.
func (it *IntervalTrigger) StartDate() time.Time { return it.start }

// EndDate returns the inclusive end date, zero when there is none.
func (it *IntervalTrigger) EndDate() time.Time { return it.end }

// MarshalJSON writes the non-zero units as given, the dates, the time zone
// and the jitter.
func (it *IntervalTrigger) MarshalJSON() ([]byte, error) {
	o := newObject("interval")
	for i, name := range intervalUnits {
		if it.units[i] != 0 {
			o.add(name, it.units[i])
		}
	}
	o.addTime("start_date", it.start, it.loc)
	o.addTime("end_date", it.end, it.loc)
	o.add("timezone", it.loc.String())
	if it.jitter > 0 {
		o.add("jitter", jitterJSON(it.jitter))
	}
	return o.bytes()
}

// Anchor returns t with every interval trigger in it that has no start date
// (at the top or inside "and" / "or") anchored at now + period, so the grid
// survives restarts. Triggers without such an interval are returned as they
// are. Schedulers call it when a job is added or rescheduled.
func Anchor(t Trigger, now time.Time) Trigger {
	switch t := t.(type) {
	case *IntervalTrigger:
		return t.Anchor(now)
	case *AndTrigger:
		if kids, changed := anchorAll(t.children, now); changed {
			return &AndTrigger{children: kids}
		}
	case *OrTrigger:
		if kids, changed := anchorAll(t.children, now); changed {
			return &OrTrigger{children: kids}
		}
	}
	return t
}

func anchorAll(children []Trigger, now time.Time) ([]Trigger, bool) {
	out := make([]Trigger, len(children))
	changed := false
	for i, c := range children {
		out[i] = Anchor(c, now)
		changed = changed || out[i] != c
	}
	return out, changed
}
