// Package storetest is the contract suite of sundial.Store. Every backend
// (store/memory, store/sqlite, store/postgres, …) proves itself with a
// three-line test:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) sundial.Store { return memory.New(memory.Options{}) })
//	}
//
// Subtests run in parallel and each asks newStore for a store of its own, so
// a backend that shares one server between tests creates a fresh schema,
// database or key prefix there (and drops it with t.Cleanup). Times are fixed
// whole seconds in UTC, compared with time.Equal; JSON is compared by value,
// so a backend may store it in a normalising column type.
//
// Optional capabilities are tested when the store has them: the Audit
// cases run against a store that implements sundial.AuditLog and skip
// otherwise.
//
// A change in store semantics extends this suite first.
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

// Run runs the contract suite against the stores newStore returns. newStore
// is called once per subtest and must return an empty store.
func Run(t *testing.T, newStore func(t *testing.T) sundial.Store) {
	t.Helper()
	s := suite{newStore: newStore}
	for _, g := range []struct {
		name  string
		tests func(suite, *testing.T)
	}{
		{"JobAdd", testJobAdd},
		{"JobGet", testJobGet},
		{"JobList", testJobList},
		{"JobUpdate", testJobUpdate},
		{"JobRemove", testJobRemove},
		{"JobRemoveAll", testJobRemoveAll},
		{"JobNextFireTime", testJobNextFireTime},
		{"JobClaimDue", testJobClaimDue},
		{"ActiveRuns", testActiveRuns},
		{"RunHistory", testRunHistory},
		{"Runs", testRuns},
		{"RunInsert", testRunInsert},
		{"RunUpdate", testRunUpdate},
		{"StartFence", testStartFence},
		{"RunQueries", testRunQueries},
		{"Nodes", testNodes},
		{"RunReap", testRunReap},
		{"RunReapStale", testRunReapStale},
		{"RunReapRestarted", testRunReapRestarted},
		{"RunReapOwnStale", testRunReapOwnStale},
		{"RunRelease", testRunRelease},
		{"Unscheduled", testUnscheduled},
		{"Audit", testAudit},
	} {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			g.tests(s, t)
		})
	}
}

// suite runs each subtest in parallel against a fresh store.
type suite struct {
	newStore func(t *testing.T) sundial.Store
}

func (s suite) run(t *testing.T, name string, fn func(t *testing.T, st sundial.Store)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		st := s.newStore(t)
		// Claims and run updates need a live node: the suite's nodes hold
		// leases for an hour.
		for i := range 10 {
			heartbeat(t, st, fmt.Sprintf("node-%d", i), time.Hour)
		}
		fn(t, st)
	})
}

func testJobAdd(s suite, t *testing.T) {
	s.run(t, "SetsVersion", func(t *testing.T, st sundial.Store) {
		job := newJob("a", at(1))
		job.Version = 42
		if err := st.JobAdd(t.Context(), sundial.JobAddParams{Job: job}); err != nil {
			t.Fatal(err)
		}
		// The scheduler's AddJob returns p.Job, so the version is written
		// back to it.
		if job.Version != 1 {
			t.Errorf("p.Job.Version = %d after JobAdd, want 1", job.Version)
		}
		want := newJob("a", at(1))
		want.Version = 1
		if d := diff(want, getJob(t, st, "a")); d != "" {
			t.Errorf("stored job differs:\n%s", d)
		}
	})

	s.run(t, "RoundTrip", func(t *testing.T, st sundial.Store) {
		minimal := &sundial.Job{ID: "minimal", Task: "t", Args: []byte(`[]`), Kwargs: []byte(`{}`),
			Trigger: everyMinute, NextRunTime: at(2), Options: sundial.Options{MaxInstances: 1}}
		cron := newJob("cron", at(3))
		cron.Trigger = weekdaysBerlin
		date := newJob("date", at(4))
		date.Trigger = dateTrigger
		for _, job := range []*sundial.Job{newJob("full", at(1)), minimal, cron, date, pausedJob("paused")} {
			want := job.Clone()
			want.Version = 1
			addJobs(t, st, job)
			if d := diff(want, getJob(t, st, job.ID)); d != "" {
				t.Errorf("JobGet(%q) after JobAdd differs:\n%s", job.ID, d)
			}
		}
	})

	s.run(t, "DuplicateIsConflict", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)))
		dup := newJob("a", at(5))
		dup.Name = "duplicate"
		err := st.JobAdd(t.Context(), sundial.JobAddParams{Job: dup})
		if !errors.Is(err, sundial.ErrConflict) {
			t.Fatalf("JobAdd of a duplicate id: err = %v, want ErrConflict", err)
		}
		want := newJob("a", at(1))
		want.Version = 1
		if d := diff(want, getJob(t, st, "a")); d != "" {
			t.Errorf("a refused duplicate changed the stored job:\n%s", d)
		}
	})

	s.run(t, "ReplaceBumpsVersionAndReplaces", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)), newJob("b", at(3)))
		repl := newJob("a", at(5))
		repl.Name, repl.Task, repl.Tags = "replaced", "other", []string{"x"}
		if err := st.JobAdd(t.Context(), sundial.JobAddParams{Job: repl, Replace: true}); err != nil {
			t.Fatal(err)
		}
		got := getJob(t, st, "a")
		if got.Version <= 1 {
			t.Errorf("Version after replace = %d, want more than 1", got.Version)
		}
		if repl.Version != got.Version {
			t.Errorf("p.Job.Version = %d after replace, stored %d", repl.Version, got.Version)
		}
		want := repl.Clone()
		want.Version = got.Version
		if d := diff(want, got); d != "" {
			t.Errorf("replaced job differs:\n%s", d)
		}
		// The due set follows the replacement: a moved from 1 to 5.
		wantNextFire(t, st, at(3), true)
	})

	s.run(t, "ReplaceAddsMissing", func(t *testing.T, st sundial.Store) {
		if err := st.JobAdd(t.Context(), sundial.JobAddParams{Job: newJob("a", at(1)), Replace: true}); err != nil {
			t.Fatal(err)
		}
		if v := getJob(t, st, "a").Version; v != 1 {
			t.Errorf("Version = %d, want 1", v)
		}
	})

	s.run(t, "ReplaceWithPausedLeavesDueSet", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)))
		if err := st.JobAdd(t.Context(), sundial.JobAddParams{Job: pausedJob("a"), Replace: true}); err != nil {
			t.Fatal(err)
		}
		wantNextFire(t, st, time.Time{}, false)
		if c := claim(t, st, at(10), 10, advance(sundial.RunSucceeded)); len(c) != 0 {
			t.Errorf("claimed %v, want nothing", claimIDs(c))
		}
	})

	s.run(t, "StoresACopy", func(t *testing.T, st sundial.Store) {
		job := newJob("a", at(1))
		addJobs(t, st, job)
		mutate(job)
		want := newJob("a", at(1))
		want.Version = 1
		if d := diff(want, getJob(t, st, "a")); d != "" {
			t.Errorf("changing the added job changed the store:\n%s", d)
		}
	})
}

func testJobGet(s suite, t *testing.T) {
	s.run(t, "NotFound", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)))
		job, err := st.JobGet(t.Context(), "b")
		if !errors.Is(err, sundial.ErrJobNotFound) {
			t.Errorf("JobGet(unknown) = %v, %v; want ErrJobNotFound", job, err)
		}
	})

	s.run(t, "ReturnsACopy", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)))
		want := getJob(t, st, "a")
		mutate(getJob(t, st, "a"))
		if d := diff(want, getJob(t, st, "a")); d != "" {
			t.Errorf("changing a returned job changed the store:\n%s", d)
		}
	})
}

func testJobList(s suite, t *testing.T) {
	s.run(t, "Empty", func(t *testing.T, st sundial.Store) {
		jobs, err := st.JobList(t.Context(), sundial.JobListParams{})
		if err != nil || len(jobs) != 0 {
			t.Errorf("JobList on an empty store = %v, %v; want nothing", jobs, err)
		}
	})

	s.run(t, "Order", func(t *testing.T, st sundial.Store) {
		// By next fire time, then id; paused jobs last (even one that
		// still carries a next fire time), by id.
		p1 := pausedJob("p1")
		p1.NextRunTime = at(0)
		addJobs(t, st, newJob("d", at(2)), pausedJob("p2"), newJob("c", at(1)), p1, newJob("a", at(2)), newJob("b", at(1)))
		jobs, err := st.JobList(t.Context(), sundial.JobListParams{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := jobIDs(jobs), []string{"b", "c", "a", "d", "p1", "p2"}; !slices.Equal(got, want) {
			t.Errorf("JobList order = %v, want %v", got, want)
		}
	})

	s.run(t, "Filters", func(t *testing.T, st sundial.Store) {
		a := newJob("a", at(1)) // default, report, nightly+billing
		b := newJob("b", at(2))
		b.Executor, b.Task, b.Tags = "io", "sync", []string{"nightly"}
		c := pausedJob("c")
		c.Executor, c.Tags = "io", nil
		d := newJob("d", at(3))
		d.Task, d.Tags = "sync", []string{"billing"}
		addJobs(t, st, d, c, b, a)
		yes, no := true, false
		for _, tc := range []struct {
			name string
			p    sundial.JobListParams
			want []string
		}{
			{"None", sundial.JobListParams{}, []string{"a", "b", "d", "c"}},
			{"Executor", sundial.JobListParams{Executor: "io"}, []string{"b", "c"}},
			{"Task", sundial.JobListParams{Task: "report"}, []string{"a", "c"}},
			{"Tag", sundial.JobListParams{Tag: "billing"}, []string{"a", "d"}},
			{"OtherTag", sundial.JobListParams{Tag: "nightly"}, []string{"a", "b"}},
			{"UnknownTag", sundial.JobListParams{Tag: "weekly"}, nil},
			{"Paused", sundial.JobListParams{Paused: &yes}, []string{"c"}},
			{"NotPaused", sundial.JobListParams{Paused: &no}, []string{"a", "b", "d"}},
			{"ExecutorAndNotPaused", sundial.JobListParams{Executor: "io", Paused: &no}, []string{"b"}},
			{"TaskAndTag", sundial.JobListParams{Task: "sync", Tag: "billing"}, []string{"d"}},
			{"Limit", sundial.JobListParams{Limit: 2}, []string{"a", "b"}},
			{"LimitAboveCount", sundial.JobListParams{Limit: 10}, []string{"a", "b", "d", "c"}},
			{"LimitAndFilter", sundial.JobListParams{Executor: "io", Limit: 1}, []string{"b"}},
		} {
			jobs, err := st.JobList(t.Context(), tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if got := jobIDs(jobs); !slices.Equal(got, tc.want) {
				t.Errorf("%s: JobList(%+v) = %v, want %v", tc.name, tc.p, got, tc.want)
			}
		}
	})

	s.run(t, "ReturnsCopies", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)), newJob("b", at(2)))
		want := getJob(t, st, "a")
		jobs, err := st.JobList(t.Context(), sundial.JobListParams{})
		if err != nil || len(jobs) != 2 {
			t.Fatalf("JobList = %v, %v", jobs, err)
		}
		mutate(jobs[0])
		if d := diff(want, getJob(t, st, "a")); d != "" {
			t.Errorf("changing a listed job changed the store:\n%s", d)
		}
	})

	s.run(t, "MatchesStoredJob", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)))
		jobs, err := st.JobList(t.Context(), sundial.JobListParams{})
		if err != nil || len(jobs) != 1 {
			t.Fatalf("JobList = %v, %v", jobs, err)
		}
		if d := diff(getJob(t, st, "a"), jobs[0]); d != "" {
			t.Errorf("listed job differs from JobGet:\n%s", d)
		}
	})
}

func testJobUpdate(s suite, t *testing.T) {
	s.run(t, "BumpsVersion", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)))
		job := getJob(t, st, "a")
		old := job.Clone()
		job.Name, job.Tags, job.NextRunTime = "renamed", []string{"x"}, at(2)
		if err := st.JobUpdate(t.Context(), job.Clone()); err != nil {
			t.Fatal(err)
		}
		got := getJob(t, st, "a")
		if got.Version <= old.Version {
			t.Errorf("Version after update = %d, want more than %d", got.Version, old.Version)
		}
		job.Version = got.Version
		if d := diff(job, got); d != "" {
			t.Errorf("updated job differs:\n%s", d)
		}
		if err := st.JobUpdate(t.Context(), old); !errors.Is(err, sundial.ErrStale) {
			t.Errorf("second update from the old version: err = %v, want ErrStale", err)
		}
	})

	s.run(t, "VersionMismatchIsStale", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)))
		want := getJob(t, st, "a")
		for _, v := range []int64{0, want.Version - 1, want.Version + 1} {
			job := want.Clone()
			job.Version, job.Name = v, "stale"
			if err := st.JobUpdate(t.Context(), job); !errors.Is(err, sundial.ErrStale) {
				t.Errorf("JobUpdate with version %d (stored %d): err = %v, want ErrStale", v, want.Version, err)
			}
		}
		if d := diff(want, getJob(t, st, "a")); d != "" {
			t.Errorf("a refused update changed the store:\n%s", d)
		}
	})

	s.run(t, "StoresACopy", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)))
		job := getJob(t, st, "a")
		if err := st.JobUpdate(t.Context(), job); err != nil {
			t.Fatal(err)
		}
		want := getJob(t, st, "a")
		mutate(job)
		if d := diff(want, getJob(t, st, "a")); d != "" {
			t.Errorf("changing the updated job changed the store:\n%s", d)
		}
	})

	s.run(t, "UnknownJob", func(t *testing.T, st sundial.Store) {
		job := newJob("a", at(1))
		job.Version = 1
		if err := st.JobUpdate(t.Context(), job); !errors.Is(err, sundial.ErrJobNotFound) {
			t.Errorf("JobUpdate(unknown): err = %v, want ErrJobNotFound", err)
		}
	})

	s.run(t, "PauseRemovesFromDueSet", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)), newJob("b", at(2)))
		job := getJob(t, st, "a")
		job.Paused, job.NextRunTime = true, time.Time{}
		if err := st.JobUpdate(t.Context(), job); err != nil {
			t.Fatal(err)
		}
		wantNextFire(t, st, at(2), true)
		if got := claimIDs(claim(t, st, at(10), 10, advanceBy(time.Hour))); !slices.Equal(got, []string{"b"}) {
			t.Errorf("claimed %v, want [b]", got)
		}
	})

	s.run(t, "ResumeAddsToDueSet", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, pausedJob("a"))
		wantNextFire(t, st, time.Time{}, false)
		job := getJob(t, st, "a")
		job.Paused, job.NextRunTime = false, at(3)
		if err := st.JobUpdate(t.Context(), job); err != nil {
			t.Fatal(err)
		}
		wantNextFire(t, st, at(3), true)
		if got := claimIDs(claim(t, st, at(2), 10, advanceBy(time.Hour))); len(got) != 0 {
			t.Errorf("claimed %v before it was due", got)
		}
		if got := claimIDs(claim(t, st, at(3), 10, advanceBy(time.Hour))); !slices.Equal(got, []string{"a"}) {
			t.Errorf("claimed %v, want [a]", got)
		}
	})

	s.run(t, "RescheduleMovesInDueSet", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)), newJob("b", at(2)))
		job := getJob(t, st, "a")
		job.NextRunTime = at(3)
		if err := st.JobUpdate(t.Context(), job); err != nil {
			t.Fatal(err)
		}
		wantNextFire(t, st, at(2), true)
		if got := claimIDs(claim(t, st, at(2), 10, advanceBy(time.Hour))); !slices.Equal(got, []string{"b"}) {
			t.Errorf("claimed %v, want [b]", got)
		}
	})

	// A claim is a write: an update based on a read from before the claim
	// must not move the next fire time back (that would fire twice).
	s.run(t, "ClaimMakesEarlierReadStale", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)))
		job := getJob(t, st, "a")
		claim(t, st, at(1), 10, advance(sundial.RunSucceeded))
		job.Name = "renamed"
		if err := st.JobUpdate(t.Context(), job); !errors.Is(err, sundial.ErrStale) {
			t.Errorf("JobUpdate from a read before the claim: err = %v, want ErrStale", err)
		}
		if got := getJob(t, st, "a"); !got.NextRunTime.Equal(at(2)) || got.Name == "renamed" {
			t.Errorf("job after refused update: next %s, name %q", got.NextRunTime, got.Name)
		}
	})

	s.run(t, "ConcurrentUpdatesOneWins", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)))
		read := getJob(t, st, "a")
		const writers = 8
		errs := make([]error, writers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				job := read.Clone()
				job.Name = fmt.Sprintf("writer %d", i)
				<-start
				errs[i] = st.JobUpdate(t.Context(), job)
			})
		}
		close(start)
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won >= 0:
				t.Errorf("writers %d and %d both updated version %d", won, i, read.Version)
			case err == nil:
				won = i
			case !errors.Is(err, sundial.ErrStale):
				t.Errorf("writer %d: err = %v, want nil or ErrStale", i, err)
			}
		}
		if won < 0 {
			t.Fatal("no writer won")
		}
		if got := getJob(t, st, "a"); got.Name != fmt.Sprintf("writer %d", won) {
			t.Errorf("stored name %q, want the winner's (writer %d)", got.Name, won)
		}
	})
}

func testJobRemove(s suite, t *testing.T) {
	s.run(t, "Removes", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)), newJob("b", at(2)))
		if err := st.JobRemove(t.Context(), "a"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.JobGet(t.Context(), "a"); !errors.Is(err, sundial.ErrJobNotFound) {
			t.Errorf("JobGet after JobRemove: err = %v, want ErrJobNotFound", err)
		}
		wantNextFire(t, st, at(2), true)
		if got := claimIDs(claim(t, st, at(10), 10, advanceBy(time.Hour))); !slices.Equal(got, []string{"b"}) {
			t.Errorf("claimed %v, want [b]", got)
		}
		jobs, err := st.JobList(t.Context(), sundial.JobListParams{})
		if err != nil || !slices.Equal(jobIDs(jobs), []string{"b"}) {
			t.Errorf("JobList = %v, %v; want [b]", jobIDs(jobs), err)
		}
	})

	s.run(t, "NotFound", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)))
		if err := st.JobRemove(t.Context(), "b"); !errors.Is(err, sundial.ErrJobNotFound) {
			t.Errorf("JobRemove(unknown): err = %v, want ErrJobNotFound", err)
		}
		if err := st.JobRemove(t.Context(), "a"); err != nil {
			t.Fatal(err)
		}
		if err := st.JobRemove(t.Context(), "a"); !errors.Is(err, sundial.ErrJobNotFound) {
			t.Errorf("second JobRemove: err = %v, want ErrJobNotFound", err)
		}
	})

	s.run(t, "AddAgain", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)))
		if err := st.JobRemove(t.Context(), "a"); err != nil {
			t.Fatal(err)
		}
		addJobs(t, st, newJob("a", at(5)))
		if got := getJob(t, st, "a"); !got.NextRunTime.Equal(at(5)) {
			t.Errorf("re-added job: next %s, want %s", got.NextRunTime, at(5))
		}
		wantNextFire(t, st, at(5), true)
	})
}

func testJobRemoveAll(s suite, t *testing.T) {
	s.run(t, "Empty", func(t *testing.T, st sundial.Store) {
		if n, err := st.JobRemoveAll(t.Context()); n != 0 || err != nil {
			t.Errorf("JobRemoveAll on an empty store = %d, %v; want 0, nil", n, err)
		}
	})

	s.run(t, "RemovesEveryJob", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)), newJob("b", at(2)), pausedJob("c"))
		if n, err := st.JobRemoveAll(t.Context()); n != 3 || err != nil {
			t.Fatalf("JobRemoveAll = %d, %v; want 3, nil", n, err)
		}
		jobs, err := st.JobList(t.Context(), sundial.JobListParams{})
		if err != nil || len(jobs) != 0 {
			t.Errorf("JobList after JobRemoveAll = %v, %v", jobIDs(jobs), err)
		}
		wantNextFire(t, st, time.Time{}, false)
		if c := claim(t, st, at(10), 10, advanceBy(time.Hour)); len(c) != 0 {
			t.Errorf("claimed %v after JobRemoveAll", claimIDs(c))
		}
		if n, err := st.JobRemoveAll(t.Context()); n != 0 || err != nil {
			t.Errorf("second JobRemoveAll = %d, %v; want 0, nil", n, err)
		}
		addJobs(t, st, newJob("a", at(3)))
		wantNextFire(t, st, at(3), true)
	})
}

func testJobNextFireTime(s suite, t *testing.T) {
	pausedAt := func(id string, next time.Time) *sundial.Job {
		j := pausedJob(id)
		j.NextRunTime = next
		return j
	}
	for _, tc := range []struct {
		name   string
		jobs   []*sundial.Job
		want   time.Time
		wantOK bool
	}{
		{"Empty", nil, time.Time{}, false},
		{"One", []*sundial.Job{newJob("a", at(3))}, at(3), true},
		{"Earliest", []*sundial.Job{newJob("a", at(3)), newJob("b", at(-2)), newJob("c", at(1))}, at(-2), true},
		{"PausedIgnored", []*sundial.Job{newJob("a", at(3)), pausedJob("b"), pausedAt("c", at(1))}, at(3), true},
		{"AllPaused", []*sundial.Job{pausedJob("a"), pausedAt("b", at(1))}, time.Time{}, false},
	} {
		s.run(t, tc.name, func(t *testing.T, st sundial.Store) {
			for _, j := range tc.jobs {
				addJobs(t, st, j.Clone())
			}
			wantNextFire(t, st, tc.want, tc.wantOK)
		})
	}
}

func testJobClaimDue(s suite, t *testing.T) {
	s.run(t, "OnlyDueAndUnpaused", func(t *testing.T, st sundial.Store) {
		paused := pausedJob("paused")
		paused.NextRunTime = at(-5)
		addJobs(t, st, newJob("future", at(1)), paused, newJob("exact", at(0)), newJob("past", at(-1)))
		got := claimIDs(claim(t, st, at(0), 10, advanceBy(time.Hour)))
		if want := []string{"past", "exact"}; !slices.Equal(got, want) {
			t.Errorf("claimed %v, want %v", got, want)
		}
		for _, id := range []string{"future", "paused"} {
			if v := getJob(t, st, id).Version; v != 1 {
				t.Errorf("job %s not due: version %d after the claim, want 1", id, v)
			}
		}
	})

	s.run(t, "Empty", func(t *testing.T, st sundial.Store) {
		if c := claim(t, st, at(0), 10, advanceBy(time.Hour)); len(c) != 0 {
			t.Errorf("claimed %v from an empty store", claimIDs(c))
		}
	})

	s.run(t, "EarliestFirst", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("c", at(3)), newJob("a", at(-4)), newJob("d", at(0)), newJob("b", at(1)))
		got := claimIDs(claim(t, st, at(5), 10, advanceBy(time.Hour)))
		if want := []string{"a", "d", "b", "c"}; !slices.Equal(got, want) {
			t.Errorf("claimed %v, want %v", got, want)
		}
	})

	for _, limit := range []int{1, 2, 5, 10} {
		s.run(t, fmt.Sprintf("Limit%d", limit), func(t *testing.T, st sundial.Store) {
			all := []string{"j0", "j1", "j2", "j3", "j4"}
			for i, id := range all {
				addJobs(t, st, newJob(id, at(i)))
			}
			var got []string
			for len(got) < len(all) {
				ids := claimIDs(claim(t, st, at(10), limit, advanceBy(time.Hour)))
				if len(ids) == 0 || len(ids) > limit {
					t.Fatalf("claim with limit %d took %v (after %v)", limit, ids, got)
				}
				if want := all[len(got):min(len(got)+limit, len(all))]; !slices.Equal(ids, want) {
					t.Errorf("claim with limit %d took %v, want %v", limit, ids, want)
				}
				got = append(got, ids...)
			}
		})
	}

	s.run(t, "DecideSeesStoredJob", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)))
		want := getJob(t, st, "a")
		var seen []*sundial.Job
		var actives []int
		claim(t, st, at(1), 10, func(job *sundial.Job, active int) sundial.ClaimDecision {
			seen, actives = append(seen, job.Clone()), append(actives, active)
			return sundial.ClaimDecision{NextRunTime: at(2)}
		})
		if len(seen) == 0 {
			t.Fatal("Decide was not called")
		}
		for i, job := range seen {
			if d := diff(want, job); d != "" {
				t.Errorf("Decide call %d got a job that differs from the stored one:\n%s", i, d)
			}
			if actives[i] != 0 {
				t.Errorf("Decide call %d: active = %d, want 0", i, actives[i])
			}
		}
	})

	s.run(t, "AppliesDecision", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)), newJob("b", at(2)))
		before := getJob(t, st, "a")
		var runs []*sundial.Run
		claims := claim(t, st, at(2), 1, func(job *sundial.Job, active int) sundial.ClaimDecision {
			missed := fireRun(job, sundial.RunMissed)
			missed.ID += "-missed"
			missed.ScheduledAt = at(0)
			missed.Reason = "too late"
			runs = []*sundial.Run{missed, fireRun(job, sundial.RunSubmitted)}
			return sundial.ClaimDecision{NextRunTime: at(7), Runs: cloneRuns(runs)}
		})
		if len(claims) != 1 {
			t.Fatalf("claimed %v, want [a]", claimIDs(claims))
		}
		c := claims[0]
		if d := diff(before, c.Job); d != "" {
			t.Errorf("Claim.Job is not the job as claimed:\n%s", d)
		}
		if c.Finished {
			t.Error("Claim.Finished = true, want false")
		}
		if d := diff(runs, c.Runs); d != "" {
			t.Errorf("Claim.Runs differ from the decided runs:\n%s", d)
		}
		got := getJob(t, st, "a")
		if got.Version <= before.Version {
			t.Errorf("Version after the claim = %d, want more than %d", got.Version, before.Version)
		}
		want := before.Clone()
		want.NextRunTime, want.Version = at(7), got.Version
		if d := diff(want, got); d != "" {
			t.Errorf("job after the claim differs:\n%s", d)
		}
		for _, r := range runs {
			if d := diff(r, getRun(t, st, r.ID)); d != "" {
				t.Errorf("recorded run %s differs:\n%s", r.ID, d)
			}
		}
		wantNextFire(t, st, at(2), true) // b is still due
	})

	s.run(t, "FinishedRemovesJob", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)))
		var run *sundial.Run
		claims := claim(t, st, at(1), 10, func(job *sundial.Job, active int) sundial.ClaimDecision {
			run = fireRun(job, sundial.RunSubmitted)
			return sundial.ClaimDecision{Finished: true, Runs: []*sundial.Run{copyRun(run)}}
		})
		if len(claims) != 1 || !claims[0].Finished {
			t.Fatalf("claims = %+v, want a finished claim of a", claims)
		}
		if _, err := st.JobGet(t.Context(), "a"); !errors.Is(err, sundial.ErrJobNotFound) {
			t.Errorf("JobGet of a finished job: err = %v, want ErrJobNotFound", err)
		}
		wantNextFire(t, st, time.Time{}, false)
		if d := diff(run, getRun(t, st, run.ID)); d != "" {
			t.Errorf("recorded run differs:\n%s", d)
		}
		if c := claim(t, st, at(10), 10, advanceBy(time.Hour)); len(c) != 0 {
			t.Errorf("claimed %v after the job finished", claimIDs(c))
		}
	})

	s.run(t, "NoFireTwice", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(0)), newJob("b", at(0)))
		if got := claimIDs(claim(t, st, at(0), 10, advance(sundial.RunSucceeded))); len(got) != 2 {
			t.Fatalf("first claim took %v, want [a b]", got)
		}
		if c := claim(t, st, at(0), 10, advance(sundial.RunSucceeded)); len(c) != 0 {
			t.Errorf("second claim at the same time took %v", claimIDs(c))
		}
		claims := claim(t, st, at(1), 10, advance(sundial.RunSucceeded))
		if len(claims) != 2 {
			t.Fatalf("claim at the next fire took %v, want [a b]", claimIDs(claims))
		}
		for _, c := range claims {
			if !c.Job.NextRunTime.Equal(at(1)) {
				t.Errorf("claim of %s at fire %s, want %s", c.Job.ID, c.Job.NextRunTime, at(1))
			}
		}
	})

	// Decide's job and Claim.Job are read-only snapshots, which a store
	// may share with what it keeps; later writes must not show through, as
	// runs of the claim still read the job while it is updated.
	s.run(t, "ClaimSnapshotIsStable", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)))
		want := getJob(t, st, "a")
		var decided *sundial.Job
		claims := claim(t, st, at(1), 10, func(job *sundial.Job, active int) sundial.ClaimDecision {
			decided = job
			return sundial.ClaimDecision{NextRunTime: job.NextRunTime.Add(time.Minute)}
		})
		if len(claims) != 1 {
			t.Fatalf("claimed %v, want [a]", claimIDs(claims))
		}
		job := getJob(t, st, "a")
		job.Name, job.Tags, job.Args = "renamed", []string{"x"}, []byte(`[2]`)
		if err := st.JobUpdate(t.Context(), job); err != nil {
			t.Fatal(err)
		}
		claim(t, st, at(2), 10, advanceBy(time.Minute))
		if err := st.JobRemove(t.Context(), "a"); err != nil {
			t.Fatal(err)
		}
		if d := diff(want, claims[0].Job); d != "" {
			t.Errorf("Claim.Job changed after later writes:\n%s", d)
		}
		if d := diff(want, decided); d != "" {
			t.Errorf("the job passed to Decide changed after later writes:\n%s", d)
		}
	})

	for _, tc := range []struct {
		name                         string
		jobs, fires, claimers, limit int
	}{
		{"ConcurrentClaimersOneFireEach", 50, 1, 8, 1},
		{"ConcurrentClaimersBacklog", 40, 3, 8, 7},
	} {
		s.run(t, tc.name, func(t *testing.T, st sundial.Store) {
			testConcurrentClaims(t, st, tc.jobs, tc.fires, tc.claimers, tc.limit)
		})
	}
}

// testConcurrentClaims has claimers race over jobs that each have fires due
// fires (one minute apart from the base time), claiming one fire per claim,
// and checks that each (job, fire) was claimed exactly once.
func testConcurrentClaims(t *testing.T, st sundial.Store, jobs, fires, claimers, limit int) {
	for i := range jobs {
		addJobs(t, st, newJob(fmt.Sprintf("j%03d", i), base))
	}
	now := at(fires - 1)
	type fire struct {
		job string
		at  int64
	}
	var (
		mu     sync.Mutex
		claims = map[fire]int{}
		wg     sync.WaitGroup
		start  = make(chan struct{})
	)
	for w := range claimers {
		wg.Go(func() {
			<-start
			for {
				cs, err := st.JobClaimDue(t.Context(), sundial.JobClaimDueParams{
					Now: now, Limit: limit, Node: fmt.Sprintf("node-%d", w), Decide: advance(sundial.RunSucceeded),
				})
				if err != nil {
					t.Errorf("claimer %d: %v", w, err)
					return
				}
				if len(cs) == 0 {
					return
				}
				if len(cs) > limit {
					t.Errorf("claimer %d: %d claims with limit %d", w, len(cs), limit)
				}
				mu.Lock()
				for _, c := range cs {
					claims[fire{c.Job.ID, c.Job.NextRunTime.Unix()}]++
				}
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		return
	}
	if len(claims) != jobs*fires {
		t.Errorf("%d distinct fires claimed, want %d", len(claims), jobs*fires)
	}
	for f, n := range claims {
		if n != 1 {
			t.Errorf("fire %s at %s claimed %d times", f.job, time.Unix(f.at, 0).UTC(), n)
		}
	}
	if c := claim(t, st, now, 1000, advance(sundial.RunSucceeded)); len(c) != 0 {
		t.Errorf("%d jobs still due after the claimers stopped", len(c))
	}
	wantNextFire(t, st, at(fires), true)
	for i := range jobs {
		id := fmt.Sprintf("j%03d", i)
		runs, err := st.RunList(t.Context(), sundial.RunListParams{JobID: id})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != fires {
			t.Errorf("job %s: %d runs recorded, want %d", id, len(runs), fires)
		}
	}
}

func testActiveRuns(s suite, t *testing.T) {
	for _, status := range []sundial.RunStatus{
		sundial.RunSubmitted, sundial.RunRunning, sundial.RunSucceeded, sundial.RunFailed,
		sundial.RunTimedOut, sundial.RunMissed, sundial.RunSkipped, sundial.RunInterrupted,
	} {
		s.run(t, "Status_"+string(status), func(t *testing.T, st sundial.Store) {
			addJobs(t, st, newJob("a", at(0)))
			insertRuns(t, st,
				newRun("r1", "a", at(-1), status, at(-1)),
				newRun("other", "b", at(-1), sundial.RunSubmitted, at(-1)), // another job's
			)
			want := 0
			if !status.Finished() {
				want = 1
			}
			if n := activeSeen(t, st, "a", at(0)); n != want {
				t.Errorf("active with one %s run = %d, want %d", status, n, want)
			}
		})
	}

	s.run(t, "FollowsRuns", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(0)))
		claims := claim(t, st, at(0), 10, advance(sundial.RunSubmitted))
		if len(claims) != 1 {
			t.Fatalf("claimed %v, want [a]", claimIDs(claims))
		}
		claimed := copyRun(claims[0].Runs[0])
		manual := newRun("manual", "a", at(2), sundial.RunSubmitted, at(2))
		manual.Manual = true
		steps := []struct {
			name string
			do   func()
			want int
		}{
			{"AfterClaim", func() {}, 1},
			{"Running", func() { claimed.Status, claimed.StartedAt = sundial.RunRunning, at(1); updateRun(t, st, claimed) }, 1},
			{"ManualInserted", func() { insertRuns(t, st, manual) }, 2},
			{"ClaimedSucceeded", func() { claimed.Status, claimed.FinishedAt = sundial.RunSucceeded, at(3); updateRun(t, st, claimed) }, 1},
			{"ManualFailed", func() { manual.Status, manual.FinishedAt = sundial.RunFailed, at(4); updateRun(t, st, manual) }, 0},
		}
		for i, step := range steps {
			step.do()
			if n := activeSeen(t, st, "a", at(i+1)); n != step.want {
				t.Errorf("%s: active = %d, want %d", step.name, n, step.want)
			}
		}
	})
}

func testRunHistory(s suite, t *testing.T) {
	// The scheduler finishes a run after its job is gone: a one-shot job is
	// removed by the claim that submits its only run.
	s.run(t, "SurvivesFinishedClaim", func(t *testing.T, st sundial.Store) {
		addJobs(t, st, newJob("a", at(1)))
		claims := claim(t, st, at(1), 10, func(job *sundial.Job, active int) sundial.ClaimDecision {
			return sundial.ClaimDecision{Finished: true, Runs: []*sundial.Run{fireRun(job, sundial.RunSubmitted)}}
		})
		if len(claims) != 1 {
			t.Fatalf("claimed %v, want [a]", claimIDs(claims))
		}
		run := copyRun(claims[0].Runs[0])
		run.Status, run.StartedAt = sundial.RunRunning, at(1)
		updateRun(t, st, run)
		run.Status, run.FinishedAt, run.Output = sundial.RunSucceeded, at(2), "done"
		updateRun(t, st, run)
		if d := diff(run, getRun(t, st, run.ID)); d != "" {
			t.Errorf("run of a finished job differs:\n%s", d)
		}
		wantRunIDs(t, st, sundial.RunListParams{JobID: "a"}, run.ID)
	})

	for _, remove := range []struct {
		name string
		fn   func(t *testing.T, st sundial.Store) error
	}{
		{"JobRemove", func(t *testing.T, st sundial.Store) error { return st.JobRemove(t.Context(), "a") }},
		{"JobRemoveAll", func(t *testing.T, st sundial.Store) error { _, err := st.JobRemoveAll(t.Context()); return err }},
	} {
		s.run(t, "Survives"+remove.name, func(t *testing.T, st sundial.Store) {
			addJobs(t, st, newJob("a", at(1)))
			claims := claim(t, st, at(1), 10, advance(sundial.RunSubmitted))
			if len(claims) != 1 {
				t.Fatalf("claimed %v, want [a]", claimIDs(claims))
			}
			running := copyRun(claims[0].Runs[0])
			done := newRun("done", "a", at(0), sundial.RunSucceeded, at(2))
			insertRuns(t, st, done)
			if err := remove.fn(t, st); err != nil {
				t.Fatal(err)
			}
			wantRunIDs(t, st, sundial.RunListParams{JobID: "a"}, done.ID, running.ID)
			running.Status, running.FinishedAt = sundial.RunInterrupted, at(3)
			updateRun(t, st, running)
			if d := diff(running, getRun(t, st, running.ID)); d != "" {
				t.Errorf("run updated after %s differs:\n%s", remove.name, d)
			}
		})
	}
}

func testRuns(s suite, t *testing.T) {
	s.run(t, "RoundTrip", func(t *testing.T, st sundial.Store) {
		full := &sundial.Run{
			ID: "full", JobID: "a", ScheduledAt: at(1), Attempt: 3, Status: sundial.RunFailed,
			Reason: "retry 2 of 3", Manual: true, Coalesced: 4, Node: "node-7",
			CreatedAt: at(1), StartedAt: at(1).Add(2 * time.Second), FinishedAt: at(1).Add(5 * time.Second),
			Output: "line 1\nline 2 ünïcødé\n", Error: "exit status 1",
		}
		minimal := &sundial.Run{ID: "minimal", JobID: "a", ScheduledAt: at(2), Attempt: 1, Status: sundial.RunSubmitted, CreatedAt: at(2)}
		for _, r := range []*sundial.Run{full, minimal} {
			insertRuns(t, st, copyRun(r))
			if d := diff(r, getRun(t, st, r.ID)); d != "" {
				t.Errorf("RunGet(%q) after RunInsert differs:\n%s", r.ID, d)
			}
		}
	})

	s.run(t, "NotFound", func(t *testing.T, st sundial.Store) {
		insertRuns(t, st, newRun("r1", "a", at(1), sundial.RunSubmitted, at(1)))
		if r, err := st.RunGet(t.Context(), "r2"); !errors.Is(err, sundial.ErrRunNotFound) {
			t.Errorf("RunGet(unknown) = %v, %v; want ErrRunNotFound", r, err)
		}
		if err := st.RunUpdate(t.Context(), newRun("r2", "a", at(1), sundial.RunSucceeded, at(1))); !errors.Is(err, sundial.ErrRunNotFound) {
			t.Errorf("RunUpdate(unknown): err = %v, want ErrRunNotFound", err)
		}
		if _, err := st.RunGet(t.Context(), "r2"); !errors.Is(err, sundial.ErrRunNotFound) {
			t.Errorf("RunUpdate(unknown) created the run: RunGet err = %v", err)
		}
	})

	s.run(t, "Update", func(t *testing.T, st sundial.Store) {
		run := newRun("r1", "a", at(1), sundial.RunSubmitted, at(1))
		insertRuns(t, st, copyRun(run))
		run.Status, run.StartedAt = sundial.RunRunning, at(2)
		updateRun(t, st, copyRun(run))
		if d := diff(run, getRun(t, st, "r1")); d != "" {
			t.Errorf("run after the start differs:\n%s", d)
		}
		run.Status, run.FinishedAt, run.Output, run.Error, run.Reason = sundial.RunTimedOut, at(3), "partial", "context deadline exceeded", "timeout 1m0s passed"
		updateRun(t, st, copyRun(run))
		if d := diff(run, getRun(t, st, "r1")); d != "" {
			t.Errorf("run after the end differs:\n%s", d)
		}
		runs, err := st.RunList(t.Context(), sundial.RunListParams{})
		if err != nil || len(runs) != 1 {
			t.Fatalf("RunList = %v, %v", runs, err)
		}
		if d := diff(run, runs[0]); d != "" {
			t.Errorf("listed run differs:\n%s", d)
		}
	})

	s.run(t, "StoresACopy", func(t *testing.T, st sundial.Store) {
		run := newRun("r1", "a", at(1), sundial.RunSubmitted, at(1))
		want := copyRun(run)
		insertRuns(t, st, run)
		run.Status, run.Output = sundial.RunSucceeded, "changed"
		if d := diff(want, getRun(t, st, "r1")); d != "" {
			t.Errorf("changing an inserted run changed the store:\n%s", d)
		}
		want.Status = sundial.RunRunning
		run = copyRun(want)
		updateRun(t, st, run)
		run.Status, run.Output = sundial.RunSucceeded, "changed"
		if d := diff(want, getRun(t, st, "r1")); d != "" {
			t.Errorf("changing an updated run changed the store:\n%s", d)
		}
	})

	s.run(t, "ReturnsCopies", func(t *testing.T, st sundial.Store) {
		want := newRun("r1", "a", at(1), sundial.RunSubmitted, at(1))
		insertRuns(t, st, copyRun(want))
		got := getRun(t, st, "r1")
		got.Status, got.Output = sundial.RunSucceeded, "changed"
		runs, err := st.RunList(t.Context(), sundial.RunListParams{})
		if err != nil || len(runs) != 1 {
			t.Fatalf("RunList = %v, %v", runs, err)
		}
		runs[0].Status, runs[0].Output = sundial.RunFailed, "changed"
		if d := diff(want, getRun(t, st, "r1")); d != "" {
			t.Errorf("changing a returned run changed the store:\n%s", d)
		}
	})

	s.run(t, "List", func(t *testing.T, st sundial.Store) {
		insertRuns(t, st,
			newRun("r1", "a", at(1), sundial.RunSucceeded, at(1)),
			newRun("r2", "b", at(2), sundial.RunFailed, at(2)),
			newRun("r3", "a", at(3), sundial.RunFailed, at(3)),
			newRun("r4", "a", at(4), sundial.RunSubmitted, at(4)),
			newRun("r5", "b", at(5), sundial.RunSucceeded, at(5)),
		)
		for _, tc := range []struct {
			name string
			p    sundial.RunListParams
			want []string
		}{
			{"NewestFirst", sundial.RunListParams{}, []string{"r5", "r4", "r3", "r2", "r1"}},
			{"Job", sundial.RunListParams{JobID: "a"}, []string{"r4", "r3", "r1"}},
			{"Status", sundial.RunListParams{Status: sundial.RunFailed}, []string{"r3", "r2"}},
			{"JobAndStatus", sundial.RunListParams{JobID: "a", Status: sundial.RunFailed}, []string{"r3"}},
			{"Limit", sundial.RunListParams{Limit: 2}, []string{"r5", "r4"}},
			{"LimitAboveCount", sundial.RunListParams{Limit: 9}, []string{"r5", "r4", "r3", "r2", "r1"}},
			{"JobAndLimit", sundial.RunListParams{JobID: "a", Limit: 2}, []string{"r4", "r3"}},
			{"StatusAndLimit", sundial.RunListParams{Status: sundial.RunSucceeded, Limit: 1}, []string{"r5"}},
			{"UnknownJob", sundial.RunListParams{JobID: "c"}, nil},
			{"NoMatch", sundial.RunListParams{Status: sundial.RunMissed}, nil},
		} {
			wantRunIDs(t, st, tc.p, tc.want...)
		}
		// An update does not make a run newer.
		r4 := getRun(t, st, "r4")
		r4.Status = sundial.RunInterrupted
		updateRun(t, st, r4)
		wantRunIDs(t, st, sundial.RunListParams{JobID: "a"}, "r4", "r3", "r1")
		wantRunIDs(t, st, sundial.RunListParams{}, "r5", "r4", "r3", "r2", "r1")
	})
}
