package memory

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// RunInsert records a run, refusing a duplicate fire and a run beyond
// maxActive unfinished ones.
func (s *Store) RunInsert(_ context.Context, run *sundial.Run, maxActive int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := &s.hist
	if _, dup := h.lookup(run.ID); dup {
		return fmt.Errorf("run %s: %w", run.ID, sundial.ErrDuplicateRun)
	}
	if e := s.names[run.JobID]; e != nil {
		if maxActive > 0 && int(e.hist.active) >= maxActive {
			return fmt.Errorf("job %s has %d unfinished runs: %w", run.JobID, e.hist.active, sundial.ErrMaxInstances)
		}
		for i := e.hist.runs.head; i != 0; i = h.rec(i).link[onJob].next {
			r := &h.rec(i).val
			if r.Attempt == run.Attempt && r.ScheduledAt.Equal(run.ScheduledAt) {
				return fmt.Errorf("job %s at %s attempt %d: %w", run.JobID, run.ScheduledAt, run.Attempt, sundial.ErrDuplicateRun)
			}
		}
	}
	s.insertRun(s.entryFor(run.JobID), run, now().UnixNano())
	return nil
}

// RunUpdate stores runs' new states, each only while its node owns it; a
// start record only while the run is submitted or is a repeat of it.
func (s *Store) RunUpdate(_ context.Context, runs ...*sundial.Run) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	live := s.leaseCache(now())
	var errs []error
	for _, run := range runs {
		if err := s.updateRun(run, &live); err != nil {
			errs = append(errs, &sundial.RunError{RunID: run.ID, Err: err})
		}
	}
	return errors.Join(errs...)
}

func (s *Store) updateRun(run *sundial.Run, live *leaseCache) error {
	i, ok := s.hist.lookup(run.ID)
	if !ok {
		return sundial.ErrRunNotFound
	}
	old := &s.hist.rec(i).val
	if old.Status.Finished() || old.Node != run.Node {
		return sundial.ErrLeaseLost
	}
	// A start of a run that another start record began already must not
	// run, whatever the lease; an exact repeat is let through.
	if run.Status == sundial.RunRunning && old.Status == sundial.RunRunning && !old.StartedAt.Equal(run.StartedAt) {
		return sundial.ErrLeaseLost
	}
	if !live.live(old.Node) {
		return sundial.ErrLeaseExpired
	}
	setRun(old, run)
	if run.Status.Finished() {
		s.finishRun(i)
	}
	return nil
}

// setRun copies the fields an update may change (every field but ID,
// JobID, ScheduledAt, Attempt, Node, Manual, Seq and CreatedAt) from run
// into the stored one, which has run's ID. Equal values are not written: most updates change a
// status and a time, and each pointer written costs a write barrier while
// the collector runs.
func setRun(old, run *sundial.Run) {
	if old.Status != run.Status {
		old.Status = run.Status
	}
	if old.Reason != run.Reason {
		old.Reason = run.Reason
	}
	old.Coalesced, old.Recoverable = run.Coalesced, run.Recoverable
	if old.StartedAt != run.StartedAt {
		old.StartedAt = run.StartedAt
	}
	if old.FinishedAt != run.FinishedAt {
		old.FinishedAt = run.FinishedAt
	}
	if old.Output != run.Output {
		old.Output = run.Output
	}
	if old.Error != run.Error {
		old.Error = run.Error
	}
}

// RunGet returns a copy of a run.
func (s *Store) RunGet(_ context.Context, id string) (*sundial.Run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.hist.lookup(id)
	if !ok {
		return nil, sundial.ErrRunNotFound
	}
	cp := s.hist.rec(i).val
	return &cp, nil
}

// RunList returns matching runs, newest first.
func (s *Store) RunList(_ context.Context, p sundial.RunListParams) ([]*sundial.Run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := &s.hist
	start, k := h.all.tail, onAll
	if p.JobID != "" {
		start, k = 0, onJob
		if e := s.names[p.JobID]; e != nil {
			start = e.hist.runs.tail
		}
	}
	var out []*sundial.Run
	for i := start; i != 0; i = h.rec(i).link[k].prev {
		r := &h.rec(i).val
		if (p.BeforeSeq > 0 && r.Seq >= p.BeforeSeq) || !p.Matches(r) {
			continue
		}
		cp := *r
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
	h := &s.hist
	n := 0
	for _, e := range s.names {
		kept := 0
		for i := e.hist.runs.tail; i != 0; {
			prev := h.rec(i).link[onJob].prev
			r := &h.rec(i).val
			if r.Status.Finished() {
				kept++
				ended := r.FinishedAt
				if ended.IsZero() {
					ended = r.CreatedAt
				}
				old := !p.FinishedBefore.IsZero() && ended.Before(p.FinishedBefore)
				if old || (p.KeepPerJob > 0 && kept > p.KeepPerJob) {
					s.evict(i)
					n++
				}
			}
			i = prev
		}
	}
	return n, nil
}

// RunReap ends the unfinished runs of nodes that lost their lease (and,
// with p.Restarted, those of an earlier process with p.Node's id), and
// takes over those submitted for longer than p.StaleAfter from other live
// nodes (and, with p.OwnStale, from p.Node itself), oldest (lowest Seq)
// first.
func (s *Store) RunReap(_ context.Context, p sundial.RunReapParams) (sundial.RunReapResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var res sundial.RunReapResult
	t := now()
	live := s.leaseCache(t)
	staleBefore := int64(math.MinInt64) // no run is stale
	if p.StaleAfter > 0 {
		staleBefore = t.Add(-p.StaleAfter).UnixNano()
	}
	if !live.live(p.Node) {
		return res, fmt.Errorf("reap as node %q: %w", p.Node, sundial.ErrLeaseLost)
	}
	h := &s.hist
	for i := h.unfinished.head; i != 0; {
		if p.Limit > 0 && len(res.Taken)+len(res.Interrupted) >= p.Limit {
			break
		}
		next := h.rec(i).link[onState].next
		r := &h.rec(i).val
		stale := r.Status == sundial.RunSubmitted && (r.Node != p.Node || p.OwnStale) && h.rec(i).owned < staleBefore
		earlier := p.Restarted && r.Node == p.Node
		switch {
		case live.live(r.Node) && !stale && !earlier:
		case r.Status == sundial.RunSubmitted || r.Recoverable:
			r.Node, r.Status, r.Recoverable, r.StartedAt = p.Node, sundial.RunSubmitted, false, time.Time{}
			h.rec(i).owned = t.UnixNano()
			cp := *r
			res.Taken = append(res.Taken, &cp)
		default:
			r.Status, r.FinishedAt = sundial.RunInterrupted, p.Now
			r.Reason = fmt.Sprintf("node %s lost its lease while the run was %s", r.Node, sundial.RunRunning)
			if earlier {
				r.Reason = fmt.Sprintf("node %s restarted while the run was %s", r.Node, sundial.RunRunning)
			}
			cp := *r
			s.finishRun(i)
			res.Interrupted = append(res.Interrupted, &cp)
		}
		i = next
	}
	return res, nil
}

// RunRelease gives back the listed runs that are still submitted and owned
// by p.Node: they lose their owner, so the next reap takes them over.
func (s *Store) RunRelease(_ context.Context, p sundial.RunReleaseParams) ([]string, error) {
	if p.Node == "" || len(p.RunIDs) == 0 {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, id := range p.RunIDs {
		i, ok := s.hist.lookup(id)
		if !ok {
			continue
		}
		r := &s.hist.rec(i).val
		if r.Status != sundial.RunSubmitted || r.Node != p.Node {
			continue
		}
		r.Node, r.StartedAt = "", time.Time{}
		s.hist.rec(i).owned = now().UnixNano()
		out = append(out, id)
	}
	return out, nil
}
