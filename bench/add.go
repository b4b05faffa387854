package main

import (
	"context"
	"runtime"
	"time"
)

// The add scenario: add N jobs, each firing every hour (so nothing fires
// while they are added), to a scheduler that is not started yet, and to one
// that is running. Figures: the time to add them all, per job, the live
// heap per job (after a full GC) and the process RSS. A peer that takes
// longer than the bound is stopped there and its figures are lower bounds
// ("> "), extrapolated from the jobs it added: adding more jobs never costs
// it less.

var addScenario = peerScenario{
	name:  "add",
	about: "add N jobs before start and while running: time, ns/job, heap bytes/job, RSS",
	keys:  []string{"add/before-start", "add/running"},
	titles: map[string]string{
		"add/before-start": "add/before-start: add N jobs (each every hour) to a scheduler not yet started",
		"add/running":      "add/running: add N jobs (each every hour) to a running scheduler",
	},
	sizes: func(quick bool) []int {
		if quick {
			return []int{10_000, 100_000}
		}
		return []int{10_000, 100_000, 1_000_000}
	},
	metrics: []metricSpec{
		{name: "time", unit: "s", better: lower},
		{name: "ns_per_job", unit: "ns", better: lower},
		{name: "heap_bytes_per_job", unit: "B", better: lower},
		{name: "rss", unit: "MiB", better: lower},
	},
}

func childAdd(ctx context.Context, c *childEnv, running bool) (*childResult, error) {
	rec := newRecorder(0, func(int, time.Time) time.Time { return time.Time{} })
	d, err := c.newDriver(rec)
	if err != nil {
		return nil, err
	}
	if running {
		if err := d.start(); err != nil {
			return nil, err
		}
	}
	h0 := heapAlloc()
	if err := c.profStart(); err != nil {
		return nil, err
	}
	added, el, err := addAll(ctx, c, d, c.n, func(int) plan { return plan{kind: planHourly} })
	c.profStop()
	if err != nil {
		return nil, err
	}
	h1 := heapAlloc()
	rss, _ := procStatus()
	if err := c.heapProfile(); err != nil {
		return nil, err
	}
	runtime.KeepAlive(d)

	res := &childResult{}
	perJob := float64(el.Nanoseconds()) / float64(added)
	if added < c.n {
		// Adding job k costs it at least as much as adding any earlier
		// one, so the average over all n is at least that over the first
		// added.
		res.addBound("time", perJob*float64(c.n)/1e9, "s")
		res.addBound("ns_per_job", perJob, "ns")
		res.notef("%s: stopped at the %s bound after adding %d of %d jobs; time and ns/job are lower bounds extrapolated from them, heap and RSS are for the jobs added",
			c.peer, c.cap, added, c.n)
	} else {
		res.add("time", el.Seconds(), "s")
		res.add("ns_per_job", perJob, "ns")
	}
	res.add("heap_bytes_per_job", (float64(h1)-float64(h0))/float64(added), "B")
	res.add("rss", float64(rss)/mib, "MiB")
	return res, nil
}
