package trigger

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Types lists every trigger type, as written in the JSON "type" key.
var Types = []string{"cron", "crontab", "interval", "date", "calendarinterval", "and", "or"}

// Parse reads a trigger from its JSON definition, an object with a "type"
// key (DESIGN section 3). A definition without "timezone" uses UTC.
func Parse(data []byte) (Trigger, error) {
	return ParseIn(data, time.UTC)
}

// ParseIn is Parse with loc as the zone of definitions without "timezone".
func ParseIn(data []byte, loc *time.Location) (Trigger, error) {
	m, err := decodeObject(data, "trigger")
	if err != nil {
		return nil, err
	}
	return FromMap(m, loc)
}

// MustParse is Parse for definitions known to be valid, such as constants in
// programs and examples; it panics on an error.
func MustParse(definition string) Trigger {
	t, err := Parse([]byte(definition))
	if err != nil {
		panic(err)
	}
	return t
}

// FromMap builds a trigger from a decoded JSON object whose "type" key names
// the trigger type; loc is the zone used when it has no "timezone".
func FromMap(m map[string]json.RawMessage, loc *time.Location) (Trigger, error) {
	if loc == nil {
		loc = time.UTC
	}
	raw, ok := m["type"]
	if !ok {
		return nil, fieldErr("type", "", "is required; one of %s", strings.Join(Types, ", "))
	}
	var typ string
	if err := json.Unmarshal(raw, &typ); err != nil {
		return nil, fieldErr("type", string(raw), "must be a string; one of %s", strings.Join(Types, ", "))
	}
	f := &fields{m: m, typ: typ, used: map[string]bool{"type": true}}
	return build(typ, f, loc)
}

func build(typ string, f *fields, loc *time.Location) (Trigger, error) {
	switch typ {
	case "cron":
		return parseCron(f, loc)
	case "crontab":
		return parseCrontabTrigger(f, loc)
	case "interval":
		return parseInterval(f, loc)
	case "date":
		return parseDate(f, loc)
	case "calendarinterval":
		return parseCalendarInterval(f, loc)
	case "and", "or":
		return parseCombo(typ, f, loc)
	}
	return nil, fieldErr("type", typ, "is not a trigger type; one of %s", strings.Join(Types, ", "))
}

// keysOf lists the keys each trigger type accepts besides "type", in the
// order the canonical JSON writes them.
var keysOf = map[string][]string{
	"cron":             {"year", "month", "day", "week", "day_of_week", "hour", "minute", "second", "start_date", "end_date", "timezone", "jitter"},
	"crontab":          {"expr", "dialect", "timezone", "jitter"},
	"interval":         {"weeks", "days", "hours", "minutes", "seconds", "start_date", "end_date", "timezone", "jitter"},
	"date":             {"run_date", "timezone"},
	"calendarinterval": {"years", "months", "weeks", "days", "hour", "minute", "second", "start_date", "end_date", "timezone"},
	"and":              {"triggers"},
	"or":               {"triggers"},
}

// Keys returns the keys a trigger type accepts besides "type", or nil for an
// unknown type. The server uses it to pick trigger keys out of a flat
// Flask-APScheduler job definition.
func Keys(typ string) []string {
	return slices.Clone(keysOf[typ])
}

func decodeObject(data []byte, field string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(&m); err != nil || m == nil {
		return nil, fieldErr(field, "", "must be a JSON object")
	}
	if d.More() {
		return nil, fieldErr(field, "", "must be a single JSON object")
	}
	return m, nil
}

// fields reads the keys of one trigger definition and remembers which were
// used, so that unknown keys can be rejected by name.
type fields struct {
	m    map[string]json.RawMessage
	typ  string
	used map[string]bool
}

func (f *fields) raw(key string) (json.RawMessage, bool) {
	f.used[key] = true
	r, ok := f.m[key]
	if ok && string(r) == "null" {
		return nil, false
	}
	return r, ok
}

// checkKeys rejects the first (in sorted order) key that the type does not
// know, before any value is read, so the error names it.
func (f *fields) checkKeys() error {
	known := keysOf[f.typ]
	var bad []string
	for k := range f.m {
		if k != "type" && !slices.Contains(known, k) {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return fieldErr(bad[0], "", "is not a key of a %s trigger; allowed: %s", f.typ, strings.Join(known, ", "))
}

// str reads a cron-style field value: a JSON string or a JSON number,
// normalised to its string form.
func (f *fields) str(key string) (string, bool, error) {
	r, ok := f.raw(key)
	if !ok {
		return "", false, nil
	}
	if len(r) > 0 && r[0] == '"' {
		var s string
		if err := json.Unmarshal(r, &s); err != nil {
			return "", false, fieldErr(key, string(r), "is not a valid string")
		}
		return s, true, nil
	}
	var n json.Number
	if err := json.Unmarshal(r, &n); err != nil {
		return "", false, fieldErr(key, string(r), "must be a string or a number")
	}
	if i, err := n.Int64(); err == nil {
		return strconv.FormatInt(i, 10), true, nil
	}
	return "", false, fieldErr(key, n.String(), "must be a whole number")
}

// integer reads a whole number; JSON numbers with an integral value (5 or
// 5.0) are accepted, strings are not.
func (f *fields) integer(key string) (int64, bool, error) {
	r, ok := f.raw(key)
	if !ok {
		return 0, false, nil
	}
	var v float64
	if err := json.Unmarshal(r, &v); err != nil {
		return 0, false, fieldErr(key, strings.Trim(string(r), `"`), "must be a whole number")
	}
	if v != math.Trunc(v) || math.Abs(v) > 1e15 {
		return 0, false, fieldErr(key, string(r), "must be a whole number")
	}
	return int64(v), true, nil
}

// text reads a JSON string.
func (f *fields) text(key string) (string, bool, error) {
	r, ok := f.raw(key)
	if !ok {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(r, &s); err != nil {
		return "", false, fieldErr(key, string(r), "must be a string")
	}
	return s, true, nil
}

// location reads "timezone", an IANA zone name; def when absent.
func (f *fields) location(def *time.Location) (*time.Location, error) {
	name, ok, err := f.text("timezone")
	if err != nil || !ok {
		return def, err
	}
	return LoadLocation(name)
}

// LoadLocation loads an IANA time zone by name, rejecting the empty name
// and "Local" (whose meaning depends on the host) with a FieldError that
// names "timezone".
func LoadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fieldErr("timezone", name, "is not an IANA time zone name such as \"Europe/Berlin\" or \"UTC\"")
	}
	if name == "UTC" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fieldErr("timezone", name, "is not a known IANA time zone")
	}
	return loc, nil
}

// jitter reads "jitter": a non-negative number of seconds.
func (f *fields) jitter() (time.Duration, error) {
	r, ok := f.raw("jitter")
	if !ok {
		return 0, nil
	}
	var v float64
	if err := json.Unmarshal(r, &v); err != nil || v < 0 || v > 1e9 {
		return 0, fieldErr("jitter", strings.Trim(string(r), `"`), "must be a non-negative number of seconds")
	}
	return time.Duration(v * float64(time.Second)), nil
}

// datetime reads a date-time key (see ParseTime).
func (f *fields) datetime(key string, loc *time.Location) (time.Time, bool, error) {
	s, ok, err := f.text(key)
	if err != nil || !ok {
		return time.Time{}, false, err
	}
	t, err := ParseTime(s, loc)
	if err != nil {
		return time.Time{}, false, fieldErr(key, s, "%s", err.Error())
	}
	return t, true, nil
}

// jitterJSON writes a jitter in seconds, as an integer when it is whole.
func jitterJSON(d time.Duration) any {
	if d%time.Second == 0 {
		return int64(d / time.Second)
	}
	return d.Seconds()
}

// rawText returns the JSON text of a key for error messages, without quotes.
func (f *fields) rawText(key string) string {
	return strings.Trim(string(f.m[key]), `"`)
}
