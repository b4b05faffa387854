// Package memory is an in-process Store for tests, examples and throwaway
// use: jobs in a map with a min-heap of next fire times (so claiming costs
// O(log n) per job), run history bounded per job and in total. Nothing
// survives the process.
package memory

import (
	"cmp"
	"context"
	"errors"
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

	mu    sync.Mutex
	jobs  map[string]*entry
	due   dueHeap
	runs  map[string]*runEntry
	byJob map[string]*jobRuns // jobs with kept or unfinished runs
	fifo  []*runEntry         // finished runs in the order they finished
	head  int
	seq   uint64
	rseq  int64 // last Run.Seq handed out
	// unfinished counts the runs not finished, so a reap with nothing to
	// look at does not scan the history.
	unfinished int
	nodes      map[string]*sundial.Node

	audit auditLog // behind its own lock
}

var _ sundial.Store = (*Store)(nil)

type entry struct {
	job   *sundial.Job
	key   int64  // job.NextRunTime in Unix nanoseconds, for cheap heap compares
	order uint64 // insertion order, to break ties without comparing ids
	index int    // position in due, -1 when not scheduled (paused)
}

type runEntry struct {
	run     *sundial.Run // the store's own: copied in, copied out
	jr      *jobRuns
	seq     uint64 // insertion order
	evicted bool
}

type jobRuns struct {
	jobID    string
	active   int         // unfinished runs
	list     []*runEntry // insertion order; evicted entries are skipped
	head     int
	done     []*runEntry // finished runs in the order they finished
	doneHead int
	finished int // finished runs kept
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
		opts: opts, jobs: map[string]*entry{}, runs: map[string]*runEntry{},
		byJob: map[string]*jobRuns{}, nodes: map[string]*sundial.Node{},
	}
}

// now is the store's clock, which judges leases: the process clock, as the
// store lives in the process.
func now() time.Time { return time.Now() }

// JobAdd stores a new job or replaces one.
func (s *Store) JobAdd(_ context.Context, p sundial.JobAddParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	job := p.Job.Clone()
	if old, ok := s.jobs[job.ID]; ok {
		if !p.Replace {
			return sundial.ErrConflict
		}
		job.Version = old.job.Version + 1
		s.unschedule(old)
		old.job = job
		s.schedule(old)
		p.Job.Version = job.Version
		return nil
	}
	job.Version = 1
	p.Job.Version = 1
	s.seq++
	e := &entry{job: job, index: -1, order: s.seq}
	s.jobs[job.ID] = e
	s.schedule(e)
	return nil
}

func (s *Store) schedule(e *entry) {
	switch {
	case e.job.Paused:
	case e.job.NextRunTime.IsZero():
		e.key = math.MinInt64 // its first fire time is still to compute
		s.due.push(e)
	default:
		e.key = e.job.NextRunTime.UnixNano()
		s.due.push(e)
	}
}

func (s *Store) unschedule(e *entry) {
	if e.index >= 0 {
		s.due.remove(e.index)
	}
}

// JobGet returns a copy of a job.
func (s *Store) JobGet(_ context.Context, id string) (*sundial.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.jobs[id]
	if !ok {
		return nil, sundial.ErrJobNotFound
	}
	return e.job.Clone(), nil
}

// JobList returns copies of matching jobs by next fire time, paused last.
func (s *Store) JobList(_ context.Context, p sundial.JobListParams) ([]*sundial.Job, error) {
	s.mu.Lock()
	var out []*sundial.Job
	for _, e := range s.jobs {
		if p.Matches(e.job) {
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
	e, ok := s.jobs[job.ID]
	if !ok {
		return sundial.ErrJobNotFound
	}
	if e.job.Version != job.Version {
		return sundial.ErrStale
	}
	s.unschedule(e)
	e.job = job.Clone()
	e.job.Version++
	job.Version = e.job.Version
	s.schedule(e)
	return nil
}

// JobRemove deletes a job.
func (s *Store) JobRemove(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.jobs[id]
	if !ok {
		return sundial.ErrJobNotFound
	}
	s.unschedule(e)
	delete(s.jobs, id)
	return nil
}

// JobRemoveAll deletes every job.
func (s *Store) JobRemoveAll(context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.jobs)
	s.jobs = map[string]*entry{}
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
	var claims []sundial.Claim
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
	for k := 0; k < claimChunk && s.due.len() > 0 && (p.Limit <= 0 || len(claims) < p.Limit); k++ {
		e := s.due.top()
		if e.job.NextRunTime.After(p.Now) {
			break
		}
		// Stored jobs are replaced, never mutated, so the claim can hand out
		// the stored pointer as the job "as it was when claimed".
		claimed := e.job
		active := 0
		if jr := s.byJob[claimed.ID]; jr != nil {
			active = jr.active
		}
		d := p.Decide(claimed, active)
		for _, r := range d.Runs {
			s.insertRun(r)
		}
		if d.Finished {
			s.due.remove(0)
			delete(s.jobs, e.job.ID)
		} else {
			next := *claimed
			next.NextRunTime = d.NextRunTime
			next.Version++
			e.job = &next
			e.key = next.NextRunTime.UnixNano()
			s.due.fix(0)
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

// RunInsert records a run, refusing a duplicate fire and a run beyond
// maxActive unfinished ones.
func (s *Store) RunInsert(_ context.Context, run *sundial.Run, maxActive int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.runs[run.ID]; dup {
		return fmt.Errorf("run %s: %w", run.ID, sundial.ErrDuplicateRun)
	}
	if jr := s.byJob[run.JobID]; jr != nil {
		if maxActive > 0 && jr.active >= maxActive {
			return fmt.Errorf("job %s has %d unfinished runs: %w", run.JobID, jr.active, sundial.ErrMaxInstances)
		}
		for _, re := range jr.list[jr.head:] {
			if re != nil && !re.evicted && re.run.Attempt == run.Attempt && re.run.ScheduledAt.Equal(run.ScheduledAt) {
				return fmt.Errorf("job %s at %s attempt %d: %w", run.JobID, run.ScheduledAt, run.Attempt, sundial.ErrDuplicateRun)
			}
		}
	}
	cp := *run
	s.insertRun(&cp)
	run.Seq = cp.Seq
	return nil
}

// insertRun records run, which the store owns from now on.
func (s *Store) insertRun(run *sundial.Run) {
	s.seq++
	s.rseq++
	run.Seq = s.rseq
	jr := s.byJob[run.JobID]
	if jr == nil {
		jr = &jobRuns{jobID: run.JobID}
		s.byJob[run.JobID] = jr
	}
	re := &runEntry{run: run, jr: jr, seq: s.seq}
	s.runs[run.ID] = re
	jr.list = append(jr.list, re)
	if run.Status.Finished() {
		s.retire(re, jr)
	} else {
		jr.active++
		s.unfinished++
	}
}

// retire enters a finished run into the eviction order and enforces both
// bounds. Unfinished runs are never evicted: they still count against
// max_instances.
func (s *Store) retire(re *runEntry, jr *jobRuns) {
	s.fifo = append(s.fifo, re)
	jr.done = append(jr.done, re)
	jr.finished++
	for jr.finished > s.opts.RunsPerJob && jr.doneHead < len(jr.done) {
		old := jr.done[jr.doneHead]
		jr.done[jr.doneHead] = nil
		jr.doneHead++
		if !old.evicted {
			s.evict(old)
		}
	}
	if jr.doneHead > 64 && jr.doneHead*2 > len(jr.done) {
		jr.done = append([]*runEntry(nil), jr.done[jr.doneHead:]...)
		jr.doneHead = 0
	}
	for len(s.fifo)-s.head > s.opts.MaxRuns {
		old := s.fifo[s.head]
		s.fifo[s.head] = nil
		s.head++
		if !old.evicted {
			s.evict(old)
		}
	}
	if s.head > 4096 && s.head*2 > len(s.fifo) {
		s.fifo = append([]*runEntry(nil), s.fifo[s.head:]...)
		s.head = 0
	}
	s.compact(jr)
}

// compact drops evicted runs from the front of a job's list.
func (s *Store) compact(jr *jobRuns) {
	for jr.head < len(jr.list) && jr.list[jr.head].evicted {
		jr.list[jr.head] = nil
		jr.head++
	}
	if jr.head > 64 && jr.head*2 > len(jr.list) {
		jr.list = append([]*runEntry(nil), jr.list[jr.head:]...)
		jr.head = 0
	}
}

// evict forgets a finished run, and the job's run index once it holds
// nothing (so one-shot jobs leave nothing behind).
func (s *Store) evict(re *runEntry) {
	re.evicted = true
	delete(s.runs, re.run.ID)
	jr := re.jr
	jr.finished--
	if jr.head < len(jr.list) && jr.list[jr.head] == re {
		s.compact(jr)
	}
	if jr.active == 0 && jr.finished == 0 && s.byJob[jr.jobID] == jr {
		delete(s.byJob, jr.jobID)
	}
}

// RunUpdate stores runs' new states, each only while its node owns it.
func (s *Store) RunUpdate(_ context.Context, runs ...*sundial.Run) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := now()
	var errs []error
	for _, run := range runs {
		if err := s.updateRun(run, t); err != nil {
			errs = append(errs, &sundial.RunError{RunID: run.ID, Err: err})
		}
	}
	return errors.Join(errs...)
}

func (s *Store) updateRun(run *sundial.Run, t time.Time) error {
	re, ok := s.runs[run.ID]
	if !ok {
		return sundial.ErrRunNotFound
	}
	old := re.run
	if old.Status.Finished() || old.Node != run.Node || !s.liveLocked(old.Node, t) {
		return sundial.ErrLeaseLost
	}
	next := *run
	next.JobID, next.ScheduledAt, next.Attempt = old.JobID, old.ScheduledAt, old.Attempt
	next.Node, next.Manual, next.Seq, next.CreatedAt = old.Node, old.Manual, old.Seq, old.CreatedAt
	*re.run = next
	if next.Status.Finished() {
		re.jr.active--
		s.unfinished--
		s.retire(re, re.jr)
	}
	return nil
}

// liveLocked reports whether node holds a lease at t.
func (s *Store) liveLocked(node string, t time.Time) bool {
	n, ok := s.nodes[node]
	return ok && n.LeaseUntil.After(t)
}

// RunGet returns a copy of a run.
func (s *Store) RunGet(_ context.Context, id string) (*sundial.Run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	re, ok := s.runs[id]
	if !ok {
		return nil, sundial.ErrRunNotFound
	}
	cp := *re.run
	return &cp, nil
}

// RunList returns matching runs, newest first.
func (s *Store) RunList(_ context.Context, p sundial.RunListParams) ([]*sundial.Run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var src []*runEntry
	if p.JobID != "" {
		if jr := s.byJob[p.JobID]; jr != nil {
			src = jr.list[jr.head:]
		}
	} else {
		src = make([]*runEntry, 0, len(s.runs))
		for _, re := range s.runs {
			src = append(src, re)
		}
		slices.SortFunc(src, func(a, b *runEntry) int { return cmp.Compare(a.run.Seq, b.run.Seq) })
	}
	var out []*sundial.Run
	for i := len(src) - 1; i >= 0; i-- {
		re := src[i]
		if re == nil || re.evicted || (p.BeforeSeq > 0 && re.run.Seq >= p.BeforeSeq) || !p.Matches(re.run) {
			continue
		}
		cp := *re.run
		out = append(out, &cp)
		if p.Limit > 0 && len(out) >= p.Limit {
			break
		}
	}
	return out, nil
}

// RunPrune deletes finished runs older than the policy allows.
func (s *Store) RunPrune(_ context.Context, p sundial.RunPruneParams) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, jr := range s.byJob {
		kept := 0
		for i := len(jr.list) - 1; i >= jr.head; i-- {
			re := jr.list[i]
			if re == nil || re.evicted || !re.run.Status.Finished() {
				continue
			}
			kept++
			ended := re.run.FinishedAt
			if ended.IsZero() {
				ended = re.run.CreatedAt
			}
			old := !p.FinishedBefore.IsZero() && ended.Before(p.FinishedBefore)
			if old || (p.KeepPerJob > 0 && kept > p.KeepPerJob) {
				s.evict(re)
				n++
			}
		}
	}
	return n, nil
}

// RunReap ends the unfinished runs of nodes that lost their lease.
func (s *Store) RunReap(_ context.Context, p sundial.RunReapParams) (sundial.RunReapResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var res sundial.RunReapResult
	t := now()
	if !s.liveLocked(p.Node, t) {
		return res, fmt.Errorf("reap as node %q: %w", p.Node, sundial.ErrLeaseLost)
	}
	if s.unfinished == 0 {
		return res, nil
	}
	var lost []*runEntry
	for _, re := range s.runs {
		if !re.run.Status.Finished() && !s.liveLocked(re.run.Node, t) {
			lost = append(lost, re)
		}
	}
	slices.SortFunc(lost, func(a, b *runEntry) int { return cmp.Compare(a.run.Seq, b.run.Seq) })
	for _, re := range lost {
		if p.Limit > 0 && len(res.Taken)+len(res.Interrupted) >= p.Limit {
			break
		}
		r := re.run
		if r.Status == sundial.RunSubmitted || r.Recoverable {
			r.Node, r.Status, r.Recoverable, r.StartedAt = p.Node, sundial.RunSubmitted, false, time.Time{}
			cp := *r
			res.Taken = append(res.Taken, &cp)
			continue
		}
		r.Status, r.FinishedAt = sundial.RunInterrupted, p.Now
		r.Reason = fmt.Sprintf("node %s lost its lease while the run was %s", r.Node, sundial.RunRunning)
		re.jr.active--
		s.unfinished--
		s.retire(re, re.jr)
		cp := *r
		res.Interrupted = append(res.Interrupted, &cp)
	}
	return res, nil
}

// NodeHeartbeat registers a node or renews its lease.
func (s *Store) NodeHeartbeat(_ context.Context, node *sundial.Node, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := now()
	node.HeartbeatAt, node.LeaseUntil = t, t.Add(ttl)
	cp := *node
	s.nodes[node.ID] = &cp
	return nil
}

// NodeLeave ends a node's lease and forgets it.
func (s *Store) NodeLeave(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.nodes, id)
	return nil
}

// NodeList returns the registered nodes by id.
func (s *Store) NodeList(_ context.Context, forget time.Duration) ([]*sundial.Node, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := now()
	out := make([]*sundial.Node, 0, len(s.nodes))
	for id, n := range s.nodes {
		if forget > 0 && n.LeaseUntil.Before(t.Add(-forget)) {
			delete(s.nodes, id)
			continue
		}
		cp := *n
		out = append(out, &cp)
	}
	slices.SortFunc(out, func(a, b *sundial.Node) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}
