package main

import (
	"time"

	"github.com/go-co-op/gocron/v2"
)

// gocronDriver runs go-co-op/gocron v2 in UTC with its defaults (no
// concurrency limit, its no-op logger).
type gocronDriver struct {
	s   gocron.Scheduler
	rec *recorder
}

func newGocronDriver(rec *recorder) (*gocronDriver, error) {
	s, err := gocron.NewScheduler(gocron.WithLocation(time.UTC))
	if err != nil {
		return nil, err
	}
	return &gocronDriver{s: s, rec: rec}, nil
}

func (d *gocronDriver) add(i int, p plan) error {
	rec := d.rec
	task := gocron.NewTask(func() { rec.hit(i, time.Time{}) })
	var err error
	switch p.kind {
	case planHourly:
		_, err = d.s.NewJob(gocron.DurationJob(time.Hour), task)
	case planAt:
		_, err = d.s.NewJob(gocron.OneTimeJob(gocron.OneTimeJobStartDateTime(p.at)), task)
	case planEverySecond:
		_, err = d.s.NewJob(gocron.DurationJob(time.Second), task,
			gocron.WithStartAt(gocron.WithStartDateTime(p.at)))
	case planDaily:
		h, m, s := p.hms()
		_, err = d.s.NewJob(gocron.DailyJob(1, gocron.NewAtTimes(gocron.NewAtTime(uint(h), uint(m), uint(s)))), task)
	}
	return err
}

func (d *gocronDriver) start() error { d.s.Start(); return nil }

func (d *gocronDriver) stop() { _ = d.s.Shutdown() }
