package sundial_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
)

// A worker records each run's start just before its handler: the runs
// queued behind a long one stay submitted (not recorded running), and a
// shutdown releases them to a peer at once.
func TestShutdownReleasesRunsQueuedBehindLongOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		st := memory.New(memory.Options{})
		unblock := make(chan struct{})
		var mu sync.Mutex
		ranOn := map[string]string{}
		mark := func(node string) sundial.Handler {
			return func(ctx context.Context, rc *sundial.RunContext) error {
				mu.Lock()
				ranOn[rc.JobID] = node
				mu.Unlock()
				if node == "a" {
					<-unblock
				}
				return nil
			}
		}
		regA := sundial.NewRegistry()
		regA.Register("work", mark("a"))
		a, err := sundial.New(sundial.Config{Store: st, Tasks: regA, NodeID: "a", Executors: map[string]int{"default": 1},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"j1", "j2", "j3"} {
			if _, err := a.AddJob(ctx, sundial.JobSpec{ID: id, Task: "work", Trigger: every(t, `{"type": "interval", "hours": 1}`), NextRunTime: time.Now()}); err != nil {
				t.Fatal(err)
			}
		}
		if err := a.Start(ctx); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		running, _ := st.RunList(ctx, sundial.RunListParams{Status: sundial.RunRunning})
		submitted, _ := st.RunList(ctx, sundial.RunListParams{Status: sundial.RunSubmitted})
		if len(running) != 1 || len(submitted) != 2 {
			t.Fatalf("%d runs recorded running and %d submitted, want 1 (the one worker's) and 2 (queued)", len(running), len(submitted))
		}
		regB := sundial.NewRegistry()
		regB.Register("work", mark("b"))
		setup(t, sundial.Config{Store: st, Tasks: regB, NodeID: "b"})
		done := make(chan error, 1)
		go func() { done <- a.Shutdown(ctx) }()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		mu.Lock()
		if len(ranOn) != 3 {
			t.Errorf("ran %v; want one job on a and two on b", ranOn)
		}
		mu.Unlock()
		close(unblock)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		runs, _ := st.RunList(ctx, sundial.RunListParams{})
		nodes := map[string]int{}
		for _, r := range runs {
			if r.Status != sundial.RunSucceeded {
				t.Errorf("run %s of %s: %s", r.ID, r.JobID, r.Status)
			}
			nodes[r.Node]++
		}
		if nodes["a"] != 1 || nodes["b"] != 2 {
			t.Errorf("runs per node %v, want a:1 b:2", nodes)
		}
	})
}
