package sundial

import (
	"encoding/json"
	"time"

	"github.com/sundial-scheduler/sundial/trigger"
)

// Job is a stored job definition: data only (a task name and JSON
// arguments), never a closure, so it can live in any store and survive
// restarts.
type Job struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Store names the store holding the job ("default" unless the
	// scheduler has several).
	Store string `json:"store"`
	// Task names the handler in the task registry, such as
	// "billing:invoices" or "sundial:noop".
	Task string `json:"task"`
	// Args is a JSON array of positional arguments, Kwargs a JSON object.
	Args   json.RawMessage `json:"args"`
	Kwargs json.RawMessage `json:"kwargs"`

	Trigger trigger.Trigger `json:"trigger"`

	// NextRunTime is the next fire time; zero when the job is paused.
	NextRunTime time.Time `json:"next_run_time"`
	Paused      bool      `json:"paused"`

	Options

	// Version increases with every write; stores use it to refuse an
	// update based on a stale read (ErrStale).
	Version int64 `json:"version"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Options are a stored job's run options, with every default resolved.
type Options struct {
	// Executor names the worker pool; "" means "default".
	Executor string `json:"executor,omitempty"`
	// MisfireGraceTime: a fire later than this is recorded as missed
	// instead of run. Nil means no limit.
	MisfireGraceTime *time.Duration `json:"misfire_grace_time,omitempty"`
	// Coalesce folds a backlog of due fires into one run.
	Coalesce bool `json:"coalesce"`
	// MaxInstances bounds concurrent runs of the job; a fire beyond it is
	// recorded as skipped.
	MaxInstances int `json:"max_instances"`
	// Timeout cancels a run's context after this long; zero for none.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Retry re-runs failed runs with backoff.
	Retry RetryPolicy `json:"retry"`
	// Recovery says what becomes of a run whose node dies while it runs.
	Recovery Recovery `json:"recovery,omitempty"`
	// Description and Tags are for people and filters.
	Description string   `json:"description,omitempty"`
	Tags        []string `json:"tags,omitempty"`
}

// Recovery is a job's policy for runs lost with a node that died (kill -9,
// lost machine) while they ran. A run that had not started yet is always
// started by another node: nothing of it ran.
type Recovery string

// Recovery policies.
const (
	// RecoveryAbandon records the lost run as interrupted (the default;
	// "" means the same).
	RecoveryAbandon Recovery = "abandon"
	// RecoveryRetry runs it once more on a live node, under the same run
	// id, so an idempotent task can tell.
	RecoveryRetry Recovery = "retry"
)

// RetryPolicy re-runs a failed (or timed-out) run. Attempts counts the
// retries after the first try; zero means no retry. The delay before retry n
// (1-based) is Backoff·Multiplier^(n-1), capped at MaxBackoff.
type RetryPolicy struct {
	Attempts   int           `json:"attempts,omitempty"`
	Backoff    time.Duration `json:"backoff,omitempty"`
	MaxBackoff time.Duration `json:"max_backoff,omitempty"`
	Multiplier float64       `json:"multiplier,omitempty"`
}

// delay returns the wait before retry number n (1-based).
func (r RetryPolicy) delay(n int) time.Duration {
	d := r.Backoff
	if d <= 0 {
		d = time.Second
	}
	m := r.Multiplier
	if m < 1 {
		m = 2
	}
	for i := 1; i < n; i++ {
		d = time.Duration(float64(d) * m)
		if r.MaxBackoff > 0 && d >= r.MaxBackoff {
			return r.MaxBackoff
		}
	}
	if r.MaxBackoff > 0 && d > r.MaxBackoff {
		d = r.MaxBackoff
	}
	return d
}

// Clone returns a deep copy of the job, so stores never share mutable
// state with callers.
func (j *Job) Clone() *Job {
	c := *j
	c.Args = append(json.RawMessage(nil), j.Args...)
	c.Kwargs = append(json.RawMessage(nil), j.Kwargs...)
	c.Tags = append([]string(nil), j.Tags...)
	if j.MisfireGraceTime != nil {
		g := *j.MisfireGraceTime
		c.MisfireGraceTime = &g
	}
	return &c
}

// JobSpec describes a job to add. Empty fields take the scheduler's
// defaults (Config.JobDefaults).
type JobSpec struct {
	// ID of the job; empty for a generated one.
	ID string
	// Name for people; empty means the id.
	Name string
	// Store names the store to keep the job in; empty for "default".
	Store string
	// Task names the registered handler to run.
	Task string
	// Args are the positional arguments (encoded as a JSON array) and
	// Kwargs the keyword arguments (a JSON object): Go values or
	// json.RawMessage.
	Args   any
	Kwargs any
	// Trigger says when the job fires.
	Trigger trigger.Trigger
	// ReplaceExisting replaces a job with the same id instead of failing
	// with ErrConflict.
	ReplaceExisting bool
	// Paused adds the job paused (APScheduler's next_run_time=None).
	Paused bool
	// NextRunTime overrides the first fire time.
	NextRunTime time.Time

	// Executor names the worker pool; empty for the default.
	Executor string
	// MisfireGraceTime: nil for the default, negative for no limit.
	MisfireGraceTime *time.Duration
	// Coalesce: nil for the default.
	Coalesce *bool
	// MaxInstances: 0 for the default.
	MaxInstances int
	// Timeout: 0 for the default.
	Timeout time.Duration
	// Retry: nil for the default.
	Retry *RetryPolicy
	// Recovery: "" for the default.
	Recovery Recovery

	Description string
	Tags        []string
}

// Ptr returns a pointer to v, for the optional fields of JobSpec.
func Ptr[T any](v T) *T { return &v }

// Scheduled reports whether the job waits for a next fire time (it is not
// paused).
func (j *Job) Scheduled() bool { return !j.Paused && !j.NextRunTime.IsZero() }
