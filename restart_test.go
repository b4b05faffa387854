package sundial_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
)

// A node restarted under the same node id is live again at once, so no
// reap of a lost node's runs ever ends the runs its previous process left
// unfinished. The new process ends them as it starts: the submitted one
// runs (same id), the running one is interrupted. Another node leaves the
// runs of a live node alone.
func TestRestartedNodeEndsRunsOfItsPreviousProcess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		st := memory.New(memory.Options{})
		ran := make(chan string, 10)
		reg := sundial.NewRegistry()
		reg.Register("work", func(_ context.Context, rc *sundial.RunContext) error {
			ran <- rc.RunID
			return nil
		})
		n1, err := sundial.New(sundial.Config{Store: st, Tasks: reg, NodeID: "n1",
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(n1.Stop)
		if _, err := n1.AddJob(ctx, sundial.JobSpec{ID: "j", Task: "work", MaxInstances: 1,
			Trigger: every(t, `{"type": "interval", "hours": 1}`)}); err != nil {
			t.Fatal(err)
		}
		interrupted := make(chan string, 10)
		n1.AddListener(func(e sundial.Event) { interrupted <- e.Run.ID }, sundial.EventRunInterrupted)

		// The previous process of n1 registered, left two runs unfinished
		// and died; the restarted one renews the same lease.
		if err := st.NodeHeartbeat(ctx, &sundial.Node{ID: "n1"}, time.Hour); err != nil {
			t.Fatal(err)
		}
		at := time.Now()
		for i, r := range []*sundial.Run{
			{ID: "queued", Status: sundial.RunSubmitted},
			{ID: "lost", Status: sundial.RunRunning, StartedAt: at},
		} {
			r.JobID, r.ScheduledAt, r.Attempt, r.Node, r.CreatedAt = "j", at.Add(time.Duration(i)*time.Second), 1, "n1", at
			if err := st.RunInsert(ctx, r, 0); err != nil {
				t.Fatal(err)
			}
		}

		// Another node starts while n1 is live: the runs are n1's.
		setup(t, sundial.Config{Store: st, Tasks: sundial.NewRegistry(), NodeID: "n2"})
		synctest.Wait()
		for id, want := range map[string]sundial.RunStatus{"queued": sundial.RunSubmitted, "lost": sundial.RunRunning} {
			if r := getRun(t, st, id); r.Status != want || r.Node != "n1" {
				t.Errorf("after n2 started, run %s is %s on %q; want %s on n1", id, r.Status, r.Node, want)
			}
		}

		if err := n1.Start(ctx); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if len(ran) != 1 || <-ran != "queued" {
			t.Error("the restarted node did not run the submitted run its previous process left, once")
		}
		if len(interrupted) != 1 || <-interrupted != "lost" {
			t.Error("interrupted events: want one, for lost")
		}
		if r := getRun(t, st, "queued"); r.Status != sundial.RunSucceeded || r.Node != "n1" || r.Attempt != 1 {
			t.Errorf("run queued is %s on %q, attempt %d; want succeeded on n1, attempt 1", r.Status, r.Node, r.Attempt)
		}
		if r := getRun(t, st, "lost"); r.Status != sundial.RunInterrupted || r.Node != "n1" || !strings.Contains(r.Reason, "restarted") {
			t.Errorf("run lost is %s on %q, reason %q; want interrupted on n1, for a restart", r.Status, r.Node, r.Reason)
		}
	})
}
