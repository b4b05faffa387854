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

// Listeners receive the events in their mask, in order, on the scheduler's
// event goroutine. Shutdown delivers the events already queued before it
// returns.
func ExampleScheduler_AddListener() {
	s, err := sundial.New(sundial.Config{
		Store:  memory.New(memory.Options{}),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	finished := make(chan struct{})
	s.AddListener(func(e sundial.Event) {
		fmt.Println(e.Type, e.JobID, e.Run.Status)
		if e.Type != sundial.EventRunSubmitted {
			close(finished)
		}
	}, sundial.EventRunSubmitted|sundial.EventRunSucceeded|sundial.EventRunFailed)

	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		panic(err)
	}
	_, err = s.AddJob(ctx, sundial.JobSpec{
		ID:      "ping",
		Task:    sundial.NoopTask,
		Trigger: trigger.NewDate(time.Now()),
	})
	if err != nil {
		panic(err)
	}
	<-finished

	if err := s.Shutdown(ctx); err != nil {
		panic(err)
	}
	// Output:
	// run_submitted ping submitted
	// run_succeeded ping succeeded
}
