// Package memory is an in-process Store for tests, examples and throwaway
// use: jobs in a map with a min-heap of next fire times (so claiming costs
// O(log n) per job), run history bounded per job and in total, kept in a
// slab of records addressed by integer handles so that a fire costs no map
// operation beyond the one index from run id to record. Nothing survives
// the process.
package memory

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// Options bound the run history the store keeps.
type Options struct {
	// RunsPerJob is how many finished runs are kept per job, the oldest
	// finished first out. Default 100.
	RunsPerJob int
	// MaxRuns is how many finished runs are kept in all. Default 100 000.
	// Unfinished runs are always kept: they count against max_instances.
	MaxRuns int
}

// Store is an in-memory sundial.Store. It is safe for concurrent use.
type Store struct {
	opts Options

	mu sync.Mutex
	// names holds an entry per job id that has a job, kept runs or
	// unfinished runs: one lookup finds both a job and its history.
	names map[string]*entry
	njobs int // entries with a job
	due   dueHeap
	seq   uint64 // job insertion order
	hist  history
	nodes map[string]*sundial.Node
	// shared: immutable values that stored jobs share when equal (see own)
	noArgs, noKwargs json.RawMessage
	grace            *time.Duration

	audit auditLog // behind its own lock
}

var (
	_ sundial.Store          = (*Store)(nil)
	_ sundial.InProcessStore = (*Store)(nil)
)

// entry is one job id: its job, if one is stored, and its run history.
type entry struct {
	id    string
	job   *sundial.Job // nil when no job has this id (only runs are kept)
	order uint64       // insertion order, to break ties without comparing ids
	index int32        // position in due, -1 when not scheduled (paused)
	hist  jobRuns
}

// New returns an empty store.
func New(opts Options) *Store {
	if opts.RunsPerJob <= 0 {
		opts.RunsPerJob = 100
	}
	if opts.MaxRuns <= 0 {
		opts.MaxRuns = 100_000
	}
	return &Store{
		opts: opts, names: map[string]*entry{}, hist: newHistory(),
		nodes: map[string]*sundial.Node{},
	}
}

// InProcess reports true: the store never waits on I/O, so the scheduler
// bounds its calls with no timeout (sundial.InProcessStore).
func (s *Store) InProcess() bool { return true }

// now is the store's clock, which judges leases: the process clock, as the
// store lives in the process.
func now() time.Time { return time.Now() }

// JobAdd stores a new job or replaces one.
func (s *Store) JobAdd(_ context.Context, p sundial.JobAddParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	job := s.own(p.Job)
	e := s.names[job.ID]
	if e != nil && e.job != nil {
		if !p.Replace {
			return sundial.ErrConflict
		}
		job.Version = e.job.Version + 1
		s.unschedule(e)
		e.job = job
		s.schedule(e)
		p.Job.Version = job.Version
		return nil
	}
	job.Version = 1
	p.Job.Version = 1
	if e == nil {
		e = &entry{id: job.ID, index: -1}
		s.names[job.ID] = e
	}
	s.seq++
	e.job, e.order = job, s.seq
	s.njobs++
	s.schedule(e)
	return nil
}

// own returns the copy of a job the store keeps. Like Job.Clone it shares
// nothing with the caller, but stored jobs share the values they have in
// common: empty arguments and the misfire grace time, the same for nearly
// every job. Stored jobs are never changed in place (an update replaces
// them), claims hand them out read-only and reads clone them, so sharing
// is safe, and it saves three allocations and ~30 bytes per job.
func (s *Store) own(j *sundial.Job) *sundial.Job {
	c := *j
	c.Args = s.shareArgs(&s.noArgs, j.Args, "[]")
	c.Kwargs = s.shareArgs(&s.noKwargs, j.Kwargs, "{}")
	c.Tags = append([]string(nil), j.Tags...)
	if g := j.MisfireGraceTime; g != nil {
		if s.grace == nil || *s.grace != *g {
			s.grace = new(time.Duration)
			*s.grace = *g
		}
		c.MisfireGraceTime = s.grace
	}
	return &c
}

func (s *Store) shareArgs(shared *json.RawMessage, b json.RawMessage, empty string) json.RawMessage {
	if string(b) != empty {
		return append(json.RawMessage(nil), b...)
	}
	if *shared == nil {
		*shared = json.RawMessage(empty)
	}
	return *shared
}

// job returns the entry of a stored job.
func (s *Store) job(id string) (*entry, bool) {
	e := s.names[id]
	return e, e != nil && e.job != nil
}

// entryFor returns the entry of a job id, made if there is none.
func (s *Store) entryFor(id string) *entry {
	e := s.names[id]
	if e == nil {
		e = &entry{id: id, index: -1}
		s.names[id] = e
	}
	return e
}

// dropJob forgets e's job (its runs stay).
func (s *Store) dropJob(e *entry) {
	s.unschedule(e)
	e.job = nil
	s.njobs--
	s.forgetIfEmpty(e)
}

// forgetIfEmpty drops the entry of a job id that holds neither a job nor
// runs. An entry is in names exactly while it holds one or the other, so
// e is the entry of its id.
func (s *Store) forgetIfEmpty(e *entry) {
	if e.job == nil && e.hist.runs.n == 0 {
		delete(s.names, e.id)
	}
}

func (s *Store) schedule(e *entry) {
	switch {
	case e.job.Paused:
	case e.job.NextRunTime.IsZero():
		s.due.push(e, math.MinInt64) // its first fire time is still to compute
	default:
		s.due.push(e, e.job.NextRunTime.UnixNano())
	}
}

func (s *Store) unschedule(e *entry) {
	if e.index >= 0 {
		s.due.remove(int(e.index))
	}
}

// JobGet returns a copy of a job.
func (s *Store) JobGet(_ context.Context, id string) (*sundial.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.job(id)
	if !ok {
		return nil, sundial.ErrJobNotFound
	}
	return e.job.Clone(), nil
}

// JobList returns copies of matching jobs by next fire time, paused last.
func (s *Store) JobList(_ context.Context, p sundial.JobListParams) ([]*sundial.Job, error) {
	s.mu.Lock()
	var out []*sundial.Job
	for _, e := range s.names {
		if e.job != nil && p.Matches(e.job) {
			out = append(out, e.job)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, sundial.CompareJobs)
	if p.Limit > 0 && len(out) > p.Limit {
		out = out[:p.Limit]
	}
	for i, j := range out {
		out[i] = j.Clone()
	}
	return out, nil
}

// JobUpdate replaces a job if its version matches.
func (s *Store) JobUpdate(_ context.Context, job *sundial.Job) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.job(job.ID)
	if !ok {
		return sundial.ErrJobNotFound
	}
	if e.job.Version != job.Version {
		return sundial.ErrStale
	}
	s.unschedule(e)
	e.job = s.own(job)
	e.job.Version++
	job.Version = e.job.Version
	s.schedule(e)
	return nil
}

// JobRemove deletes a job.
func (s *Store) JobRemove(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.job(id)
	if !ok {
		return sundial.ErrJobNotFound
	}
	s.dropJob(e)
	return nil
}

// JobRemoveAll deletes every job.
func (s *Store) JobRemoveAll(context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.njobs
	for id, e := range s.names {
		if e.job == nil {
			continue
		}
		e.job, e.index = nil, -1
		if e.hist.runs.n == 0 {
			delete(s.names, id)
		}
	}
	s.njobs = 0
	s.due = dueHeap{}
	return n, nil
}

// JobNextFireTime returns the earliest next fire time.
func (s *Store) JobNextFireTime(context.Context) (time.Time, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.due.len() == 0 {
		return time.Time{}, false, nil
	}
	return s.due.top().job.NextRunTime, true, nil
}

// JobClaimDue claims due jobs, earliest first, applying each decision at
// once under the store's lock.
func (s *Store) JobClaimDue(_ context.Context, p sundial.JobClaimDueParams) ([]sundial.Claim, error) {
	s.mu.Lock()
	live := s.liveLocked(p.Node, now())
	s.mu.Unlock()
	if !live {
		return nil, fmt.Errorf("claim as node %q: %w", p.Node, sundial.ErrLeaseLost)
	}
	claims := p.Claims[:0] // nil without a buffer
	for {
		n := len(claims)
		claims = s.claimSome(p, claims)
		if len(claims)-n < claimChunk {
			return claims, nil
		}
	}
}

// claimChunk bounds how many jobs one hold of the lock claims, so workers
// recording runs are not starved during a large burst. Each job's claim is
// atomic on its own; a batch never needed to be.
const claimChunk = 256

func (s *Store) claimSome(p sundial.JobClaimDueParams, claims []sundial.Claim) []sundial.Claim {
	s.mu.Lock()
	defer s.mu.Unlock()
	at := now().UnixNano() // the runs of one hold of the lock are recorded at once
	for k := 0; k < claimChunk && s.due.len() > 0 && (p.Limit <= 0 || len(claims) < p.Limit); k++ {
		e := s.due.top()
		if e.job.NextRunTime.After(p.Now) {
			break
		}
		// Stored jobs are replaced, never mutated, so the claim can hand out
		// the stored pointer as the job "as it was when claimed".
		claimed := e.job
		d := p.Decide(claimed, int(e.hist.active))
		for _, r := range d.Runs {
			owner := e
			if r.JobID != e.id {
				owner = s.entryFor(r.JobID)
			}
			s.insertRun(owner, r, at)
		}
		if d.Finished {
			s.dropJob(e)
		} else {
			next := *claimed
			next.NextRunTime = d.NextRunTime
			next.Version++
			e.job = &next
			s.due.fix(0, next.NextRunTime.UnixNano())
		}
		if claims == nil {
			// Small: most wakes claim a few jobs; bursts regrow it.
			room := min(s.due.len(), 16)
			if p.Limit > 0 {
				room = min(room, p.Limit)
			}
			claims = make([]sundial.Claim, 0, room)
		}
		claims = append(claims, sundial.Claim{Job: claimed, Runs: d.Runs, Finished: d.Finished})
	}
	return claims
}
