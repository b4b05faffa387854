package main

import (
	"context"
	"log/slog"
	"runtime"
	"strconv"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/trigger"
)

// benchTask is the task every Sundial job runs.
const benchTask = "bench:record"

// sundialDriver runs Sundial with the memory store, run history bounded to
// a little, a worker pool of 4 per CPU and large claim batches.
type sundialDriver struct {
	s   *sundial.Scheduler
	ctx context.Context
}

func newSundialDriver(rec *recorder) (*sundialDriver, error) {
	return newSundialWith(sundial.Config{
		Store:      memory.New(memory.Options{RunsPerJob: 2, MaxRuns: 1000}),
		Executors:  map[string]int{"default": runtime.GOMAXPROCS(0) * 4},
		Logger:     slog.New(slog.DiscardHandler),
		ClaimBatch: 10_000,
	}, rec)
}

// newSundialWith returns a scheduler with cfg whose one task reports to
// rec (cfg.Tasks is replaced).
func newSundialWith(cfg sundial.Config, rec *recorder) (*sundialDriver, error) {
	reg := sundial.NewRegistry()
	reg.Register(benchTask, func(_ context.Context, rc *sundial.RunContext) error {
		i, err := strconv.Atoi(rc.JobID)
		if err != nil {
			i = -1
		}
		rec.hit(i, rc.ScheduledAt)
		return nil
	})
	cfg.Tasks = reg
	s, err := sundial.New(cfg)
	if err != nil {
		return nil, err
	}
	return &sundialDriver{s: s, ctx: context.Background()}, nil
}

func (d *sundialDriver) add(i int, p plan) error {
	var tr trigger.Trigger
	var err error
	switch p.kind {
	case planHourly:
		tr, err = trigger.NewInterval(time.Hour, time.Time{}, time.UTC)
	case planAt:
		tr = trigger.NewDate(p.at)
	case planEverySecond:
		tr, err = trigger.NewInterval(time.Second, p.at, time.UTC)
	case planDaily:
		h, m, s := p.hms()
		tr, err = trigger.NewCron(trigger.CronFields{
			Hour: strconv.Itoa(h), Minute: strconv.Itoa(m), Second: strconv.Itoa(s),
		}, time.UTC)
	}
	if err != nil {
		return err
	}
	_, err = d.s.AddJob(d.ctx, sundial.JobSpec{ID: strconv.Itoa(i), Task: benchTask, Trigger: tr})
	return err
}

func (d *sundialDriver) start() error { return d.s.Start(d.ctx) }

func (d *sundialDriver) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = d.s.Shutdown(ctx)
}
