package chaos_test

import (
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial/internal/chaos"
)

// TestChaosSteady: three nodes share many jobs firing every second, with
// no fault. Every fire is delivered once, promptly, and no node takes more
// than 60% of them.
func TestChaosSteady(t *testing.T) {
	for _, b := range chaos.BackendsFor(0) {
		t.Run(b, func(t *testing.T) { steady(t, b) })
	}
}

func steady(t *testing.T, backend string) {
	n := chaos.Size(60, 200)
	window := chaos.Size(15*time.Second, 60*time.Second)
	c := setup(t, backend, chaos.Options{})
	start := chaos.StartAt(2*time.Second + time.Duration(n)*15*time.Millisecond)
	addJobs(t, c, chaos.Every("steady", n, time.Second, start, nil))
	end := start.Add(window)
	chaos.Until(end)
	c.Settle(end)

	rp := report(c, "steady", window)
	rp.Result = check(c, start, end, false)
	if p99 := rp.Result.Lateness.P99; p99 >= 500*time.Millisecond {
		rp.Fail("lateness p99 %s, want < 500ms", p99.Round(time.Millisecond))
	}
	checkShare(rp)
	rp.Emit(t)
}
