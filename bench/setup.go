package main

import (
	"context"
	"fmt"
	"runtime"
	"time"
)

// addAll adds jobs 0..n-1 with plans from mk, giving up when adding takes
// longer than c.cap. It returns how many were added and how long that
// took.
func addAll(ctx context.Context, c *childEnv, d driver, n int, mk func(i int) plan) (int, time.Duration, error) {
	start := time.Now()
	for i := range n {
		if i&63 == 0 && i > 0 {
			if el := time.Since(start); el > c.cap {
				return i, el, nil
			}
			if err := ctx.Err(); err != nil {
				return i, time.Since(start), err
			}
		}
		if err := d.add(i, mk(i)); err != nil {
			return i, time.Since(start), fmt.Errorf("add job %d: %w", i, err)
		}
	}
	return n, time.Since(start), nil
}

// estimateAdd times adding a sample of jobs to a throwaway scheduler and
// extrapolates to n jobs (quadratically for peers whose adds scan every job
// already there).
func estimateAdd(ctx context.Context, c *childEnv, mk func(i int) plan) (time.Duration, error) {
	k := min(c.n, 1000)
	d, err := c.newDriver(newRecorder(0, func(int, time.Time) time.Time { return time.Time{} }))
	if err != nil {
		return 0, err
	}
	defer d.stop()
	added, el, err := addAll(ctx, c, d, k, mk)
	if err != nil {
		return 0, err
	}
	f := float64(c.n) / float64(max(added, 1))
	if addQuadratic[c.peer] {
		f *= f
	}
	return time.Duration(float64(el) * f), nil
}

// setupAt builds the scheduler of a timed scenario: n jobs whose plans
// depend on a fire time at, added before start, then started, all before
// at. at is now plus a lead long enough for the setup, estimated from a
// sample; with align it is a whole second. A setup that still overruns
// is retried once with a lead twice as long as it took. mkRec builds the
// recorder for a given fire time.
func setupAt(ctx context.Context, c *childEnv, align bool,
	mkRec func(at time.Time) *recorder, mkPlan func(i int, at time.Time) plan,
) (driver, *recorder, time.Time, error) {
	far := time.Now().Add(24 * time.Hour).Truncate(time.Second)
	est, err := estimateAdd(ctx, c, func(i int) plan { return mkPlan(i, far) })
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	if est > c.cap {
		return nil, nil, time.Time{}, notAvailable("adding %d jobs would take about %s, over the %s bound", c.n, est.Round(time.Second), c.cap)
	}
	lead := 300*time.Millisecond + 2*est
	for attempt := 1; ; attempt++ {
		at := time.Now().Add(lead)
		if align {
			at = at.Truncate(time.Second).Add(time.Second)
		}
		rec := mkRec(at)
		d, err := c.newDriver(rec)
		if err != nil {
			return nil, nil, time.Time{}, err
		}
		began := time.Now()
		added, el, err := addAll(ctx, c, d, c.n, func(i int) plan { return mkPlan(i, at) })
		if err != nil {
			return nil, nil, time.Time{}, err
		}
		if added < c.n {
			d.stop()
			return nil, nil, time.Time{}, notAvailable("adding %d jobs took over %s (%d added)", c.n, el.Round(time.Second), added)
		}
		if err := d.start(); err != nil {
			return nil, nil, time.Time{}, err
		}
		took := time.Since(began)
		if time.Until(at) > 50*time.Millisecond {
			return d, rec, at, nil
		}
		d.stop()
		runtime.GC()
		if attempt == 2 || 2*took > c.cap {
			return nil, nil, time.Time{}, notAvailable("setting up %d jobs took %s, past their fire time", c.n, took.Round(time.Millisecond))
		}
		lead = 300*time.Millisecond + 2*took
	}
}

// setupPlain adds n jobs and starts the scheduler, for scenarios whose
// plans do not depend on when the setup ends.
func setupPlain(ctx context.Context, c *childEnv, rec *recorder, mk func(i int) plan) (driver, error) {
	est, err := estimateAdd(ctx, c, mk)
	if err != nil {
		return nil, err
	}
	if est > c.cap {
		return nil, notAvailable("adding %d jobs would take about %s, over the %s bound", c.n, est.Round(time.Second), c.cap)
	}
	d, err := c.newDriver(rec)
	if err != nil {
		return nil, err
	}
	added, el, err := addAll(ctx, c, d, c.n, mk)
	if err != nil {
		return nil, err
	}
	if added < c.n {
		return nil, notAvailable("adding %d jobs took over %s (%d added)", c.n, el.Round(time.Second), added)
	}
	if err := d.start(); err != nil {
		return nil, err
	}
	return d, nil
}
