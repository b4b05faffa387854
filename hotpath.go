package sundial

import (
	"fmt"
	"time"
)

// The dispatch hot path's helpers: what lets a fire cost a few allocations
// and no lock beyond the store's.

// taskCache remembers the last task looked up in the registry, so a claim
// batch of jobs of one task takes the registry's lock once, not per job.
// One per claim (or worker batch); not for concurrent use.
type taskCache struct {
	name string
	h    Handler
	ok   bool
	set  bool
}

func (c *taskCache) lookup(r *Registry, name string) (Handler, bool) {
	if !c.set || name != c.name {
		c.h, c.ok = r.Lookup(name)
		c.name, c.set = name, true
	}
	return c.h, c.ok
}

// submitBatch gathers a claim's works per executor and queues each
// executor's share under one lock: nearly always one executor, so no map.
type submitBatch struct {
	name  string    // Job.Executor of the last work added
	last  *executor // its executor
	first *executor // the executor of the first work: works are for it
	works []*work
	more  map[*executor][]*work // works for other executors
}

func (b *submitBatch) add(s *Scheduler, w *work) {
	if b.last == nil || w.job.Executor != b.name {
		b.name, b.last = w.job.Executor, s.executorFor(w.job)
	}
	if b.first == nil {
		b.first = b.last
	}
	if b.last == b.first {
		b.works = append(b.works, w)
		return
	}
	if b.more == nil {
		b.more = map[*executor][]*work{}
	}
	b.more[b.last] = append(b.more[b.last], w)
}

func (b *submitBatch) submit() {
	if len(b.works) > 0 {
		b.first.submitAll(b.works)
	}
	for e, ws := range b.more {
		e.submitAll(ws)
	}
}

// runAndSlot is a decision's one run together with the array that
// ClaimDecision.Runs points into: one allocation for the common decision
// of one run.
type runAndSlot struct {
	run  Run
	slot [1]*Run
}

// decideOne decides the common case at the cost of one trigger step and one
// allocation: a due job with exactly one due fire time (the next one is
// after now). It gives the same decision as the general rule
// (ComputeCatchUp) for it; ok is false for every other case.
func (s *Scheduler) decideOne(job *Job, active int, now time.Time, tasks *taskCache) (ClaimDecision, bool) {
	at := job.NextRunTime
	if at.After(now) {
		return ClaimDecision{}, false
	}
	next, more := job.Trigger.Next(at)
	if more && !next.After(now) {
		return ClaimDecision{}, false // a backlog: the general rule
	}
	rs := new(runAndSlot)
	r := &rs.run
	_, registered := tasks.lookup(s.cfg.Tasks, job.Task)
	switch {
	case job.MisfireGraceTime != nil && now.Sub(at) > *job.MisfireGraceTime:
		s.initRun(r, job, at, RunMissed,
			fmt.Sprintf("started %s late, more than misfire_grace_time %s", now.Sub(at), *job.MisfireGraceTime), now)
	case !registered:
		s.initRun(r, job, at, RunSkipped, fmt.Sprintf("task %q is not registered on node %s", job.Task, s.cfg.NodeID), now)
	case active >= job.MaxInstances:
		s.initRun(r, job, at, RunSkipped, fmt.Sprintf("max_instances (%d) reached", job.MaxInstances), now)
	default:
		s.initRun(r, job, at, RunSubmitted, "", now)
	}
	rs.slot[0] = r
	return ClaimDecision{Finished: !more, NextRunTime: next, Runs: rs.slot[:]}, true
}
