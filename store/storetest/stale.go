package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// staleAfter is the staleness bound of the RunReap cases below: long
// enough that a run taken over a moment ago is not stale again at the next
// reap, short enough that the cases wait little.
const staleAfter = 300 * time.Millisecond

// testRunReapStale covers the takeover of runs that a live node left
// submitted for too long (a claim whose reply it never got).
func testRunReapStale(s suite, t *testing.T) {
	testRepeatedStart(s, t)
	s.run(t, "StaleSubmittedOfLiveNode", func(t *testing.T, st sundial.Store) {
		mk := func(id string, status sundial.RunStatus, node string) *sundial.Run {
			// CreatedAt is the node's word and far in the future: the
			// store must judge age by its own clock.
			r := newRun(id, "a", at(int(id[len(id)-1])), status, base.AddDate(100, 0, 0))
			r.Node = node
			if status == sundial.RunRunning {
				r.StartedAt, r.Recoverable = at(2), true
			}
			return r
		}
		stale := mk("s1", sundial.RunSubmitted, "node-5")
		running := mk("r2", sundial.RunRunning, "node-5")
		own := mk("o3", sundial.RunSubmitted, "node-1")
		insertRuns(t, st, stale, running, own)
		storeClockPasses(t, st, staleAfter)
		young := mk("y4", sundial.RunSubmitted, "node-6")
		insertRuns(t, st, young)

		res := reap(t, st, "node-1", staleAfter)
		if got := runIDs(res.Taken); !slices.Equal(got, []string{"s1"}) || len(res.Interrupted) != 0 {
			t.Fatalf("reap by node-1: taken %v, interrupted %v; want s1 taken, nothing interrupted", got, runIDs(res.Interrupted))
		}
		want := copyRun(stale)
		want.Node = "node-1"
		if d := diff(want, getRun(t, st, "s1")); d != "" {
			t.Errorf("taken run differs (same id and attempt, new owner):\n%s", d)
		}
		if d := diff(want, res.Taken[0]); d != "" {
			t.Errorf("reap result differs from the taken run:\n%s", d)
		}
		for _, r := range []*sundial.Run{running, own, young} {
			if d := diff(r, getRun(t, st, r.ID)); d != "" {
				t.Errorf("reap changed run %s:\n%s", r.ID, d)
			}
		}

		// The former owner was only slow: its start is refused, so it
		// does not run the fire a second time; the new owner's is not.
		late := copyRun(stale)
		late.Status, late.StartedAt = sundial.RunRunning, at(3)
		if err := st.RunUpdate(t.Context(), late); !errors.Is(err, sundial.ErrLeaseLost) {
			t.Errorf("former owner's start of a run taken for staleness: err = %v, want ErrLeaseLost", err)
		}
		// A takeover starts the clock again: s1 is not stale for another
		// node at once. node-1's own stale run is another node's to take.
		if res := reap(t, st, "node-2", staleAfter); !slices.Equal(runIDs(res.Taken), []string{"o3"}) || len(res.Interrupted) != 0 {
			t.Errorf("reap by node-2 right after the takeover: taken %v, interrupted %v; want o3 taken, nothing interrupted",
				runIDs(res.Taken), runIDs(res.Interrupted))
		}
		start := getRun(t, st, "s1")
		start.Status, start.StartedAt = sundial.RunRunning, at(3)
		updateRun(t, st, start)
		if got := getRun(t, st, "s1"); got.Status != sundial.RunRunning || got.Node != "node-1" {
			t.Errorf("new owner's start: run is %s on %s, want running on node-1", got.Status, got.Node)
		}
	})

	s.run(t, "StaleNeedsBound", func(t *testing.T, st sundial.Store) {
		r := newRun("s1", "a", at(1), sundial.RunSubmitted, at(1)) // created long ago by the node's clock
		r.Node = "node-5"
		insertRuns(t, st, r)
		storeClockPasses(t, st, time.Millisecond)
		for _, bound := range []time.Duration{0, time.Hour} {
			if res := reap(t, st, "node-1", bound); len(res.Taken)+len(res.Interrupted) != 0 {
				t.Errorf("reap with StaleAfter %s: taken %v, interrupted %v; want nothing (the owner is live, the run young)",
					bound, runIDs(res.Taken), runIDs(res.Interrupted))
			}
		}
		if d := diff(r, getRun(t, st, "s1")); d != "" {
			t.Errorf("reap changed the run:\n%s", d)
		}
	})

	s.run(t, "ReleasedRunAgesAgain", func(t *testing.T, st sundial.Store) {
		r := newRun("s1", "a", at(1), sundial.RunSubmitted, at(1))
		r.Node = "node-5"
		insertRuns(t, st, r)
		storeClockPasses(t, st, staleAfter)
		// A release gives the run away: the next reap takes it as
		// unowned, whatever its age, and a takeover makes it young.
		if got := release(t, st, "node-5", "s1"); !slices.Equal(got, []string{"s1"}) {
			t.Fatalf("released %v, want [s1]", got)
		}
		if res := reap(t, st, "node-1", staleAfter); !slices.Equal(runIDs(res.Taken), []string{"s1"}) {
			t.Fatalf("reap of a released run took %v, want [s1]", runIDs(res.Taken))
		}
		if res := reap(t, st, "node-2", staleAfter); len(res.Taken) != 0 {
			t.Errorf("a run taken over a moment ago was taken again: %v", runIDs(res.Taken))
		}
	})
}

// testRepeatedStart covers recording a run's start twice: a node whose
// first record got no answer records it again before starting the run,
// and must be told whether it owns the run, not that it lost it.
func testRepeatedStart(s suite, t *testing.T) {
	s.run(t, "RepeatedStartIsAccepted", func(t *testing.T, st sundial.Store) {
		r := newRun("s1", "a", at(1), sundial.RunSubmitted, at(1))
		r.Node = "node-5"
		insertRuns(t, st, r)
		r.Status, r.StartedAt = sundial.RunRunning, at(2)
		updateRun(t, st, r)
		updateRun(t, st, copyRun(r))
		if got := getRun(t, st, "s1"); got.Status != sundial.RunRunning || got.Node != "node-5" {
			t.Errorf("run after two start records = %s on %s, want running on node-5", got.Status, got.Node)
		}
	})
}

// reap calls RunReap as node with the staleness bound.
func reap(t *testing.T, st sundial.Store, node string, staleAfter time.Duration) sundial.RunReapResult {
	t.Helper()
	res, err := st.RunReap(t.Context(), sundial.RunReapParams{Node: node, Now: at(30), StaleAfter: staleAfter})
	if err != nil {
		t.Fatalf("RunReap as %s: %v", node, err)
	}
	return res
}

// runIDs returns the runs' ids, sorted.
func runIDs(runs []*sundial.Run) []string {
	out := []string{}
	for _, r := range runs {
		out = append(out, r.ID)
	}
	slices.Sort(out)
	return out
}

// storeClockPasses returns once the store's own clock, as NodeHeartbeat
// reports it, has moved on by more than d since the call began. The
// suite cannot set a store's clock (a database server keeps its own), so
// a case that needs a run to grow old waits for that much real time: it
// sleeps for what the store says is left, then asks again.
func storeClockPasses(t *testing.T, st sundial.Store, d time.Duration) {
	t.Helper()
	const probe = "clock-probe"
	start := heartbeat(t, st, probe, time.Hour).HeartbeatAt
	for {
		left := d - heartbeat(t, st, probe, time.Hour).HeartbeatAt.Sub(start)
		if left < 0 {
			return
		}
		time.Sleep(left + time.Millisecond) // stores keep microseconds
	}
}
