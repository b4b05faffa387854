package sundial_test

import (
	"context"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
)

// A node that died leaves runs behind in the store. A live scheduler takes
// over the one that never started and the recoverable one (same run id),
// and marks the other interrupted.
func TestLostRunsAreTakenOverOrInterrupted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		st := memory.New(memory.Options{})
		if err := st.NodeHeartbeat(ctx, &sundial.Node{ID: "dead"}, time.Second); err != nil {
			t.Fatal(err)
		}
		at := time.Now()
		mk := func(id string, status sundial.RunStatus, recoverable bool) {
			r := &sundial.Run{ID: id, JobID: "j", ScheduledAt: at.Add(time.Duration(len(id)) * time.Second), Attempt: 1,
				Status: status, Node: "dead", Recoverable: recoverable, CreatedAt: at}
			if err := st.RunInsert(ctx, r, 0); err != nil {
				t.Fatal(err)
			}
		}
		mk("queued", sundial.RunSubmitted, false)
		mk("retry-me", sundial.RunRunning, true)
		mk("lost", sundial.RunRunning, false)

		ran := make(chan string, 10)
		reg := sundial.NewRegistry()
		reg.Register("work", func(_ context.Context, rc *sundial.RunContext) error {
			ran <- rc.RunID
			return nil
		})
		s := setup(t, sundial.Config{Store: st, Tasks: reg, NodeID: "alive", LeaseTTL: 3 * time.Second})
		if _, err := s.AddJob(ctx, sundial.JobSpec{ID: "j", Task: "work", Trigger: every(t, `{"type": "interval", "hours": 1}`)}); err != nil {
			t.Fatal(err)
		}
		interrupted := make(chan string, 10)
		s.AddListener(func(e sundial.Event) { interrupted <- e.Run.ID }, sundial.EventRunInterrupted)

		// The dead node's lease runs out after a second; the next reap
		// takes its runs.
		time.Sleep(3 * time.Second)
		synctest.Wait()
		got := map[string]bool{}
		for len(ran) > 0 {
			got[<-ran] = true
		}
		if !got["queued"] || !got["retry-me"] || got["lost"] || len(got) != 2 {
			t.Errorf("runs executed after the takeover = %v, want queued and retry-me", got)
		}
		if len(interrupted) != 1 || <-interrupted != "lost" {
			t.Errorf("interrupted events: want one, for lost")
		}
		for id, want := range map[string]sundial.RunStatus{"queued": sundial.RunSucceeded, "retry-me": sundial.RunSucceeded, "lost": sundial.RunInterrupted} {
			r, err := st.RunGet(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			wantNode := "alive"
			if id == "lost" {
				wantNode = "dead"
			}
			if r.Status != want || r.Node != wantNode {
				t.Errorf("run %s: %s on %s, want %s on %s", id, r.Status, r.Node, want, wantNode)
			}
		}
	})
}

// A scheduler holds a lease while it runs and gives it up on shutdown, so
// others need not wait for it to expire.
func TestNodeLeaseKeptAndReleased(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		st := memory.New(memory.Options{})
		s, err := sundial.New(sundial.Config{Store: st, NodeID: "n1", LeaseTTL: 3 * time.Second, Version: "v9", Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute) // far past one lease: heartbeats renewed it
		synctest.Wait()
		nodes, err := st.NodeList(ctx, 0)
		if err != nil || len(nodes) != 1 {
			t.Fatalf("NodeList = %v, %v; want n1", nodes, err)
		}
		if n := nodes[0]; n.ID != "n1" || n.Version != "v9" || !n.Live(time.Now()) {
			t.Errorf("node = %+v, want n1, version v9, live", n)
		}
		s.Stop()
		if nodes, _ := st.NodeList(ctx, 0); len(nodes) != 0 {
			t.Errorf("after shutdown NodeList = %v, want empty", nodes)
		}
	})
}

// A run whose node lost its lease is not started: another node may have
// taken it.
func TestRunNotStartedWithoutLease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		st := memory.New(memory.Options{})
		ran := make(chan struct{}, 1)
		reg := sundial.NewRegistry()
		reg.Register("work", func(context.Context, *sundial.RunContext) error {
			ran <- struct{}{}
			return nil
		})
		s := setup(t, sundial.Config{Store: st, Tasks: reg, NodeID: "n1"})
		if _, err := s.AddJob(ctx, sundial.JobSpec{ID: "j", Task: "work", Trigger: every(t, `{"type": "interval", "hours": 1}`)}); err != nil {
			t.Fatal(err)
		}
		// Another program ends this node's lease behind its back.
		if err := st.NodeLeave(ctx, "n1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RunJobNow(ctx, "j"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if len(ran) != 0 {
			t.Fatal("the run started although its node had no lease")
		}
		runs, err := s.ListRuns(ctx, sundial.RunListParams{JobID: "j"})
		if err != nil || len(runs) != 1 || runs[0].Status != sundial.RunSubmitted {
			t.Errorf("runs = %v, %v; want the one run left submitted for a reaper", runs, err)
		}
	})
}
