package main

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// robfigDriver runs robfig/cron v3 with seconds, in UTC, logging nothing.
// It has no one-shot schedule and no start time for a repeating one, so
// those are custom Schedules (its extension point): onceAt and
// everySecondFrom.
type robfigDriver struct {
	c   *cron.Cron
	rec *recorder
}

func newRobfigDriver(rec *recorder) *robfigDriver {
	return &robfigDriver{
		c:   cron.New(cron.WithSeconds(), cron.WithLocation(time.UTC), cron.WithLogger(cron.DiscardLogger)),
		rec: rec,
	}
}

func (d *robfigDriver) add(i int, p plan) error {
	rec := d.rec
	job := cron.FuncJob(func() { rec.hit(i, time.Time{}) })
	switch p.kind {
	case planHourly:
		d.c.Schedule(cron.Every(time.Hour), job)
	case planAt:
		d.c.Schedule(onceAt{p.at}, job)
	case planEverySecond:
		d.c.Schedule(everySecondFrom{p.at}, job)
	case planDaily:
		h, m, s := p.hms()
		if _, err := d.c.AddJob(fmt.Sprintf("%d %d %d * * *", s, m, h), job); err != nil {
			return err
		}
	}
	return nil
}

func (d *robfigDriver) start() error { d.c.Start(); return nil }

func (d *robfigDriver) stop() { d.c.Stop() }

// onceAt fires once at t.
type onceAt struct{ t time.Time }

func (o onceAt) Next(now time.Time) time.Time {
	if now.Before(o.t) {
		return o.t
	}
	return time.Time{}
}

// everySecondFrom fires every whole second from t0, a whole second.
type everySecondFrom struct{ t0 time.Time }

func (e everySecondFrom) Next(now time.Time) time.Time {
	if now.Before(e.t0) {
		return e.t0
	}
	return now.Truncate(time.Second).Add(time.Second)
}
