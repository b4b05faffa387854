package sundial

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"time"
)

// loop is the dispatch loop: one goroutine, one timer armed for the earliest
// of the next fire time and the next delayed run (retry or jitter), woken
// early by kick, and never asleep longer than MaxSleep without reading the
// clock again.
func (s *Scheduler) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	timer := time.NewTimer(0)
	defer timer.Stop()
	// backoff grows while claims fail (a store down, a lease lost), and
	// stall while due jobs cannot be claimed (another node holds them),
	// so neither case spins the loop.
	var backoff, stall time.Duration
	lastTick := time.Now()
	for {
		lastTick = s.tickMaintenance(time.Now(), lastTick)
		now := s.clock.Now()
		more, claimed := false, 0
		var err error
		if s.State() == StateRunning {
			claimed, more, err = s.dispatch(ctx, now)
			if err != nil && ctx.Err() == nil {
				s.log.Error("claim due jobs", "err", err, "retry_in", grow(backoff, s.cfg.MaxSleep))
			}
			s.submitDelayed(now)
		}
		wait := s.cfg.MaxSleep
		switch {
		case err != nil:
			// The store is failing: wait out the backoff rather than
			// ask it for next fire times too.
			backoff = grow(backoff, s.cfg.MaxSleep)
			wait = backoff
		case more:
			wait, backoff, stall = 0, 0, 0
		case s.State() == StateRunning:
			for name, st := range s.stores {
				sctx, cancel := s.storeCtx(ctx)
				next, ok, err := st.JobNextFireTime(sctx)
				cancel()
				if err == nil && ok {
					wait = min(wait, s.toLocal(name, next).Sub(now))
				}
			}
			if at, ok := s.nextDelayed(); ok {
				wait = min(wait, at.Sub(now))
			}
			backoff = 0
			if claimed == 0 && wait <= 0 {
				stall = grow(stall, s.cfg.MaxSleep)
				wait = stall
			} else {
				stall = 0
			}
		}
		timer.Reset(max(wait, 0))
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-timer.C:
		}
	}
}

// grow doubles a wait, from 20ms up to limit.
func grow(d, limit time.Duration) time.Duration {
	return min(max(2*d, 20*time.Millisecond), limit)
}

// dispatch claims due jobs once from every store and hands their runs to
// the executors. It reports how many jobs it claimed and whether a full
// batch was claimed from some store (more may be due).
func (s *Scheduler) dispatch(ctx context.Context, now time.Time) (int, bool, error) {
	more, claimed := false, 0
	var errs []error
	for _, name := range s.storeNames {
		n, full, err := s.dispatchStore(ctx, name, s.stores[name], s.toStore(name, now))
		more = more || full
		claimed += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return claimed, more, errors.Join(errs...)
}

func (s *Scheduler) dispatchStore(ctx context.Context, name string, st Store, now time.Time) (int, bool, error) {
	ctx, cancel := s.storeCtx(ctx) // one timer per claim batch, whatever the store
	defer cancel()
	var tasks taskCache
	// capped is set before the workers are counted, so that a worker
	// freed meanwhile wakes the loop (workerFreed).
	s.capped.Store(true)
	limit, capped := s.claimLimit()
	s.capped.Store(capped)
	if limit <= 0 {
		return 0, false, nil // every worker busy: wait for one
	}
	if s.local[name] {
		// A claim from a store in the process costs no round trip, so a
		// small one costs nothing more, and its runs start while the next
		// is claimed instead of after the whole batch (35 ms for 10,000).
		limit = min(limit, localClaimBatch)
	}
	defer s.scratch.reset()
	claims, err := st.JobClaimDue(ctx, JobClaimDueParams{
		Now:   now,
		Limit: limit,
		Node:  s.cfg.NodeID,
		Decide: func(job *Job, active int) ClaimDecision {
			return s.decide(job, active, now, &tasks)
		},
		Claims: s.scratch.claims,
	})
	if cap(claims) > cap(s.scratch.claims) {
		s.scratch.claims = claims[:0] // grown: keep it for the next claim
	}
	if err != nil {
		// Claims a backend committed before failing are still returned:
		// their runs are recorded, so they run. A claim the store may
		// have committed unanswered leaves runs this node never learns
		// of: see doubt.
		s.noteDoubt(err)
		err = fmt.Errorf("store %s: %w", name, err)
	}
	if len(claims) == 0 {
		return 0, false, err
	}
	var batch submitBatch
	for _, c := range claims {
		for _, r := range c.Runs {
			if w := s.afterClaim(c.Job, r, now); w != nil {
				batch.add(s, w)
			}
		}
		if c.Finished {
			s.emit(Event{Type: EventJobRemoved, JobID: c.Job.ID})
		}
	}
	batch.submit()
	return len(claims), len(claims) >= limit, err
}

// localClaimBatch bounds one claim from an in-process store (see
// InProcessStore): a burst is claimed in a pipeline of these, each handed
// to the workers as soon as it is claimed.
const localClaimBatch = 512

// decide applies the catch-up rule and max_instances to one due job.
func (s *Scheduler) decide(job *Job, active int, now time.Time, tasks *taskCache) ClaimDecision {
	if job.NextRunTime.IsZero() {
		// Written by another program without a next fire time: compute
		// the first one, as adding the job would have.
		next, ok := job.Trigger.First(now)
		if !ok {
			s.log.Warn("job removed: its trigger has no fire time left", "job", job.ID)
		}
		return ClaimDecision{Finished: !ok, NextRunTime: next}
	}
	if d, ok := s.decideOne(job, active, now, tasks); ok {
		return d
	}
	c := ComputeCatchUp(job.Trigger, job.Coalesce, job.MisfireGraceTime, job.NextRunTime, now)
	var d ClaimDecision
	_, registered := tasks.lookup(s.cfg.Tasks, job.Task)
	for _, t := range c.Missed {
		d.Runs = append(d.Runs, s.newRun(job, t, RunMissed,
			fmt.Sprintf("started %s late, more than misfire_grace_time %s", now.Sub(t), *job.MisfireGraceTime), now))
	}
	for i, t := range c.Run {
		var r *Run
		switch {
		case !registered:
			r = s.newRun(job, t, RunSkipped, fmt.Sprintf("task %q is not registered on node %s", job.Task, s.cfg.NodeID), now)
		case active >= job.MaxInstances:
			r = s.newRun(job, t, RunSkipped, fmt.Sprintf("max_instances (%d) reached", job.MaxInstances), now)
		default:
			r = s.newRun(job, t, RunSubmitted, "", now)
			active++
		}
		if i == len(c.Run)-1 {
			r.Coalesced = c.Coalesced
		}
		d.Runs = append(d.Runs, r)
	}
	if len(c.Run) == 0 && c.Coalesced > 0 && len(d.Runs) > 0 {
		d.Runs[len(d.Runs)-1].Coalesced = c.Coalesced
	}
	d.Finished = !c.HasNext
	d.NextRunTime = c.Next
	return d
}

func (s *Scheduler) newRun(job *Job, at time.Time, status RunStatus, reason string, now time.Time) *Run {
	r := new(Run)
	s.initRun(r, job, at, status, reason, now)
	return r
}

func (s *Scheduler) initRun(r *Run, job *Job, at time.Time, status RunStatus, reason string, now time.Time) {
	*r = Run{
		ID: s.newRunID(), JobID: job.ID, ScheduledAt: at, Attempt: 1,
		Status: status, Reason: reason, Node: s.cfg.NodeID, CreatedAt: now,
		Recoverable: job.Recovery == RecoveryRetry && status == RunSubmitted,
		FinishedAt:  finishedAt(status, now),
	}
}

// finishedAt is the finish time of a run recorded in a final status (missed,
// skipped) at now: retention by age counts from it.
func finishedAt(status RunStatus, now time.Time) time.Time {
	if status.Finished() {
		return now
	}
	return time.Time{}
}

// afterClaim emits the events of a recorded run and returns the work to
// submit now (nil for runs that do not execute, or start later).
func (s *Scheduler) afterClaim(job *Job, r *Run, now time.Time) *work {
	switch r.Status {
	case RunMissed:
		s.emitRun(EventRunMissed, r, job.Task)
		return nil
	case RunSkipped:
		s.emitRun(EventRunSkipped, r, job.Task)
		return nil
	}
	s.emitRun(EventRunSubmitted, r, job.Task)
	// The claimed run is the store's: the worker changes its own copy.
	w := newPooledWork(job, r)
	if job.Trigger.Jitter() <= 0 {
		return w
	}
	if at := s.jitter(w); at.After(now) {
		s.delay(at, w)
		return nil
	}
	return w
}

func (s *Scheduler) executorFor(job *Job) *executor {
	if e, ok := s.execs[job.Executor]; ok {
		return e
	}
	return s.execs["default"]
}

func (s *Scheduler) submit(w *work) {
	s.executorFor(w.job).submit(w)
}

// delayQueue holds runs that start later: retries and jittered fires.
type delayQueue []delayed

type delayed struct {
	at time.Time
	w  *work
}

func (q delayQueue) Len() int           { return len(q) }
func (q delayQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q delayQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *delayQueue) Push(x any)        { *q = append(*q, x.(delayed)) }
func (q *delayQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// delay queues w to start at at, a time of its job's store.
func (s *Scheduler) delay(at time.Time, w *work) {
	s.mu.Lock()
	heap.Push(&s.delayed, delayed{at: s.toLocal(w.job.Store, at), w: w})
	s.mu.Unlock()
	s.kick()
}

func (s *Scheduler) nextDelayed() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.delayed) == 0 {
		return time.Time{}, false
	}
	return s.delayed[0].at, true
}

func (s *Scheduler) submitDelayed(now time.Time) {
	for {
		s.mu.Lock()
		if len(s.delayed) == 0 || s.delayed[0].at.After(now) {
			s.mu.Unlock()
			return
		}
		d := heap.Pop(&s.delayed).(delayed)
		s.mu.Unlock()
		s.submit(d.w)
	}
}

func (s *Scheduler) takeDelayed() []*work {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*work, len(s.delayed))
	for i, d := range s.delayed {
		out[i] = d.w
	}
	s.delayed = nil
	return out
}
