package task_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/task"
	"github.com/sundial-scheduler/sundial/trigger"
)

// sundial:http sends one request per run, with the run id as its
// Idempotency-Key, and records the status line and the start of the body.
func ExampleHTTP() {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s from job %s (idempotency key set: %t): %s",
			r.Method, r.Header.Get("X-Sundial-Job"), r.Header.Get("Idempotency-Key") != "", body)
	}))
	defer hook.Close()

	// The test server listens on loopback, which sundial:http refuses
	// unless the configuration allows it.
	s, finished := newScheduler(task.ExecConfig{}, task.HTTPConfig{AllowPrivate: true})
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		panic(err)
	}
	_, err := s.AddJob(ctx, sundial.JobSpec{
		ID:   "refresh-cache",
		Task: task.HTTPTask,
		Kwargs: map[string]any{
			"url":     hook.URL + "/refresh",
			"method":  "POST",
			"body":    map[string]any{"scope": "all"},
			"timeout": 10,
		},
		Trigger: trigger.NewDate(time.Now()),
	})
	if err != nil {
		panic(err)
	}
	run := <-finished
	fmt.Println(run.Status)
	fmt.Println(run.Output)

	if err := s.Shutdown(ctx); err != nil {
		panic(err)
	}
	// Output:
	// succeeded
	// HTTP 200 OK
	// POST from job refresh-cache (idempotency key set: true): {"scope":"all"}
}

// With the default configuration, loopback, private, link-local (cloud
// metadata) and other special destinations are refused: when the job is
// added if the URL holds an address, and always when connecting.
func ExampleHTTP_refused() {
	s, _ := newScheduler(task.ExecConfig{}, task.HTTPConfig{})
	_, err := s.AddJob(context.Background(), sundial.JobSpec{
		ID:      "steal-credentials",
		Task:    task.HTTPTask,
		Kwargs:  map[string]any{"url": "http://169.254.169.254/latest/meta-data/iam/"},
		Trigger: trigger.NewDate(time.Now()),
	})
	fmt.Println(err)
	// Output:
	// job "steal-credentials": kwargs.url: destination 169.254.169.254 is link-local (the cloud metadata service): refused (allow it with config http.allow, or all such destinations with http.allow_private)
}
