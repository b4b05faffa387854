package main

import (
	"context"
	"runtime"
	"time"
)

// The burst scenario: N one-shot jobs all due at the same instant, added
// before start. Figures: the time from that instant until the last fire
// started, the fire rate over it, lateness (start minus the instant)
// p50/p99/max, and the jobs that never ran (dropped), waited for until
// every job ran, nothing ran for 2 s, or the bound passed.

var burstScenario = peerScenario{
	name:  "burst",
	about: "N one-shot jobs due at the same instant: time until all ran, fires/s, lateness, dropped",
	keys:  []string{"burst"},
	titles: map[string]string{
		"burst": "burst: N one-shot jobs due at the same instant",
	},
	sizes: func(quick bool) []int {
		if quick {
			return []int{1_000, 10_000}
		}
		return []int{1_000, 10_000, 100_000}
	},
	metrics: []metricSpec{
		{name: "time_until_all_ran", unit: "ms", better: lower},
		{name: "fires_per_s", unit: "fires/s", better: higher},
		{name: "lateness_p50", unit: "ms", better: lower},
		{name: "lateness_p99", unit: "ms", better: lower},
		{name: "lateness_max", unit: "ms", better: lower},
		{name: "dropped", unit: "jobs", better: lower},
	},
}

// burstStall ends the wait for a burst when nothing has run for this long.
const burstStall = 2 * time.Second

// storeBurstStall is burstStall on a durable store (the stores scenario):
// one claim records the runs of its whole batch before any of them
// starts, which at a large batch on a slow store takes seconds.
const storeBurstStall = 10 * time.Second

func childBurst(ctx context.Context, c *childEnv) (*childResult, error) {
	d, rec, at, err := setupAt(ctx, c, false,
		func(at time.Time) *recorder {
			return newRecorder(c.n, func(int, time.Time) time.Time { return at })
		},
		func(_ int, at time.Time) plan { return plan{kind: planAt, at: at} })
	if err != nil {
		return nil, err
	}
	if err := sleepUntil(ctx, at.Add(-20*time.Millisecond)); err != nil {
		return nil, err
	}
	if err := c.profStart(); err != nil {
		return nil, err
	}
	stall := burstStall
	if c.store != "" {
		stall = storeBurstStall
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	last, lastChange := int64(0), time.Now()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		<-tick.C
		f := rec.fires.Load()
		now := time.Now()
		if f != last {
			last, lastChange = f, now
		}
		if f >= int64(c.n) || (now.After(at) && now.Sub(lastChange) > stall) || now.Sub(at) > c.cap {
			break
		}
	}
	c.profStop()
	if err := c.heapProfile(); err != nil {
		return nil, err
	}
	runtime.KeepAlive(d)

	res := &childResult{}
	late := rec.lateness()
	fired := rec.fires.Load()
	if len(late) == 0 {
		res.notef("%s: no job ran within %s", c.peer, stall)
		res.add("dropped", float64(c.n), "jobs")
		return res, nil
	}
	all := late[len(late)-1]
	res.add("time_until_all_ran", ms(all), "ms")
	if all > 0 {
		res.add("fires_per_s", float64(fired)/all.Seconds(), "fires/s")
	}
	res.add("lateness_p50", ms(quantile(late, 0.50)), "ms")
	res.add("lateness_p99", ms(quantile(late, 0.99)), "ms")
	res.add("lateness_max", ms(all), "ms")
	res.add("dropped", float64(int64(c.n)-fired), "jobs")
	if fired < int64(c.n) {
		res.notef("%s: %d of %d jobs never ran; time and rate are until the last one that did", c.peer, int64(c.n)-fired, c.n)
	}
	return res, nil
}
