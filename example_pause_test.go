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

// Pausing a job keeps it but clears its next fire time; resuming computes
// the next fire time from now, so fires that passed meanwhile are not
// replayed. The clock is a variable here so the example can move time on.
func ExampleScheduler_PauseJob() {
	now := time.Date(2024, 5, 31, 18, 0, 0, 0, time.UTC)
	s, err := sundial.New(sundial.Config{
		Store:  memory.New(memory.Options{}),
		Clock:  sundial.ClockFunc(func() time.Time { return now }),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	job, err := s.AddJob(ctx, sundial.JobSpec{
		ID:      "nightly-backup",
		Task:    sundial.NoopTask,
		Trigger: trigger.MustParse(`{"type": "cron", "hour": "3"}`),
	})
	if err != nil {
		panic(err)
	}
	show := func(event string, job *sundial.Job) {
		next := "none"
		if !job.NextRunTime.IsZero() {
			next = trigger.FormatTime(job.NextRunTime)
		}
		fmt.Printf("%-7s paused=%t next=%s\n", event, job.Paused, next)
	}
	show("added", job)

	if job, err = s.PauseJob(ctx, "nightly-backup"); err != nil {
		panic(err)
	}
	show("paused", job)

	now = now.Add(3 * 24 * time.Hour) // three nights pass
	if job, err = s.ResumeJob(ctx, "nightly-backup"); err != nil {
		panic(err)
	}
	show("resumed", job)

	if err := s.Shutdown(ctx); err != nil {
		panic(err)
	}
	// Output:
	// added   paused=false next=2024-06-01T03:00:00+00:00
	// paused  paused=true next=none
	// resumed paused=false next=2024-06-04T03:00:00+00:00
}
