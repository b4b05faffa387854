package trigger

import (
	"encoding/json"
	"time"
)

// ParseFlat reads the trigger of a flat job definition in the form
// Flask-APScheduler accepts: "trigger" names the type and the trigger's keys
// sit beside it at the top level,
//
//	{"id": "j1", "func": "...", "trigger": "cron", "hour": "9", "minute": 30}
//
// or, in the legacy form, "trigger" is an object holding them,
//
//	{"id": "j1", "func": "...", "trigger": {"type": "cron", "hour": "9"}}
//
// where a missing "type" means "date". It returns the trigger and the
// top-level keys it consumed, so the caller can treat the others as job
// options. When obj has no "trigger" key it returns a nil Trigger, no keys
// and no error: the caller decides the default (Flask-APScheduler runs such
// a job once, now). Errors name the offending key as it appears in obj.
func ParseFlat(obj map[string]json.RawMessage, loc *time.Location) (Trigger, []string, error) {
	raw, ok := obj["trigger"]
	if !ok || string(raw) == "null" {
		return nil, nil, nil
	}
	if len(raw) > 0 && raw[0] == '{' {
		m, err := decodeObject(raw, "trigger")
		if err != nil {
			return nil, nil, err
		}
		if _, ok := m["type"]; !ok {
			m["type"] = json.RawMessage(`"date"`)
		}
		t, err := FromMap(m, loc)
		if err != nil {
			return nil, nil, err
		}
		return t, []string{"trigger"}, nil
	}
	var typ string
	if err := json.Unmarshal(raw, &typ); err != nil {
		return nil, nil, fieldErr("trigger", string(raw), "must be a trigger type name or a trigger object")
	}
	keys, known := keysOf[typ]
	if !known {
		return nil, nil, fieldErr("trigger", typ, "is not a trigger type; one of cron, crontab, interval, date, calendarinterval, and, or")
	}
	m := map[string]json.RawMessage{"type": json.RawMessage(`"` + typ + `"`)}
	used := []string{"trigger"}
	for _, k := range keys {
		if v, ok := obj[k]; ok {
			m[k] = v
			used = append(used, k)
		}
	}
	t, err := FromMap(m, loc)
	if err != nil {
		return nil, nil, err
	}
	return t, used, nil
}
