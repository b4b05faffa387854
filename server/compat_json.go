package server

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

// compatJob is a job as Flask-APScheduler shows it: id, name, func, args,
// kwargs, the trigger's type and its fields flattened beside them,
// misfire_grace_time, max_instances and next_run_time, keys sorted.
func compatJob(job *sundial.Job) map[string]any {
	out := map[string]any{
		"id":            job.ID,
		"name":          job.Name,
		"func":          job.Task,
		"args":          rawOr(job.Args, "[]"),
		"kwargs":        rawOr(job.Kwargs, "{}"),
		"max_instances": job.MaxInstances,
		"next_run_time": nil,
	}
	if g := job.MisfireGraceTime; g != nil {
		out["misfire_grace_time"] = int64(g.Round(time.Second) / time.Second)
	} else {
		out["misfire_grace_time"] = nil
	}
	loc := job.Trigger.Location()
	if !job.NextRunTime.IsZero() {
		out["next_run_time"] = trigger.FormatTime(job.NextRunTime.In(loc))
	}
	for k, v := range compatTrigger(job.Trigger) {
		out[k] = v
	}
	return out
}

func rawOr(b json.RawMessage, empty string) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage(empty)
	}
	return b
}

// compatTrigger flattens a trigger as Flask-APScheduler does: "trigger" is
// the type and the fields follow; cron fields only as given, as lower-case
// strings; an interval re-normalised into weeks … seconds. Other trigger
// types are shown as one string, their fields inside it.
func compatTrigger(t trigger.Trigger) map[string]any {
	var m map[string]json.RawMessage
	b, _ := json.Marshal(t)
	_ = json.Unmarshal(b, &m)
	out := map[string]any{"trigger": t.Type()}
	dates := func(keys ...string) {
		for _, k := range keys {
			var s string
			if json.Unmarshal(m[k], &s) == nil && s != "" {
				out[k] = s
			}
		}
	}
	switch t.Type() {
	case "date":
		dates("run_date")
	case "interval":
		dates("start_date", "end_date")
		for k, v := range splitPeriod(intervalPeriod(m)) {
			out[k] = v
		}
	case "cron":
		dates("start_date", "end_date")
		for _, k := range []string{"year", "month", "day", "week", "day_of_week", "hour", "minute", "second"} {
			var s string
			if json.Unmarshal(m[k], &s) == nil && s != "" {
				out[k] = cronText(s)
			}
		}
	default:
		out["trigger"] = triggerString(t.Type(), m)
	}
	return out
}

// cronText is a cron field as APScheduler's str() writes it: lower case,
// no spaces after commas.
func cronText(s string) string {
	parts := strings.Split(strings.ToLower(s), ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return strings.Join(parts, ",")
}

var periodUnits = []struct {
	key string
	d   time.Duration
}{{"weeks", 7 * 24 * time.Hour}, {"days", 24 * time.Hour}, {"hours", time.Hour}, {"minutes", time.Minute}, {"seconds", time.Second}}

func intervalPeriod(m map[string]json.RawMessage) time.Duration {
	var total time.Duration
	for _, u := range periodUnits {
		var n float64
		if json.Unmarshal(m[u.key], &n) == nil {
			total += time.Duration(n * float64(u.d))
		}
	}
	return total
}

// splitPeriod writes a period as Python's timedelta-based normalisation
// does: each unit present only when above zero.
func splitPeriod(d time.Duration) map[string]int64 {
	out := map[string]int64{}
	for _, u := range periodUnits {
		if n := int64(d / u.d); n > 0 {
			out[u.key] = n
			d -= time.Duration(n) * u.d
		}
	}
	if len(out) == 0 {
		out["seconds"] = 1
	}
	return out
}

// triggerString is a trigger that has no flat form, as one string in the
// style of APScheduler's str(): or[cron[hour='1'], cron[hour='2']].
func triggerString(typ string, m map[string]json.RawMessage) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "type" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		if k == "triggers" {
			var kids []map[string]json.RawMessage
			_ = json.Unmarshal(m[k], &kids)
			for _, kid := range kids {
				var t string
				_ = json.Unmarshal(kid["type"], &t)
				parts = append(parts, triggerString(t, kid))
			}
			continue
		}
		var v any
		_ = json.Unmarshal(m[k], &v)
		parts = append(parts, fmt.Sprintf("%s='%v'", k, v))
	}
	return typ + "[" + strings.Join(parts, ", ") + "]"
}
