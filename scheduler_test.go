package sundial_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/trigger"
)

// setup returns a started scheduler on a memory store inside a synctest
// bubble, shut down at the end of the test.
func setup(t *testing.T, cfg sundial.Config) *sundial.Scheduler {
	t.Helper()
	if cfg.Store == nil {
		cfg.Store = memory.New(memory.Options{})
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s, err := sundial.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func every(t *testing.T, def string) trigger.Trigger {
	t.Helper()
	tr, err := trigger.Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func runsByStatus(t *testing.T, s *sundial.Scheduler, jobID string) map[sundial.RunStatus]int {
	t.Helper()
	runs, err := s.ListRuns(context.Background(), sundial.RunListParams{JobID: jobID})
	if err != nil {
		t.Fatal(err)
	}
	out := map[sundial.RunStatus]int{}
	for _, r := range runs {
		out[r.Status]++
	}
	return out
}

func TestIntervalJobRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int32
		reg := sundial.NewRegistry()
		reg.Register("count", func(ctx context.Context, rc *sundial.RunContext) error {
			n.Add(1)
			return nil
		})
		s := setup(t, sundial.Config{Tasks: reg})
		_, err := s.AddJob(context.Background(), sundial.JobSpec{ID: "j", Task: "count",
			Trigger: every(t, `{"type":"interval","seconds":10}`)})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(35 * time.Second)
		synctest.Wait()
		if got := n.Load(); got != 3 {
			t.Fatalf("ran %d times in 35 s, want 3", got)
		}
		if st := runsByStatus(t, s, "j"); st[sundial.RunSucceeded] != 3 {
			t.Fatalf("runs %v", st)
		}
	})
}

func TestFailuresPanicsTimeoutsAndRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := sundial.NewRegistry()
		reg.Register("panic", func(context.Context, *sundial.RunContext) error { panic("boom") })
		reg.Register("slow", func(ctx context.Context, _ *sundial.RunContext) error {
			<-ctx.Done()
			return ctx.Err()
		})
		var tries atomic.Int32
		reg.Register("flaky", func(context.Context, *sundial.RunContext) error {
			if tries.Add(1) < 3 {
				return errors.New("not yet")
			}
			return nil
		})
		s := setup(t, sundial.Config{Tasks: reg})
		ctx := context.Background()
		at := time.Now().Add(time.Second)
		date := trigger.NewDate(at)
		for _, spec := range []sundial.JobSpec{
			{ID: "p", Task: "panic", Trigger: date},
			{ID: "s", Task: "slow", Trigger: date, Timeout: 2 * time.Second},
			{ID: "f", Task: "flaky", Trigger: date, Retry: &sundial.RetryPolicy{Attempts: 3, Backoff: time.Second}},
		} {
			if _, err := s.AddJob(ctx, spec); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		runs, _ := s.ListRuns(ctx, sundial.RunListParams{JobID: "p"})
		if len(runs) != 1 || runs[0].Status != sundial.RunFailed || !contains(runs[0].Error, "boom") || !contains(runs[0].Error, "goroutine") {
			t.Fatalf("panic run: %+v", runs)
		}
		runs, _ = s.ListRuns(ctx, sundial.RunListParams{JobID: "s"})
		if len(runs) != 1 || runs[0].Status != sundial.RunTimedOut {
			t.Fatalf("timeout run: %+v", runs)
		}
		if st := runsByStatus(t, s, "f"); st[sundial.RunFailed] != 2 || st[sundial.RunSucceeded] != 1 {
			t.Fatalf("retries: %v", st)
		}
		if _, err := s.GetJob(ctx, "p"); !errors.Is(err, sundial.ErrJobNotFound) {
			t.Fatalf("a finished one-shot job must be removed, got %v", err)
		}
	})
}

func TestMaxInstancesSkips(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		reg := sundial.NewRegistry()
		reg.Register("block", func(ctx context.Context, _ *sundial.RunContext) error {
			<-release
			return nil
		})
		s := setup(t, sundial.Config{Tasks: reg})
		if _, err := s.AddJob(context.Background(), sundial.JobSpec{ID: "b", Task: "block",
			Trigger: every(t, `{"type":"cron","second":"*"}`)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3500 * time.Millisecond)
		synctest.Wait()
		st := runsByStatus(t, s, "b")
		close(release)
		// Fires at 0, 1, 2 and 3 s: the first runs (and blocks), the others
		// are skipped with a reason.
		if st[sundial.RunRunning] != 1 || st[sundial.RunSkipped] != 3 {
			t.Fatalf("runs %v: want 1 running and 3 skipped", st)
		}
	})
}

func TestAddJobErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := setup(t, sundial.Config{})
		ctx := context.Background()
		_, err := s.AddJob(ctx, sundial.JobSpec{ID: "old", Task: sundial.NoopTask,
			Trigger: trigger.NewDate(time.Now().Add(-time.Hour))})
		if err != nil {
			t.Fatalf("a past date fires once (catch-up decides): %v", err)
		}
		_, err = s.AddJob(ctx, sundial.JobSpec{ID: "ended", Task: sundial.NoopTask,
			Trigger: every(t, `{"type":"interval","hours":1,"start_date":"1999-01-01","end_date":"1999-01-02"}`)})
		var je *sundial.JobError
		if !errors.As(err, &je) || je.Field != "trigger" {
			t.Fatalf("finished trigger: %v", err)
		}
		keep := sundial.JobSpec{ID: "keep", Task: sundial.NoopTask, Trigger: every(t, `{"type":"cron","hour":"9"}`)}
		if _, err := s.AddJob(ctx, keep); err != nil {
			t.Fatal(err)
		}
		_, err = s.AddJob(ctx, keep)
		if !errors.Is(err, sundial.ErrConflict) {
			t.Fatalf("duplicate: %v", err)
		}
		_, err = s.AddJob(ctx, sundial.JobSpec{ID: "x", Task: "nope", Trigger: trigger.NewDate(time.Now())})
		if !errors.As(err, &je) || je.Field != "task" {
			t.Fatalf("unknown task: %v", err)
		}
		keep.ReplaceExisting, keep.Name = true, "replaced"
		if j, err := s.AddJob(ctx, keep); err != nil || j.Name != "replaced" {
			t.Fatalf("replace_existing: %v %v", j, err)
		}
		synctest.Wait()
		jobs, _ := s.ListJobs(ctx, sundial.JobListParams{})
		if len(jobs) != 1 || jobs[0].ID != "keep" {
			t.Fatalf("rejected jobs were stored: %d jobs", len(jobs))
		}
	})
}

func TestShutdownWaitsThenCancels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		started := make(chan struct{})
		reg := sundial.NewRegistry()
		reg.Register("stubborn", func(ctx context.Context, _ *sundial.RunContext) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		})
		s := setup(t, sundial.Config{Tasks: reg})
		if _, err := s.AddJob(context.Background(), sundial.JobSpec{ID: "j", Task: "stubborn",
			Trigger: trigger.NewDate(time.Now())}); err != nil {
			t.Fatal(err)
		}
		<-started
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		begin := time.Now()
		err := s.Shutdown(ctx)
		if err == nil || time.Since(begin) != 5*time.Second {
			t.Fatalf("shutdown returned %v after %v; want a cancellation after 5s", err, time.Since(begin))
		}
		if err := s.Shutdown(context.Background()); err != nil {
			t.Fatalf("second shutdown: %v", err)
		}
		runs, _ := s.ListRuns(context.Background(), sundial.RunListParams{JobID: "j"})
		if len(runs) != 1 || runs[0].Status != sundial.RunInterrupted {
			t.Fatalf("runs %+v", runs)
		}
	})
}

func TestListenerPanicAndEndSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := sundial.NewRegistry()
		var polls atomic.Int32
		reg.Register("poll", func(_ context.Context, rc *sundial.RunContext) error {
			if polls.Add(1) == 3 {
				rc.EndSchedule()
			}
			return nil
		})
		var logs syncBuffer
		s := setup(t, sundial.Config{Tasks: reg, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		var mu sync.Mutex
		var seen []sundial.EventType
		s.AddListener(func(e sundial.Event) { panic("listener bug") }, sundial.EventAll)
		s.AddListener(func(e sundial.Event) {
			mu.Lock()
			seen = append(seen, e.Type)
			mu.Unlock()
		}, sundial.EventRunSucceeded|sundial.EventJobRemoved)
		if _, err := s.AddJob(context.Background(), sundial.JobSpec{ID: "p", Task: "poll",
			Trigger: every(t, `{"type":"interval","seconds":1}`)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if polls.Load() != 3 {
			t.Fatalf("polled %d times, want 3 (the third ends the schedule)", polls.Load())
		}
		if _, err := s.GetJob(context.Background(), "p"); !errors.Is(err, sundial.ErrJobNotFound) {
			t.Fatalf("job still there: %v", err)
		}
		s.Stop()
		mu.Lock()
		defer mu.Unlock()
		if !contains(logs.String(), "event listener panicked") {
			t.Error("the panicking listener was not logged")
		}
		want := []sundial.EventType{sundial.EventRunSucceeded, sundial.EventRunSucceeded, sundial.EventRunSucceeded, sundial.EventJobRemoved}
		if len(seen) != len(want) {
			t.Fatalf("events %v, want %v", seen, want)
		}
	})
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// A run that fails while the scheduler shuts down is not followed by a
// retry that nothing would ever start.
func TestNoRetryAfterShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		started, release := make(chan struct{}), make(chan struct{})
		reg := sundial.NewRegistry()
		reg.Register("fail-late", func(ctx context.Context, _ *sundial.RunContext) error {
			close(started)
			<-release
			return errors.New("gave up")
		})
		s := setup(t, sundial.Config{Tasks: reg})
		if _, err := s.AddJob(context.Background(), sundial.JobSpec{ID: "j", Task: "fail-late",
			Trigger: trigger.NewDate(time.Now()), Retry: &sundial.RetryPolicy{Attempts: 3}}); err != nil {
			t.Fatal(err)
		}
		<-started
		done := make(chan error)
		go func() { done <- s.Shutdown(context.Background()) }()
		synctest.Wait() // Shutdown is waiting for the running job
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		runs, _ := s.ListRuns(context.Background(), sundial.RunListParams{JobID: "j"})
		if len(runs) != 1 || runs[0].Status != sundial.RunFailed {
			for _, r := range runs {
				t.Logf("%s attempt %d %s %s", r.ID, r.Attempt, r.Status, r.Reason)
			}
			t.Fatalf("%d runs after shutdown, want the one failed run", len(runs))
		}
	})
}
