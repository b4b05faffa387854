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
// ClaimDecision.Runs points into.
type runAndSlot struct {
	run  Run
	slot [1]*Run
}

// claimScratch is the dispatch loop's reusable memory for one claim: the
// runs of its common decisions and the claims slice. Stores copy what they
// keep and the loop copies each submitted run into its work before the
// next claim, so none of it outlives a dispatchStore call, and a fire
// allocates no decision. Used by the loop goroutine only.
type claimScratch struct {
	chunks [][]runAndSlot // chunks of scratchChunk records
	next   int            // records handed out since reset
	claims []Claim
}

const scratchChunk = 256

// take returns a zeroed record for one decision.
func (c *claimScratch) take() *runAndSlot {
	k, i := c.next/scratchChunk, c.next%scratchChunk
	if k == len(c.chunks) {
		c.chunks = append(c.chunks, make([]runAndSlot, scratchChunk))
	}
	c.next++
	return &c.chunks[k][i]
}

// reset makes every record reusable, clearing them so that they keep no
// strings alive, and drops memory a rare large claim grew beyond a bound.
func (c *claimScratch) reset() {
	used := (c.next + scratchChunk - 1) / scratchChunk
	for _, ch := range c.chunks[:used] {
		clear(ch)
	}
	const keep = 64 // chunks, 16,384 records
	if len(c.chunks) > keep {
		clear(c.chunks[keep:])
		c.chunks = c.chunks[:keep]
	}
	c.next = 0
	clear(c.claims)
	if cap(c.claims) > keep*scratchChunk {
		c.claims = nil
	}
	c.claims = c.claims[:0]
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
	rs := s.scratch.take()
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
