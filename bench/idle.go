package main

import (
	"context"
	"runtime/debug"
	"time"
)

// The idle scenario: N one-shot jobs due 30 days from now (a millisecond
// apart), so nothing fires. Figures over the window, after the scheduler
// has settled: CPU seconds, CPU share and RSS. A scheduler that sleeps
// until its next fire uses none.

var idleScenario = peerScenario{
	name:  "idle",
	about: "N jobs due far in the future: CPU seconds over the window",
	keys:  []string{"idle"},
	titles: map[string]string{
		"idle": "idle: N one-shot jobs due 30 days from now",
	},
	sizes: func(quick bool) []int {
		if quick {
			return []int{100_000}
		}
		return []int{100_000, 1_000_000}
	},
	metrics: []metricSpec{
		{name: "cpu", unit: "s", better: lower},
		{name: "cpu_share", unit: "% of a core", better: lower},
		{name: "rss", unit: "MiB", better: lower},
		{name: "fires", unit: "fires", better: none},
	},
}

func childIdle(ctx context.Context, c *childEnv) (*childResult, error) {
	base := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)
	at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Millisecond) }
	rec := newRecorder(64, func(i int, _ time.Time) time.Time { return at(i) })
	d, err := setupPlain(ctx, c, rec, func(i int) plan { return plan{kind: planAt, at: at(i)} })
	if err != nil {
		return nil, err
	}
	if err := sleepUntil(ctx, time.Now().Add(settle(c.n))); err != nil {
		return nil, err
	}
	debug.FreeOSMemory() // collect and return setup garbage before the window
	return measureQuiet(ctx, c, d, rec)
}
