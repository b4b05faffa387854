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

// A date trigger runs a job once. When it has run, the job is removed and
// its run stays in the history.
func ExampleScheduler_AddJob_date() {
	done := make(chan struct{})
	tasks := sundial.NewRegistry()
	tasks.Register("send-welcome-email", func(ctx context.Context, rc *sundial.RunContext) error {
		rc.Output("sent to user 42")
		close(done)
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
		ID:      "welcome-42",
		Task:    "send-welcome-email",
		Trigger: trigger.NewDate(time.Now()),
	})
	if err != nil {
		panic(err)
	}
	<-done
	// Shutdown waits for the run to finish and be recorded.
	if err := s.Shutdown(ctx); err != nil {
		panic(err)
	}

	_, err = s.GetJob(ctx, "welcome-42")
	fmt.Println("job removed:", errors.Is(err, sundial.ErrJobNotFound))
	runs, err := s.ListRuns(ctx, sundial.RunListParams{JobID: "welcome-42"})
	if err != nil {
		panic(err)
	}
	for _, r := range runs {
		fmt.Printf("run: %s, output %q\n", r.Status, r.Output)
	}
	// Output:
	// job removed: true
	// run: succeeded, output "sent to user 42"
}
