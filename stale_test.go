package sundial_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
)

// A run that a live node holds submitted for longer than the staleness
// bound (store timeout + lease TTL of the reaping node) is taken over by
// another node and runs there once: the slow owner's own start is refused
// when its worker finally gets to the run.
func TestStaleRunOfSlowNodeRunsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := memory.New(memory.Options{})
		a := newBusyNode(t, st, "a", sundial.Config{}, false)
		ranOnB := make(chan string, 2)
		regB := sundial.NewRegistry()
		regB.Register("work", func(_ context.Context, rc *sundial.RunContext) error {
			ranOnB <- rc.RunID
			return nil
		})
		setup(t, sundial.Config{Store: st, Tasks: regB, NodeID: "b", LeaseTTL: 3 * time.Second, StoreTimeout: 2 * time.Second})

		time.Sleep(4 * time.Second) // within b's bound of 5s
		synctest.Wait()
		if r := getRun(t, st, a.runID); r.Node != "a" || r.Status != sundial.RunSubmitted {
			t.Fatalf("within the bound the queued run is %s on %q; want submitted on a", r.Status, r.Node)
		}
		time.Sleep(3 * time.Second)
		synctest.Wait()
		select {
		case id := <-ranOnB:
			if id != a.runID {
				t.Fatalf("b ran %s, want the stale run %s", id, a.runID)
			}
		default:
			t.Fatal("b did not run the stale run past its bound")
		}

		// a's worker gets to the run at last: its start is refused.
		close(a.unblock)
		synctest.Wait()
		if len(a.ran) != 0 {
			t.Error("a started the run that b had taken over: it ran twice")
		}
		if len(ranOnB) != 0 {
			t.Error("b ran the run twice")
		}
		if r := getRun(t, st, a.runID); r.Status != sundial.RunSucceeded || r.Node != "b" || r.Attempt != 1 {
			t.Errorf("stale run = %s on %q, attempt %d; want succeeded on b, attempt 1", r.Status, r.Node, r.Attempt)
		}
		block, err := st.RunList(context.Background(), sundial.RunListParams{JobID: "block"})
		if err != nil || len(block) != 1 || block[0].Node != "a" || block[0].Status != sundial.RunSucceeded {
			t.Errorf("runs of the blocking job = %+v, %v; want one, succeeded on a (a running run is never stale)", block, err)
		}
	})
}

// A run whose claim reply its node never got (here: recorded for a live
// node that knows nothing of it) is run by another node past the bound.
func TestStaleRunOfUnknowingNodeIsRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		st := memory.New(memory.Options{})
		ghost := &sundial.Node{ID: "ghost"}
		if err := st.NodeHeartbeat(ctx, ghost, time.Hour); err != nil {
			t.Fatal(err)
		}
		ran := make(chan string, 2)
		reg := sundial.NewRegistry()
		reg.Register("work", func(_ context.Context, rc *sundial.RunContext) error {
			ran <- rc.RunID
			return nil
		})
		s := setup(t, sundial.Config{Store: st, Tasks: reg, NodeID: "alive", LeaseTTL: 3 * time.Second, StoreTimeout: 2 * time.Second})
		if _, err := s.AddJob(ctx, sundial.JobSpec{ID: "j", Task: "work", Trigger: every(t, `{"type": "interval", "hours": 1}`)}); err != nil {
			t.Fatal(err)
		}
		lost := &sundial.Run{ID: "lost", JobID: "j", ScheduledAt: time.Now(), Attempt: 1, Status: sundial.RunSubmitted,
			Node: "ghost", CreatedAt: time.Now()}
		if err := st.RunInsert(ctx, lost, 0); err != nil {
			t.Fatal(err)
		}
		time.Sleep(7 * time.Second)
		synctest.Wait()
		if len(ran) != 1 || <-ran != "lost" {
			t.Fatal("the run left submitted on a live node was not run once past the bound")
		}
		if r := getRun(t, st, "lost"); r.Status != sundial.RunSucceeded || r.Node != "alive" {
			t.Errorf("run = %s on %q; want succeeded on alive", r.Status, r.Node)
		}
	})
}
