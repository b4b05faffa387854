package sundial

import (
	"context"
	"strings"
	"time"
)

// Store keeps jobs, their run history and the nodes that share it. The
// scheduler is its only consumer, so the interface lives here; each backend
// is a package of its own (store/memory, store/sqlite, …) that every
// implementation proves against the shared contract suite in
// store/storetest.
//
// Two clocks meet here. Leases (NodeHeartbeat, RunUpdate, RunReap) are
// judged by the store's own clock (the database's now(), Redis TIME), so
// nodes whose clocks disagree can neither steal nor keep work. Trigger
// arithmetic follows the scheduler's Clock, so methods that need it take
// now as a parameter: when the scheduler follows the store's clock
// (StoreClockMode), that now is its estimate of the store's time, measured
// from the HeartbeatAt that NodeHeartbeat reports.
//
// Backends map their errors to the sentinel errors of this package
// (ErrJobNotFound, ErrConflict, ErrStale, ErrRunNotFound, ErrDuplicateRun,
// ErrMaxInstances, ErrLeaseLost) and retry their own transient failures
// (SQLite's "database is locked", serialization failures) before giving up.
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
	// are not paused; ok is false when there is none. A job that is not
	// paused but has no next fire time (a row written by another program,
	// see JobClaimDue) is due at once: next is the zero time.
	JobNextFireTime(ctx context.Context) (next time.Time, ok bool, err error)
	// JobClaimDue claims the jobs due at p.Now (NextRunTime <= Now, not
	// paused), earliest first, at most p.Limit (no bound when Limit <= 0).
	// For each it calls p.Decide (which may be called again for the same
	// job if a backend retries a transaction, so it has no side effects)
	// and applies the decision atomically with the claim: the job's next
	// fire time advances (or a finished job is removed) and the decided runs
	// are recorded (their Seq set), so no fire is claimed twice by any
	// number of schedulers sharing the store.
	//
	// A job that is not paused and has a zero NextRunTime (inserted or
	// updated with plain SQL, next_run_time left NULL) is claimed first,
	// with the zero time: Decide computes its first fire time and records
	// no run.
	//
	// The claiming node (p.Node) must hold a live lease (NodeHeartbeat);
	// otherwise nothing is claimed and the error is ErrLeaseLost.
	//
	// A backend that claims in several transactions returns the claims it
	// committed with a nil error when a later one fails (and logs the
	// failure): those runs are recorded, so the caller must execute them.
	JobClaimDue(ctx context.Context, p JobClaimDueParams) ([]Claim, error)

	// RunInsert records a run that was not created by a claim (run now,
	// retries) and sets its Seq. A run whose id or fire key (JobID,
	// ScheduledAt, Attempt) is already recorded is ErrDuplicateRun. When
	// maxActive > 0 and the job already has that many unfinished runs
	// (across every node), nothing is recorded and the error is
	// ErrMaxInstances; the count and the insert are one atomic step.
	RunInsert(ctx context.Context, run *Run, maxActive int) error
	// RunUpdate stores new statuses and details of runs (several at once
	// so busy schedulers write in batches). Each run is applied on its own
	// and only while the stored run is unfinished, belongs to run.Node and
	// that node's lease is live by the store's clock; otherwise the stored
	// run is left alone and the error for it wraps ErrLeaseLost (or
	// ErrRunNotFound). When the lease is the only reason (the run is
	// unfinished and run.Node's), the error wraps ErrLeaseExpired as well,
	// so that the node can tell a run it may still record (after renewing
	// its lease) from one it lost. The returned error joins one *RunError
	// per refused run; nil means every run was stored. JobID, ScheduledAt,
	// Attempt, Node, Manual, Seq and CreatedAt keep their stored values.
	//
	// A start record (new Status running) is fenced as well: it is applied
	// only while the stored run is submitted, or is running with the same
	// StartedAt (compared at the store's precision: a repeat of the same
	// record, such as a retry after a lost reply, which succeeds). A start
	// record with another StartedAt on a run stored running is refused
	// with ErrLeaseLost and never ErrLeaseExpired, whatever the lease: that
	// run has already started once, so this start must not run. A node may
	// hold two copies of one run (RunReapParams.OwnStale takes back its own
	// stale runs), and whichever copy records its start first runs it.
	RunUpdate(ctx context.Context, runs ...*Run) error
	// RunGet returns a copy of a run, or ErrRunNotFound.
	RunGet(ctx context.Context, id string) (*Run, error)
	// RunList returns runs that match, newest (highest Seq) first; an
	// update does not make a run newer. Runs outlive their job.
	RunList(ctx context.Context, p RunListParams) ([]*Run, error)
	// RunPrune deletes finished runs by the retention policy and returns
	// how many it deleted. Unfinished runs are never deleted.
	RunPrune(ctx context.Context, p RunPruneParams) (int, error)
	// RunReap ends the unfinished runs of nodes whose lease has expired by
	// the store's clock (or that left, or never registered). A run that
	// never started (submitted), or that was running and is Recoverable,
	// is taken over by p.Node: same id, Node = p.Node, status submitted,
	// Recoverable false, StartedAt cleared; the caller executes it. Every
	// other such run becomes interrupted (FinishedAt = p.Now) with a reason.
	// p.Node must hold a live lease (ErrLeaseLost otherwise).
	//
	// With p.Restarted, the unfinished runs recorded under p.Node itself
	// count as a lost node's too, and are taken over (by p.Node, as new) or
	// interrupted in the same way: a process that starts under the node id
	// of an earlier one (a restart with a configured node id) is live at
	// once, so no reap would ever end the runs the earlier process left.
	//
	// A run that no node owns (Node == "", see RunRelease) counts as a run
	// of a lost node: it is taken over.
	//
	// With p.StaleAfter > 0 it also takes over, in the same way, runs that
	// have been submitted for longer than p.StaleAfter while their owner
	// (another node than p.Node) is live: a claim whose reply was lost
	// leaves such runs behind, owned by a node that never learnt of them.
	// Their age is judged by the store's clock, from the last time the run
	// changed hands (recorded by a claim or RunInsert, taken over,
	// released), never from CreatedAt. A running run of a live node is
	// never taken. A stale run's former owner then has its start refused
	// by RunUpdate (ErrLeaseLost), so a node that was merely slow does not
	// start it too.
	//
	// A run of p.Node itself is taken only with p.Restarted (an earlier
	// process's, above) or, when stale, with p.OwnStale: then it stays
	// submitted and p.Node's, and only its ownership time is renewed, so
	// it is taken at most once per p.StaleAfter. Both copies p.Node may
	// then hold have the same id, and RunUpdate's start fence lets only
	// one of them start.
	RunReap(ctx context.Context, p RunReapParams) (RunReapResult, error)
	// RunRelease hands back runs that p.Node claimed but will not start
	// (it is shutting down): each listed run that is still submitted and
	// owned by p.Node loses its owner (Node = "") and its StartedAt, one
	// run atomically at a time, so that the next RunReap of any live node
	// takes it over under the same id and attempt. Runs in another status,
	// owned by another node or unknown are left alone and are not an
	// error. It returns the ids it released, in no particular order.
	//
	// p.Node need not hold a live lease: a node shutting down after a stall
	// may have lost it, and its runs are reapable then anyway. A backend
	// that can notify other nodes (PostgreSQL NOTIFY, Redis publish)
	// wakes their Watch channels when it released a run.
	RunRelease(ctx context.Context, p RunReleaseParams) ([]string, error)

	// NodeHeartbeat registers a node or renews its lease: the store sets
	// HeartbeatAt to its own now and LeaseUntil to now + ttl, and writes
	// both back into node. Host, PID, Version and StartedAt are stored as
	// given.
	NodeHeartbeat(ctx context.Context, node *Node, ttl time.Duration) error
	// NodeLeave ends a node's lease at once (its unfinished runs can be
	// reaped without waiting) and removes it from NodeList. Unknown ids are
	// not an error.
	NodeLeave(ctx context.Context, id string) error
	// NodeList returns the registered nodes by id, with LeaseUntil so
	// callers tell live ones from lost ones. Nodes whose lease expired
	// more than forget ago are deleted first (forget <= 0 keeps them).
	NodeList(ctx context.Context, forget time.Duration) ([]*Node, error)
}

// Watcher is implemented by stores that learn of changes made elsewhere:
// other nodes, or other programs writing the jobs table. Watch returns a
// channel that receives a value (without blocking the store: it has room
// for one) soon after jobs may have changed, until ctx is done. How soon is
// the backend's promise: a notification (PostgreSQL LISTEN/NOTIFY, Redis
// pub/sub) or a poll of a change counter at a configured interval.
type Watcher interface {
	Watch(ctx context.Context) <-chan struct{}
}

// RunError is one run that Store.RunUpdate refused.
type RunError struct {
	RunID string
	Err   error // wraps ErrLeaseLost or ErrRunNotFound
}

// Error names the run.
func (e *RunError) Error() string { return "run " + e.RunID + ": " + e.Err.Error() }

// Unwrap returns the reason.
func (e *RunError) Unwrap() error { return e.Err }

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

// InProcessStore is an optional Store capability: a store whose calls
// never wait on the network or a disk, such as the memory store, says so
// with InProcess() == true, and the scheduler then does not bound the run
// updates of its workers with Config.StoreTimeout (a timer per run would
// cost more than the update). A wrapper (metrics.WrapStore) answers for
// the store it wraps; a type that embeds an in-process store and makes
// RunUpdate wait (a test fake) must answer false itself.
type InProcessStore interface {
	InProcess() bool
}

// inProcess reports whether st says it never waits on I/O.
func inProcess(st Store) bool {
	ip, ok := st.(InProcessStore)
	return ok && ip.InProcess()
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
	// Claims, when not nil, is a buffer of length 0 that the store may
	// append its claims to and return, so that a claim batch allocates no
	// slice; the caller does not use it until the call returns.
	Claims []Claim
}

// ClaimDecision is what the scheduler does with one due job.
type ClaimDecision struct {
	// Finished: the trigger has no fire time left; remove the job.
	Finished bool
	// NextRunTime is the job's new next fire time when not Finished.
	NextRunTime time.Time
	// Runs to record: submitted ones are then executed by the claiming
	// node, missed and skipped ones are final. They are the caller's: a
	// store that keeps a run keeps a copy (the scheduler reuses their
	// memory once it has handled the claims). A store sets each one's Seq
	// when it has one, and may return them in Claim.Runs.
	Runs []*Run
}

// Claim is one job claimed by JobClaimDue with its recorded runs.
type Claim struct {
	Job *Job // as it was when claimed (before advancing); read-only
	// Runs as recorded; read-only (they may be the decision's values).
	Runs     []*Run
	Finished bool
}

// RunListParams filter Store.RunList; zero fields do not filter.
type RunListParams struct {
	JobID  string
	Status RunStatus
	Node   string
	// From and To bound ScheduledAt: From <= ScheduledAt < To.
	From, To time.Time
	// BeforeSeq pages: only runs with Seq < BeforeSeq (the last Seq of
	// the previous page); 0 starts at the newest.
	BeforeSeq int64
	Limit     int
}

// Matches reports whether a run passes the filters other than BeforeSeq
// and Limit (for stores that filter in Go).
func (p RunListParams) Matches(r *Run) bool {
	return (p.JobID == "" || r.JobID == p.JobID) &&
		(p.Status == "" || r.Status == p.Status) &&
		(p.Node == "" || r.Node == p.Node) &&
		(p.From.IsZero() || !r.ScheduledAt.Before(p.From)) &&
		(p.To.IsZero() || r.ScheduledAt.Before(p.To))
}

// RunPruneParams is the retention policy of Store.RunPrune; zero fields do
// not prune.
type RunPruneParams struct {
	// FinishedBefore deletes finished runs that finished before it (runs
	// recorded final with no FinishedAt count from CreatedAt).
	FinishedBefore time.Time
	// KeepPerJob keeps only the newest this many finished runs per job.
	KeepPerJob int
}

// RunReapParams are the arguments of Store.RunReap.
type RunReapParams struct {
	// Node takes over the runs that may run again.
	Node string
	// Now is the scheduler's time, written as the FinishedAt of the runs
	// it interrupts.
	Now time.Time
	// Limit bounds how many runs one call ends (no bound when <= 0).
	Limit int
	// StaleAfter, when > 0, also takes over the runs of other live nodes
	// that have been submitted (not started) for longer than this, by the
	// store's clock (and, with OwnStale, Node's own): see Store.RunReap.
	// Zero takes over the runs of lost nodes only.
	StaleAfter time.Duration
	// OwnStale, with StaleAfter > 0, extends the stale takeover to Node's
	// own runs: those that have been submitted for longer than StaleAfter
	// (judged as other nodes' runs are, by the store's clock from when the
	// run last changed hands) are taken and returned in Taken, their
	// status (submitted) and node (Node) kept and their ownership time set
	// to the store's now, so that each is taken at most once per
	// StaleAfter. A node sets it after a store call whose reply it lost: a
	// claim the store applied but never answered leaves runs submitted
	// under the node's id that the node never learnt of. Taking one that
	// it does hold is harmless, as RunUpdate lets only one start of a run
	// through (see Store.RunUpdate).
	OwnStale bool
	// Restarted says that Node has just started: the unfinished runs
	// already recorded under its own id belong to an earlier process with
	// that id, and are reaped as a lost node's are (see Store.RunReap).
	// Only a node's first reap after it starts may set it, before the node
	// records runs of its own: later, its unfinished runs are its own
	// process's, and a reap with Restarted would take them over again.
	Restarted bool
}

// RunReleaseParams are the arguments of Store.RunRelease.
type RunReleaseParams struct {
	// Node is the node giving its runs back; an empty Node releases
	// nothing.
	Node string
	// RunIDs are the runs to release.
	RunIDs []string
}

// RunReapResult lists what Store.RunReap did.
type RunReapResult struct {
	// Taken are runs now owned by the caller, status submitted, to be
	// executed again under the same id.
	Taken []*Run
	// Interrupted are runs marked interrupted.
	Interrupted []*Run
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
