package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// testNodes covers registration, leases judged by the store's clock and
// leaving.
func testNodes(s suite, t *testing.T) {
	s.run(t, "HeartbeatSetsLeaseFromStoreClock", func(t *testing.T, st sundial.Store) {
		before := time.Now()
		n := heartbeat(t, st, "x", time.Minute)
		after := time.Now()
		// The store's clock may differ from ours by a little (a database
		// on this host): allow a few seconds.
		slack := 5 * time.Second
		if n.HeartbeatAt.Before(before.Add(-slack)) || n.HeartbeatAt.After(after.Add(slack)) {
			t.Errorf("HeartbeatAt = %s, want about now (%s)", n.HeartbeatAt, before)
		}
		if d := n.LeaseUntil.Sub(n.HeartbeatAt); d != time.Minute {
			t.Errorf("LeaseUntil - HeartbeatAt = %s, want 1m", d)
		}
		nodes := listNodes(t, st, 0)
		i := slices.IndexFunc(nodes, func(m *sundial.Node) bool { return m.ID == "x" })
		if i < 0 {
			t.Fatalf("NodeList = %v, want x in it", nodes)
		}
		want := *n
		if d := diff(&want, nodes[i]); d != "" {
			t.Errorf("listed node differs:\n%s", d)
		}
	})

	s.run(t, "ListSortedAndForgets", func(t *testing.T, st sundial.Store) {
		heartbeat(t, st, "old", -2*time.Hour)
		heartbeat(t, st, "expired", -time.Second)
		var ids []string
		for _, n := range listNodes(t, st, 0) {
			ids = append(ids, n.ID)
		}
		if !slices.IsSorted(ids) || !slices.Contains(ids, "old") || !slices.Contains(ids, "expired") {
			t.Errorf("NodeList ids = %v, want sorted with old and expired", ids)
		}
		ids = nil
		for _, n := range listNodes(t, st, time.Hour) {
			ids = append(ids, n.ID)
		}
		if slices.Contains(ids, "old") || !slices.Contains(ids, "expired") {
			t.Errorf("NodeList(forget 1h) ids = %v, want expired kept and old forgotten", ids)
		}
	})

	s.run(t, "LeaveEndsLease", func(t *testing.T, st sundial.Store) {
		heartbeat(t, st, "x", time.Hour)
		r := newRun("r1", "a", at(1), sundial.RunRunning, at(1))
		r.Node = "x"
		insertRuns(t, st, r)
		if err := st.NodeLeave(t.Context(), "x"); err != nil {
			t.Fatal(err)
		}
		if err := st.NodeLeave(t.Context(), "never-was"); err != nil {
			t.Errorf("NodeLeave(unknown) = %v, want nil", err)
		}
		for _, n := range listNodes(t, st, 0) {
			if n.ID == "x" {
				t.Errorf("x is still listed after leaving")
			}
		}
		r.Status = sundial.RunSucceeded
		if err := st.RunUpdate(t.Context(), r); !errors.Is(err, sundial.ErrLeaseLost) {
			t.Errorf("update by a node that left: err = %v, want ErrLeaseLost", err)
		}
	})

	s.run(t, "ClaimNeedsLiveLease", func(t *testing.T, st sundial.Store) {
		heartbeat(t, st, "x", -time.Second)
		addJobs(t, st, newJob("a", at(1)))
		for _, node := range []string{"x", "unknown"} {
			claims, err := st.JobClaimDue(t.Context(), sundial.JobClaimDueParams{Now: at(1), Node: node, Decide: advance(sundial.RunSubmitted)})
			if !errors.Is(err, sundial.ErrLeaseLost) || len(claims) != 0 {
				t.Errorf("claim by %s = %v, %v; want nothing and ErrLeaseLost", node, claimIDs(claims), err)
			}
		}
		if got := getJob(t, st, "a"); !got.NextRunTime.Equal(at(1)) {
			t.Errorf("a refused claim moved the job to %s", got.NextRunTime)
		}
	})
}

func listNodes(t *testing.T, st sundial.Store, forget time.Duration) []*sundial.Node {
	t.Helper()
	nodes, err := st.NodeList(t.Context(), forget)
	if err != nil {
		t.Fatalf("NodeList: %v", err)
	}
	return nodes
}

// testRunReap covers the takeover of a dead node's runs.
func testRunReap(s suite, t *testing.T) {
	s.run(t, "TakesOverOrInterrupts", func(t *testing.T, st sundial.Store) {
		heartbeat(t, st, "dead", -time.Second)
		heartbeat(t, st, "alive", time.Hour)
		mk := func(id string, status sundial.RunStatus, node string, recoverable bool) *sundial.Run {
			r := newRun(id, "a", at(len(id)), status, at(1))
			r.ScheduledAt = at(int(id[len(id)-1]))
			r.Node, r.Recoverable = node, recoverable
			if status == sundial.RunRunning {
				r.StartedAt = at(2)
			}
			return r
		}
		queued := mk("q1", sundial.RunSubmitted, "dead", false)
		retry := mk("r2", sundial.RunRunning, "dead", true)
		lost := mk("l3", sundial.RunRunning, "dead", false)
		orphan := mk("o4", sundial.RunRunning, "never-registered", false)
		fine := mk("f5", sundial.RunRunning, "alive", false)
		done := mk("d6", sundial.RunFailed, "dead", false)
		insertRuns(t, st, queued, retry, lost, orphan, fine, done)

		res, err := st.RunReap(t.Context(), sundial.RunReapParams{Node: "node-1", Now: at(30)})
		if err != nil {
			t.Fatal(err)
		}
		ids := func(runs []*sundial.Run) []string {
			var out []string
			for _, r := range runs {
				out = append(out, r.ID)
			}
			slices.Sort(out)
			return out
		}
		if got := ids(res.Taken); !slices.Equal(got, []string{"q1", "r2"}) {
			t.Errorf("taken = %v, want [q1 r2]", got)
		}
		if got := ids(res.Interrupted); !slices.Equal(got, []string{"l3", "o4"}) {
			t.Errorf("interrupted = %v, want [l3 o4]", got)
		}
		for _, r := range []*sundial.Run{queued, retry} {
			want := copyRun(r)
			want.Node, want.Status, want.Recoverable, want.StartedAt = "node-1", sundial.RunSubmitted, false, time.Time{}
			if d := diff(want, getRun(t, st, r.ID)); d != "" {
				t.Errorf("taken run %s differs:\n%s", r.ID, d)
			}
		}
		for _, r := range []*sundial.Run{lost, orphan} {
			got := getRun(t, st, r.ID)
			if got.Status != sundial.RunInterrupted || !got.FinishedAt.Equal(at(30)) || got.Reason == "" || got.Node != r.Node {
				t.Errorf("reaped run %s = %s finished %s reason %q node %s; want interrupted at %s with a reason, node kept",
					r.ID, got.Status, got.FinishedAt, got.Reason, got.Node, at(30))
			}
		}
		for _, r := range []*sundial.Run{fine, done} {
			if d := diff(r, getRun(t, st, r.ID)); d != "" {
				t.Errorf("reap changed run %s:\n%s", r.ID, d)
			}
		}
		// The new owner can run and finish a taken run; the dead node cannot.
		taken := getRun(t, st, "q1")
		taken.Status = sundial.RunRunning
		updateRun(t, st, taken)
		stale := copyRun(queued)
		stale.Status = sundial.RunRunning
		if err := st.RunUpdate(t.Context(), stale); !errors.Is(err, sundial.ErrLeaseLost) || errors.Is(err, sundial.ErrLeaseExpired) {
			t.Errorf("old owner's update of a taken run: err = %v, want ErrLeaseLost and not ErrLeaseExpired", err)
		}
		// Nor can it finish a run that was interrupted for it.
		late := copyRun(lost)
		late.Status = sundial.RunSucceeded
		if err := st.RunUpdate(t.Context(), late); !errors.Is(err, sundial.ErrLeaseLost) || errors.Is(err, sundial.ErrLeaseExpired) {
			t.Errorf("old owner's update of an interrupted run: err = %v, want ErrLeaseLost and not ErrLeaseExpired", err)
		}
		// Nothing is left to reap, and a taken run is not taken twice.
		res, err = st.RunReap(t.Context(), sundial.RunReapParams{Node: "node-2", Now: at(31)})
		if err != nil || len(res.Taken)+len(res.Interrupted) != 0 {
			t.Errorf("second reap = %+v, %v; want nothing", res, err)
		}
	})

	s.run(t, "CountsForMaxInstances", func(t *testing.T, st sundial.Store) {
		heartbeat(t, st, "dead", -time.Second)
		addJobs(t, st, newJob("a", at(5)))
		r := newRun("r1", "a", at(1), sundial.RunRunning, at(1))
		r.Node = "dead"
		insertRuns(t, st, r)
		if n := activeSeen(t, st, "a", at(5)); n != 1 {
			t.Errorf("active before the reap = %d, want 1", n)
		}
		if _, err := st.RunReap(t.Context(), sundial.RunReapParams{Node: "node-1", Now: at(6)}); err != nil {
			t.Fatal(err)
		}
		if n := activeSeen(t, st, "a", at(6)); n != 0 {
			t.Errorf("active after the run was interrupted = %d, want 0", n)
		}
	})

	s.run(t, "Limit", func(t *testing.T, st sundial.Store) {
		heartbeat(t, st, "dead", -time.Second)
		for i := range 5 {
			r := newRun(string(rune('a'+i)), "a", at(i), sundial.RunSubmitted, at(i))
			r.Node = "dead"
			insertRuns(t, st, r)
		}
		total := 0
		for range 3 {
			res, err := st.RunReap(t.Context(), sundial.RunReapParams{Node: "node-1", Now: at(9), Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(res.Taken); n > 2 {
				t.Errorf("reap with limit 2 took %d", n)
			}
			total += len(res.Taken)
		}
		if total != 5 {
			t.Errorf("three reaps of at most 2 took %d, want 5", total)
		}
	})

	s.run(t, "NeedsLiveLease", func(t *testing.T, st sundial.Store) {
		heartbeat(t, st, "dead", -time.Second)
		r := newRun("r1", "a", at(1), sundial.RunSubmitted, at(1))
		r.Node = "dead"
		insertRuns(t, st, r)
		if _, err := st.RunReap(t.Context(), sundial.RunReapParams{Node: "dead", Now: at(2)}); !errors.Is(err, sundial.ErrLeaseLost) {
			t.Errorf("reap by an expired node: err = %v, want ErrLeaseLost", err)
		}
		if got := getRun(t, st, "r1"); got.Node != "dead" || got.Status != sundial.RunSubmitted {
			t.Errorf("a refused reap changed the run: %+v", got)
		}
	})
}

// testRunReapRestarted covers a node that starts again under the id of
// an earlier process: that process's unfinished runs are recorded under an
// id whose lease is live, and only a reap with Restarted ends them.
func testRunReapRestarted(s suite, t *testing.T) {
	mk := func(id string, status sundial.RunStatus, node string, recoverable bool) *sundial.Run {
		r := newRun(id, "a", at(int(id[len(id)-1]-'0')), status, at(1))
		r.Node, r.Recoverable = node, recoverable
		if status == sundial.RunRunning {
			r.StartedAt = at(2)
		}
		return r
	}

	s.run(t, "ReapsOwnRuns", func(t *testing.T, st sundial.Store) {
		heartbeat(t, st, "dead", -time.Second)
		queued := mk("q1", sundial.RunSubmitted, "node-1", false)
		retry := mk("r2", sundial.RunRunning, "node-1", true)
		lost := mk("l3", sundial.RunRunning, "node-1", false)
		done := mk("d4", sundial.RunFailed, "node-1", false)
		otherQueued := mk("s5", sundial.RunSubmitted, "node-2", false)
		otherRunning := mk("x6", sundial.RunRunning, "node-2", false)
		dead := mk("z7", sundial.RunSubmitted, "dead", false)
		insertRuns(t, st, queued, retry, lost, done, otherQueued, otherRunning, dead)

		res, err := st.RunReap(t.Context(), sundial.RunReapParams{Node: "node-1", Now: at(30), Restarted: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := runIDs(res.Taken); !slices.Equal(got, []string{"q1", "r2", "z7"}) {
			t.Errorf("taken = %v, want [q1 r2 z7] (its own and the dead node's)", got)
		}
		if got := runIDs(res.Interrupted); !slices.Equal(got, []string{"l3"}) {
			t.Errorf("interrupted = %v, want [l3]", got)
		}
		for _, r := range []*sundial.Run{queued, retry} {
			want := copyRun(r)
			want.Status, want.Recoverable, want.StartedAt = sundial.RunSubmitted, false, time.Time{}
			if d := diff(want, getRun(t, st, r.ID)); d != "" {
				t.Errorf("taken run %s differs:\n%s", r.ID, d)
			}
		}
		got := getRun(t, st, "l3")
		if got.Status != sundial.RunInterrupted || !got.FinishedAt.Equal(at(30)) || got.Reason == "" || got.Node != "node-1" {
			t.Errorf("reaped run l3 = %s finished %s reason %q node %s; want interrupted at %s with a reason, node kept",
				got.Status, got.FinishedAt, got.Reason, got.Node, at(30))
		}
		if len(res.Interrupted) == 1 && res.Interrupted[0].Reason != got.Reason {
			t.Errorf("reap result's reason %q, stored %q; want the same", res.Interrupted[0].Reason, got.Reason)
		}
		for _, r := range []*sundial.Run{done, otherQueued, otherRunning} {
			if d := diff(r, getRun(t, st, r.ID)); d != "" {
				t.Errorf("reap changed run %s:\n%s", r.ID, d)
			}
		}
		// The earlier process cannot finish the run interrupted for it;
		// the new one can start a run it took.
		late := copyRun(lost)
		late.Status = sundial.RunSucceeded
		if err := st.RunUpdate(t.Context(), late); !errors.Is(err, sundial.ErrLeaseLost) {
			t.Errorf("earlier process's update of an interrupted run: err = %v, want ErrLeaseLost", err)
		}
		start := getRun(t, st, "q1")
		start.Status, start.StartedAt = sundial.RunRunning, at(31)
		updateRun(t, st, start)
		// Its runs are now the new process's: no later reap takes them.
		res, err = st.RunReap(t.Context(), sundial.RunReapParams{Node: "node-1", Now: at(32)})
		if err != nil || len(res.Taken)+len(res.Interrupted) != 0 {
			t.Errorf("next reap = taken %v, interrupted %v, %v; want nothing", runIDs(res.Taken), runIDs(res.Interrupted), err)
		}
	})

	s.run(t, "OwnRunsKeptWithoutRestarted", func(t *testing.T, st sundial.Store) {
		queued := mk("q1", sundial.RunSubmitted, "node-1", false)
		retry := mk("r2", sundial.RunRunning, "node-1", true)
		running := mk("l3", sundial.RunRunning, "node-1", false)
		insertRuns(t, st, queued, retry, running)
		res, err := st.RunReap(t.Context(), sundial.RunReapParams{Node: "node-1", Now: at(30)})
		if err != nil || len(res.Taken)+len(res.Interrupted) != 0 {
			t.Errorf("reap without Restarted = taken %v, interrupted %v, %v; want nothing",
				runIDs(res.Taken), runIDs(res.Interrupted), err)
		}
		// Another node restarting does not make node-1's runs its own.
		res, err = st.RunReap(t.Context(), sundial.RunReapParams{Node: "node-2", Now: at(30), Restarted: true})
		if err != nil || len(res.Taken)+len(res.Interrupted) != 0 {
			t.Errorf("restarted reap by node-2 = taken %v, interrupted %v, %v; want nothing",
				runIDs(res.Taken), runIDs(res.Interrupted), err)
		}
		for _, r := range []*sundial.Run{queued, retry, running} {
			if d := diff(r, getRun(t, st, r.ID)); d != "" {
				t.Errorf("reap changed run %s:\n%s", r.ID, d)
			}
		}
	})

	s.run(t, "RestartedLimit", func(t *testing.T, st sundial.Store) {
		for i := range 3 {
			insertRuns(t, st, mk(fmt.Sprintf("q%d", i), sundial.RunSubmitted, "node-1", false))
		}
		res, err := st.RunReap(t.Context(), sundial.RunReapParams{Node: "node-1", Now: at(30), Limit: 2, Restarted: true})
		if err != nil || len(res.Taken) != 2 || len(res.Interrupted) != 0 {
			t.Errorf("restarted reap with limit 2 = taken %v, interrupted %v, %v; want two taken",
				runIDs(res.Taken), runIDs(res.Interrupted), err)
		}
	})
}

// testUnscheduled covers jobs that are not paused but have no next fire
// time, as other programs write them: due at once, their first fire time
// computed by Decide without a run.
func testUnscheduled(s suite, t *testing.T) {
	s.run(t, "ClaimedFirstWithZeroTime", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("due", at(1)), newJob("new", time.Time{}), pausedJob("paused"))
		wantNextFire(t, st, time.Time{}, true)
		var seen []string
		var zero []bool
		claims := claim(t, st, at(0), 1, func(job *sundial.Job, _ int) sundial.ClaimDecision {
			seen = append(seen, job.ID)
			zero = append(zero, job.NextRunTime.IsZero())
			return sundial.ClaimDecision{NextRunTime: at(3)}
		})
		if len(claims) != 1 || claims[0].Job.ID != "new" || !zero[len(zero)-1] || len(claims[0].Runs) != 0 {
			t.Fatalf("claims = %v (decided %v, zero time %v); want new, with a zero NextRunTime and no run", claimIDs(claims), seen, zero)
		}
		if got := getJob(t, st, "new"); !got.NextRunTime.Equal(at(3)) || got.Paused {
			t.Errorf("new after the claim: next %s paused %t, want %s and not paused", got.NextRunTime, got.Paused, at(3))
		}
		wantNextFire(t, st, at(1), true)
		if c := claim(t, st, at(0), 10, advanceBy(time.Hour)); len(c) != 0 {
			t.Errorf("claimed %v at 0, want nothing (paused and future jobs)", claimIDs(c))
		}
	})
}
