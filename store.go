package sundial

import (
	"context"
	"strings"
	"time"
)

// Store keeps jobs and their run history. The scheduler is its only
// consumer, so the interface lives here; each backend is a package of its own
// (store/memory, store/sqlite, …) that every implementation proves against
// the shared contract suite in store/storetest.
//
// Methods take the scheduler's notion of now as a parameter, so trigger
// arithmetic follows the injected Clock. Backends map their errors to
// ErrJobNotFound, ErrConflict and ErrStale.
type Store interface {
	// JobAdd stores a copy of a new job; with Replace it replaces a job with
	// the same id, otherwise a duplicate id is ErrConflict. The store sets
	// Version and writes it back into p.Job.
	JobAdd(ctx context.Context, p JobAddParams) error
	// JobGet returns a copy of the job, or ErrJobNotFound.
	JobGet(ctx context.Context, id string) (*Job, error)
	// JobList returns copies of the jobs that match, ordered by next fire
	// time (paused jobs last), then id.
	JobList(ctx context.Context, p JobListParams) ([]*Job, error)
	// JobUpdate replaces a stored job if its Version still matches the
	// stored one (ErrStale otherwise; ErrJobNotFound for an unknown id) and
	// increases the version. Claims increase it too, so an update based on
	// a read from before a claim is stale.
	JobUpdate(ctx context.Context, job *Job) error
	// JobRemove deletes a job (its run history stays), or ErrJobNotFound.
	JobRemove(ctx context.Context, id string) error
	// JobRemoveAll deletes every job and returns how many there were.
	JobRemoveAll(ctx context.Context) (int, error)
	// JobNextFireTime returns the earliest next fire time of the jobs that
	// are not paused; ok is false when there is none.
	JobNextFireTime(ctx context.Context) (next time.Time, ok bool, err error)
	// JobClaimDue claims the jobs due at p.Now (NextRunTime <= Now, not
	// paused), earliest first, at most p.Limit (no bound when Limit <= 0).
	// For each it calls p.Decide (which may be called again for the same
	// job if a backend retries a transaction, so it has no side effects)
	// and applies the decision atomically with the claim: the job's next
	// fire time advances (or a finished job is removed) and the decided runs
	// are recorded, so no fire is claimed twice.
	JobClaimDue(ctx context.Context, p JobClaimDueParams) ([]Claim, error)

	// RunInsert records a run that was not created by a claim (run now,
	// retries).
	RunInsert(ctx context.Context, run *Run) error
	// RunUpdate stores a run's new status and details.
	RunUpdate(ctx context.Context, run *Run) error
	// RunGet returns a copy of a run, or ErrRunNotFound.
	RunGet(ctx context.Context, id string) (*Run, error)
	// RunList returns runs that match, newest (most recently inserted)
	// first; an update does not make a run newer. Runs outlive their job.
	RunList(ctx context.Context, p RunListParams) ([]*Run, error)
}

// JobAddParams are the arguments of Store.JobAdd.
type JobAddParams struct {
	Job     *Job
	Replace bool
}

// JobListParams filter Store.JobList; zero fields do not filter.
type JobListParams struct {
	Store    string
	Executor string
	Tag      string
	Task     string
	// Paused filters by paused state when not nil.
	Paused *bool
	// Limit bounds the result; 0 for no bound.
	Limit int
}

// Matches reports whether a job passes the filters (for stores that filter
// in Go).
func (p JobListParams) Matches(j *Job) bool {
	if p.Store != "" && j.Store != p.Store {
		return false
	}
	if p.Executor != "" && j.Executor != p.Executor {
		return false
	}
	if p.Task != "" && j.Task != p.Task {
		return false
	}
	if p.Paused != nil && j.Paused != *p.Paused {
		return false
	}
	if p.Tag != "" {
		for _, t := range j.Tags {
			if t == p.Tag {
				return true
			}
		}
		return false
	}
	return true
}

// JobClaimDueParams are the arguments of Store.JobClaimDue.
type JobClaimDueParams struct {
	Now   time.Time
	Limit int
	Node  string
	// Decide is called for each due job and the number of its runs that
	// are not finished (across every node sharing the store). The job is a
	// read-only snapshot: Decide must not modify it (the memory store hands
	// out its stored value to keep claims cheap).
	Decide func(job *Job, active int) ClaimDecision
}

// ClaimDecision is what the scheduler does with one due job.
type ClaimDecision struct {
	// Finished: the trigger has no fire time left; remove the job.
	Finished bool
	// NextRunTime is the job's new next fire time when not Finished.
	NextRunTime time.Time
	// Runs to record: submitted ones are then executed by the claiming
	// node, missed and skipped ones are final.
	Runs []*Run
}

// Claim is one job claimed by JobClaimDue with its recorded runs.
type Claim struct {
	Job      *Job // as it was when claimed (before advancing); read-only
	Runs     []*Run
	Finished bool
}

// RunListParams filter Store.RunList; zero fields do not filter.
type RunListParams struct {
	JobID  string
	Status RunStatus
	Limit  int
}

// CompareJobs orders jobs as JobList returns them: by next fire time with
// paused (unscheduled) jobs last, then by id.
func CompareJobs(a, b *Job) int {
	as, bs := a.Scheduled(), b.Scheduled()
	switch {
	case as && !bs:
		return -1
	case !as && bs:
		return 1
	case as && bs:
		if c := a.NextRunTime.Compare(b.NextRunTime); c != 0 {
			return c
		}
	}
	return strings.Compare(a.ID, b.ID)
}
