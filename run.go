package sundial

import "time"

// RunStatus is the outcome of one fire of a job.
type RunStatus string

// Run statuses. A run is recorded for every fire, including those that did
// not execute, with the reason.
const (
	RunSubmitted   RunStatus = "submitted"   // handed to an executor, not started
	RunRunning     RunStatus = "running"     // the handler is executing
	RunSucceeded   RunStatus = "succeeded"   // the handler returned nil
	RunFailed      RunStatus = "failed"      // the handler returned an error or panicked
	RunTimedOut    RunStatus = "timeout"     // the job's timeout cancelled it
	RunMissed      RunStatus = "missed"      // later than misfire_grace_time; not run
	RunSkipped     RunStatus = "skipped"     // max_instances reached, or no handler; not run
	RunInterrupted RunStatus = "interrupted" // cancelled by shutdown or lost with its node
)

// Finished reports whether the status is final.
func (s RunStatus) Finished() bool {
	return s != RunSubmitted && s != RunRunning
}

// Run is one execution (or non-execution) of one fire of a job.
type Run struct {
	// ID is unique; the task receives it as an idempotency key.
	ID    string `json:"id"`
	JobID string `json:"job_id"`
	// Seq orders runs by insertion; the store assigns it.
	Seq int64 `json:"seq"`
	// ScheduledAt is the fire time; (JobID, ScheduledAt, Attempt) is unique.
	ScheduledAt time.Time `json:"scheduled_at"`
	// Attempt is 1 for the first try, 2 for the first retry, …
	Attempt int       `json:"attempt"`
	Status  RunStatus `json:"status"`
	// Reason explains a missed, skipped or interrupted run.
	Reason string `json:"reason,omitempty"`
	// Manual marks a run started by "run now".
	Manual bool `json:"manual,omitempty"`
	// Coalesced counts the earlier due fires folded into this run.
	Coalesced int `json:"coalesced,omitempty"`
	// Node is the scheduler that owns (or owned) the run.
	Node string `json:"node,omitempty"`
	// Recoverable marks a run that another node may start again, under
	// the same id, if its node dies while it runs (the job's recovery
	// policy is "retry"); cleared once it has been taken over.
	Recoverable bool `json:"recoverable,omitempty"`

	CreatedAt  time.Time `json:"created_at"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`

	// Output is what the task reported (bounded); Error the failure text,
	// with the stack for a panic.
	Output string `json:"output,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Duration is how long the handler ran; zero if it did not finish.
func (r *Run) Duration() time.Duration {
	if r.StartedAt.IsZero() || r.FinishedAt.IsZero() {
		return 0
	}
	return r.FinishedAt.Sub(r.StartedAt)
}

// Lateness is how much later than its fire time the run started.
func (r *Run) Lateness() time.Duration {
	if r.StartedAt.IsZero() {
		return 0
	}
	return r.StartedAt.Sub(r.ScheduledAt)
}
