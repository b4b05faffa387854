package redis

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/triggercache"
)

// Hash fields are strings: times are Unix microseconds ("" or absent for
// the zero time), durations seconds as a decimal number, booleans "1" or
// "0" (any of strconv.ParseBool's spellings is read), JSON as text.

func encTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMicro(), 10)
}

func decTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q is not Unix microseconds", s)
	}
	return time.UnixMicro(n).UTC(), nil
}

func encBool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func decBool(s string, def bool) (bool, error) {
	if s == "" {
		return def, nil
	}
	return strconv.ParseBool(s)
}

func encSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

func decSeconds(s string) (time.Duration, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > math.MaxInt64/1e9 {
		return 0, fmt.Errorf("duration %q is not a number of seconds", s)
	}
	return time.Duration(math.Round(f * float64(time.Second))), nil
}

func decInt(s string, def int64) (int64, error) {
	if s == "" {
		return def, nil
	}
	return strconv.ParseInt(s, 10, 64)
}

// jobFields encodes a job as the field pairs of its hash (version apart:
// the scripts set it).
func jobFields(j *sundial.Job) ([]any, error) {
	trig, err := json.Marshal(j.Trigger)
	if err != nil {
		return nil, fmt.Errorf("job %s: encode trigger: %w", j.ID, err)
	}
	retry, err := json.Marshal(j.Retry)
	if err != nil {
		return nil, fmt.Errorf("job %s: encode retry: %w", j.ID, err)
	}
	tags := []byte("[]")
	if len(j.Tags) > 0 {
		if tags, err = json.Marshal(j.Tags); err != nil {
			return nil, fmt.Errorf("job %s: encode tags: %w", j.ID, err)
		}
	}
	f := []any{
		"id", j.ID, "name", j.Name, "store", j.Store, "task", j.Task,
		"args", string(j.Args), "kwargs", string(j.Kwargs), "trigger", string(trig),
		"paused", encBool(j.Paused), "executor", j.Executor, "coalesce", encBool(j.Coalesce),
		"max_instances", strconv.Itoa(j.MaxInstances), "timeout", encSeconds(j.Timeout),
		"retry", string(retry), "recovery", string(j.Recovery), "description", j.Description,
		"tags", string(tags),
	}
	if !j.NextRunTime.IsZero() {
		f = append(f, "next_run_time", encTime(j.NextRunTime))
	}
	if j.MisfireGraceTime != nil {
		f = append(f, "misfire_grace_time", encSeconds(*j.MisfireGraceTime))
	}
	if !j.CreatedAt.IsZero() {
		f = append(f, "created_at", encTime(j.CreatedAt))
	}
	if !j.UpdatedAt.IsZero() {
		f = append(f, "updated_at", encTime(j.UpdatedAt))
	}
	return f, nil
}

// decodeJob decodes a job's hash. Absent fields take the defaults of a row
// written by another program (SCHEMA.md); a field that does not decode is
// an error naming it.
func decodeJob(id string, h map[string]string) (*sundial.Job, error) {
	j := &sundial.Job{ID: id, Name: h["name"], Store: h["store"], Task: h["task"]}
	fail := func(field string, err error) (*sundial.Job, error) {
		return nil, &sundial.JobError{JobID: id, Field: field, Reason: "stored value does not decode: " + err.Error(), Err: err}
	}
	j.Args, j.Kwargs = rawOr(h, "args", "[]"), rawOr(h, "kwargs", "{}")
	t, err := triggers.Parse(h["trigger"])
	if err != nil {
		return fail("trigger", err)
	}
	j.Trigger = t
	if j.NextRunTime, err = decTime(h["next_run_time"]); err != nil {
		return fail("next_run_time", err)
	}
	if j.Paused, err = decBool(h["paused"], false); err != nil {
		return fail("paused", err)
	}
	j.Executor = h["executor"]
	if s := h["misfire_grace_time"]; s != "" {
		g, err := decSeconds(s)
		if err != nil {
			return fail("misfire_grace_time", err)
		}
		j.MisfireGraceTime = &g
	}
	if j.Coalesce, err = decBool(h["coalesce"], true); err != nil {
		return fail("coalesce", err)
	}
	mi, err := decInt(h["max_instances"], 1)
	if err != nil || mi < math.MinInt32 || mi > math.MaxInt32 {
		return fail("max_instances", fmt.Errorf("%q is not an integer", h["max_instances"]))
	}
	j.MaxInstances = int(mi)
	if s := h["timeout"]; s != "" {
		if j.Timeout, err = decSeconds(s); err != nil {
			return fail("timeout", err)
		}
	}
	if s := h["retry"]; s != "" {
		if err := json.Unmarshal([]byte(s), &j.Retry); err != nil {
			return fail("retry", err)
		}
	}
	j.Recovery = sundial.Recovery(h["recovery"])
	j.Description = h["description"]
	if s := h["tags"]; s != "" {
		if err := json.Unmarshal([]byte(s), &j.Tags); err != nil {
			return fail("tags", err)
		}
	}
	if j.Version, err = decInt(h["version"], 1); err != nil {
		return fail("version", err)
	}
	if j.CreatedAt, err = decTime(h["created_at"]); err != nil {
		return fail("created_at", err)
	}
	if j.UpdatedAt, err = decTime(h["updated_at"]); err != nil {
		return fail("updated_at", err)
	}
	return j, nil
}

// rawOr returns a JSON field as stored ("" stays empty), or def when the
// field is absent.
func rawOr(h map[string]string, field, def string) json.RawMessage {
	s, ok := h[field]
	if !ok {
		s = def
	}
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

// fireKey is a run's entry in its job's fire-key hash: scheduled_at and
// attempt as stored.
func fireKey(r *sundial.Run) string {
	return encTime(r.ScheduledAt) + "/" + strconv.Itoa(r.Attempt)
}

// finishedScore is a finished run's score in the index that RunPrune walks
// by age: finished_at, else created_at (a run recorded final without a
// finish time), else -inf.
func finishedScore(r *sundial.Run) string {
	switch {
	case !r.FinishedAt.IsZero():
		return encTime(r.FinishedAt)
	case !r.CreatedAt.IsZero():
		return encTime(r.CreatedAt)
	}
	return "-inf"
}

// runArgs encodes a new run as read_run (lua/prelude.lua) reads it.
func runArgs(args []any, r *sundial.Run) []any {
	fields := []any{
		"id", r.ID, "job_id", r.JobID, "scheduled_at", encTime(r.ScheduledAt), "attempt", strconv.Itoa(r.Attempt),
		"manual", encBool(r.Manual), "node", r.Node, "created_at", encTime(r.CreatedAt),
	}
	fields = append(fields, runStateFields(r)...)
	args = append(args, r.ID, r.JobID, fireKey(r), encBool(r.Status.Finished()), r.Node, finishedScore(r), strconv.Itoa(len(fields)/2))
	return append(args, fields...)
}

// runStateFields are the fields of a run that RunUpdate may change.
func runStateFields(r *sundial.Run) []any {
	return []any{
		"status", string(r.Status), "reason", r.Reason, "coalesced", strconv.Itoa(r.Coalesced),
		"recoverable", encBool(r.Recoverable), "started_at", encTime(r.StartedAt),
		"finished_at", encTime(r.FinishedAt), "output", r.Output, "error", r.Error,
	}
}

// decodeRun decodes a run's hash.
func decodeRun(h map[string]string) (*sundial.Run, error) {
	r := &sundial.Run{
		ID: h["id"], JobID: h["job_id"], Status: sundial.RunStatus(h["status"]), Reason: h["reason"],
		Node: h["node"], Output: h["output"], Error: h["error"],
	}
	var err error
	fail := func(field string, err error) (*sundial.Run, error) {
		return nil, fmt.Errorf("run %s: field %s: %w", r.ID, field, err)
	}
	if r.Seq, err = decInt(h["seq"], 0); err != nil {
		return fail("seq", err)
	}
	if r.ScheduledAt, err = decTime(h["scheduled_at"]); err != nil {
		return fail("scheduled_at", err)
	}
	at, err := decInt(h["attempt"], 1)
	if err != nil {
		return fail("attempt", err)
	}
	r.Attempt = int(at)
	if r.Manual, err = decBool(h["manual"], false); err != nil {
		return fail("manual", err)
	}
	co, err := decInt(h["coalesced"], 0)
	if err != nil {
		return fail("coalesced", err)
	}
	r.Coalesced = int(co)
	if r.Recoverable, err = decBool(h["recoverable"], false); err != nil {
		return fail("recoverable", err)
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"created_at", &r.CreatedAt}, {"started_at", &r.StartedAt}, {"finished_at", &r.FinishedAt}} {
		if *f.dst, err = decTime(h[f.name]); err != nil {
			return fail(f.name, err)
		}
	}
	return r, nil
}

// decodeNode decodes a node's hash.
func decodeNode(h map[string]string) (*sundial.Node, error) {
	n := &sundial.Node{ID: h["id"], Host: h["host"], Version: h["version"]}
	pid, err := decInt(h["pid"], 0)
	if err != nil {
		return nil, fmt.Errorf("node %s: field pid: %w", n.ID, err)
	}
	n.PID = int(pid)
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"started_at", &n.StartedAt}, {"heartbeat_at", &n.HeartbeatAt}, {"lease_until", &n.LeaseUntil}} {
		if *f.dst, err = decTime(h[f.name]); err != nil {
			return nil, fmt.Errorf("node %s: field %s: %w", n.ID, f.name, err)
		}
	}
	return n, nil
}

// triggers parses stored triggers once per definition: every claim decodes
// the jobs it claims.
var triggers triggercache.Cache
