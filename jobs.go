package sundial

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sundial-scheduler/sundial/trigger"
)

// AddJob validates spec, computes the first fire time and stores the job.
// A duplicate id is ErrConflict unless spec.ReplaceExisting; a trigger with
// no fire time left (for a job not added paused) is a *JobError naming
// "trigger" — never a job that silently vanishes.
func (s *Scheduler) AddJob(ctx context.Context, spec JobSpec) (*Job, error) {
	job, err := s.buildJob(spec)
	if err != nil {
		return nil, err
	}
	if err := s.storeFor(job).JobAdd(ctx, JobAddParams{Job: job, Replace: spec.ReplaceExisting}); err != nil {
		return nil, fmt.Errorf("add job %q: %w", job.ID, err)
	}
	s.emit(Event{Type: EventJobAdded, JobID: job.ID})
	s.kick()
	return job, nil // the store keeps its own copy
}

func (s *Scheduler) buildJob(spec JobSpec) (*Job, error) {
	now := s.storeNow(spec.Store).Truncate(time.Microsecond) // the precision every store keeps
	d := s.cfg.JobDefaults
	job := &Job{
		ID: spec.ID, Name: spec.Name, Trigger: spec.Trigger,
		Args: json.RawMessage("[]"), Kwargs: json.RawMessage("{}"),
		Options:   *d,
		CreatedAt: now, UpdatedAt: now,
	}
	if job.ID == "" {
		job.ID = randomHex(16)
	}
	bad := func(field, format string, args ...any) error {
		return &JobError{JobID: spec.ID, Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	if job.Name == "" {
		job.Name = job.ID
	}
	job.Store = spec.Store
	if job.Store == "" {
		job.Store = DefaultStore
	}
	if _, ok := s.stores[job.Store]; !ok {
		return nil, bad("store", "%q is not configured; stores: %v", job.Store, s.storeNames)
	}
	if spec.Task == "" {
		return nil, bad("task", "is required: the name of a registered task")
	}
	// Pointers to copies, not into spec: applyChanges's argument escapes,
	// and a pointer into spec would move all of spec to the heap.
	ch := JobChanges{
		Task: ptr(spec.Task), Args: spec.Args, Kwargs: spec.Kwargs,
		MisfireGraceTime: spec.MisfireGraceTime, Coalesce: spec.Coalesce, Retry: spec.Retry,
	}
	// The spec's description and tags replace the defaults', even empty.
	if spec.Description != "" || d.Description != "" {
		ch.Description = ptr(spec.Description)
	}
	if len(spec.Tags) > 0 || len(d.Tags) > 0 {
		ch.Tags = ptr(spec.Tags)
	}
	if spec.Executor != "" {
		ch.Executor = ptr(spec.Executor)
	}
	if spec.MaxInstances != 0 {
		ch.MaxInstances = ptr(spec.MaxInstances)
	}
	if spec.Timeout != 0 {
		ch.Timeout = ptr(spec.Timeout)
	}
	if spec.Recovery != "" {
		ch.Recovery = ptr(spec.Recovery)
	}
	if err := s.applyChanges(job, ch); err != nil {
		return nil, err
	}
	if job.Trigger == nil {
		return nil, bad("trigger", "is required")
	}
	job.Trigger = trigger.Anchor(job.Trigger, anchorTime(now))
	switch {
	case spec.Paused:
		job.Paused = true
	case !spec.NextRunTime.IsZero():
		job.NextRunTime = spec.NextRunTime
	default:
		next, ok := job.Trigger.First(now)
		if !ok {
			b, _ := json.Marshal(job.Trigger)
			return nil, &JobError{JobID: spec.ID, Field: "trigger",
				Reason: fmt.Sprintf("has no fire time left after %s: %s", trigger.FormatTime(now), b)}
		}
		job.NextRunTime = next
	}
	if !job.Paused && job.MisfireGraceTime != nil {
		// A schedule whose every fire is already later than the grace
		// time would only ever be recorded missed: refuse it (APScheduler
		// accepts it and the job vanishes unseen).
		c := ComputeCatchUp(job.Trigger, job.Coalesce, job.MisfireGraceTime, job.NextRunTime, now)
		if len(c.Run) == 0 && len(c.Missed) > 0 && !c.HasNext {
			return nil, &JobError{JobID: spec.ID, Field: "trigger", Reason: fmt.Sprintf(
				"its last fire time %s is more than misfire_grace_time (%s) before now: the job would never run",
				trigger.FormatTime(c.Missed[len(c.Missed)-1]), *job.MisfireGraceTime)}
		}
	}
	return job, nil
}

// ptr returns a pointer to a copy of v.
func ptr[T any](v T) *T { return &v }

func encodeArgs(v any, open byte, empty string) (json.RawMessage, error) {
	if v == nil {
		return json.RawMessage(empty), nil
	}
	b, ok := v.(json.RawMessage)
	if ok && len(b) == 0 {
		return json.RawMessage(empty), nil
	}
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			return nil, err
		}
	}
	if string(b) == "null" {
		return json.RawMessage(empty), nil
	}
	if len(b) == 0 || b[0] != open || !json.Valid(b) {
		return nil, errors.New("got " + string(b))
	}
	return append(json.RawMessage(nil), b...), nil
}

// GetJob returns a job by id from any store, or ErrJobNotFound.
func (s *Scheduler) GetJob(ctx context.Context, id string) (*Job, error) {
	_, job, err := s.findJob(ctx, id)
	return job, err
}

// ListJobs returns the jobs that match p, from the store p names or from
// every store, ordered by next fire time with paused jobs last.
func (s *Scheduler) ListJobs(ctx context.Context, p JobListParams) ([]*Job, error) {
	if p.Store != "" {
		st, ok := s.stores[p.Store]
		if !ok {
			return nil, &JobError{Field: "store", Reason: fmt.Sprintf("%q is not configured", p.Store)}
		}
		return st.JobList(ctx, p)
	}
	var all []*Job
	for _, name := range s.storeNames {
		jobs, err := s.stores[name].JobList(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("list jobs in store %s: %w", name, err)
		}
		all = append(all, jobs...)
	}
	if len(s.storeNames) > 1 {
		slices.SortFunc(all, CompareJobs)
		if p.Limit > 0 && len(all) > p.Limit {
			all = all[:p.Limit]
		}
	}
	return all, nil
}

// JobChanges are the fields ModifyJob changes; nil fields stay as they are.
type JobChanges struct {
	Name             *string
	Task             *string
	Args, Kwargs     any
	Executor         *string
	MisfireGraceTime *time.Duration // negative: no limit
	Coalesce         *bool
	MaxInstances     *int
	Timeout          *time.Duration
	Retry            *RetryPolicy
	Recovery         *Recovery
	Description      *string
	Tags             *[]string

	// Trigger replaces the job's trigger. A scheduled job's next fire
	// time is recomputed from now; a paused job stays paused.
	Trigger trigger.Trigger
	// NextRunTime sets the next fire time (resuming a paused job); the
	// zero time pauses the job.
	NextRunTime *time.Time
	// Check, when set, is called with the job as stored just before the
	// change is applied; an error from it aborts the change and is
	// returned as is (an API's If-Match precondition, for one).
	Check func(*Job) error
}

// ModifyJob changes a job's name, task, arguments, options, trigger or
// next fire time in one atomic write: either every change is applied or
// none is.
func (s *Scheduler) ModifyJob(ctx context.Context, id string, ch JobChanges) (*Job, error) {
	return s.updateJob(ctx, id, EventJobModified, func(job *Job, now time.Time) error {
		if ch.Check != nil {
			if err := ch.Check(job); err != nil {
				return err
			}
		}
		if err := s.applyChanges(job, ch); err != nil {
			return err
		}
		if ch.Trigger != nil {
			t := trigger.Anchor(ch.Trigger, anchorTime(now))
			next, ok := t.First(now)
			if !ok && !job.Paused && ch.NextRunTime == nil {
				return &JobError{JobID: id, Field: "trigger", Reason: "has no fire time left after " + trigger.FormatTime(now)}
			}
			job.Trigger = t
			if !job.Paused {
				job.NextRunTime = next
			}
		}
		if ch.NextRunTime != nil {
			job.NextRunTime = *ch.NextRunTime
			job.Paused = ch.NextRunTime.IsZero()
		}
		return nil
	})
}

// applyChanges validates and applies changes to a job; AddJob and
// ModifyJob share it, so a field means and checks the same in both.
func (s *Scheduler) applyChanges(job *Job, ch JobChanges) error {
	bad := func(field, format string, args ...any) error {
		return &JobError{JobID: job.ID, Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	if ch.Name != nil {
		job.Name = *ch.Name
	}
	if ch.Task != nil {
		if _, ok := s.cfg.Tasks.Lookup(*ch.Task); !ok {
			return bad("task", "%q is not registered; registered: %v", *ch.Task, s.cfg.Tasks.Names())
		}
		job.Task = *ch.Task
	}
	if ch.Args != nil {
		a, err := encodeArgs(ch.Args, '[', "[]")
		if err != nil {
			return bad("args", "must be a JSON array: %v", err)
		}
		job.Args = a
	}
	if ch.Kwargs != nil {
		k, err := encodeArgs(ch.Kwargs, '{', "{}")
		if err != nil {
			return bad("kwargs", "must be a JSON object: %v", err)
		}
		job.Kwargs = k
	}
	if ch.Executor != nil {
		if _, ok := s.execs[*ch.Executor]; !ok {
			return bad("executor", "%q is not configured", *ch.Executor)
		}
		job.Executor = *ch.Executor
	}
	if ch.MisfireGraceTime != nil {
		if *ch.MisfireGraceTime < 0 {
			job.MisfireGraceTime = nil
		} else {
			g := *ch.MisfireGraceTime
			job.MisfireGraceTime = &g
		}
	}
	if ch.Coalesce != nil {
		job.Coalesce = *ch.Coalesce
	}
	if ch.MaxInstances != nil {
		if *ch.MaxInstances < 1 {
			return bad("max_instances", "must be at least 1, got %d", *ch.MaxInstances)
		}
		job.MaxInstances = *ch.MaxInstances
	}
	if ch.Timeout != nil {
		if *ch.Timeout < 0 {
			return bad("timeout", "must not be negative")
		}
		job.Timeout = *ch.Timeout
	}
	if ch.Retry != nil {
		if ch.Retry.Attempts < 0 {
			return bad("retry.attempts", "must not be negative")
		}
		job.Retry = *ch.Retry
	}
	if ch.Recovery != nil {
		switch *ch.Recovery {
		case "", RecoveryAbandon, RecoveryRetry:
			job.Recovery = *ch.Recovery
		default:
			return bad("recovery", "must be %q or %q, got %q", RecoveryAbandon, RecoveryRetry, *ch.Recovery)
		}
	}
	if ch.Task != nil || ch.Args != nil || ch.Kwargs != nil {
		if err := s.cfg.Tasks.Validate(job.Task, job.Args, job.Kwargs); err != nil {
			var je *JobError
			if !errors.As(err, &je) {
				return bad("args", "%v", err)
			}
			c := *je
			c.JobID = job.ID
			return &c
		}
	}
	if ch.Description != nil {
		job.Description = *ch.Description
	}
	if ch.Tags != nil {
		job.Tags = append([]string(nil), (*ch.Tags)...)
	}
	return nil
}

// RescheduleJob gives a job a new trigger and recomputes its next fire time
// from now (which also resumes a paused job, as APScheduler does).
func (s *Scheduler) RescheduleJob(ctx context.Context, id string, t trigger.Trigger) (*Job, error) {
	if t == nil {
		return nil, &JobError{JobID: id, Field: "trigger", Reason: "is required"}
	}
	return s.updateJob(ctx, id, EventJobModified, func(job *Job, now time.Time) error {
		t := trigger.Anchor(t, anchorTime(now))
		next, ok := t.First(now)
		if !ok {
			return &JobError{JobID: id, Field: "trigger", Reason: "has no fire time left after " + trigger.FormatTime(now)}
		}
		job.Trigger, job.NextRunTime, job.Paused = t, next, false
		return nil
	})
}

// PauseJob keeps the job but clears its next fire time.
func (s *Scheduler) PauseJob(ctx context.Context, id string) (*Job, error) {
	return s.updateJob(ctx, id, EventJobPaused, func(job *Job, now time.Time) error {
		job.Paused, job.NextRunTime = true, time.Time{}
		return nil
	})
}

// ResumeJob recomputes a paused job's next fire time from now; fires missed
// while paused are not replayed. A job whose trigger has no fire time left
// is removed (as APScheduler does) and ResumeJob returns nil, nil.
func (s *Scheduler) ResumeJob(ctx context.Context, id string) (*Job, error) {
	finished := false
	job, err := s.updateJob(ctx, id, EventJobResumed, func(job *Job, now time.Time) error {
		next, ok := job.Trigger.First(now)
		if !ok {
			finished = true
			return nil
		}
		job.Paused, job.NextRunTime = false, next
		return nil
	})
	if err == nil && finished {
		if err := s.RemoveJob(ctx, id); err != nil && !errors.Is(err, ErrJobNotFound) {
			return nil, err
		}
		return nil, nil
	}
	return job, err
}

// updateJob reads, changes and writes a job with optimistic concurrency,
// retrying when the dispatch loop advanced it in between.
func (s *Scheduler) updateJob(ctx context.Context, id string, ev EventType, change func(*Job, time.Time) error) (*Job, error) {
	for {
		st, job, err := s.findJob(ctx, id)
		if err != nil {
			return nil, err
		}
		now := s.storeNow(job.Store).Truncate(time.Microsecond)
		if err := change(job, now); err != nil {
			return nil, err
		}
		job.UpdatedAt = now
		err = st.JobUpdate(ctx, job)
		if errors.Is(err, ErrStale) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("update job %q: %w", id, err)
		}
		s.emit(Event{Type: ev, JobID: id})
		s.kick()
		return job, nil // as written, before the loop can advance it
	}
}

// RemoveJob deletes a job; its run history stays.
func (s *Scheduler) RemoveJob(ctx context.Context, id string) error {
	st, _, err := s.findJob(ctx, id)
	if err != nil {
		return err
	}
	if err := st.JobRemove(ctx, id); err != nil {
		return err
	}
	s.emit(Event{Type: EventJobRemoved, JobID: id})
	return nil
}

// RemoveAllJobs deletes every job of every store and returns how many
// there were.
func (s *Scheduler) RemoveAllJobs(ctx context.Context) (int, error) {
	n := 0
	for _, name := range s.storeNames {
		k, err := s.stores[name].JobRemoveAll(ctx)
		if err != nil {
			return n, fmt.Errorf("remove all jobs from store %s: %w", name, err)
		}
		n += k
	}
	s.emit(Event{Type: EventAllJobsRemoved})
	return n, nil
}

// RunJobNow runs a job once now, through its executor and recorded like any
// run (marked manual); its schedule is unchanged. It works on paused jobs.
// max_instances applies: beyond it the run is recorded as skipped.
func (s *Scheduler) RunJobNow(ctx context.Context, id string) (*Run, error) {
	if st := s.State(); st != StateRunning && st != StatePaused {
		return nil, ErrNotRunning
	}
	st, job, err := s.findJob(ctx, id)
	if err != nil {
		return nil, err
	}
	now := s.storeNow(job.Store)
	run := s.newRun(job, now, RunSubmitted, "run now", now)
	run.Manual = true
	run.Recoverable = job.Recovery == RecoveryRetry
	// The store counts unfinished runs and inserts in one atomic step, so
	// max_instances holds against claims and other nodes.
	err = st.RunInsert(ctx, run, job.MaxInstances)
	if errors.Is(err, ErrMaxInstances) {
		run.Status, run.Reason = RunSkipped, fmt.Sprintf("run now: max_instances (%d) reached", job.MaxInstances)
		run.FinishedAt = now
		err = st.RunInsert(ctx, run, 0)
	}
	if err != nil {
		s.noteDoubt(err)
		return nil, fmt.Errorf("run job %q now: %w", id, err)
	}
	cp := *run
	if run.Status == RunSkipped {
		s.emitRun(EventRunSkipped, run, job.Task)
		return &cp, nil
	}
	s.emitRun(EventRunSubmitted, run, job.Task)
	s.submit(&work{job: job, run: run})
	return &cp, nil
}

// ListRuns returns run records from every store, newest first.
func (s *Scheduler) ListRuns(ctx context.Context, p RunListParams) ([]*Run, error) {
	var all []*Run
	for _, name := range s.storeNames {
		runs, err := s.stores[name].RunList(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("list runs in store %s: %w", name, err)
		}
		all = append(all, runs...)
	}
	if len(s.storeNames) > 1 {
		slices.SortStableFunc(all, func(a, b *Run) int { return b.CreatedAt.Compare(a.CreatedAt) })
		if p.Limit > 0 && len(all) > p.Limit {
			all = all[:p.Limit]
		}
	}
	return all, nil
}

// anchorTime is the moment an interval without a start date counts from:
// now, to the whole second, so its fire times read as whole seconds
// ("every 5 minutes from 17:36:00"). Periods are whole seconds, so the first
// fire is still after now.
func anchorTime(now time.Time) time.Time { return now.Truncate(time.Second) }
