package sundial

import (
	"context"
	"sync"
)

// maxDeferredOutcomes bounds the run outcomes kept for another try: past
// it the oldest are dropped (and logged), so a long store outage under a
// heavy load cannot grow the node's memory without bound.
const maxDeferredOutcomes = 10_000

// deferredOutcomes holds the final states of runs whose record the store
// did not answer (it was down, or the call timed out). Such a run stays
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
}

// deferOutcome keeps a copy of a finished run for another try.
func (s *Scheduler) deferOutcome(store string, r *Run) {
	d := &s.outcomes
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.runs) >= maxDeferredOutcomes {
		s.log.Error("run outcome dropped: too many waiting for the store", "job", d.runs[0].run.JobID, "run", d.runs[0].run.ID)
		d.runs = append(d.runs[:0], d.runs[1:]...)
	}
	d.runs = append(d.runs, deferredRun{store: store, run: *r})
}

// retryOutcomes records the deferred outcomes again, one store call per
// store, keeping those the store still does not answer.
func (s *Scheduler) retryOutcomes(ctx context.Context) {
	d := &s.outcomes
	d.mu.Lock()
	pending := d.runs
	d.runs = nil
	d.mu.Unlock()
	if len(pending) == 0 {
		return
	}
	byStore := map[string][]*Run{}
	for i := range pending {
		byStore[pending[i].store] = append(byStore[pending[i].store], &pending[i].run)
	}
	var again []deferredRun
	for name, runs := range byStore {
		sctx, cancel := s.storeCtx(ctx)
		err := s.stores[name].RunUpdate(sctx, runs...)
		cancel()
		if err == nil {
			s.log.Info("run outcomes recorded after the store came back", "store", name, "runs", len(runs))
			continue
		}
		refused, others := sortUpdateErr(err, nil)
		for id, e := range refused {
			s.log.Warn("run outcome not recorded: this node lost the run", "run", id, "err", e)
		}
		if len(others) == 0 {
			continue
		}
		for _, r := range runs {
			if _, ok := refused[r.ID]; !ok {
				again = append(again, deferredRun{store: name, run: *r})
			}
		}
	}
	if len(again) == 0 {
		return
	}
	d.mu.Lock()
	d.runs = append(again, d.runs...)
	d.mu.Unlock()
}
