package chaos_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial/internal/chaos"
)

// TestChaosScale (long form only, PostgreSQL) measures the fires per
// second a cluster of 1, 2 and 3 nodes sustains with run history kept:
// jobs firing every second are added in steps until lateness p99 passes
// 1 s or a fire is missed; the last step that held is the cluster's rate.
func TestChaosScale(t *testing.T) {
	if !chaos.Long() {
		t.Skip("the scale measurement runs in the long form only (SUNDIAL_CHAOS=long)")
	}
	steps := []int{100, 200, 400, 700, 1000}
	const stepWindow = 15 * time.Second
	var lines []string
	for nodes := 1; nodes <= 3; nodes++ {
		t.Run(fmt.Sprintf("%dnodes", nodes), func(t *testing.T) {
			c := setup(t, chaos.Postgres, chaos.Options{Nodes: nodes})
			best, bestP99 := 0, time.Duration(0)
			total := 0
			for i, target := range steps {
				add := target - total
				start := chaos.StartAt(2*time.Second + time.Duration(add)*15*time.Millisecond)
				addJobs(t, c, chaos.Every(fmt.Sprintf("scale%d", i), add, time.Second, start, nil))
				total = target
				// Measure once every job fires: from the new jobs' start.
				from := start.Add(2 * time.Second)
				to := from.Add(stepWindow)
				chaos.Until(to)
				c.Settle(to)
				res := chaos.Check(chaos.Input{Jobs: c.Jobs, From: from, To: to, Deliveries: c.Sink.Deliveries()})
				held := res.Lateness.P99 <= time.Second && res.Delivered == res.Expected && res.Duplicates == 0
				t.Logf("%d nodes, %d jobs: delivered %d of %d, duplicates %d, lateness %s, held: %v",
					nodes, target, res.Delivered, res.Expected, res.Duplicates, res.Lateness, held)
				if !held {
					break
				}
				best, bestP99 = target, res.Lateness.P99
			}
			line := fmt.Sprintf("| %d | %d fires/s | %s |", nodes, best, bestP99.Round(time.Millisecond))
			if best == steps[len(steps)-1] {
				line = fmt.Sprintf("| %d | at least %d fires/s (the largest step) | %s |", nodes, best, bestP99.Round(time.Millisecond))
			}
			lines = append(lines, line)
		})
	}
	fmt.Printf("\nscale (PostgreSQL, history on, interval 1s jobs, steps %v, %s each):\n| nodes | sustained | lateness p99 at that rate |\n|---|---|---|\n", steps, stepWindow)
	for _, l := range lines {
		fmt.Println(l)
	}
}
