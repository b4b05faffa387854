package sundial

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// maxDeferredOutcomes bounds the run outcomes kept for another try: past
// it the oldest are dropped (and logged), so a long store outage under a
// heavy load cannot grow the node's memory without bound.
const maxDeferredOutcomes = 10_000

// deferredOutcomes holds the final states of runs whose record the store
// did not answer (it was down, or the call timed out), and the starts of
// runs left in that doubt (see deferStart). Such a run stays
// unfinished in the store, owned by a live node, so nothing else would
// ever end it and it would hold its job's max_instances forever. The
// maintenance loop records them again until the store accepts or refuses
// each (refused: another node ended it, after this node's lease lapsed).
type deferredOutcomes struct {
	mu   sync.Mutex
	runs []deferredRun
}

type deferredRun struct {
	store string
	run   Run
	// start, when set, makes this the record of its run's start (run is
	// then unused): see deferStart.
	start *work
}

// deferStart keeps a run whose start record the store has not answered
// for a while (confirmStart gave up waiting, to free the worker). The
// store may have applied the record (the run is then recorded running,
// by this node) or not (it is still submitted): either way the run is
// this node's until another node takes it, so forgetting it could leave it
// unfinished for good. The maintenance loop records its start again: once
// the store accepts, the run is queued to start here; if it refuses,
// another node took the run over, and this one drops it. A shutdown
// releases such runs with the other unstarted ones.
func (s *Scheduler) deferStart(store string, w *work) {
	s.log.Warn("run start put off: the store did not answer the record of its start; it starts once the store accepts it",
		"job", w.job.ID, "run", w.run.ID)
	s.keepDeferred(deferredRun{store: store, start: w})
}

// keepDeferred adds d to the deferred writes, dropping the oldest past
// the bound.
func (s *Scheduler) keepDeferred(d deferredRun) {
	o := &s.outcomes
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.runs) >= maxDeferredOutcomes {
		old := o.runs[0].target()
		s.log.Error("run record dropped: too many waiting for the store", "job", old.JobID, "run", old.ID)
		o.runs = append(o.runs[:0], o.runs[1:]...)
	}
	o.runs = append(o.runs, d)
}

// target is the run d records.
func (d *deferredRun) target() *Run {
	if d.start != nil {
		return d.start.run
	}
	return &d.run
}

// takeDeferredStarts removes the deferred starts and returns their works
// (for a shutdown to release).
func (s *Scheduler) takeDeferredStarts() []*work {
	o := &s.outcomes
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []*work
	kept := o.runs[:0]
	for _, d := range o.runs {
		if d.start != nil {
			out = append(out, d.start)
		} else {
			kept = append(kept, d)
		}
	}
	o.runs = kept
	return out
}

// deferOutcome keeps a copy of a finished run for another try.
func (s *Scheduler) deferOutcome(store string, r *Run) {
	s.keepDeferred(deferredRun{store: store, run: *r})
}

// retryOutcomes records the deferred outcomes and starts again, one store
// call per store, keeping those the store still does not answer (or
// refuses for this node's lapsed lease alone, see leaseLost). A start the
// store accepts is queued to run.
func (s *Scheduler) retryOutcomes(ctx context.Context) {
	o := &s.outcomes
	o.mu.Lock()
	pending := o.runs
	o.runs = nil
	o.mu.Unlock()
	if s.State() == StateShutdown {
		// No worker would start them: they stay this node's until it
		// leaves the store, and other nodes then take them over.
		pending = slices.DeleteFunc(pending, func(d deferredRun) bool { return d.start != nil })
	}
	if len(pending) == 0 {
		return
	}
	byStore := map[string][]*deferredRun{}
	for i := range pending {
		byStore[pending[i].store] = append(byStore[pending[i].store], &pending[i])
	}
	var again []deferredRun
	for name, ds := range byStore {
		runs := make([]*Run, len(ds))
		for i, d := range ds {
			runs[i] = d.target()
		}
		sctx, cancel := s.storeCtx(ctx)
		err := s.stores[name].RunUpdate(sctx, runs...)
		cancel()
		refused, retry, whole := sortRunErrs(err)
		for id, e := range refused {
			s.log.Warn("run not recorded: this node lost the run", "run", id, "err", e)
		}
		recorded := 0
		for _, d := range ds {
			id := d.target().ID
			switch {
			case refused[id] != nil:
			case whole || retry[id]:
				again = append(again, *d)
			case d.start != nil:
				s.log.Info("run start recorded after the store came back", "job", d.start.job.ID, "run", id)
				s.submit(d.start)
			default:
				recorded++
			}
		}
		if recorded > 0 {
			s.log.Info("run outcomes recorded after the store came back", "store", name, "runs", recorded)
		}
	}
	if len(again) == 0 {
		return
	}
	o.mu.Lock()
	o.runs = append(again, o.runs...)
	o.mu.Unlock()
}

// sortRunErrs sorts the error of a RunUpdate by run: refused holds the
// runs this node lost (see leaseLost), retry those refused for another
// reason that may pass (this node's lapsed lease), and whole says the
// call as a whole failed (the store did not answer), so that every run
// not refused is to be tried again.
func sortRunErrs(err error) (refused map[string]error, retry map[string]bool, whole bool) {
	refused, others := sortUpdateErr(err, nil)
	for _, e := range others {
		var re *RunError
		if errors.As(e, &re) {
			if retry == nil {
				retry = map[string]bool{}
			}
			retry[re.RunID] = true
		} else {
			whole = true
		}
	}
	return refused, retry, whole
}
