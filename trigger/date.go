package trigger

import (
	"time"
)

// DateTrigger fires once, at its run date.
type DateTrigger struct {
	run time.Time
	loc *time.Location
}

// NewDate builds a trigger that fires once at t, written in t's zone (for
// time.Local, the IANA zone it stands for on this host, so that the trigger
// can be stored and read back).
func NewDate(t time.Time) *DateTrigger {
	loc := named(t.Location())
	return &DateTrigger{run: t.In(loc), loc: loc}
}

func parseDate(f *fields, def *time.Location) (Trigger, error) {
	if err := f.checkKeys(); err != nil {
		return nil, err
	}
	loc, err := f.location(def)
	if err != nil {
		return nil, err
	}
	run, ok, err := f.datetime("run_date", loc)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fieldErr("run_date", "", "is required, e.g. \"2024-06-01T12:00:00+08:00\"")
	}
	return &DateTrigger{run: run, loc: loc}, nil
}

// First returns the run date, even when it is before now: what a past run
// date means is for the scheduler's catch-up rules to decide.
func (d *DateTrigger) First(time.Time) (time.Time, bool) { return d.run, true }

// Next reports that a date trigger fires only once.
func (d *DateTrigger) Next(time.Time) (time.Time, bool) { return time.Time{}, false }

func (d *DateTrigger) atOrAfter(t time.Time) (time.Time, bool) {
	if d.run.Before(t) {
		return time.Time{}, false
	}
	return d.run, true
}

// RunDate returns the moment the trigger fires.
func (d *DateTrigger) RunDate() time.Time { return d.run }

// Type returns "date".
func (d *DateTrigger) Type() string { return "date" }

// Location returns the trigger's time zone.
func (d *DateTrigger) Location() *time.Location { return d.loc }

// Jitter returns zero: a date trigger has none.
func (d *DateTrigger) Jitter() time.Duration { return 0 }

// MarshalJSON writes the run date and the time zone.
func (d *DateTrigger) MarshalJSON() ([]byte, error) {
	o := newObject("date")
	o.addTime("run_date", d.run, d.loc)
	o.add("timezone", d.loc.String())
	return o.bytes()
}
