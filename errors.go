package sundial

import (
	"errors"
	"fmt"
)

// Sentinel errors callers branch on with errors.Is. Every store maps its
// backend's errors to these at its boundary.
var (
	// ErrJobNotFound: no job has the given id.
	ErrJobNotFound = errors.New("job not found")
	// ErrConflict: a job with the id exists and replace_existing was not set.
	ErrConflict = errors.New("job already exists")
	// ErrInvalidJob: a job definition was rejected; the error is a
	// *JobError naming the field.
	ErrInvalidJob = errors.New("invalid job")
	// ErrNotRunning: the operation needs a started scheduler.
	ErrNotRunning = errors.New("scheduler is not running")
	// ErrAlreadyRunning: Start was called on a running scheduler.
	ErrAlreadyRunning = errors.New("scheduler is already running")
	// ErrShutdown: the scheduler was shut down and cannot be started again.
	ErrShutdown = errors.New("scheduler is shut down")
	// ErrRunNotFound: no run has the given id.
	ErrRunNotFound = errors.New("run not found")
	// ErrStale: a job update was based on an old version; read it again.
	ErrStale = errors.New("job changed concurrently")
	// ErrTaskNotFound: no handler is registered under the task name.
	ErrTaskNotFound = errors.New("task not registered")
	// ErrDuplicateRun: a run with the same fire key (job id, scheduled
	// time, attempt) or the same id is already recorded.
	ErrDuplicateRun = errors.New("run already recorded for this fire")
	// ErrMaxInstances: the job already has max_instances unfinished runs.
	ErrMaxInstances = errors.New("max_instances reached")
	// ErrLeaseLost: the node's lease has expired by the store's clock, or
	// the run is no longer the node's (finished, interrupted or taken
	// over by another node); the node must not start or finish it.
	ErrLeaseLost = errors.New("lease lost")
	// ErrLeaseExpired: a run update was refused only because the node's
	// lease has lapsed by the store's clock; the run is still the node's
	// and unfinished, so no other node has taken it. It wraps ErrLeaseLost.
	// The node may try again once it has renewed its lease: the store then
	// accepts the update, or refuses it with ErrLeaseLost alone if another
	// node took the run in between (a lapsed lease lets other nodes reap).
	ErrLeaseExpired = fmt.Errorf("%w: the node's lease has expired, the run is still its own", ErrLeaseLost)
)

// JobError rejects a job definition and names the field to blame, such as
// "trigger.hour", "max_instances" or "task".
type JobError struct {
	JobID  string
	Field  string
	Reason string
	Err    error // the underlying error, if any (for example a *trigger.FieldError)
}

// Error formats the error as "job <id>: <field>: <reason>".
func (e *JobError) Error() string {
	prefix := "job"
	if e.JobID != "" {
		prefix = fmt.Sprintf("job %q", e.JobID)
	}
	return prefix + ": " + e.Field + ": " + e.Reason
}

// Is makes every JobError match ErrInvalidJob.
func (e *JobError) Is(target error) bool { return target == ErrInvalidJob }

// Unwrap returns the underlying error.
func (e *JobError) Unwrap() error { return e.Err }
