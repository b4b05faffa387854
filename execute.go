package sundial

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
)

const maxOutput = 64 << 10

// execute runs one submitted run on an executor worker.
func (s *Scheduler) execute(w *work) {
	job, run := w.job, w.run
	ctx := context.Background()
	h, ok := s.cfg.Tasks.Lookup(job.Task)
	if !ok {
		s.finish(ctx, w, RunSkipped, fmt.Sprintf("task %q is not registered on node %s", job.Task, s.cfg.NodeID), "", nil)
		return
	}
	runCtx := s.runCtx // cancelled when a shutdown stops waiting
	if job.Timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(runCtx, job.Timeout)
		defer cancel()
	}

	run.Status = RunRunning
	run.StartedAt = s.clock.Now()
	if err := s.storeFor(job).RunUpdate(ctx, run); err != nil {
		if leaseLost(err) {
			// Another node took the run over (or ended it) while this
			// one was stalled: starting it now could run it twice.
			s.log.Warn("run not started: this node no longer owns it", "job", job.ID, "run", run.ID, "err", err)
			return
		}
		s.log.Error("record run start", "job", job.ID, "run", run.ID, "err", err)
	}
	rc := &RunContext{
		JobID: job.ID, RunID: run.ID, ScheduledAt: run.ScheduledAt, Attempt: run.Attempt,
		Args: job.Args, Kwargs: job.Kwargs, maxOut: maxOutput,
		log: s.log,
	}
	err := callHandler(h, runCtx, rc)
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
	s.finish(ctx, w, status, reason, output, err)
	if endJob {
		if err := s.RemoveJob(ctx, job.ID); err != nil && !errors.Is(err, ErrJobNotFound) {
			s.log.Error("end schedule", "job", job.ID, "err", err)
		}
	}
	if (status == RunFailed || status == RunTimedOut) && run.Attempt <= job.Retry.Attempts && !endJob {
		s.retry(w)
	}
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
	if err := s.storeFor(w.job).RunUpdate(ctx, run); err != nil {
		if leaseLost(err) {
			s.log.Warn("run outcome not recorded: this node lost the run", "job", w.job.ID, "run", run.ID, "status", status, "err", err)
		} else {
			s.log.Error("record run end", "job", w.job.ID, "run", run.ID, "err", err)
		}
	}
	s.emitRun(finishEvent(status), run)
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
	}
	if err := s.storeFor(w.job).RunInsert(context.Background(), next, 0); err != nil {
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
