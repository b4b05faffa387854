package sundial_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/trigger"
)

// Cron jobs fire on calendar rules, written either with APScheduler's cron
// fields or as a crontab string. The first fire time is computed from the
// scheduler's clock, fixed here to a Friday evening so the output does not
// depend on today; the scheduler is not started, so nothing runs.
func ExampleScheduler_AddJob_cron() {
	fixed := time.Date(2024, 5, 31, 18, 0, 0, 0, time.UTC) // Friday
	s, err := sundial.New(sundial.Config{
		Store:  memory.New(memory.Options{}),
		Clock:  sundial.ClockFunc(func() time.Time { return fixed }),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	standup, err := s.AddJob(ctx, sundial.JobSpec{
		ID:      "standup-reminder",
		Task:    sundial.NoopTask,
		Trigger: trigger.MustParse(`{"type": "cron", "day_of_week": "mon-fri", "hour": "9", "minute": "30", "timezone": "Asia/Shanghai"}`),
	})
	if err != nil {
		panic(err)
	}
	poll, err := s.AddJob(ctx, sundial.JobSpec{
		ID:      "poll-inbox",
		Task:    sundial.NoopTask,
		Trigger: trigger.MustParse(`{"type": "crontab", "expr": "*/15 9-17 * * mon-fri", "timezone": "Europe/Berlin"}`),
	})
	if err != nil {
		panic(err)
	}
	for _, job := range []*sundial.Job{standup, poll} {
		fmt.Printf("%s: %s\n  next run %s\n", job.ID, job.Trigger.Describe(), trigger.FormatTime(job.NextRunTime))
	}

	if err := s.Shutdown(ctx); err != nil {
		panic(err)
	}
	// Output:
	// standup-reminder: at 09:30 on Monday through Friday (Asia/Shanghai)
	//   next run 2024-06-03T09:30:00+08:00
	// poll-inbox: every 15 minutes from 09:00 through 17:45 on Monday through Friday (Europe/Berlin)
	//   next run 2024-06-03T09:00:00+02:00
}
