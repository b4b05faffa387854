package trigger

import (
	"encoding/json"
	"strconv"
	"sync"
	"time"
)

// AndTrigger fires at every instant at which all of its children fire; OrTrigger
// at every instant at which any of them fires. Each child stands for the set
// of instants it fires at, and instants (not wall-clock readings) are
// compared, so children may use different zones.
type AndTrigger struct {
	children []Trigger
	never    sync.Once
	isNever  bool
}

// OrTrigger fires at every instant at which any of its children fires, once
// even when several children fire then. See AndTrigger.
type OrTrigger struct {
	children []Trigger
}

// NewAnd combines triggers into one that fires when all of them fire.
func NewAnd(children ...Trigger) (*AndTrigger, error) {
	if len(children) == 0 {
		return nil, fieldErr("triggers", "", "must list at least one trigger")
	}
	return &AndTrigger{children: children}, nil
}

// NewOr combines triggers into one that fires when any of them fires.
func NewOr(children ...Trigger) (*OrTrigger, error) {
	if len(children) == 0 {
		return nil, fieldErr("triggers", "", "must list at least one trigger")
	}
	return &OrTrigger{children: children}, nil
}

func parseCombo(typ string, f *fields, def *time.Location) (Trigger, error) {
	if err := f.checkKeys(); err != nil {
		return nil, err
	}
	raw, ok := f.raw("triggers")
	if !ok {
		return nil, fieldErr("triggers", "", "is required: a non-empty list of trigger definitions")
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fieldErr("triggers", "", "must be a list of trigger definitions")
	}
	if len(list) == 0 {
		return nil, fieldErr("triggers", "", "must list at least one trigger")
	}
	children := make([]Trigger, len(list))
	for i, r := range list {
		path := "triggers[" + strconv.Itoa(i) + "]"
		m, err := decodeObject(r, path)
		if err != nil {
			return nil, err
		}
		c, err := FromMap(m, def)
		if err != nil {
			return nil, prefixField(err, path)
		}
		children[i] = c
	}
	if typ == "and" {
		return &AndTrigger{children: children}, nil
	}
	return &OrTrigger{children: children}, nil
}

// Children returns the combined triggers.
func (a *AndTrigger) Children() []Trigger { return a.children }

// Children returns the combined triggers.
func (o *OrTrigger) Children() []Trigger { return o.children }

// First returns the first common fire time at or after now.
func (a *AndTrigger) First(now time.Time) (time.Time, bool) { return a.atOrAfter(now) }

// Next returns the first common fire time after prev.
func (a *AndTrigger) Next(prev time.Time) (time.Time, bool) {
	return a.atOrAfter(prev.Add(time.Nanosecond))
}

// andHorizon: children that have not met within this span after the later
// of the asked time and andEpoch never will, for the calendars, zones and
// grids triggers are made of (the Gregorian calendar and the zones' DST
// rules repeat every 400 years).
const andHorizonYears = 401

var andEpoch = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)

// andMaxSteps bounds the work of one search whatever the children.
const andMaxSteps = 5_000_000

func (a *AndTrigger) atOrAfter(t time.Time) (time.Time, bool) {
	base := t
	if base.Before(andEpoch) {
		base = andEpoch
	}
	horizon := base.AddDate(andHorizonYears, 0, 0)
	cand := t
	for step := 0; step < andMaxSteps; step++ {
		if step == 64 && a.provedNever() {
			return time.Time{}, false
		}
		if cand.After(horizon) {
			return time.Time{}, false
		}
		changed := false
		var first time.Time
		for i, c := range a.children {
			x, ok := c.atOrAfter(cand)
			if !ok {
				return time.Time{}, false
			}
			if x.After(cand) {
				cand, changed = x, true
			}
			if i == 0 {
				first = x
			}
		}
		if !changed {
			return first, true
		}
	}
	return time.Time{}, false
}

func (a *AndTrigger) provedNever() bool {
	a.never.Do(func() { a.isNever = neverMeet(a.children) })
	return a.isNever
}

// Type returns "and".
func (a *AndTrigger) Type() string { return "and" }

// Location returns the zone of the first child, which fire times use.
func (a *AndTrigger) Location() *time.Location { return a.children[0].Location() }

// Jitter returns zero: combinators have none.
func (a *AndTrigger) Jitter() time.Duration { return 0 }

// MarshalJSON writes the children in order.
func (a *AndTrigger) MarshalJSON() ([]byte, error) { return comboJSON("and", a.children) }

// First returns the first fire time of any child at or after now.
func (o *OrTrigger) First(now time.Time) (time.Time, bool) { return o.atOrAfter(now) }

// Next returns the first fire time of any child after prev.
func (o *OrTrigger) Next(prev time.Time) (time.Time, bool) {
	return o.atOrAfter(prev.Add(time.Nanosecond))
}

// atOrAfter returns the earliest child fire time at or after t, in the zone
// of the first child (in list order) that fires then.
func (o *OrTrigger) atOrAfter(t time.Time) (time.Time, bool) {
	var best time.Time
	found := false
	for _, c := range o.children {
		if x, ok := c.atOrAfter(t); ok && (!found || x.Before(best)) {
			best, found = x, true
		}
	}
	return best, found
}

// Type returns "or".
func (o *OrTrigger) Type() string { return "or" }

// Location returns the zone of the first child.
func (o *OrTrigger) Location() *time.Location { return o.children[0].Location() }

// Jitter returns zero: combinators have none.
func (o *OrTrigger) Jitter() time.Duration { return 0 }

// MarshalJSON writes the children in order.
func (o *OrTrigger) MarshalJSON() ([]byte, error) { return comboJSON("or", o.children) }

func comboJSON(typ string, children []Trigger) ([]byte, error) {
	list := make([]json.RawMessage, len(children))
	for i, c := range children {
		b, err := c.MarshalJSON()
		if err != nil {
			return nil, err
		}
		list[i] = b
	}
	o := newObject(typ)
	o.add("triggers", list)
	return o.bytes()
}
