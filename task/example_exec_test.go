package task_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/task"
	"github.com/sundial-scheduler/sundial/trigger"
)

// newScheduler returns a scheduler with the built-in tasks registered and
// a channel that receives each finished run.
func newScheduler(exec task.ExecConfig, http task.HTTPConfig) (*sundial.Scheduler, <-chan *sundial.Run) {
	tasks := sundial.NewRegistry()
	task.Register(tasks, exec, http)
	s, err := sundial.New(sundial.Config{
		Store:  memory.New(memory.Options{}),
		Tasks:  tasks,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	finished := make(chan *sundial.Run, 1)
	s.AddListener(func(e sundial.Event) { finished <- e.Run },
		sundial.EventRunSucceeded|sundial.EventRunFailed|sundial.EventRunTimedOut)
	return s, finished
}

// sundial:exec runs a program from the allow-list directly, with no shell
// unless the allow-list names one, as here. The run's output is the
// program's stdout and stderr; its environment holds the SUNDIAL_*
// variables but not the server's.
func ExampleExec() {
	s, finished := newScheduler(task.ExecConfig{Allow: []string{"sh"}}, task.HTTPConfig{})
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		panic(err)
	}
	_, err := s.AddJob(ctx, sundial.JobSpec{
		ID:      "nightly",
		Task:    task.ExecTask,
		Args:    []string{"sh", "-c", `echo "job $SUNDIAL_JOB_ID, attempt $SUNDIAL_ATTEMPT"; exit 2`},
		Trigger: trigger.NewDate(time.Now()),
	})
	if err != nil {
		panic(err)
	}
	run := <-finished
	fmt.Println(run.Status, "-", run.Error)
	fmt.Print(run.Output)

	if err := s.Shutdown(ctx); err != nil {
		panic(err)
	}
	// Output:
	// failed - sh: exit status 2
	// job nightly, attempt 1
}

// A job whose program the allow-list does not allow is refused when it is
// added, naming the field at fault.
func ExampleExec_refused() {
	s, _ := newScheduler(task.ExecConfig{Allow: []string{"/opt/jobs/*", "python3"}}, task.HTTPConfig{})
	_, err := s.AddJob(context.Background(), sundial.JobSpec{
		ID:      "cleanup",
		Task:    task.ExecTask,
		Kwargs:  map[string]any{"command": "rm -rf /var/lib/app"},
		Trigger: trigger.NewDate(time.Now()),
	})
	fmt.Println(err)
	fmt.Println(errors.Is(err, sundial.ErrInvalidJob))
	// Output:
	// job "cleanup": kwargs.command: program "rm" is not allowed: config exec.allow does not list it
	// true
}
