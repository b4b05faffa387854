package trigger

import (
	"time"
)

// Trigger is a pure rule that says when a job fires. A Trigger is an
// immutable value: it reads no clock, starts no goroutine and is safe for
// concurrent use. Every Trigger encodes to the canonical JSON of its type with
// MarshalJSON, and Parse reads that JSON back to an equal Trigger.
type Trigger interface {
	// First returns the first fire time of a trigger that has never fired,
	// asked at now. For most triggers that is the first fire time at or after
	// now; a date trigger answers its run date and a calendar interval its
	// first date even when they lie before now (the scheduler's catch-up rules
	// decide what a past fire time means). ok is false when the trigger never
	// fires at or after now.
	First(now time.Time) (next time.Time, ok bool)

	// Next returns the fire time that follows prev, the time this trigger
	// fired at (or was due at) last. ok is false when the trigger is finished.
	Next(prev time.Time) (next time.Time, ok bool)

	// Type is the trigger's type as written in its JSON "type" key.
	Type() string

	// Location is the time zone fire times are expressed in.
	Location() *time.Location

	// Jitter is the largest random delay the scheduler may add to each fire
	// time; zero for none. The trigger never applies it itself.
	Jitter() time.Duration

	// Describe says in plain English when the trigger fires.
	Describe() string

	// MarshalJSON encodes the trigger in its canonical JSON form.
	MarshalJSON() ([]byte, error)

	// atOrAfter returns the smallest instant of the trigger's set of fire
	// times that is not before t. Combinators use it: they treat each child
	// as the set of instants it fires at, independent of when it is asked.
	atOrAfter(t time.Time) (time.Time, bool)
}

// Upcoming returns up to n fire times of a trigger that has never fired,
// asked at now, and whether the trigger is finished after the last one
// returned.
func Upcoming(t Trigger, now time.Time, n int) (fires []time.Time, done bool) {
	if n <= 0 {
		return nil, false
	}
	next, ok := t.First(now)
	for ok && len(fires) < n {
		fires = append(fires, next)
		next, ok = t.Next(next)
	}
	return fires, !ok
}
