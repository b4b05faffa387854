package sundial

import (
	"context"
	"errors"
	"time"
)

// releaseUnstarted hands the runs this node claimed but will not start
// (queued in an executor, or waiting out jitter or a retry backoff) back
// to their stores at shutdown, one RunRelease per store, so that another
// live node takes them over at its next reap (at once where the store
// wakes it) instead of after this node's lease. It emits EventRunReleased
// for each run released, and nothing for a run the store did not release:
// that run is no longer this node's (another node took it over while this
// one was stalled) and recording it would be refused.
//
// It returns the runs it kept, which the caller records interrupted, as
// before releases existed: those of jobs that are gone (a one-shot job is
// removed when its last fire is claimed, so no other node could read the
// run's task) and those of a store whose release failed. They stay this
// node's in the store, so if that record fails too they are reaped once
// this node has left.
func (s *Scheduler) releaseUnstarted(ws []*work) (kept []*work) {
	if len(ws) == 0 {
		return nil
	}
	byStore := map[string][]*work{}
	var order []string
	for _, w := range ws {
		key := s.storeKey(w.job)
		if _, ok := byStore[key]; !ok {
			order = append(order, key)
		}
		byStore[key] = append(byStore[key], w)
	}
	for _, key := range order {
		st := s.stores[key]
		group := s.dropGone(st, byStore[key], &kept)
		if len(group) == 0 {
			continue
		}
		ids := make([]string, len(group))
		for i, w := range group {
			ids[i] = w.run.ID
		}
		ctx, cancel := s.storeCtx(context.Background())
		released, err := st.RunRelease(ctx, RunReleaseParams{Node: s.cfg.NodeID, RunIDs: ids})
		cancel()
		if err != nil {
			s.log.Warn("release unstarted runs to other nodes; recording them interrupted instead",
				"store", s.storeKey(group[0].job), "runs", len(ids), "err", err)
			kept = append(kept, group...)
			continue
		}
		done := make(map[string]bool, len(released))
		for _, id := range released {
			done[id] = true
		}
		for _, w := range group {
			r := w.run
			if !done[r.ID] {
				s.log.Warn("run not released: this node no longer owns it", "job", r.JobID, "run", r.ID)
				continue
			}
			// As stored now: no owner, not started.
			r.Node, r.StartedAt = "", time.Time{}
			s.log.Info("run released to other nodes: not started before shutdown", "job", r.JobID, "run", r.ID)
			s.emitRun(EventRunReleased, r, w.job.Task)
		}
	}
	return kept
}

// dropGone moves the works of jobs that st no longer has from ws to
// *gone and returns the others. The look-ups share one store timeout; a
// job that could not be read counts as present (a node that takes its
// run over and cannot read it either records the run interrupted).
func (s *Scheduler) dropGone(st Store, ws []*work, gone *[]*work) []*work {
	ctx, cancel := s.storeCtx(context.Background())
	defer cancel()
	exists := map[string]bool{}
	out := ws[:0]
	for _, w := range ws {
		id := w.job.ID
		ok, seen := exists[id]
		if !seen {
			_, err := st.JobGet(ctx, id)
			ok = !errors.Is(err, ErrJobNotFound)
			exists[id] = ok
		}
		if ok {
			out = append(out, w)
		} else {
			*gone = append(*gone, w)
		}
	}
	return out
}
