package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

// jobJSON is a job in the native API. Durations are in seconds.
type jobJSON struct {
	ID                 string          `json:"id"`
	Name               string          `json:"name"`
	Store              string          `json:"store"`
	Task               string          `json:"task"`
	Args               json.RawMessage `json:"args"`
	Kwargs             json.RawMessage `json:"kwargs"`
	Trigger            trigger.Trigger `json:"trigger"`
	TriggerDescription string          `json:"trigger_description"`
	// NextRunTime is in the trigger's zone; null while paused.
	NextRunTime      *string   `json:"next_run_time"`
	Paused           bool      `json:"paused"`
	Executor         string    `json:"executor"`
	MisfireGraceTime *float64  `json:"misfire_grace_time"`
	Coalesce         bool      `json:"coalesce"`
	MaxInstances     int       `json:"max_instances"`
	Timeout          float64   `json:"timeout"`
	Retry            retryJSON `json:"retry"`
	Recovery         string    `json:"recovery"`
	Description      string    `json:"description"`
	Tags             []string  `json:"tags"`
	ETag             string    `json:"etag"`
	CreatedAt        string    `json:"created_at"`
	UpdatedAt        string    `json:"updated_at"`
}

// retryJSON is a retry policy in the native API, durations in seconds.
type retryJSON struct {
	Attempts   int     `json:"attempts"`
	Backoff    float64 `json:"backoff"`
	MaxBackoff float64 `json:"max_backoff"`
	Multiplier float64 `json:"multiplier"`
}

func secs(d time.Duration) float64 { return d.Seconds() }

func toJobJSON(j *sundial.Job) jobJSON {
	out := jobJSON{
		ID: j.ID, Name: j.Name, Store: j.Store, Task: j.Task,
		Args: rawOr(j.Args, "[]"), Kwargs: rawOr(j.Kwargs, "{}"),
		Trigger: j.Trigger, TriggerDescription: j.Trigger.Describe(),
		Paused: j.Paused, Executor: j.Executor, Coalesce: j.Coalesce, MaxInstances: j.MaxInstances,
		Timeout: secs(j.Timeout),
		Retry: retryJSON{Attempts: j.Retry.Attempts, Backoff: secs(j.Retry.Backoff),
			MaxBackoff: secs(j.Retry.MaxBackoff), Multiplier: j.Retry.Multiplier},
		Recovery: string(j.Recovery), Description: j.Description, Tags: j.Tags,
		ETag:      jobETag(j),
		CreatedAt: formatTime(j.CreatedAt), UpdatedAt: formatTime(j.UpdatedAt),
	}
	if out.Recovery == "" {
		out.Recovery = string(sundial.RecoveryAbandon)
	}
	if out.Executor == "" {
		out.Executor = "default"
	}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if j.MisfireGraceTime != nil {
		g := secs(*j.MisfireGraceTime)
		out.MisfireGraceTime = &g
	}
	if !j.NextRunTime.IsZero() {
		s := trigger.FormatTime(j.NextRunTime.In(j.Trigger.Location()))
		out.NextRunTime = &s
	}
	return out
}

// formatTime writes a time for the API: RFC 3339 with offset; "" for zero.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return trigger.FormatTime(t)
}

// jobETag identifies a job's definition (not its next fire time, which the
// scheduler moves on every fire), for If-Match.
func jobETag(j *sundial.Job) string {
	def := struct {
		Name, Store, Task string
		Args, Kwargs      json.RawMessage
		Trigger           trigger.Trigger
		Paused            bool
		Options           sundial.Options
	}{j.Name, j.Store, j.Task, j.Args, j.Kwargs, j.Trigger, j.Paused, j.Options}
	b, _ := json.Marshal(def)
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// runJSON is a run in the native API; durations in seconds.
type runJSON struct {
	ID          string   `json:"id"`
	JobID       string   `json:"job_id"`
	Seq         int64    `json:"seq"`
	ScheduledAt string   `json:"scheduled_at"`
	Attempt     int      `json:"attempt"`
	Status      string   `json:"status"`
	Reason      string   `json:"reason"`
	Manual      bool     `json:"manual"`
	Coalesced   int      `json:"coalesced"`
	Node        string   `json:"node"`
	CreatedAt   string   `json:"created_at"`
	StartedAt   *string  `json:"started_at"`
	FinishedAt  *string  `json:"finished_at"`
	Duration    *float64 `json:"duration"`
	Lateness    *float64 `json:"lateness"`
	Error       string   `json:"error"`
	// Output is left out of lists; OutputBytes says how much there is.
	Output      *string `json:"output,omitempty"`
	OutputBytes int     `json:"output_bytes"`
}

func toRunJSON(r *sundial.Run, withOutput bool) runJSON {
	out := runJSON{
		ID: r.ID, JobID: r.JobID, Seq: r.Seq, ScheduledAt: formatTime(r.ScheduledAt), Attempt: r.Attempt,
		Status: string(r.Status), Reason: r.Reason, Manual: r.Manual, Coalesced: r.Coalesced, Node: r.Node,
		CreatedAt: formatTime(r.CreatedAt), Error: r.Error, OutputBytes: len(r.Output),
	}
	if !r.StartedAt.IsZero() {
		s := formatTime(r.StartedAt)
		out.StartedAt = &s
		l := secs(r.Lateness())
		out.Lateness = &l
	}
	if !r.FinishedAt.IsZero() {
		s := formatTime(r.FinishedAt)
		out.FinishedAt = &s
	}
	if d := r.Duration(); d > 0 || (!r.StartedAt.IsZero() && !r.FinishedAt.IsZero()) {
		v := secs(d)
		out.Duration = &v
	}
	if withOutput {
		o := r.Output
		out.Output = &o
	}
	return out
}

// nodeJSON is a node in the native API.
type nodeJSON struct {
	*sundial.Node
	Live bool `json:"live"`
}
