package sundial_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/trigger"
)

// Shutdown stops taking fires and waits for running jobs until its context
// is done. Here the export finishes well within the deadline.
func ExampleScheduler_Shutdown() {
	started := make(chan struct{})
	tasks := sundial.NewRegistry()
	tasks.Register("export", func(ctx context.Context, rc *sundial.RunContext) error {
		close(started)
		select {
		case <-time.After(50 * time.Millisecond): // the work
			rc.Output("exported 1200 rows")
			return nil
		case <-ctx.Done(): // the shutdown deadline passed first
			return ctx.Err()
		}
	})
	s, err := sundial.New(sundial.Config{
		Store:  memory.New(memory.Options{}),
		Tasks:  tasks,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		panic(err)
	}
	if _, err := s.AddJob(ctx, sundial.JobSpec{ID: "export", Task: "export", Trigger: trigger.NewDate(time.Now())}); err != nil {
		panic(err)
	}
	<-started

	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	fmt.Println("shutdown:", s.Shutdown(sctx))

	runs, err := s.ListRuns(ctx, sundial.RunListParams{JobID: "export"})
	if err != nil {
		panic(err)
	}
	fmt.Printf("run: %s, output %q\n", runs[0].Status, runs[0].Output)
	// Output:
	// shutdown: <nil>
	// run: succeeded, output "exported 1200 rows"
}

// When Shutdown's deadline passes first, the contexts of running jobs are
// cancelled and their runs are recorded as interrupted.
func ExampleScheduler_Shutdown_deadline() {
	started := make(chan struct{})
	tasks := sundial.NewRegistry()
	tasks.Register("endless", func(ctx context.Context, rc *sundial.RunContext) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})
	s, err := sundial.New(sundial.Config{
		Store:  memory.New(memory.Options{}),
		Tasks:  tasks,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		panic(err)
	}
	if _, err := s.AddJob(ctx, sundial.JobSpec{ID: "endless", Task: "endless", Trigger: trigger.NewDate(time.Now())}); err != nil {
		panic(err)
	}
	<-started

	sctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	err = s.Shutdown(sctx)
	fmt.Println("deadline exceeded:", errors.Is(err, context.DeadlineExceeded))

	runs, err := s.ListRuns(ctx, sundial.RunListParams{JobID: "endless"})
	if err != nil {
		panic(err)
	}
	fmt.Printf("run: %s (%s)\n", runs[0].Status, runs[0].Reason)
	// Output:
	// deadline exceeded: true
	// run: interrupted (cancelled by scheduler shutdown)
}
