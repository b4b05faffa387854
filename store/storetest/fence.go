package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// testStartFence covers the fence on start records: a node may hold two
// copies of one run (it took back its own stale run while it still had
// the first), and only the copy whose start is recorded first may run.
func testStartFence(s suite, t *testing.T) {
	// start returns a copy of r recording its start at startedAt.
	start := func(r *sundial.Run, startedAt time.Time) *sundial.Run {
		c := copyRun(r)
		c.Status, c.StartedAt = sundial.RunRunning, startedAt
		return c
	}
	// wantFenced fails unless err refuses run id for another start only:
	// ErrLeaseLost, never ErrLeaseExpired (renewing the lease would not
	// make the start right).
	wantFenced := func(t *testing.T, err error, id, what string) {
		t.Helper()
		var re *sundial.RunError
		if !errors.Is(err, sundial.ErrLeaseLost) || errors.Is(err, sundial.ErrLeaseExpired) ||
			!errors.As(err, &re) || re.RunID != id {
			t.Errorf("%s: err = %v, want a *RunError for %s wrapping ErrLeaseLost and not ErrLeaseExpired", what, err, id)
		}
	}

	s.run(t, "SecondStartRefused", func(t *testing.T, st sundial.Store) {
		r := newRun("s1", "a", at(1), sundial.RunSubmitted, at(1))
		r.Node = "node-5"
		insertRuns(t, st, r)
		first := start(r, at(2))
		updateRun(t, st, copyRun(first))
		// The same record again (its reply was lost) is accepted.
		updateRun(t, st, copyRun(first))
		wantFenced(t, st.RunUpdate(t.Context(), start(r, at(3))), "s1", "a second start of a running run")
		if d := diff(first, getRun(t, st, "s1")); d != "" {
			t.Errorf("a refused start changed the run:\n%s", d)
		}
		// The fence is on starts only: the first start's outcome is
		// recorded.
		done := copyRun(first)
		done.Status, done.FinishedAt, done.Output = sundial.RunSucceeded, at(4), "done"
		updateRun(t, st, done)
		if d := diff(done, getRun(t, st, "s1")); d != "" {
			t.Errorf("outcome after a refused second start differs:\n%s", d)
		}
	})

	s.run(t, "SecondStartInOneBatch", func(t *testing.T, st sundial.Store) {
		r := newRun("s1", "a", at(1), sundial.RunSubmitted, at(1))
		r.Node = "node-5"
		insertRuns(t, st, r)
		first := start(r, at(2))
		err := st.RunUpdate(t.Context(), copyRun(first), start(r, at(3)))
		refused := unwrapAll(err)
		if len(refused) != 1 {
			t.Fatalf("two starts of one run in a batch: err = %v, want the second refused alone", err)
		}
		wantFenced(t, refused[0], "s1", "the second start of a batch")
		if d := diff(first, getRun(t, st, "s1")); d != "" {
			t.Errorf("run after two starts in a batch differs from the first start:\n%s", d)
		}
	})

	s.run(t, "SecondStartRefusedUnderLapsedLease", func(t *testing.T, st sundial.Store) {
		heartbeat(t, st, "n", time.Hour)
		r := newRun("s1", "a", at(1), sundial.RunSubmitted, at(1))
		r.Node = "n"
		insertRuns(t, st, r)
		first := start(r, at(2))
		updateRun(t, st, copyRun(first))
		heartbeat(t, st, "n", -time.Second)
		// Not ErrLeaseExpired: the node must not renew and start again.
		wantFenced(t, st.RunUpdate(t.Context(), start(r, at(3))), "s1", "a second start under a lapsed lease")
		// The first start's outcome waits for the lease as before.
		done := copyRun(first)
		done.Status, done.FinishedAt = sundial.RunSucceeded, at(4)
		if err := st.RunUpdate(t.Context(), copyRun(done)); !errors.Is(err, sundial.ErrLeaseExpired) {
			t.Errorf("outcome under a lapsed lease: err = %v, want ErrLeaseExpired", err)
		}
		heartbeat(t, st, "n", time.Hour)
		updateRun(t, st, done)
		if d := diff(done, getRun(t, st, "s1")); d != "" {
			t.Errorf("outcome after the lease was renewed differs:\n%s", d)
		}
	})
}

// testRunReapOwnStale covers a node taking back its own runs that stayed
// submitted too long: after a lost reply it may have runs it never learnt
// of.
func testRunReapOwnStale(s suite, t *testing.T) {
	s.run(t, "TakesOwnStaleSubmitted", func(t *testing.T, st sundial.Store) {
		mk := func(id string, status sundial.RunStatus) *sundial.Run {
			// CreatedAt far in the future: age is the store's to judge.
			r := newRun(id, "a", at(int(id[len(id)-1]-'0')), status, base.AddDate(100, 0, 0))
			if status == sundial.RunRunning {
				r.StartedAt, r.Recoverable = at(2), true
			}
			return r
		}
		own := mk("o1", sundial.RunSubmitted) // node-1's, as newRun makes them
		running := mk("r2", sundial.RunRunning)
		insertRuns(t, st, own, running)
		storeClockPasses(t, st, staleAfter)
		fresh := mk("f3", sundial.RunSubmitted)
		insertRuns(t, st, fresh)

		if res := reap(t, st, "node-1", staleAfter); len(res.Taken)+len(res.Interrupted) != 0 {
			t.Errorf("reap without OwnStale: taken %v, interrupted %v; want nothing", runIDs(res.Taken), runIDs(res.Interrupted))
		}
		res := reapOwn(t, st, "node-1", staleAfter)
		if got := runIDs(res.Taken); !slices.Equal(got, []string{"o1"}) || len(res.Interrupted) != 0 {
			t.Fatalf("reap with OwnStale: taken %v, interrupted %v; want o1 taken, nothing interrupted", got, runIDs(res.Interrupted))
		}
		if d := diff(own, getRun(t, st, "o1")); d != "" {
			t.Errorf("own run taken back differs (still submitted, still node-1's):\n%s", d)
		}
		if d := diff(own, res.Taken[0]); d != "" {
			t.Errorf("reap result differs from the run:\n%s", d)
		}
		// The takeover made o1 young again, for this node and others.
		for _, node := range []string{"node-1", "node-2"} {
			if res := reapOwn(t, st, node, staleAfter); len(res.Taken)+len(res.Interrupted) != 0 {
				t.Errorf("reap with OwnStale by %s right after the takeover: taken %v, interrupted %v; want nothing",
					node, runIDs(res.Taken), runIDs(res.Interrupted))
			}
		}
		for _, r := range []*sundial.Run{own, running, fresh} {
			if d := diff(r, getRun(t, st, r.ID)); d != "" {
				t.Errorf("run %s changed:\n%s", r.ID, d)
			}
		}
		// Once per StaleAfter, not once for ever.
		storeClockPasses(t, st, staleAfter)
		if got := runIDs(reapOwn(t, st, "node-1", staleAfter).Taken); !slices.Equal(got, []string{"f3", "o1"}) {
			t.Errorf("reap with OwnStale a bound later took %v, want [f3 o1]", got)
		}
	})

	s.run(t, "OwnStaleNeedsBound", func(t *testing.T, st sundial.Store) {
		r := newRun("o1", "a", at(1), sundial.RunSubmitted, at(1))
		insertRuns(t, st, r)
		storeClockPasses(t, st, time.Millisecond)
		for _, bound := range []time.Duration{0, time.Hour} {
			if res := reapOwn(t, st, "node-1", bound); len(res.Taken)+len(res.Interrupted) != 0 {
				t.Errorf("reap with OwnStale and StaleAfter %s: taken %v, interrupted %v; want nothing",
					bound, runIDs(res.Taken), runIDs(res.Interrupted))
			}
		}
	})
}

// reapOwn calls RunReap as node with the staleness bound and OwnStale.
func reapOwn(t *testing.T, st sundial.Store, node string, staleAfter time.Duration) sundial.RunReapResult {
	t.Helper()
	res, err := st.RunReap(t.Context(), sundial.RunReapParams{Node: node, Now: at(30), StaleAfter: staleAfter, OwnStale: true})
	if err != nil {
		t.Fatalf("RunReap as %s with OwnStale: %v", node, err)
	}
	return res
}
