package sundial

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

const maxOutput = 64 << 10

// executeBatch runs the runs one worker took, in turn. Their starts are
// recorded in one store write and their outcomes in another (per store),
// so a backlog costs two writes per batch rather than two per run. A run
// whose start the store refuses (another node took it over while this one
// was stalled) is not started.
func (s *Scheduler) executeBatch(ws []*work) {
	ctx := context.Background()
	now := s.clock.Now()
	ready := ws[:0]
	var tasks taskCache
	for _, w := range ws {
		h, ok := tasks.lookup(s.cfg.Tasks, w.job.Task)
		if !ok {
			s.finish(ctx, w, RunSkipped, fmt.Sprintf("task %q is not registered on node %s", w.job.Task, s.cfg.NodeID), "", nil)
			continue
		}
		w.handler = h
		w.run.Status, w.run.StartedAt = RunRunning, now
		ready = append(ready, w)
	}
	started := s.record(ctx, ready, true)
	// The runs after the first wait for the ones before them: a shutdown
	// meanwhile takes them back, for another node to start.
	var held *heldBatch
	if len(started) > 1 {
		if held = s.gate.hold(started[1:]); held == nil {
			// The shutdown has collected the held runs already.
			for _, w := range s.releaseUnstarted(s.unrecordStart(started[1:])) {
				s.interrupt(w, "scheduler shut down before the run started")
			}
			started = started[:1]
		}
	}
	// One clock read between two handlers: the end of one is the start
	// of the next.
	t := s.clock.Now()
	ran := started[:0]
	for i, w := range started {
		if i > 0 && !held.start(i-1) {
			continue
		}
		t = s.runHandler(w, t)
		ran = append(ran, w)
	}
	if held != nil {
		s.gate.done(held)
	}
	started = ran
	s.record(ctx, started, false)
	for _, w := range started {
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
	}
}

// runHandler runs one started run's handler from start, sets its outcome
// on the run (recorded by the caller) and returns when it finished.
func (s *Scheduler) runHandler(w *work, start time.Time) time.Time {
	job, run := w.job, w.run
	runCtx := s.runCtx // cancelled when a shutdown stops waiting
	if job.Timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(runCtx, job.Timeout)
		defer cancel()
	}
	run.StartedAt = start
	// The context lives in the work: one allocation per fire fewer. The
	// work is never reused, so a handler may keep rc.
	rc := &w.rc
	rc.JobID, rc.RunID, rc.ScheduledAt, rc.Attempt = job.ID, run.ID, run.ScheduledAt, run.Attempt
	rc.Args, rc.Kwargs, rc.maxOut, rc.log = job.Args, job.Kwargs, maxOutput, s.log
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
	run.FinishedAt = s.clock.Now()
	if err != nil {
		run.Error = err.Error()
	}
	w.endJob = endJob
	return run.FinishedAt
}

// record writes the runs' current state to their stores, one write per
// store, and returns the works whose runs were accepted. starting says
// whether this is the record of their start (for the log).
func (s *Scheduler) record(ctx context.Context, ws []*work, starting bool) []*work {
	if len(ws) == 0 {
		return ws
	}
	var lost map[string]error
	groups := [][]*work{ws}
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
		runs := make([]*Run, len(g))
		for i, w := range g {
			runs[i] = w.run
		}
		sctx, cancel := s.storeCtx(ctx)
		err := s.storeFor(g[0].job).RunUpdate(sctx, runs...)
		cancel()
		unanswered := false
		for _, e := range leaves(err) {
			var re *RunError
			if errors.As(e, &re) && leaseLost(re) {
				if lost == nil {
					lost = map[string]error{}
				}
				lost[re.RunID] = re
			} else {
				s.log.Error("record runs", "starting", starting, "runs", len(runs), "err", e)
				unanswered = true
			}
		}
		if starting && unanswered {
			for id, err := range s.confirmStart(g, lost) {
				if lost == nil {
					lost = map[string]error{}
				}
				lost[id] = err
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
		case starting:
			// Another node took the run over (or ended it) while this
			// one was stalled: starting it now could run it twice.
			s.log.Warn("run not started: this node no longer owns it", "job", w.job.ID, "run", w.run.ID, "err", err)
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
	run.FinishedAt = s.clock.Now()
	if runErr != nil {
		run.Error = runErr.Error()
	}
	s.record(ctx, []*work{w}, false)
	s.emitRun(finishEvent(status), run, w.job.Task)
}

// retry records the next attempt of a failed run and delays it by the
// job's backoff.
func (s *Scheduler) retry(w *work) {
	if s.State() == StateShutdown {
		return // the failed run stands; nothing would ever start the retry
	}
	now := s.clock.Now()
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
