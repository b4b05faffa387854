package metrics

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/trigger"
)

func newMetrics(t *testing.T) *Metrics {
	t.Helper()
	m, err := New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Calls through the wrapper are timed per operation; answers such as
// "not found" and "exists" are not errors.
func TestWrapStoreTimesOperations(t *testing.T) {
	t.Parallel()
	m := newMetrics(t)
	// Only the Store methods, whatever else the memory store offers.
	plain := struct{ sundial.Store }{memory.New(memory.Options{})}
	st := m.WrapStore("main", plain)
	ctx := context.Background()
	job := &sundial.Job{ID: "j", Task: sundial.NoopTask, Trigger: trigger.NewDate(time.Now()), NextRunTime: time.Now()}
	if err := st.JobAdd(ctx, sundial.JobAddParams{Job: job}); err != nil {
		t.Fatal(err)
	}
	if err := st.JobAdd(ctx, sundial.JobAddParams{Job: job}); !errors.Is(err, sundial.ErrConflict) {
		t.Fatalf("second JobAdd = %v, want ErrConflict", err)
	}
	if _, err := st.JobGet(ctx, "nope"); !errors.Is(err, sundial.ErrJobNotFound) {
		t.Fatalf("JobGet = %v, want ErrJobNotFound", err)
	}
	if _, err := st.JobList(ctx, sundial.JobListParams{}); err != nil {
		t.Fatal(err)
	}

	for op, want := range map[string]uint64{"JobAdd": 2, "JobGet": 1, "JobList": 1, "JobRemove": 0} {
		if got := sampleCount(t, m.storeDuration.WithLabelValues("main", op)); got != want {
			t.Errorf("%s samples = %d, want %d", op, got, want)
		}
	}
	// Every operation of the store has an error series from the start,
	// at zero, so that rate() works before the first failure.
	if n := testutil.CollectAndCount(m.storeErrors); n != int(opNodeList)+1 {
		t.Errorf("error series = %d, want %d (one per Store method)", n, opNodeList+1)
	}
	for o := range opNodeList + 1 {
		if got := testutil.ToFloat64(m.storeErrors.WithLabelValues("main", o.String())); got != 0 {
			t.Errorf("errors of %s = %v, want 0", o, got)
		}
	}
	lint(t, m)
}

// failingStore returns err from JobGet and RunUpdate.
type failingStore struct {
	sundial.Store
	err error
}

func (f failingStore) JobGet(context.Context, string) (*sundial.Job, error) { return nil, f.err }

func (f failingStore) RunUpdate(context.Context, ...*sundial.Run) error { return f.err }

func TestWrapStoreCountsErrors(t *testing.T) {
	t.Parallel()
	refused := errors.Join(&sundial.RunError{RunID: "r1", Err: sundial.ErrRunNotFound})
	for _, tc := range []struct {
		err    error
		failed bool
	}{
		{fmt.Errorf("get job: %w", sundial.ErrJobNotFound), false},
		{sundial.ErrConflict, false},
		{sundial.ErrRunNotFound, false},
		{sundial.ErrStale, false},
		{sundial.ErrDuplicateRun, false},
		{sundial.ErrMaxInstances, false},
		{refused, false},
		{sundial.ErrLeaseLost, true},
		{context.DeadlineExceeded, true},
		{errors.New("connection refused"), true},
	} {
		t.Run(tc.err.Error(), func(t *testing.T) {
			t.Parallel()
			m := newMetrics(t)
			st := m.WrapStore("s", failingStore{Store: memory.New(memory.Options{}), err: tc.err})
			_, err := st.JobGet(context.Background(), "j")
			if !errors.Is(err, tc.err) {
				t.Fatalf("JobGet = %v, want the store's error unchanged", err)
			}
			if err := st.RunUpdate(context.Background()); !errors.Is(err, tc.err) {
				t.Fatalf("RunUpdate = %v, want the store's error unchanged", err)
			}
			want := 0.0
			if tc.failed {
				want = 1
			}
			for _, op := range []string{"JobGet", "RunUpdate"} {
				if got := testutil.ToFloat64(m.storeErrors.WithLabelValues("s", op)); got != want {
					t.Errorf("errors of %s = %v, want %v", op, got, want)
				}
				if got := sampleCount(t, m.storeDuration.WithLabelValues("s", op)); got != 1 {
					t.Errorf("samples of %s = %d, want 1", op, got)
				}
			}
		})
	}
}

// A scheduler on a wrapped store: its own calls (heartbeat, claims, run
// records) show up under the store's name.
func TestWrapStoreUnderScheduler(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.start(t)
	e.addJob(t, sundial.JobSpec{ID: "ok", Task: "ok", Trigger: trigger.NewDate(time.Now())})
	e.waitEvents(t, map[string]map[sundial.EventType]int{"ok": {sundial.EventRunSucceeded: 1}})
	for _, op := range []string{"NodeHeartbeat", "JobAdd", "JobClaimDue", "RunUpdate"} {
		if got := sampleCount(t, e.m.storeDuration.WithLabelValues(sundial.DefaultStore, op)); got == 0 {
			t.Errorf("no samples of %s", op)
		}
	}
}
