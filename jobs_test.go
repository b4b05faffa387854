package sundial_test

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/trigger"
)

func TestJobOperations(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int32
		reg := sundial.NewRegistry()
		reg.Register("count", func(context.Context, *sundial.RunContext) error { n.Add(1); return nil })
		s := setup(t, sundial.Config{Tasks: reg})
		ctx := context.Background()
		start := time.Now()
		job, err := s.AddJob(ctx, sundial.JobSpec{ID: "j", Task: "count", Tags: []string{"a"},
			Trigger: every(t, `{"type":"interval","minutes":1}`)})
		if err != nil {
			t.Fatal(err)
		}
		if !job.NextRunTime.Equal(start.Add(time.Minute)) || !job.Coalesce || job.MaxInstances != 1 || job.MisfireGraceTime != nil {
			t.Fatalf("defaults: %+v", job)
		}

		if job, err = s.PauseJob(ctx, "j"); err != nil || !job.Paused || !job.NextRunTime.IsZero() {
			t.Fatalf("pause: %+v %v", job, err)
		}
		time.Sleep(5*time.Minute + 30*time.Second)
		synctest.Wait()
		if n.Load() != 0 {
			t.Fatalf("a paused job ran %d times", n.Load())
		}
		// Resume recomputes from now (5:30) on the interval's grid; missed
		// fires are not replayed.
		if job, err = s.ResumeJob(ctx, "j"); err != nil || job.Paused || !job.NextRunTime.Equal(start.Add(6*time.Minute)) {
			t.Fatalf("resume: %+v %v", job, err)
		}

		name, maxInst := "renamed", 3
		if job, err = s.ModifyJob(ctx, "j", sundial.JobChanges{Name: &name, MaxInstances: &maxInst}); err != nil ||
			job.Name != "renamed" || job.MaxInstances != 3 || !job.NextRunTime.Equal(start.Add(6*time.Minute)) {
			t.Fatalf("modify: %+v %v", job, err)
		}
		bad := 0
		var je *sundial.JobError
		if _, err := s.ModifyJob(ctx, "j", sundial.JobChanges{MaxInstances: &bad}); !errors.As(err, &je) || je.Field != "max_instances" {
			t.Fatalf("bad modify: %v", err)
		}

		job, err = s.RescheduleJob(ctx, "j", every(t, `{"type":"cron","second":"30"}`))
		if err != nil || !job.NextRunTime.Equal(start.Add(5*time.Minute+30*time.Second)) {
			t.Fatalf("reschedule: %+v %v", job, err)
		}
		time.Sleep(45 * time.Second)
		synctest.Wait()
		if n.Load() != 1 {
			t.Fatalf("ran %d times after reschedule, want 1", n.Load())
		}

		run, err := s.RunJobNow(ctx, "j")
		if err != nil || !run.Manual {
			t.Fatalf("run now: %+v %v", run, err)
		}
		synctest.Wait()
		if n.Load() != 2 {
			t.Fatalf("run now did not run: %d", n.Load())
		}
		if after, _ := s.GetJob(ctx, "j"); !after.NextRunTime.Equal(job.NextRunTime.Add(time.Minute)) {
			t.Fatalf("run now changed the schedule: %v", after.NextRunTime)
		}

		if jobs, _ := s.ListJobs(ctx, sundial.JobListParams{Tag: "a"}); len(jobs) != 1 {
			t.Fatalf("tag filter: %d", len(jobs))
		}
		if err := s.RemoveJob(ctx, "j"); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveJob(ctx, "j"); !errors.Is(err, sundial.ErrJobNotFound) {
			t.Fatalf("second remove: %v", err)
		}
		if runs, _ := s.ListRuns(ctx, sundial.RunListParams{JobID: "j"}); len(runs) != 2 {
			t.Fatalf("history after remove: %d runs", len(runs))
		}
	})
}

// Pausing the whole scheduler holds fires back; on resume the backlog is
// handled by the catch-up rules (coalesced into one run by default).
func TestSchedulerPauseResumeCoalesces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int32
		reg := sundial.NewRegistry()
		reg.Register("count", func(context.Context, *sundial.RunContext) error { n.Add(1); return nil })
		s := setup(t, sundial.Config{Tasks: reg})
		if _, err := s.AddJob(context.Background(), sundial.JobSpec{ID: "j", Task: "count",
			Trigger: every(t, `{"type":"interval","seconds":10}`)}); err != nil {
			t.Fatal(err)
		}
		s.Pause()
		if s.State() != sundial.StatePaused {
			t.Fatalf("state %v", s.State())
		}
		time.Sleep(time.Minute + time.Second)
		synctest.Wait()
		if n.Load() != 0 {
			t.Fatal("ran while paused")
		}
		s.Resume()
		synctest.Wait()
		runs, _ := s.ListRuns(context.Background(), sundial.RunListParams{JobID: "j"})
		if n.Load() != 1 || len(runs) != 1 || runs[0].Coalesced != 5 {
			t.Fatalf("after resume: %d runs executed, records %+v; want one run with 5 coalesced", n.Load(), runs)
		}
	})
}

// A clock that jumps forward (a suspend, an NTP step) is noticed within
// MaxSleep, and the catch-up rules apply.
func TestClockStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var offset atomic.Int64
		clock := sundial.ClockFunc(func() time.Time { return time.Now().Add(time.Duration(offset.Load())) })
		grace := time.Minute
		var n atomic.Int32
		reg := sundial.NewRegistry()
		reg.Register("count", func(context.Context, *sundial.RunContext) error { n.Add(1); return nil })
		s := setup(t, sundial.Config{Tasks: reg, Clock: clock})
		if _, err := s.AddJob(context.Background(), sundial.JobSpec{ID: "j", Task: "count", MisfireGraceTime: &grace,
			Coalesce: sundial.Ptr(false), Trigger: every(t, `{"type":"cron","minute":"0"}`)}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()                                   // the 00:00 fire runs
		offset.Store(int64(2*time.Hour + 30*time.Second)) // 02:00:30: the 02:00 fire is 30 s late
		time.Sleep(1100 * time.Millisecond)
		synctest.Wait()
		st := runsByStatus(t, s, "j")
		if st[sundial.RunMissed] != 1 || st[sundial.RunSucceeded] != 2 || n.Load() != 2 {
			t.Fatalf("after the step: %v (ran %d)", st, n.Load())
		}
	})
}

// Stop releases every goroutine the scheduler started.
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	s, err := sundial.New(sundial.Config{Store: memory.New(memory.Options{}), Executors: map[string]int{"extra": 3}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	s.AddListener(func(e sundial.Event) {
		if e.Type == sundial.EventRunSucceeded {
			close(done)
		}
	}, sundial.EventRunSucceeded)
	if _, err := s.AddJob(context.Background(), sundial.JobSpec{Task: sundial.NoopTask, Trigger: trigger.NewDate(time.Now())}); err != nil {
		t.Fatal(err)
	}
	<-done
	s.Stop()
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	t.Fatalf("%d goroutines before, %d after Stop:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
}

// Jobs live in the store their spec names; the scheduler dispatches from
// every store and lists across them.
func TestSeveralStores(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int32
		reg := sundial.NewRegistry()
		reg.Register("count", func(context.Context, *sundial.RunContext) error { n.Add(1); return nil })
		archive := memory.New(memory.Options{})
		s := setup(t, sundial.Config{Tasks: reg, Stores: map[string]sundial.Store{"archive": archive}})
		ctx := context.Background()
		for _, spec := range []sundial.JobSpec{
			{ID: "a", Task: "count", Trigger: every(t, `{"type":"interval","seconds":10}`)},
			{ID: "b", Task: "count", Store: "archive", Trigger: every(t, `{"type":"interval","seconds":5}`)},
		} {
			if _, err := s.AddJob(ctx, spec); err != nil {
				t.Fatal(err)
			}
		}
		var je *sundial.JobError
		if _, err := s.AddJob(ctx, sundial.JobSpec{ID: "c", Task: "count", Store: "nope", Trigger: trigger.NewDate(time.Now())}); !errors.As(err, &je) || je.Field != "store" {
			t.Fatalf("unknown store: %v", err)
		}
		if j, err := archive.JobGet(ctx, "b"); err != nil || j.Store != "archive" {
			t.Fatalf("b is not in the archive store: %v %v", j, err)
		}
		jobs, err := s.ListJobs(ctx, sundial.JobListParams{})
		if err != nil || len(jobs) != 2 || jobs[0].ID != "b" {
			t.Fatalf("list across stores (b fires first): %v %v", jobs, err)
		}
		if jobs, _ := s.ListJobs(ctx, sundial.JobListParams{Store: "archive"}); len(jobs) != 1 {
			t.Fatalf("store filter: %d jobs", len(jobs))
		}
		time.Sleep(21 * time.Second)
		synctest.Wait()
		if n.Load() != 6 { // a at 10, 20; b at 5, 10, 15, 20
			t.Fatalf("ran %d times, want 6", n.Load())
		}
		if _, err := s.PauseJob(ctx, "b"); err != nil {
			t.Fatal(err)
		}
		if cnt, err := s.RemoveAllJobs(ctx); err != nil || cnt != 2 {
			t.Fatalf("remove all: %d %v", cnt, err)
		}
	})
}

func TestTaskValidatorRefusesBadArgs(t *testing.T) {
	t.Parallel()
	reg := sundial.NewRegistry()
	reg.RegisterValidated("test:needs-url", func(context.Context, *sundial.RunContext) error { return nil },
		func(args, kwargs json.RawMessage) error {
			var k struct{ URL string }
			_ = json.Unmarshal(kwargs, &k)
			if k.URL == "" {
				return &sundial.JobError{Field: "kwargs.url", Reason: "is required"}
			}
			return nil
		})
	s, err := sundial.New(sundial.Config{Store: memory.New(memory.Options{}), Tasks: reg})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	trig := trigger.MustParse(`{"type":"interval","seconds":5}`)
	_, err = s.AddJob(ctx, sundial.JobSpec{ID: "v", Task: "test:needs-url", Trigger: trig})
	var je *sundial.JobError
	if !errors.As(err, &je) || je.Field != "kwargs.url" || je.JobID != "v" {
		t.Fatalf("AddJob without url: got %v, want a JobError on kwargs.url for job v", err)
	}
	if _, err := s.GetJob(ctx, "v"); !errors.Is(err, sundial.ErrJobNotFound) {
		t.Fatalf("refused job was stored: %v", err)
	}
	if _, err := s.AddJob(ctx, sundial.JobSpec{ID: "v", Task: "test:needs-url", Trigger: trig,
		Kwargs: map[string]string{"url": "https://example.com"}}); err != nil {
		t.Fatalf("AddJob with url: %v", err)
	}
	_, err = s.ModifyJob(ctx, "v", sundial.JobChanges{Kwargs: json.RawMessage(`{}`)})
	if !errors.As(err, &je) || je.Field != "kwargs.url" {
		t.Fatalf("ModifyJob dropping url: got %v, want a JobError on kwargs.url", err)
	}
}

func TestModifyJobIsAtomic(t *testing.T) {
	t.Parallel()
	s, err := sundial.New(sundial.Config{Store: memory.New(memory.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := s.AddJob(ctx, sundial.JobSpec{ID: "m", Task: sundial.NoopTask,
		Trigger: trigger.MustParse(`{"type":"interval","minutes":5}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PauseJob(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	// A bad field next to a trigger change: nothing changes.
	_, err = s.ModifyJob(ctx, "m", sundial.JobChanges{
		Trigger: trigger.MustParse(`{"type":"interval","minutes":6}`), MaxInstances: sundial.Ptr(0)})
	if !errors.Is(err, sundial.ErrInvalidJob) {
		t.Fatalf("ModifyJob with max_instances 0: %v, want ErrInvalidJob", err)
	}
	job, _ := s.GetJob(ctx, "m")
	if b, _ := json.Marshal(job.Trigger); !strings.Contains(string(b), `"minutes":5`) {
		t.Fatalf("trigger changed by a refused modification: %s", b)
	}
	// A trigger change keeps a paused job paused.
	job, err = s.ModifyJob(ctx, "m", sundial.JobChanges{Trigger: trigger.MustParse(`{"type":"interval","minutes":6}`)})
	if err != nil || !job.Paused || !job.NextRunTime.IsZero() {
		t.Fatalf("ModifyJob trigger on paused job: %+v, %v; want it still paused", job, err)
	}
	// A failing check aborts the change.
	errPre := errors.New("precondition")
	_, err = s.ModifyJob(ctx, "m", sundial.JobChanges{Name: sundial.Ptr("x"), Check: func(*sundial.Job) error { return errPre }})
	if !errors.Is(err, errPre) {
		t.Fatalf("ModifyJob with failing check: %v", err)
	}
	if job, _ := s.GetJob(ctx, "m"); job.Name != "m" {
		t.Fatalf("name changed despite the failed check: %q", job.Name)
	}
	// NextRunTime resumes at the given time.
	at := time.Now().Add(time.Hour).Truncate(time.Second)
	job, err = s.ModifyJob(ctx, "m", sundial.JobChanges{NextRunTime: &at})
	if err != nil || job.Paused || !job.NextRunTime.Equal(at) {
		t.Fatalf("ModifyJob NextRunTime: %+v, %v", job, err)
	}
}

func TestAddRefusesAJobThatCouldOnlyBeMissed(t *testing.T) {
	t.Parallel()
	s, err := sundial.New(sundial.Config{Store: memory.New(memory.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	once := trigger.MustParse(`{"type": "date", "run_date": "` + past + `"}`)
	_, err = s.AddJob(ctx, sundial.JobSpec{ID: "late", Task: sundial.NoopTask, Trigger: once, MisfireGraceTime: sundial.Ptr(time.Minute)})
	var je *sundial.JobError
	if !errors.As(err, &je) || je.Field != "trigger" {
		t.Fatalf("past date with 1 minute grace: %v, want a JobError on trigger", err)
	}
	// Without a misfire limit it runs at once, late: accepted.
	if _, err := s.AddJob(ctx, sundial.JobSpec{ID: "late", Task: sundial.NoopTask, Trigger: once}); err != nil {
		t.Fatalf("past date without grace limit: %v", err)
	}
	// Added paused, nothing is missed yet: accepted.
	if _, err := s.AddJob(ctx, sundial.JobSpec{ID: "late2", Task: sundial.NoopTask, Trigger: once,
		MisfireGraceTime: sundial.Ptr(time.Minute), Paused: true}); err != nil {
		t.Fatalf("paused: %v", err)
	}
}

func TestIntervalAnchorsOnWholeSeconds(t *testing.T) {
	t.Parallel()
	s, err := sundial.New(sundial.Config{Store: memory.New(memory.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	job, err := s.AddJob(t.Context(), sundial.JobSpec{Task: sundial.NoopTask, Trigger: trigger.MustParse(`{"type": "interval", "seconds": 1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if job.NextRunTime.Nanosecond() != 0 || !job.NextRunTime.After(before) {
		t.Fatalf("first fire %s: want a whole second after %s", job.NextRunTime, before)
	}
	if d := job.Trigger.Describe(); strings.Contains(d, ".") {
		t.Fatalf("description with a fraction of a second: %s", d)
	}
}
