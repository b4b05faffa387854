package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

// A run that its node hands back at shutdown (here a fire waiting out its
// jitter) is not an outcome: the node that takes it over counts how it
// ends, so this one counts no run, interrupted or other.
func TestReleasedRunIsNoOutcome(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.start(t)
	// A jitter of up to an hour: the fire waits, unstarted (but for a
	// draw under a millisecond, one in millions).
	tr, err := trigger.Parse([]byte(`{"type": "interval", "hours": 1, "jitter": 3600}`))
	if err != nil {
		t.Fatal(err)
	}
	e.addJob(t, sundial.JobSpec{ID: "late", Task: "ok", Trigger: tr, NextRunTime: time.Now()})
	e.waitEvents(t, map[string]map[sundial.EventType]int{"late": {sundial.EventRunSubmitted: 1}})
	if got := testutil.ToFloat64(e.m.inFlight); got != 1 {
		t.Fatalf("runs in flight = %v, want 1", got)
	}
	e.shutdown()
	e.waitEvents(t, map[string]map[sundial.EventType]int{"late": {sundial.EventRunReleased: 1}})
	if n := testutil.CollectAndCount(e.m.runs); n != 0 {
		t.Errorf("runs_total has %d series after the release, want none", n)
	}
	if got := testutil.ToFloat64(e.m.inFlight); got != 0 {
		t.Errorf("runs in flight after the shutdown = %v, want 0", got)
	}
}

// The tracker alone: a released run leaves the runs in flight at once
// (before the scheduler's shutdown event), and a release of a run it did
// not see submitted changes nothing.
func TestTrackerReleased(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tr := &tracker{m: e.m, inFlight: map[string]struct{}{}}
	run := func(id string) *sundial.Run {
		return &sundial.Run{ID: id, JobID: "j", ScheduledAt: time.Now(), Attempt: 1}
	}
	for _, ev := range []sundial.Event{
		{Type: sundial.EventRunSubmitted, Task: "t", Run: run("a")},
		{Type: sundial.EventRunSubmitted, Task: "t", Run: run("b")},
		{Type: sundial.EventRunReleased, Task: "t", Run: run("a")},
		{Type: sundial.EventRunReleased, Task: "t", Run: run("unseen")},
	} {
		tr.handle(ev)
	}
	err := testutil.CollectAndCompare(e.m.registered, strings.NewReader(`
# HELP sundial_fires_total Fires handled: scheduled (not manual) first attempts recorded as submitted, missed or skipped.
# TYPE sundial_fires_total counter
sundial_fires_total{task="t"} 2
# HELP sundial_runs_in_flight Runs submitted on this node that have not finished yet.
# TYPE sundial_runs_in_flight gauge
sundial_runs_in_flight 1
`), "sundial_fires_total", "sundial_runs_total", "sundial_runs_in_flight")
	if err != nil {
		t.Error(err)
	}
}
