package chaos_test

import (
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial/internal/chaos"
)

// TestChaosMaxInstances: jobs with max_instances 1 take 1.5 s and fire
// every second, on three nodes. max_instances holds across the cluster:
// their runs never overlap, and the fires that find a run in progress are
// recorded skipped.
func TestChaosMaxInstances(t *testing.T) {
	for _, b := range chaos.BackendsFor(7) {
		t.Run(b, func(t *testing.T) { maxInstances(t, b) })
	}
}

func maxInstances(t *testing.T, backend string) {
	n := chaos.Size(3, 10)
	window := chaos.Size(12*time.Second, 30*time.Second)
	c := setup(t, backend, chaos.Options{})
	start := chaos.StartAt(2 * time.Second)
	addJobs(t, c, chaos.Every("single", n, time.Second, start, func(j *chaos.JobDef) {
		j.MaxInstances, j.Hold = 1, 1500*time.Millisecond
	}))
	end := start.Add(window)
	chaos.Until(end)
	c.Settle(end)

	rp := report(c, "max_instances 1, 1.5s job every 1s", window)
	rp.Result = check(c, start, end, false)
	skipped := rp.Result.Allowed["recorded skipped (max_instances)"]
	if skipped == 0 {
		rp.Fail("no fire was recorded skipped: the runs cannot all have fitted in one second each")
	}
	if len(rp.Result.Share) < 2 {
		rp.Note("only %v ran the jobs: the cluster-wide limit was not exercised across nodes", rp.Result.Share)
	}
	rp.Emit(t)
}
