package main

import (
	"context"
	"runtime"
	"runtime/debug"
	"time"
)

// The sparse scenario: N jobs each firing once a day at its own time of
// day (whole seconds spread evenly over the day from now on, so a handful
// fire every second). Figures over the window, after the scheduler has
// settled: the CPU share of one core, the RSS at its end and the fires in
// it.

var sparseScenario = peerScenario{
	name:  "sparse",
	about: "N jobs each at its own time of day: CPU share and RSS",
	keys:  []string{"sparse"},
	titles: map[string]string{
		"sparse": "sparse: N jobs each firing daily at its own time of day",
	},
	sizes: func(quick bool) []int {
		if quick {
			return []int{100_000}
		}
		return []int{1_000_000}
	},
	metrics: []metricSpec{
		{name: "cpu_share", unit: "% of a core", better: lower},
		{name: "cpu", unit: "s", better: lower},
		{name: "rss", unit: "MiB", better: lower},
		{name: "fires", unit: "fires", better: none},
	},
}

const secondsPerDay = 86400

// settle is how long a started scheduler is left alone before a window
// opens, so that work done once at start (robfig computes every entry's
// next time and sorts them) stays out of it.
func settle(n int) time.Duration { return time.Second + time.Duration(n)*2*time.Microsecond }

func childSparse(ctx context.Context, c *childEnv) (*childResult, error) {
	now := time.Now().UTC()
	day := now.Truncate(24 * time.Hour)
	base := int(now.Sub(day)/time.Second) + 2
	tod := func(i int) int { return (base + int(int64(i)*secondsPerDay/int64(c.n))) % secondsPerDay }
	rec := newRecorder(64+c.n/100, func(i int, now time.Time) time.Time {
		d := now.UTC().Truncate(24 * time.Hour)
		at := d.Add(time.Duration(tod(i)) * time.Second)
		if at.After(now) {
			at = at.Add(-24 * time.Hour)
		}
		return at
	})
	d, err := setupPlain(ctx, c, rec, func(i int) plan { return plan{kind: planDaily, tod: tod(i)} })
	if err != nil {
		return nil, err
	}
	if err := sleepUntil(ctx, time.Now().Add(settle(c.n))); err != nil {
		return nil, err
	}
	debug.FreeOSMemory() // collect and return setup garbage before the window
	return measureQuiet(ctx, c, d, rec)
}

// measureQuiet measures a scheduler left alone over the window: CPU, RSS
// and fires.
func measureQuiet(ctx context.Context, c *childEnv, d driver, rec *recorder) (*childResult, error) {
	if err := c.profStart(); err != nil {
		return nil, err
	}
	w := openWindow(rec)
	if err := sleepUntil(ctx, time.Now().Add(c.dur)); err != nil {
		return nil, err
	}
	cpu, wall, fires := w.close(rec)
	c.profStop()
	rss, _ := procStatus()
	if err := c.heapProfile(); err != nil {
		return nil, err
	}
	runtime.KeepAlive(d)

	res := &childResult{}
	res.add("cpu_share", 100*cpu/wall, "% of a core")
	res.add("cpu", cpu, "s")
	res.add("rss", float64(rss)/mib, "MiB")
	res.add("fires", float64(fires), "fires")
	return res, nil
}
