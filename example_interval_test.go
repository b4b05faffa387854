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

// An interval job fires every period. Setting NextRunTime makes the first
// run happen at once instead of one period after the job is added.
func ExampleScheduler_AddJob_interval() {
	fires := make(chan time.Time, 2)
	tasks := sundial.NewRegistry()
	tasks.Register("heartbeat", func(ctx context.Context, rc *sundial.RunContext) error {
		select {
		case fires <- rc.ScheduledAt:
		default: // the example has seen enough
		}
		return nil
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

	_, err = s.AddJob(ctx, sundial.JobSpec{
		ID:          "heartbeat",
		Task:        "heartbeat",
		Trigger:     trigger.MustParse(`{"type": "interval", "seconds": 1}`),
		NextRunTime: time.Now(),
	})
	if err != nil {
		panic(err)
	}
	first, second := <-fires, <-fires
	fmt.Println("second run", second.Sub(first), "after the first")

	if err := s.Shutdown(ctx); err != nil {
		panic(err)
	}
	// Output:
	// second run 1s after the first
}
