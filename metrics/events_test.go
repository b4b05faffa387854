package metrics

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

// One job per final status, then a shutdown that interrupts the last:
// every fire and outcome is counted once, histograms get a sample per
// started run, and nothing stays in flight.
func TestRunOutcomes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	now := time.Now()
	e.start(t)

	e.addJob(t, sundial.JobSpec{ID: "ok", Task: "ok", Trigger: trigger.NewDate(now)})
	e.addJob(t, sundial.JobSpec{ID: "fail", Task: "fail", Trigger: trigger.NewDate(now)})
	e.addJob(t, sundial.JobSpec{ID: "slow", Task: "block", Trigger: trigger.NewDate(now), Timeout: time.Millisecond})
	// An hour late with a grace of a second: missed. (A schedule whose
	// every fire would be missed is refused, so this one fires again.)
	late := now.Add(-time.Hour)
	every2h, err := trigger.NewInterval(2*time.Hour, late, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	e.addJob(t, sundial.JobSpec{ID: "late", Task: "ok", Trigger: every2h, NextRunTime: late,
		MisfireGraceTime: sundial.Ptr(time.Second)})
	// Three hourly fires due at once, not coalesced, one instance at a
	// time: the first runs (until the shutdown), the others are skipped.
	start := now.Truncate(time.Second).Add(-3*time.Hour + time.Minute)
	hourly, err := trigger.NewInterval(time.Hour, start, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	e.addJob(t, sundial.JobSpec{ID: "busy", Task: "block", Trigger: hourly, NextRunTime: start,
		Coalesce: sundial.Ptr(false)})

	e.waitEvents(t, map[string]map[sundial.EventType]int{
		"ok":   {sundial.EventRunSucceeded: 1},
		"fail": {sundial.EventRunFailed: 1},
		"slow": {sundial.EventRunTimedOut: 1},
		"late": {sundial.EventRunMissed: 1},
		"busy": {sundial.EventRunSubmitted: 1, sundial.EventRunSkipped: 2},
	})
	if got := testutil.ToFloat64(e.m.inFlight); got != 1 {
		t.Errorf("runs in flight while busy runs = %v, want 1", got)
	}
	e.shutdown() // interrupts busy

	err = testutil.CollectAndCompare(e.m.registered, strings.NewReader(`
# HELP sundial_fires_total Fires handled: scheduled (not manual) first attempts recorded as submitted, missed or skipped.
# TYPE sundial_fires_total counter
sundial_fires_total{task="block"} 4
sundial_fires_total{task="fail"} 1
sundial_fires_total{task="ok"} 2
# HELP sundial_runs_total Runs (every attempt) that reached a final status: succeeded, failed, timeout, missed, skipped or interrupted.
# TYPE sundial_runs_total counter
sundial_runs_total{status="failed",task="fail"} 1
sundial_runs_total{status="interrupted",task="block"} 1
sundial_runs_total{status="missed",task="ok"} 1
sundial_runs_total{status="skipped",task="block"} 2
sundial_runs_total{status="succeeded",task="ok"} 1
sundial_runs_total{status="timeout",task="block"} 1
# HELP sundial_runs_in_flight Runs submitted on this node that have not finished yet.
# TYPE sundial_runs_in_flight gauge
sundial_runs_in_flight 0
`), "sundial_fires_total", "sundial_runs_total", "sundial_runs_in_flight")
	if err != nil {
		t.Error(err)
	}
	// ok, fail, slow and busy started; late and the skipped fires did not.
	if got := sampleCount(t, e.m.lateness); got != 4 {
		t.Errorf("lateness samples = %d, want 4", got)
	}
	for task, want := range map[string]uint64{"ok": 1, "fail": 1, "block": 2} {
		if got := sampleCount(t, e.m.duration.WithLabelValues(task)); got != want {
			t.Errorf("duration samples of %s = %d, want %d", task, got, want)
		}
	}
	lint(t, e.m)
}

// A retry is an outcome but not a fire, and it finishes without having
// been submitted (the scheduler emits no submission for it): the gauge
// must not go below zero. A manual run is an outcome, not a fire.
func TestRetryAndManualRun(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.start(t)
	e.addJob(t, sundial.JobSpec{ID: "retried", Task: "fail", Trigger: trigger.NewDate(time.Now()),
		Retry: &sundial.RetryPolicy{Attempts: 1, Backoff: time.Millisecond}})
	e.addJob(t, sundial.JobSpec{ID: "manual", Task: "ok", Trigger: trigger.NewDate(time.Now()), Paused: true})
	if _, err := e.s.RunJobNow(context.Background(), "manual"); err != nil {
		t.Fatal(err)
	}
	e.waitEvents(t, map[string]map[sundial.EventType]int{
		"retried": {sundial.EventRunFailed: 2},
		"manual":  {sundial.EventRunSucceeded: 1},
	})

	err := testutil.CollectAndCompare(e.m.registered, strings.NewReader(`
# HELP sundial_fires_total Fires handled: scheduled (not manual) first attempts recorded as submitted, missed or skipped.
# TYPE sundial_fires_total counter
sundial_fires_total{task="fail"} 1
# HELP sundial_runs_total Runs (every attempt) that reached a final status: succeeded, failed, timeout, missed, skipped or interrupted.
# TYPE sundial_runs_total counter
sundial_runs_total{status="failed",task="fail"} 2
sundial_runs_total{status="succeeded",task="ok"} 1
# HELP sundial_runs_in_flight Runs submitted on this node that have not finished yet.
# TYPE sundial_runs_in_flight gauge
sundial_runs_in_flight 0
`), "sundial_fires_total", "sundial_runs_total", "sundial_runs_in_flight")
	if err != nil {
		t.Error(err)
	}
	// First attempts only: the failed one and the manual run.
	if got := sampleCount(t, e.m.lateness); got != 2 {
		t.Errorf("lateness samples = %d, want 2", got)
	}
	if got := sampleCount(t, e.m.duration.WithLabelValues("fail")); got != 2 {
		t.Errorf("duration samples of fail = %d, want 2", got)
	}
}

// Detaching takes the scheduler's runs out of the gauge, stops counting
// its events and drops it from the scrape-time gauges.
func TestDetach(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.start(t)
	e.addJob(t, sundial.JobSpec{ID: "busy", Task: "block", Trigger: trigger.NewDate(time.Now())})
	e.waitEvents(t, map[string]map[sundial.EventType]int{"busy": {sundial.EventRunSubmitted: 1}})
	if got := testutil.ToFloat64(e.m.inFlight); got != 1 {
		t.Fatalf("runs in flight = %v, want 1", got)
	}

	e.detach()
	e.detach() // idempotent
	if got := testutil.ToFloat64(e.m.inFlight); got != 0 {
		t.Errorf("runs in flight after detach = %v, want 0", got)
	}
	e.shutdown() // the interruption of busy is not counted
	if n := testutil.CollectAndCount(e.m.runs); n != 0 {
		t.Errorf("runs_total has %d series after detach, want 0", n)
	}
	if got := testutil.ToFloat64(e.m.inFlight); got != 0 {
		t.Errorf("runs in flight after shutdown = %v, want 0", got)
	}
	err := testutil.CollectAndCompare(e.m.schedulers, strings.NewReader(`
# HELP sundial_scheduler_state Attached schedulers in each lifecycle state (1 for the current state of a single scheduler).
# TYPE sundial_scheduler_state gauge
sundial_scheduler_state{state="paused"} 0
sundial_scheduler_state{state="running"} 0
sundial_scheduler_state{state="shutdown"} 0
sundial_scheduler_state{state="stopped"} 0
`), "sundial_scheduler_state")
	if err != nil {
		t.Error(err)
	}
}

// The tracker alone, fed events no scheduler emits in tests: the task
// label of a run whose job is unknown, a second submission of one run, and
// a skip of a run already submitted (its task is not registered where it
// executes) that is not a second fire.
func TestTrackerEdges(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tr := &tracker{m: e.m, inFlight: map[string]struct{}{}}
	at := time.Now()
	run := func(id string) *sundial.Run {
		return &sundial.Run{ID: id, JobID: "j", ScheduledAt: at, Attempt: 1}
	}
	for _, ev := range []sundial.Event{
		{Type: sundial.EventRunSubmitted, Task: "t", Run: run("a")},
		{Type: sundial.EventRunSubmitted, Task: "t", Run: run("a")},
		{Type: sundial.EventRunSkipped, Task: "t", Run: run("a")},
		{Type: sundial.EventRunInterrupted, Task: "", Run: run("lost")},
		{Type: sundial.EventJobAdded, JobID: "j"},
		{Type: sundial.EventRunSubmitted, Task: "t", Run: run("b")},
		{Type: sundial.EventSchedulerShutdown},
	} {
		tr.handle(ev)
	}
	err := testutil.CollectAndCompare(e.m.registered, strings.NewReader(`
# HELP sundial_fires_total Fires handled: scheduled (not manual) first attempts recorded as submitted, missed or skipped.
# TYPE sundial_fires_total counter
sundial_fires_total{task="t"} 2
# HELP sundial_runs_total Runs (every attempt) that reached a final status: succeeded, failed, timeout, missed, skipped or interrupted.
# TYPE sundial_runs_total counter
sundial_runs_total{status="interrupted",task="unknown"} 1
sundial_runs_total{status="skipped",task="t"} 1
# HELP sundial_runs_in_flight Runs submitted on this node that have not finished yet.
# TYPE sundial_runs_in_flight gauge
sundial_runs_in_flight 0
`), "sundial_fires_total", "sundial_runs_total", "sundial_runs_in_flight")
	if err != nil {
		t.Error(err)
	}
}
