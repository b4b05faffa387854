package memory

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// Random inserts, updates, prunes, reaps and job removals keep every list
// of the run history consistent with the run index and the bounds.
func TestHistoryListsStayConsistent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 5))
	s := New(Options{RunsPerJob: 3, MaxRuns: 20})
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, n := range []string{"a", "b"} {
		if err := s.NodeHeartbeat(ctx, &sundial.Node{ID: n}, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	var open []*sundial.Run // runs inserted unfinished, maybe finished since
	claimed := 0
	for i := range 3000 {
		job := fmt.Sprintf("job-%d", r.IntN(8))
		switch op := r.IntN(22); {
		case op >= 20:
			// Claim the due jobs, each with a run (Decide is called once
			// per claim by this store).
			claims, err := s.JobClaimDue(ctx, sundial.JobClaimDueParams{Now: at.Add(time.Hour), Node: "a",
				Decide: func(job *sundial.Job, active int) sundial.ClaimDecision {
					claimed++
					return sundial.ClaimDecision{Finished: r.IntN(2) == 0, NextRunTime: job.NextRunTime.Add(time.Minute),
						Runs: []*sundial.Run{{ID: fmt.Sprint("claimed-", claimed), JobID: job.ID,
							ScheduledAt: job.NextRunTime, Attempt: 1, Status: sundial.RunSubmitted, Node: "a"}}}
				}})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range claims {
				cp := *c.Runs[0]
				open = append(open, &cp)
			}
		case op < 8:
			status := sundial.RunSubmitted
			if r.IntN(3) == 0 {
				status = sundial.RunSkipped
			}
			run := &sundial.Run{ID: fmt.Sprint("run-", i), JobID: job, ScheduledAt: at.Add(time.Duration(i) * time.Second),
				Attempt: 1, Status: status, Node: []string{"a", "b"}[r.IntN(2)]}
			if err := s.RunInsert(ctx, run, 0); err != nil {
				t.Fatal(err)
			}
			if status == sundial.RunSubmitted {
				open = append(open, run)
			}
		case op < 15 && len(open) > 0:
			k := r.IntN(len(open))
			run := open[k]
			run.Status = []sundial.RunStatus{sundial.RunRunning, sundial.RunSucceeded, sundial.RunFailed}[r.IntN(3)]
			_ = s.RunUpdate(ctx, run) // refused once reaped: fine
			if run.Status.Finished() {
				open = append(open[:k], open[k+1:]...)
			}
		case op < 16:
			if _, err := s.RunPrune(ctx, sundial.RunPruneParams{KeepPerJob: 1 + r.IntN(3)}); err != nil {
				t.Fatal(err)
			}
		case op < 17:
			job := &sundial.Job{ID: job, Task: "t", NextRunTime: at}
			if err := s.JobAdd(ctx, sundial.JobAddParams{Job: job, Replace: true}); err != nil {
				t.Fatal(err)
			}
		case op < 18:
			_ = s.JobRemove(ctx, job)
		case op < 19:
			// Node b leaves for a while: its runs are reaped by a.
			if err := s.NodeLeave(ctx, "b"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.RunReap(ctx, sundial.RunReapParams{Node: "a", Now: at, Limit: 1 + r.IntN(5)}); err != nil {
				t.Fatal(err)
			}
			if err := s.NodeHeartbeat(ctx, &sundial.Node{ID: "b"}, time.Hour); err != nil {
				t.Fatal(err)
			}
		default:
			if _, err := s.JobRemoveAll(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.checkHistory(); err != nil {
			t.Fatalf("after step %d: %v", i, err)
		}
	}
}

// checkHistory verifies the history's invariants.
func (s *Store) checkHistory() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := &s.hist
	walk := func(l list, k int) ([]handle, error) {
		var out []handle
		prev := handle(0)
		for i := l.head; i != 0; i = h.rec(i).link[k].next {
			if h.rec(i).link[k].prev != prev {
				return nil, fmt.Errorf("list %d: record %d's prev is %d, not %d", k, i, h.rec(i).link[k].prev, prev)
			}
			if h.rec(i).job == nil {
				return nil, fmt.Errorf("list %d holds free record %d", k, i)
			}
			out = append(out, i)
			prev = i
			if len(out) > h.size() {
				return nil, fmt.Errorf("list %d has a cycle", k)
			}
		}
		if prev != l.tail || int(l.n) != len(out) {
			return nil, fmt.Errorf("list %d: tail %d, n %d; walked %d records to %d", k, l.tail, l.n, len(out), prev)
		}
		return out, nil
	}
	seqOrdered := func(hs []handle) bool {
		for j := 1; j < len(hs); j++ {
			if h.rec(hs[j-1]).val.Seq >= h.rec(hs[j]).val.Seq {
				return false
			}
		}
		return true
	}
	all, err := walk(h.all, onAll)
	if err != nil {
		return err
	}
	if len(all) != h.ids.len() || !seqOrdered(all) {
		return fmt.Errorf("%d runs listed (by Seq: %v), %d indexed", len(all), seqOrdered(all), h.ids.len())
	}
	for _, i := range all {
		if j, ok := h.lookup(h.rec(i).val.ID); !ok || j != i {
			return fmt.Errorf("run %s is not indexed at its record", h.rec(i).val.ID)
		}
	}
	unfinished, err := walk(h.unfinished, onState)
	if err != nil {
		return err
	}
	finished, err := walk(h.finished, onState)
	if err != nil {
		return err
	}
	if !seqOrdered(unfinished) || len(unfinished)+len(finished) != len(all) || len(finished) > s.opts.MaxRuns {
		return fmt.Errorf("%d unfinished (by Seq: %v) and %d finished of %d runs", len(unfinished), seqOrdered(unfinished), len(finished), len(all))
	}
	for _, i := range unfinished {
		if h.rec(i).val.Status.Finished() {
			return fmt.Errorf("finished run %s on the unfinished list", h.rec(i).val.ID)
		}
	}
	for _, i := range finished {
		if !h.rec(i).val.Status.Finished() {
			return fmt.Errorf("unfinished run %s on the finished list", h.rec(i).val.ID)
		}
	}
	total := 0
	for id, e := range s.names {
		if e.id != id || (e.job == nil && e.hist.runs.n == 0) {
			return fmt.Errorf("entry %q (id %q) holds no job and no runs", id, e.id)
		}
		runs, err := walk(e.hist.runs, onJob)
		if err != nil {
			return err
		}
		done, err := walk(e.hist.done, onDone)
		if err != nil {
			return err
		}
		active := 0
		for _, i := range runs {
			if h.rec(i).job != e || h.rec(i).val.JobID != id {
				return fmt.Errorf("run %s on the list of job %s", h.rec(i).val.ID, id)
			}
			if !h.rec(i).val.Status.Finished() {
				active++
			}
		}
		if !seqOrdered(runs) || int(e.hist.active) != active || len(done) != len(runs)-active || len(done) > s.opts.RunsPerJob {
			return fmt.Errorf("job %s: %d runs (by Seq: %v), active %d counted %d, %d finished listed",
				id, len(runs), seqOrdered(runs), e.hist.active, active, len(done))
		}
		total += len(runs)
	}
	if total != len(all) {
		return fmt.Errorf("jobs list %d runs, %d kept", total, len(all))
	}
	free := 0
	for i := h.free; i != 0; i = h.rec(i).link[onAll].next {
		if h.rec(i).job != nil {
			return fmt.Errorf("free record %d holds run %s", i, h.rec(i).val.ID)
		}
		free++
	}
	if free+len(all)+1 != h.size() {
		return fmt.Errorf("%d free and %d used records of %d", free, len(all), h.size()-1)
	}
	return nil
}
