package sundial

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
)

const maxOutput = 64 << 10

// execute is a worker's step: it records the outcome of done (the run it
// ran last, nil if none) and the start of next (nil if none) in one store
// write, then runs next's handler and returns next, finished but not yet
// recorded (nil when it did not run). Recording each start just before
// its handler means a run is never recorded running long before it runs:
// a node that dies leaves only its truly running runs running, and its
// queued ones submitted, for another node to take over. A run whose start
// the store refuses (another node took it over while this one was
// stalled) is not started.
func (s *Scheduler) execute(buf *stepBuf, done, next *work) *work {
	ctx := context.Background()
	if next != nil {
		h, ok := s.cfg.Tasks.Lookup(next.job.Task)
		if !ok {
			s.finish(ctx, next, RunSkipped, fmt.Sprintf("task %q is not registered on node %s", next.job.Task, s.cfg.NodeID), "", nil)
			next = nil
		} else {
			next.handler = h
			if next.run.Status != RunRunning { // else a put-off start the store has accepted: see deferStart
				next.run.Status, next.run.StartedAt = RunRunning, s.storeNow(next.job.Store)
			}
		}
	}
	pair := buf.works[:0]
	if done != nil {
		pair = append(pair, done)
	}
	if next != nil {
		pair = append(pair, next)
	}
	if len(pair) == 0 {
		return nil
	}
	kept := s.record(ctx, pair, next, buf.runs[:0])
	started := next != nil && len(kept) > 0 && kept[len(kept)-1] == next
	*buf = stepBuf{} // keep no run alive
	if done != nil {
		s.afterRun(ctx, done)
	}
	if !started {
		return nil
	}
	s.runHandler(next)
	return next
}

// afterRun emits a recorded run's final event, ends its job's schedule
// if its handler asked to, schedules a retry if it failed, and recycles
// its work.
func (s *Scheduler) afterRun(ctx context.Context, w *work) {
	run, job := w.run, w.job
	s.emitRun(finishEvent(run.Status), run, job.Task)
	if w.endJob {
		if err := s.RemoveJob(ctx, job.ID); err != nil && !errors.Is(err, ErrJobNotFound) {
			s.log.Error("end schedule", "job", job.ID, "err", err)
		}
	}
	if (run.Status == RunFailed || run.Status == RunTimedOut) && run.Attempt <= job.Retry.Attempts && !w.endJob {
		s.retry(w)
	}
	recycle(w)
}

// runHandler runs one started run's handler (its start is recorded) and
// sets its outcome on the run, which the caller records.
func (s *Scheduler) runHandler(w *work) {
	job, run := w.job, w.run
	runCtx := s.runCtx // cancelled when a shutdown stops waiting
	if job.Timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(runCtx, job.Timeout)
		defer cancel()
	}
	// Its own allocation, never reused: a handler may keep rc.
	rc := &RunContext{
		JobID: job.ID, RunID: run.ID, ScheduledAt: run.ScheduledAt, Attempt: run.Attempt,
		Args: job.Args, Kwargs: job.Kwargs, maxOut: maxOutput, log: s.log,
	}
	err := callHandler(w.handler, runCtx, rc)
	output, endJob := rc.result()

	status, reason := RunSucceeded, ""
	switch {
	case err == nil:
	case errors.Is(runCtx.Err(), context.DeadlineExceeded) && job.Timeout > 0:
		status, reason = RunTimedOut, fmt.Sprintf("timeout %s passed", job.Timeout)
	case s.runCtx.Err() != nil:
		status, reason = RunInterrupted, "cancelled by scheduler shutdown"
	default:
		status = RunFailed
	}
	run.Status, run.Reason, run.Output = status, reason, output
	run.FinishedAt = s.storeNow(job.Store)
	if err != nil {
		run.Error = err.Error()
	}
	w.endJob = endJob
}

// record writes the runs' current state to their stores, one write per
// store, and returns the works whose runs were accepted. starting is the
// work among them whose start this records (nil if none): a start the
// store did not answer is recorded again (confirmStart) before the run may
// start. buf, if not nil, is room for the runs of one write.
func (s *Scheduler) record(ctx context.Context, ws []*work, starting *work, buf []*Run) []*work {
	if len(ws) == 0 {
		return ws
	}
	var lost map[string]error
	var one [1][]*work
	one[0] = ws
	groups := one[:]
	if !oneStore(s, ws) {
		byStore := map[string][]*work{}
		for _, w := range ws {
			key := s.storeKey(w.job)
			byStore[key] = append(byStore[key], w)
		}
		groups = groups[:0]
		for _, g := range byStore {
			groups = append(groups, g)
		}
	}
	for _, g := range groups {
		runs := buf[:0]
		for _, w := range g {
			runs = append(runs, w.run)
		}
		key := s.storeKey(g[0].job)
		sctx, cancel := s.callCtx(ctx, key)
		err := s.stores[key].RunUpdate(sctx, runs...)
		cancel()
		var others []error
		lost, others = sortUpdateErr(err, lost)
		for _, e := range others {
			if errors.Is(e, ErrLeaseExpired) {
				s.log.Warn("record runs: this node's lease has lapsed; recording again", "err", e)
			} else {
				s.log.Error("record runs", "runs", len(runs), "err", e)
			}
		}
		unanswered := len(others) > 0
		if unanswered && starting != nil && lost[starting.run.ID] == nil && slices.Contains(g, starting) {
			if err := s.confirmStart(starting); err != nil {
				if lost == nil {
					lost = map[string]error{}
				}
				lost[starting.run.ID] = err
			}
		}
		if unanswered {
			// Outcomes the store may not have: try again later, or the
			// runs stay unfinished, holding max_instances.
			for _, w := range g {
				if _, refused := lost[w.run.ID]; w != starting && !refused && w.run.Status.Finished() {
					s.deferOutcome(key, w.run)
				}
			}
		}
	}
	if len(lost) == 0 {
		return ws
	}
	kept := ws[:0]
	for _, w := range ws {
		err, gone := lost[w.run.ID]
		switch {
		case !gone:
			kept = append(kept, w)
		case w == starting && errors.Is(err, errStartUnknown):
			s.deferStart(s.storeKey(w.job), w)
		case w == starting:
			// Another node took the run over (or ended it) while this
			// one was stalled, or another copy of it here started first
			// (see doubt): starting it now could run it twice.
			s.log.Warn("run not started: the store refused its start (it was taken over, or started already)",
				"job", w.job.ID, "run", w.run.ID, "err", err)
		default:
			s.log.Warn("run outcome not recorded: this node lost the run", "job", w.job.ID, "run", w.run.ID, "status", w.run.Status, "err", err)
			kept = append(kept, w)
		}
	}
	return kept
}

// oneStore reports whether every run of ws lives in one store.
func oneStore(s *Scheduler, ws []*work) bool {
	key := s.storeKey(ws[0].job)
	for _, w := range ws[1:] {
		if s.storeKey(w.job) != key {
			return false
		}
	}
	return true
}

// leaves flattens an errors.Join tree.
func leaves(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}

// callHandler runs the handler, turning a panic into an error that carries
// the stack.
func callHandler(h Handler, ctx context.Context, rc *RunContext) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return h(ctx, rc)
}

// finish records a run's final status and emits its event.
func (s *Scheduler) finish(ctx context.Context, w *work, status RunStatus, reason, output string, runErr error) {
	run := w.run
	run.Status, run.Reason, run.Output = status, reason, output
	run.FinishedAt = s.storeNow(w.job.Store)
	if runErr != nil {
		run.Error = runErr.Error()
	}
	s.record(ctx, []*work{w}, nil, nil)
	s.emitRun(finishEvent(status), run, w.job.Task)
}

// retry records the next attempt of a failed run and delays it by the
// job's backoff.
func (s *Scheduler) retry(w *work) {
	if s.State() == StateShutdown {
		return // the failed run stands; nothing would ever start the retry
	}
	now := s.storeNow(w.job.Store)
	prev := w.run
	next := &Run{
		ID: s.newRunID(), JobID: prev.JobID, ScheduledAt: prev.ScheduledAt, Attempt: prev.Attempt + 1,
		Status: RunSubmitted, Reason: fmt.Sprintf("retry %d of %d", prev.Attempt, w.job.Retry.Attempts),
		Manual: prev.Manual, Node: s.cfg.NodeID, CreatedAt: now,
		Recoverable: w.job.Recovery == RecoveryRetry,
	}
	sctx, cancel := s.storeCtx(context.Background())
	defer cancel()
	if err := s.storeFor(w.job).RunInsert(sctx, next, 0); err != nil {
		s.noteDoubt(err)
		s.log.Error("record retry", "job", prev.JobID, "err", err)
		return
	}
	s.delay(now.Add(w.job.Retry.delay(prev.Attempt)), &work{job: w.job, run: next})
}

// interrupt records a run that will not start because of a shutdown.
func (s *Scheduler) interrupt(w *work, reason string) {
	s.finish(context.Background(), w, RunInterrupted, reason, "", nil)
}

// finishEvent is the event type of a run's final status.
func finishEvent(status RunStatus) EventType {
	switch status {
	case RunSucceeded:
		return EventRunSucceeded
	case RunTimedOut:
		return EventRunTimedOut
	case RunSkipped:
		return EventRunSkipped
	case RunInterrupted:
		return EventRunInterrupted
	}
	return EventRunFailed
}
