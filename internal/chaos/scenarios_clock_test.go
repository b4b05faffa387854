package chaos_test

import (
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial/internal/chaos"
)

// TestChaosClockSkew: one node's clock is 30 s off
// (SUNDIAL_TEST_CLOCK_OFFSET, a test-only hook of sundial serve). Leases
// are judged by the store's clock, and due-ness by the node's estimate of
// it (measured at each heartbeat), so: nothing runs twice, nothing runs
// before its fire time, and the skewed node takes over no run of a live
// node.
func TestChaosClockSkew(t *testing.T) {
	offsets := chaos.Size([]time.Duration{30 * time.Second}, []time.Duration{30 * time.Second, -30 * time.Second})
	for _, b := range chaos.BackendsFor(5) {
		for _, off := range offsets {
			t.Run(b+"/"+off.String(), func(t *testing.T) { clockSkew(t, b, off) })
		}
	}
}

func clockSkew(t *testing.T, backend string, offset time.Duration) {
	n := chaos.Size(30, 100)
	window := chaos.Size(15*time.Second, 60*time.Second)
	c := setup(t, backend, chaos.Options{Env: map[string][]string{"n3": {"SUNDIAL_TEST_CLOCK_OFFSET=" + offset.String()}}})
	skewed := c.Node("n3")
	now, err := chaos.SchedulerTime(skewed.URL())
	if err != nil {
		t.Fatal(err)
	}
	if got := time.Until(now); (got - offset).Abs() > 5*time.Second {
		t.Skipf("n3 ignores SUNDIAL_TEST_CLOCK_OFFSET=%s: its /api/v1/scheduler time is %s off ours", offset, got.Round(time.Millisecond))
	}
	start := chaos.StartAt(2*time.Second + time.Duration(n)*15*time.Millisecond)
	addJobs(t, c, chaos.Every("skew", n, time.Second, start, nil))
	end := start.Add(window)
	chaos.Until(end)
	c.Settle(end)

	rp := report(c, "clock "+offset.String()+" on n3", window)
	rp.Result = check(c, start, end, false)
	if p99 := rp.Result.Lateness.P99; p99 >= time.Second {
		rp.Fail("lateness p99 %s, want < 1s", p99.Round(time.Millisecond))
	}
	// No steal: every node is alive, so no run may be taken over or
	// interrupted as if its node were lost.
	for _, node := range c.Nodes {
		for _, msg := range []string{"run taken over from a lost node", "run interrupted: its node was lost"} {
			if k := chaos.CountLog(node.LogPath(), msg); k > 0 {
				rp.Fail("%s logged %q %d times, with every node alive", node.ID, msg, k)
			}
		}
	}
	// The skewed node follows the store's clock, and says so.
	if chaos.CountLog(skewed.LogPath(), "node clock differs from the store's") == 0 {
		rp.Fail("n3 did not warn that its clock is %s off the store's", offset)
	}
	early := 0
	for _, d := range c.Sink.Deliveries() {
		if d.Arrived.Before(d.Scheduled) {
			early++
		}
	}
	rp.Note("n3 runs %s off; deliveries before their fire time (any amount): %d", offset, early)
	rp.Emit(t)
}
