package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/reugn/go-quartz/quartz"
)

// quartzDriver runs reugn/go-quartz's StdScheduler with its defaults: a
// goroutine per fire, and fires more than 100 ms late (OutdatedThreshold)
// skipped, which the scenarios count as dropped or missed. A job firing
// every second from a given whole second is a custom Trigger (its extension
// point): SimpleTrigger starts one interval after it is added.
type quartzDriver struct {
	s   quartz.Scheduler
	rec *recorder
	ctx context.Context
}

func newQuartzDriver(rec *recorder) (*quartzDriver, error) {
	s, err := quartz.NewStdScheduler()
	if err != nil {
		return nil, err
	}
	return &quartzDriver{s: s, rec: rec, ctx: context.Background()}, nil
}

// quartzJob is the quartz.Job of every job: it records the fire.
type quartzJob struct {
	i   int
	rec *recorder
}

func (j *quartzJob) Execute(context.Context) error {
	j.rec.hit(j.i, time.Time{})
	return nil
}

func (j *quartzJob) Description() string { return "bench job " + strconv.Itoa(j.i) }

func (d *quartzDriver) add(i int, p plan) error {
	var tr quartz.Trigger
	switch p.kind {
	case planHourly:
		tr = quartz.NewSimpleTrigger(time.Hour)
	case planAt:
		tr = quartz.NewRunOnceTrigger(time.Until(p.at))
	case planEverySecond:
		tr = everySecondTrigger{t0: p.at.UnixNano()}
	case planDaily:
		h, m, s := p.hms()
		ct, err := quartz.NewCronTrigger(fmt.Sprintf("%d %d %d * * ?", s, m, h))
		if err != nil {
			return err
		}
		tr = ct
	}
	jd := quartz.NewJobDetail(&quartzJob{i: i, rec: d.rec}, quartz.NewJobKey(strconv.Itoa(i)))
	return d.s.ScheduleJob(jd, tr)
}

func (d *quartzDriver) start() error { d.s.Start(d.ctx); return nil }

func (d *quartzDriver) stop() { d.s.Stop() }

// everySecondTrigger fires every whole second from t0 (Unix nanoseconds, a
// whole second): the first whole second after prev.
type everySecondTrigger struct{ t0 int64 }

func (t everySecondTrigger) NextFireTime(prev int64) (int64, error) {
	if prev < t.t0 {
		return t.t0, nil
	}
	const sec = int64(time.Second)
	return t.t0 + ((prev-t.t0)/sec+1)*sec, nil
}

func (t everySecondTrigger) Description() string { return "every second" }
