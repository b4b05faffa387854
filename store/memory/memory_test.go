package memory_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/store/storetest"
	"github.com/sundial-scheduler/sundial/trigger"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) sundial.Store { return memory.New(memory.Options{}) })
}

var base = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// fixture is a store with job "a" due at base, and helpers to fill its run
// history.
type fixture struct {
	t     *testing.T
	store *memory.Store
	seq   int
	now   time.Time
}

func setup(t *testing.T, opts memory.Options) *fixture {
	t.Helper()
	t.Parallel()
	f := &fixture{t: t, store: memory.New(opts), now: base}
	if err := f.store.NodeHeartbeat(t.Context(), &sundial.Node{ID: "n"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	job := &sundial.Job{ID: "a", Task: "t", Trigger: trigger.MustParse(`{"type": "interval", "minutes": 1}`),
		NextRunTime: base, Options: sundial.Options{MaxInstances: 1}}
	if err := f.store.JobAdd(t.Context(), sundial.JobAddParams{Job: job}); err != nil {
		t.Fatal(err)
	}
	return f
}

// insert records n runs of job with the given status and returns their ids,
// oldest first.
func (f *fixture) insert(job string, status sundial.RunStatus, n int) []string {
	f.t.Helper()
	var ids []string
	for range n {
		f.seq++
		id := fmt.Sprintf("%s-%02d", job, f.seq)
		at := base.Add(time.Duration(f.seq) * time.Second)
		r := &sundial.Run{ID: id, JobID: job, ScheduledAt: at, Attempt: 1, Status: status, Node: "n", CreatedAt: at}
		if err := f.store.RunInsert(f.t.Context(), r, 0); err != nil {
			f.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// list returns the ids of the kept runs, newest first ("" for all jobs).
func (f *fixture) list(job string) []string {
	f.t.Helper()
	runs, err := f.store.RunList(f.t.Context(), sundial.RunListParams{JobID: job})
	if err != nil {
		f.t.Fatal(err)
	}
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	return ids
}

// active returns the active count the store reports for job "a".
func (f *fixture) active() int {
	f.t.Helper()
	n := -1
	_, err := f.store.JobClaimDue(f.t.Context(), sundial.JobClaimDueParams{Now: f.now, Limit: 10, Node: "n",
		Decide: func(job *sundial.Job, active int) sundial.ClaimDecision {
			n = active
			return sundial.ClaimDecision{NextRunTime: job.NextRunTime.Add(time.Minute)}
		}})
	if err != nil || n < 0 {
		f.t.Fatalf("claim at %s: active %d, err %v", f.now, n, err)
	}
	f.now = f.now.Add(time.Minute)
	return n
}

// finish records a run as succeeded.
func (f *fixture) finish(id string) {
	f.t.Helper()
	r, err := f.store.RunGet(f.t.Context(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	r.Status, r.FinishedAt = sundial.RunSucceeded, f.now
	if err := f.store.RunUpdate(f.t.Context(), r); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) wantGone(ids ...string) {
	f.t.Helper()
	for _, id := range ids {
		if _, err := f.store.RunGet(f.t.Context(), id); !errors.Is(err, sundial.ErrRunNotFound) {
			f.t.Errorf("run %s: RunGet err = %v, want ErrRunNotFound (evicted)", id, err)
		}
	}
}

func reversed(ids ...[]string) []string {
	out := slices.Concat(ids...)
	slices.Reverse(out)
	return out
}

func TestRunsPerJobEvictsOldestFinished(t *testing.T) {
	f := setup(t, memory.Options{RunsPerJob: 3})
	a := f.insert("a", sundial.RunSucceeded, 5)
	b := f.insert("b", sundial.RunFailed, 2)
	if got, want := f.list("a"), reversed(a[2:]); !slices.Equal(got, want) {
		t.Errorf("runs of a = %v, want the newest three %v", got, want)
	}
	if got, want := f.list("b"), reversed(b); !slices.Equal(got, want) {
		t.Errorf("runs of b = %v, want %v", got, want)
	}
	f.wantGone(a[:2]...)
	if got, want := f.list(""), reversed(a[2:], b); !slices.Equal(got, want) {
		t.Errorf("all runs = %v, want %v", got, want)
	}
}

// The bounds count finished runs; unfinished ones are kept on top of them
// (max_instances bounds those) and still count as active.
func TestRunsPerJobKeepsUnfinished(t *testing.T) {
	f := setup(t, memory.Options{RunsPerJob: 2})
	running := f.insert("a", sundial.RunRunning, 1)
	done := f.insert("a", sundial.RunSucceeded, 4)
	if got, want := f.list("a"), reversed(running, done[2:]); !slices.Equal(got, want) {
		t.Errorf("runs of a = %v, want the running one and the newest two finished %v", got, want)
	}
	f.wantGone(done[:2]...)
	if n := f.active(); n != 1 {
		t.Errorf("active = %d with the running run kept, want 1", n)
	}
}

// A run that finishes last is the newest finished run, whenever it started:
// finishing it evicts the run that finished first, not the finished run
// itself (a long run that overlapped skipped fires keeps its result).
func TestRunsPerJobEvictsInFinishOrder(t *testing.T) {
	f := setup(t, memory.Options{RunsPerJob: 2})
	running := f.insert("a", sundial.RunRunning, 1)
	skipped := f.insert("a", sundial.RunSkipped, 2)
	f.finish(running[0])
	if got, want := f.list("a"), reversed(running, skipped[1:]); !slices.Equal(got, want) {
		t.Errorf("runs of a = %v, want the one that just finished and the newest skipped %v", got, want)
	}
	f.wantGone(skipped[0])
	if n := f.active(); n != 0 {
		t.Errorf("active = %d after the run finished, want 0", n)
	}
}

func TestMaxRunsEvictsOldestFinished(t *testing.T) {
	f := setup(t, memory.Options{MaxRuns: 3})
	a := f.insert("a", sundial.RunSucceeded, 2)
	b := f.insert("b", sundial.RunFailed, 3)
	if got, want := f.list(""), reversed(b); !slices.Equal(got, want) {
		t.Errorf("all runs = %v, want the newest three %v", got, want)
	}
	if got := f.list("a"); len(got) != 0 {
		t.Errorf("runs of a = %v, want none kept", got)
	}
	f.wantGone(a...)
}

func TestMaxRunsKeepsUnfinished(t *testing.T) {
	f := setup(t, memory.Options{MaxRuns: 3})
	submitted := f.insert("a", sundial.RunSubmitted, 1)
	done := f.insert("b", sundial.RunSucceeded, 4)
	if got, want := f.list(""), reversed(submitted, done[1:]); !slices.Equal(got, want) {
		t.Errorf("all runs = %v, want the submitted one and the newest three finished %v", got, want)
	}
	f.wantGone(done[0])
	if n := f.active(); n != 1 {
		t.Errorf("active = %d with a submitted run, want 1", n)
	}
	f.finish(submitted[0])
	if got, want := f.list(""), reversed(submitted, done[2:]); !slices.Equal(got, want) {
		t.Errorf("all runs = %v, want %v", got, want)
	}
	f.wantGone(done[1])
	if n := f.active(); n != 0 {
		t.Errorf("active = %d after the run finished, want 0", n)
	}
}
