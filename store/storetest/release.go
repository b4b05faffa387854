package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// testRunRelease covers a shutting-down node giving back the runs it
// claimed but did not start, and their takeover by the other nodes' reaps.
func testRunRelease(s suite, t *testing.T) {
	s.run(t, "TakenOverByAnotherNode", func(t *testing.T, st sundial.Store) {
		r := newRun("r1", "a", at(1), sundial.RunSubmitted, at(1))
		r.Attempt, r.Recoverable, r.Reason, r.StartedAt = 2, true, "retry 1 of 2", at(2)
		insertRuns(t, st, r)
		if got := release(t, st, "node-1", "r1"); !slices.Equal(got, []string{"r1"}) {
			t.Fatalf("released = %v, want [r1]", got)
		}
		want := copyRun(r)
		want.Node, want.StartedAt = "", time.Time{}
		if d := diff(want, getRun(t, st, "r1")); d != "" {
			t.Errorf("released run differs:\n%s", d)
		}
		// It is no longer the releasing node's to start or finish.
		stale := copyRun(r)
		stale.Status, stale.StartedAt = sundial.RunRunning, at(3)
		if err := st.RunUpdate(t.Context(), stale); !errors.Is(err, sundial.ErrLeaseLost) {
			t.Errorf("update by the node that released the run: err = %v, want ErrLeaseLost", err)
		}
		// The releasing node's lease is still live: a released run is
		// reaped all the same, by any node.
		res, err := st.RunReap(t.Context(), sundial.RunReapParams{Node: "node-2", Now: at(5)})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Taken) != 1 || len(res.Interrupted) != 0 {
			t.Fatalf("reap after the release = %d taken, %d interrupted; want r1 taken", len(res.Taken), len(res.Interrupted))
		}
		want.Node, want.Recoverable = "node-2", false
		if d := diff(want, res.Taken[0]); d != "" {
			t.Errorf("taken run differs:\n%s", d)
		}
		if d := diff(want, getRun(t, st, "r1")); d != "" {
			t.Errorf("stored run after the takeover differs:\n%s", d)
		}
		taken := getRun(t, st, "r1")
		taken.Status, taken.StartedAt = sundial.RunRunning, at(6)
		updateRun(t, st, taken)
		res, err = st.RunReap(t.Context(), sundial.RunReapParams{Node: "node-3", Now: at(7)})
		if err != nil || len(res.Taken)+len(res.Interrupted) != 0 {
			t.Errorf("second reap = %+v, %v; want nothing", res, err)
		}
	})

	s.run(t, "OnlySubmittedRunsOfTheNode", func(t *testing.T, st sundial.Store) {
		mk := func(id string, status sundial.RunStatus, node string) *sundial.Run {
			r := newRun(id, "a", at(int(id[len(id)-1]-'0')), status, at(1))
			r.Node = node
			switch status {
			case sundial.RunRunning:
				r.StartedAt = at(2)
			case sundial.RunSucceeded:
				r.StartedAt, r.FinishedAt = at(2), at(3)
			}
			return r
		}
		mine := mk("m1", sundial.RunSubmitted, "node-1")
		running := mk("r2", sundial.RunRunning, "node-1")
		done := mk("d3", sundial.RunSucceeded, "node-1")
		other := mk("o4", sundial.RunSubmitted, "node-2")
		insertRuns(t, st, mine, running, done, other)
		got := release(t, st, "node-1", "r2", "d3", "o4", "unknown", "m1", "m1")
		if !slices.Equal(got, []string{"m1"}) {
			t.Errorf("released = %v, want [m1]", got)
		}
		for _, r := range []*sundial.Run{running, done, other} {
			if d := diff(r, getRun(t, st, r.ID)); d != "" {
				t.Errorf("release changed run %s:\n%s", r.ID, d)
			}
		}
		if got := getRun(t, st, "m1"); got.Node != "" || got.Status != sundial.RunSubmitted {
			t.Errorf("m1 after the release: node %q, %s; want no node, submitted", got.Node, got.Status)
		}
		// Nothing to release is not an error; an empty node releases
		// nothing, not even the runs that no node owns.
		if got := release(t, st, "node-1"); len(got) != 0 {
			t.Errorf("release of no runs = %v", got)
		}
		if got := release(t, st, "", "m1", "o4"); len(got) != 0 {
			t.Errorf("release by the empty node = %v, want nothing", got)
		}
		if d := diff(other, getRun(t, st, "o4")); d != "" {
			t.Errorf("release by the empty node changed o4:\n%s", d)
		}
	})

	s.run(t, "WithoutLiveLease", func(t *testing.T, st sundial.Store) {
		heartbeat(t, st, "expired", -time.Second)
		heartbeat(t, st, "left", time.Hour)
		if err := st.NodeLeave(t.Context(), "left"); err != nil {
			t.Fatal(err)
		}
		for i, node := range []string{"expired", "left", "never-registered"} {
			r := newRun(node, "a", at(i), sundial.RunSubmitted, at(1))
			r.Node = node
			insertRuns(t, st, r)
			if got := release(t, st, node, node); !slices.Equal(got, []string{node}) {
				t.Errorf("release by %s = %v, want its run", node, got)
			}
		}
		res, err := st.RunReap(t.Context(), sundial.RunReapParams{Node: "node-1", Now: at(5)})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range res.Taken {
			ids = append(ids, r.ID)
			if r.Node != "node-1" || r.Status != sundial.RunSubmitted {
				t.Errorf("taken run %s: node %s, %s; want node-1, submitted", r.ID, r.Node, r.Status)
			}
		}
		slices.Sort(ids)
		if want := []string{"expired", "left", "never-registered"}; !slices.Equal(ids, want) || len(res.Interrupted) != 0 {
			t.Errorf("reap took %v and interrupted %d; want %v taken", ids, len(res.Interrupted), want)
		}
	})

	for _, live := range []bool{true, false} {
		name := "ConcurrentWithReaps"
		if !live {
			name += "OfExpiredNode"
		}
		s.run(t, name, func(t *testing.T, st sundial.Store) { releaseRace(t, st, live) })
	}
}

// releaseRace has a node release its submitted runs a few at a time while
// four other nodes reap: every run ends up taken exactly once, by the node
// that now owns it. While the releasing node holds its lease, nothing is
// taken that it did not release, and it releases every run.
func releaseRace(t *testing.T, st sundial.Store, live bool) {
	const runs = 40
	ttl := time.Hour
	if !live {
		ttl = -time.Second
	}
	heartbeat(t, st, "x", ttl)
	var ids []string
	for i := range runs {
		r := newRun(fmt.Sprintf("x%02d", i), "a", at(i), sundial.RunSubmitted, at(i))
		r.Node = "x"
		insertRuns(t, st, r)
		ids = append(ids, r.ID)
	}
	var (
		mu       sync.Mutex
		takenBy  = map[string][]string{} // run id → nodes whose reap took it
		released []string
		wg       sync.WaitGroup
		done     = make(chan struct{})
	)
	reap := func(node string) int {
		res, err := st.RunReap(t.Context(), sundial.RunReapParams{Node: node, Now: at(100), Limit: 3})
		if err != nil {
			t.Errorf("reap by %s: %v", node, err)
			return 0
		}
		mu.Lock()
		defer mu.Unlock()
		for _, r := range res.Taken {
			takenBy[r.ID] = append(takenBy[r.ID], node)
		}
		if len(res.Interrupted) > 0 {
			t.Errorf("reap by %s interrupted %d submitted runs", node, len(res.Interrupted))
		}
		return len(res.Taken)
	}
	wg.Go(func() {
		defer close(done)
		for chunk := range slices.Chunk(ids, 5) {
			got, err := st.RunRelease(t.Context(), sundial.RunReleaseParams{Node: "x", RunIDs: chunk})
			if err != nil {
				t.Errorf("release: %v", err)
				return
			}
			mu.Lock()
			released = append(released, got...)
			mu.Unlock()
		}
	})
	for i := range 4 {
		node := fmt.Sprintf("node-%d", i+1)
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				reap(node)
			}
		})
	}
	wg.Wait()
	for reap("node-5") > 0 {
	}
	for _, id := range ids {
		nodes := takenBy[id]
		if len(nodes) != 1 {
			t.Errorf("run %s taken by %v, want exactly one node", id, nodes)
			continue
		}
		if got := getRun(t, st, id); got.Node != nodes[0] || got.Status != sundial.RunSubmitted {
			t.Errorf("run %s: node %q, %s; want %s, submitted", id, got.Node, got.Status, nodes[0])
		}
	}
	slices.Sort(released)
	if len(slices.Compact(slices.Clone(released))) != len(released) {
		t.Errorf("a run was released twice: %v", released)
	}
	if live && !slices.Equal(released, ids) {
		t.Errorf("released %d of the %d runs of a live node: %v", len(released), runs, released)
	}
}

// release gives back runs of node and returns the ids released, sorted.
func release(t *testing.T, st sundial.Store, node string, ids ...string) []string {
	t.Helper()
	got, err := st.RunRelease(t.Context(), sundial.RunReleaseParams{Node: node, RunIDs: ids})
	if err != nil {
		t.Fatalf("RunRelease(%s, %v): %v", node, ids, err)
	}
	slices.Sort(got)
	return got
}
