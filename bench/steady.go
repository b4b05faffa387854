package main

import (
	"context"
	"runtime"
	"runtime/debug"
	"time"
)

// The steady scenario: N jobs each firing every whole second (all on the
// same second), for the window. Figures, over the fires scheduled in the
// window's seconds: lateness p50/p99, fires missed or duplicated (counted
// per job and second), and CPU time per 1,000 fires. CPU is measured from
// half a second before the first second to half a second before the one
// after the last, so it holds exactly the window's seconds.

var steadyScenario = peerScenario{
	name:  "steady",
	about: "N jobs each firing every second: lateness, missed or duplicated fires, CPU per 1,000 fires",
	keys:  []string{"steady"},
	titles: map[string]string{
		"steady": "steady: N jobs each firing every whole second",
	},
	sizes: func(quick bool) []int {
		if quick {
			return []int{1_000, 10_000}
		}
		return []int{1_000, 10_000, 100_000}
	},
	metrics: []metricSpec{
		{name: "lateness_p50", unit: "ms", better: lower},
		{name: "lateness_p99", unit: "ms", better: lower},
		{name: "lateness_max", unit: "ms", better: lower},
		{name: "fires", unit: "fires", better: none},
		{name: "missed", unit: "fires", better: lower},
		{name: "duplicated", unit: "fires", better: lower},
		{name: "cpu_per_1000_fires", unit: "ms", better: lower},
		{name: "cpu_share", unit: "% of a core", better: lower},
	},
}

// windowSeconds is the number of whole seconds a steady window of dur
// counts fires in.
func windowSeconds(dur time.Duration) int { return max(int(dur/time.Second), 1) }

func childSteady(ctx context.Context, c *childEnv) (*childResult, error) {
	return steady(ctx, c, false)
}

// childSpread is the steady workload with the jobs' fires spread evenly
// over each second (job i at i/N of it) instead of all on the whole
// second: a steady rate of N fires a second. Only Sundial runs it (it
// passes the scheduled time; the peers' inferred times assume whole
// seconds).
func childSpread(ctx context.Context, c *childEnv) (*childResult, error) {
	return steady(ctx, c, true)
}

func steady(ctx context.Context, c *childEnv, spread bool) (*childResult, error) {
	secs := windowSeconds(c.dur)
	d, rec, t0, err := setupAt(ctx, c, true,
		func(t0 time.Time) *recorder {
			return newRecorder(c.n*secs, everySecondSched(t0)).withSlots(c.n, secs, t0)
		},
		func(i int, t0 time.Time) plan {
			if spread {
				t0 = t0.Add(time.Duration(i) * time.Second / time.Duration(c.n))
			}
			return plan{kind: planEverySecond, at: t0}
		})
	if err != nil {
		return nil, err
	}
	debug.FreeOSMemory() // collect and return setup garbage before the window
	if err := sleepUntil(ctx, t0.Add(-500*time.Millisecond)); err != nil {
		return nil, err
	}
	if err := c.profStart(); err != nil {
		return nil, err
	}
	w := openWindow(rec)
	end := t0.Add(time.Duration(secs)*time.Second - 500*time.Millisecond)
	if err := sleepUntil(ctx, end); err != nil {
		return nil, err
	}
	cpu, wall, fires := w.close(rec)
	c.profStop()
	// Give the last second's fires until half a second later; fires of
	// the following seconds are not counted.
	if err := sleepUntil(ctx, end.Add(time.Second)); err != nil {
		return nil, err
	}
	missed, dup := rec.slotCounts()
	late := rec.lateness()
	if err := c.heapProfile(); err != nil {
		return nil, err
	}
	runtime.KeepAlive(d)

	res := &childResult{}
	res.add("lateness_p50", ms(quantile(late, 0.50)), "ms")
	res.add("lateness_p99", ms(quantile(late, 0.99)), "ms")
	if len(late) > 0 {
		res.add("lateness_max", ms(late[len(late)-1]), "ms")
	}
	res.add("fires", float64(int64(c.n)*int64(secs)-missed), "fires")
	res.add("missed", float64(missed), "fires")
	res.add("duplicated", float64(dup), "fires")
	if fires > 0 {
		res.add("cpu_per_1000_fires", cpu*1e3/float64(fires)*1e3, "ms")
	}
	res.add("cpu_share", 100*cpu/wall, "% of a core")
	return res, nil
}
