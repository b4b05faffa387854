package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/sqlite"
	"github.com/sundial-scheduler/sundial/trigger"
)

// Open a SQLite file as the scheduler's store: jobs and their run history
// outlive the process, and other processes on the host may share the file.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "sundial-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "sundial.db")
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	store, err := sqlite.Open(ctx, path, sqlite.Options{Logger: quiet})
	if err != nil {
		panic(err)
	}
	s, err := sundial.New(sundial.Config{Store: store, Logger: quiet})
	if err != nil {
		panic(err)
	}
	done := make(chan struct{})
	s.AddListener(func(sundial.Event) { close(done) }, sundial.EventRunSucceeded)
	if err := s.Start(ctx); err != nil {
		panic(err)
	}
	if _, err := s.AddJob(ctx, sundial.JobSpec{
		ID:      "hello",
		Task:    sundial.NoopTask,
		Trigger: trigger.NewDate(time.Now().UTC()),
	}); err != nil {
		panic(err)
	}
	<-done
	if err := s.Shutdown(ctx); err != nil {
		panic(err)
	}
	store.Close()

	// Later, in another process: the history is in the file.
	store, err = sqlite.Open(ctx, path, sqlite.Options{Logger: quiet})
	if err != nil {
		panic(err)
	}
	defer store.Close()
	runs, err := store.RunList(ctx, sundial.RunListParams{JobID: "hello"})
	if err != nil {
		panic(err)
	}
	for _, r := range runs {
		fmt.Println(r.JobID, r.Status)
	}
	// Output:
	// hello succeeded
}

// Another program adds a job with plain SQL, giving only its id, task and
// trigger; the scheduler notices the row within Options.PollInterval,
// computes its first fire time and runs it.
func Example_plainSQL() {
	dir, err := os.MkdirTemp("", "sundial-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "sundial.db")
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	store, err := sqlite.Open(ctx, path, sqlite.Options{PollInterval: 50 * time.Millisecond, Logger: quiet})
	if err != nil {
		panic(err)
	}
	defer store.Close()
	s, err := sundial.New(sundial.Config{Store: store, Logger: quiet})
	if err != nil {
		panic(err)
	}
	done := make(chan struct{})
	s.AddListener(func(e sundial.Event) {
		fmt.Println(e.Type, e.JobID)
		close(done)
	}, sundial.EventRunSucceeded)
	if err := s.Start(ctx); err != nil {
		panic(err)
	}

	// The other program: any SQLite client will do.
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `INSERT INTO sundial_jobs (id, task, trigger) VALUES (?, ?, ?)`,
		"from-sql", sundial.NoopTask, `{"type": "date", "run_date": "`+time.Now().UTC().Format(time.RFC3339)+`"}`); err != nil {
		panic(err)
	}
	<-done
	if err := s.Shutdown(ctx); err != nil {
		panic(err)
	}
	// Output:
	// run_succeeded from-sql
}
