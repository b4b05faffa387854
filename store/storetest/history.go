package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// testRunInsert covers the store's guarantees on recording runs: sequence
// numbers, the unique fire key and max_instances counted atomically.
func testRunInsert(s suite, t *testing.T) {
	s.run(t, "SeqIncreasesAndIsWrittenBack", func(t *testing.T, st sundial.Store) {
		var last int64
		for i := range 5 {
			r := newRun(fmt.Sprintf("r%d", i), "a", at(i), sundial.RunSucceeded, at(i))
			insertRuns(t, st, r)
			if r.Seq <= last {
				t.Fatalf("run %d: Seq = %d after %d, want increasing", i, r.Seq, last)
			}
			if got := getRun(t, st, r.ID).Seq; got != r.Seq {
				t.Errorf("stored Seq = %d, written back %d", got, r.Seq)
			}
			last = r.Seq
		}
		addJobs(t, st, newJob("j", at(1)))
		claims := claim(t, st, at(1), 10, advance(sundial.RunSubmitted))
		if len(claims) != 1 || claims[0].Runs[0].Seq <= last {
			t.Errorf("a claimed run got Seq %v, want above %d", claims, last)
		}
	})

	s.run(t, "DuplicateID", func(t *testing.T, st sundial.Store) {
		insertRuns(t, st, newRun("r1", "a", at(1), sundial.RunSubmitted, at(1)))
		err := st.RunInsert(t.Context(), newRun("r1", "b", at(2), sundial.RunSucceeded, at(2)), 0)
		if !errors.Is(err, sundial.ErrDuplicateRun) {
			t.Errorf("RunInsert of a duplicate id: err = %v, want ErrDuplicateRun", err)
		}
		if r := getRun(t, st, "r1"); r.JobID != "a" || r.Status != sundial.RunSubmitted {
			t.Errorf("the refused duplicate changed the stored run: %+v", r)
		}
	})

	s.run(t, "DuplicateFireKey", func(t *testing.T, st sundial.Store) {
		insertRuns(t, st, newRun("r1", "a", at(1), sundial.RunSucceeded, at(1)))
		err := st.RunInsert(t.Context(), newRun("r2", "a", at(1), sundial.RunSubmitted, at(1)), 0)
		if !errors.Is(err, sundial.ErrDuplicateRun) {
			t.Errorf("RunInsert of the same job, time and attempt: err = %v, want ErrDuplicateRun", err)
		}
		if _, err := st.RunGet(t.Context(), "r2"); !errors.Is(err, sundial.ErrRunNotFound) {
			t.Errorf("the refused run was stored: RunGet err = %v", err)
		}
		retry := newRun("r3", "a", at(1), sundial.RunSubmitted, at(2))
		retry.Attempt = 2
		other := newRun("r4", "b", at(1), sundial.RunSubmitted, at(1))
		insertRuns(t, st, retry, other) // another attempt, another job: distinct keys
	})

	s.run(t, "MaxActive", func(t *testing.T, st sundial.Store) {
		insertRuns(t, st,
			newRun("r1", "a", at(1), sundial.RunRunning, at(1)),
			newRun("r2", "a", at(2), sundial.RunSucceeded, at(2)),
			newRun("r3", "b", at(3), sundial.RunRunning, at(3)),
		)
		if err := st.RunInsert(t.Context(), newRun("r4", "a", at(4), sundial.RunSubmitted, at(4)), 2); err != nil {
			t.Fatalf("RunInsert with 1 of 2 unfinished: %v", err)
		}
		err := st.RunInsert(t.Context(), newRun("r5", "a", at(5), sundial.RunSubmitted, at(5)), 2)
		if !errors.Is(err, sundial.ErrMaxInstances) {
			t.Fatalf("RunInsert with 2 of 2 unfinished: err = %v, want ErrMaxInstances", err)
		}
		if _, err := st.RunGet(t.Context(), "r5"); !errors.Is(err, sundial.ErrRunNotFound) {
			t.Errorf("the refused run was stored: RunGet err = %v", err)
		}
		// A finished run frees its place; a skipped record needs none.
		r1 := getRun(t, st, "r1")
		r1.Status, r1.FinishedAt = sundial.RunSucceeded, at(6)
		updateRun(t, st, r1)
		if err := st.RunInsert(t.Context(), newRun("r5", "a", at(5), sundial.RunSubmitted, at(6)), 2); err != nil {
			t.Errorf("RunInsert after a run finished: %v", err)
		}
		if err := st.RunInsert(t.Context(), newRun("r6", "a", at(6), sundial.RunSkipped, at(6)), 0); err != nil {
			t.Errorf("RunInsert without a limit: %v", err)
		}
	})

	s.run(t, "MaxActiveConcurrent", func(t *testing.T, st sundial.Store) {
		const tries, limit = 16, 3
		var wg sync.WaitGroup
		errs := make([]error, tries)
		for i := range tries {
			wg.Go(func() {
				r := newRun(fmt.Sprintf("r%d", i), "a", at(i), sundial.RunSubmitted, at(i))
				errs[i] = st.RunInsert(t.Context(), r, limit)
			})
		}
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, sundial.ErrMaxInstances):
				t.Errorf("insert %d: %v", i, err)
			}
		}
		if ok != limit {
			t.Errorf("%d concurrent inserts with max_instances %d: %d stored, want %d", tries, limit, ok, limit)
		}
	})
}

// testRunUpdate covers batches and fencing: only the owner of an
// unfinished run, holding a live lease, may change it.
func testRunUpdate(s suite, t *testing.T) {
	s.run(t, "Batch", func(t *testing.T, st sundial.Store) {
		r1 := newRun("r1", "a", at(1), sundial.RunRunning, at(1))
		r2 := newRun("r2", "b", at(2), sundial.RunSubmitted, at(2))
		insertRuns(t, st, r1, r2)
		r1.Status, r1.FinishedAt, r1.Output = sundial.RunSucceeded, at(3), "done"
		r2.Status, r2.StartedAt = sundial.RunRunning, at(3)
		if err := st.RunUpdate(t.Context(), copyRun(r1), copyRun(r2)); err != nil {
			t.Fatal(err)
		}
		for _, r := range []*sundial.Run{r1, r2} {
			if d := diff(r, getRun(t, st, r.ID)); d != "" {
				t.Errorf("run %s after a batch update differs:\n%s", r.ID, d)
			}
		}
	})

	s.run(t, "RefusalsAreEachOnTheirOwn", func(t *testing.T, st sundial.Store) {
		heartbeat(t, st, "dead", -time.Second)
		good := newRun("good", "a", at(1), sundial.RunRunning, at(1))
		done := newRun("done", "a", at(2), sundial.RunSucceeded, at(2))
		other := newRun("other", "a", at(3), sundial.RunRunning, at(3))
		lost := newRun("lost", "a", at(4), sundial.RunRunning, at(4))
		lost.Node = "dead"
		insertRuns(t, st, good, done, other, lost)

		good.Status, good.FinishedAt = sundial.RunSucceeded, at(5)
		done2 := copyRun(done)
		done2.Status, done2.Output = sundial.RunFailed, "again"
		stolen := copyRun(other)
		stolen.Node, stolen.Status = "node-2", sundial.RunSucceeded
		lost2 := copyRun(lost)
		lost2.Status = sundial.RunSucceeded
		unknown := newRun("unknown", "a", at(6), sundial.RunSucceeded, at(6))

		err := st.RunUpdate(t.Context(), copyRun(good), done2, stolen, lost2, unknown)
		refused := map[string]error{}
		for _, e := range unwrapAll(err) {
			var re *sundial.RunError
			if errors.As(e, &re) {
				refused[re.RunID] = re
			}
		}
		for id, want := range map[string]error{
			"done": sundial.ErrLeaseLost, "other": sundial.ErrLeaseLost,
			"lost": sundial.ErrLeaseLost, "unknown": sundial.ErrRunNotFound,
		} {
			if !errors.Is(refused[id], want) {
				t.Errorf("update of %s: error %v, want a *RunError wrapping %v (whole error: %v)", id, refused[id], want, err)
			}
		}
		// Only the run still unfinished and its node's was refused for
		// the lease alone: that node may record it once it renews.
		for id, want := range map[string]bool{"done": false, "other": false, "lost": true} {
			if got := errors.Is(refused[id], sundial.ErrLeaseExpired); got != want {
				t.Errorf("update of %s: error %v wraps ErrLeaseExpired: %v, want %v", id, refused[id], got, want)
			}
		}
		if _, ok := refused["good"]; ok {
			t.Errorf("the owner's update was refused: %v", refused["good"])
		}
		if d := diff(good, getRun(t, st, "good")); d != "" {
			t.Errorf("the accepted update was not stored:\n%s", d)
		}
		for _, r := range []*sundial.Run{done, other, lost} {
			if d := diff(r, getRun(t, st, r.ID)); d != "" {
				t.Errorf("refused update changed run %s:\n%s", r.ID, d)
			}
		}
	})

	s.run(t, "KeepsIdentity", func(t *testing.T, st sundial.Store) {
		r := newRun("r1", "a", at(1), sundial.RunSubmitted, at(1))
		insertRuns(t, st, r)
		want := copyRun(r)
		want.Status, want.StartedAt = sundial.RunRunning, at(2)
		changed := copyRun(want)
		changed.JobID, changed.ScheduledAt, changed.Attempt, changed.Manual, changed.CreatedAt = "b", at(9), 7, true, at(9)
		updateRun(t, st, changed)
		if d := diff(want, getRun(t, st, "r1")); d != "" {
			t.Errorf("an update changed the run's identity:\n%s", d)
		}
	})

	s.run(t, "LeaseRenewedAllowsAgain", func(t *testing.T, st sundial.Store) {
		heartbeat(t, st, "n", -time.Second)
		r := newRun("r1", "a", at(1), sundial.RunRunning, at(1))
		r.Node = "n"
		insertRuns(t, st, r)
		r.Status = sundial.RunSucceeded
		if err := st.RunUpdate(t.Context(), copyRun(r)); !errors.Is(err, sundial.ErrLeaseExpired) || !errors.Is(err, sundial.ErrLeaseLost) {
			t.Fatalf("update under an expired lease: err = %v, want ErrLeaseExpired (which is ErrLeaseLost)", err)
		}
		heartbeat(t, st, "n", time.Hour)
		updateRun(t, st, r)
	})
}

// unwrapAll flattens an errors.Join tree into its leaves.
func unwrapAll(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unwrapAll(e)...)
		}
		return out
	}
	return []error{err}
}

// testRunQueries covers RunList's filters and paging and RunPrune.
func testRunQueries(s suite, t *testing.T) {
	s.run(t, "FiltersAndPages", func(t *testing.T, st sundial.Store) {
		var ids []string
		for i := range 10 {
			r := newRun(fmt.Sprintf("r%d", i), []string{"a", "b"}[i%2], at(i), sundial.RunSucceeded, at(i))
			if i >= 8 {
				r.Node = "node-2"
			}
			insertRuns(t, st, r)
			ids = append([]string{r.ID}, ids...)
		}
		wantRunIDs(t, st, sundial.RunListParams{Node: "node-2"}, "r9", "r8")
		wantRunIDs(t, st, sundial.RunListParams{From: at(3), To: at(6)}, "r5", "r4", "r3")
		wantRunIDs(t, st, sundial.RunListParams{JobID: "a", From: at(3)}, "r8", "r6", "r4")
		wantRunIDs(t, st, sundial.RunListParams{To: at(1)}, "r0")

		// Paging by the last Seq of each page walks every run once.
		var got []string
		p := sundial.RunListParams{Limit: 3}
		for range 10 {
			page, err := st.RunList(t.Context(), p)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, r := range page {
				got = append(got, r.ID)
			}
			p.BeforeSeq = page[len(page)-1].Seq
		}
		if fmt.Sprint(got) != fmt.Sprint(ids) {
			t.Errorf("pages = %v, want %v", got, ids)
		}
		page, err := st.RunList(t.Context(), sundial.RunListParams{JobID: "b", Limit: 2, BeforeSeq: getRun(t, st, "r7").Seq})
		if err != nil || len(page) != 2 || page[0].ID != "r5" || page[1].ID != "r3" {
			t.Errorf("page of job b before r7 = %v, %v; want r5, r3", page, err)
		}
	})

	s.run(t, "PruneByAgeAndCount", func(t *testing.T, st sundial.Store) {
		for i := range 6 {
			r := newRun(fmt.Sprintf("a%d", i), "a", at(i), sundial.RunSucceeded, at(i))
			r.FinishedAt = at(i)
			insertRuns(t, st, r)
		}
		running := newRun("a-running", "a", at(10), sundial.RunRunning, at(0))
		b := newRun("b0", "b", at(0), sundial.RunFailed, at(0))
		b.FinishedAt = at(0)
		insertRuns(t, st, running, b)

		n, err := st.RunPrune(t.Context(), sundial.RunPruneParams{FinishedBefore: at(1)})
		if err != nil || n != 2 {
			t.Errorf("prune by age = %d, %v; want 2 (a0, b0)", n, err)
		}
		wantRunIDs(t, st, sundial.RunListParams{}, "a-running", "a5", "a4", "a3", "a2", "a1")
		n, err = st.RunPrune(t.Context(), sundial.RunPruneParams{KeepPerJob: 2})
		if err != nil || n != 3 {
			t.Errorf("prune to 2 per job = %d, %v; want 3", n, err)
		}
		// Unfinished runs are never pruned and do not count.
		wantRunIDs(t, st, sundial.RunListParams{}, "a-running", "a5", "a4")
		if n, err := st.RunPrune(t.Context(), sundial.RunPruneParams{}); err != nil || n != 0 {
			t.Errorf("prune with no policy = %d, %v; want 0", n, err)
		}
	})

	s.run(t, "PruneByAgeWithoutFinishTime", func(t *testing.T, st sundial.Store) {
		// Missed and skipped runs may be recorded final without a finish
		// time: their age counts from when they were recorded.
		insertRuns(t, st,
			newRun("old", "a", at(0), sundial.RunSkipped, at(0)),
			newRun("new", "a", at(5), sundial.RunMissed, at(5)),
		)
		n, err := st.RunPrune(t.Context(), sundial.RunPruneParams{FinishedBefore: at(1)})
		if err != nil || n != 1 {
			t.Errorf("prune by age = %d, %v; want 1", n, err)
		}
		wantRunIDs(t, st, sundial.RunListParams{}, "new")
	})
}
