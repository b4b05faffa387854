package sundial_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/trigger"
)

// A run that a live node holds submitted for longer than the staleness
// bound (the reaping node's lease TTL) is taken over by another node and
// runs there once: the slow owner's own start is refused when its worker
// finally gets to the run.
func TestStaleRunOfSlowNodeRunsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := memory.New(memory.Options{})
		a := newBusyNode(t, st, "a", sundial.Config{}, false)
		unblock := sync.OnceFunc(func() { close(a.unblock) })
		defer unblock() // a failing check must not leave the bubble blocked
		ranOnB := make(chan string, 2)
		regB := sundial.NewRegistry()
		regB.Register("work", func(_ context.Context, rc *sundial.RunContext) error {
			ranOnB <- rc.RunID
			return nil
		})
		setup(t, sundial.Config{Store: st, Tasks: regB, NodeID: "b", LeaseTTL: 3 * time.Second})

		time.Sleep(2 * time.Second) // within b's bound of 3s
		synctest.Wait()
		if r := getRun(t, st, a.runID); r.Node != "a" || r.Status != sundial.RunSubmitted {
			t.Fatalf("within the bound the queued run is %s on %q; want submitted on a", r.Status, r.Node)
		}
		time.Sleep(2 * time.Second) // b reaps every second
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
		unblock()
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
		s := setup(t, sundial.Config{Store: st, Tasks: reg, NodeID: "alive", LeaseTTL: 3 * time.Second})
		if _, err := s.AddJob(ctx, sundial.JobSpec{ID: "j", Task: "work", Trigger: every(t, `{"type": "interval", "hours": 1}`)}); err != nil {
			t.Fatal(err)
		}
		lost := &sundial.Run{ID: "lost", JobID: "j", ScheduledAt: time.Now(), Attempt: 1, Status: sundial.RunSubmitted,
			Node: "ghost", CreatedAt: time.Now()}
		if err := st.RunInsert(ctx, lost, 0); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second) // within the bound of 3s
		synctest.Wait()
		if len(ran) != 0 {
			t.Fatal("the run of a live node was taken over within the bound")
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if len(ran) != 1 || <-ran != "lost" {
			t.Fatal("the run left submitted on a live node was not run once past the bound")
		}
		if r := getRun(t, st, "lost"); r.Status != sundial.RunSucceeded || r.Node != "alive" {
			t.Errorf("run = %s on %q; want succeeded on alive", r.Status, r.Node)
		}
	})
}

// startNoAnswer is a store whose first record of a run's start gets no
// answer (the error a timeout gives), after applying it or not; a taker,
// when set, takes the run over meanwhile, as a peer's reap would.
type startNoAnswer struct {
	sundial.Store
	apply bool
	taker string

	mu     sync.Mutex
	failed bool
}

func (s *startNoAnswer) RunUpdate(ctx context.Context, runs ...*sundial.Run) error {
	s.mu.Lock()
	first := !s.failed && len(runs) == 1 && runs[0].Status == sundial.RunRunning
	s.failed = s.failed || first
	s.mu.Unlock()
	if !first {
		return s.Store.RunUpdate(ctx, runs...)
	}
	if s.apply {
		if err := s.Store.RunUpdate(ctx, runs...); err != nil {
			return err
		}
	}
	if s.taker != "" {
		if _, err := s.Store.RunRelease(ctx, sundial.RunReleaseParams{Node: runs[0].Node, RunIDs: []string{runs[0].ID}}); err != nil {
			return err
		}
		if _, err := s.Store.RunReap(ctx, sundial.RunReapParams{Node: s.taker, Now: time.Now()}); err != nil {
			return err
		}
	}
	return errors.New("update runs: read tcp: i/o timeout")
}

// A run whose start record got no answer starts only once the store has
// accepted the start on a retry, and not at all if another node took the
// run over meanwhile: either way it runs once in the cluster.
func TestUnansweredStartIsConfirmed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		st     *startNoAnswer
		runs   int
		owner  string
		status sundial.RunStatus
	}{
		{"AppliedRunsHere", &startNoAnswer{apply: true}, 1, "a", sundial.RunSucceeded},
		{"LostRunsHere", &startNoAnswer{}, 1, "a", sundial.RunSucceeded},
		{"TakenOverDoesNotRunHere", &startNoAnswer{taker: "b"}, 0, "b", sundial.RunSubmitted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				tc.st.Store = memory.New(memory.Options{})
				if err := tc.st.NodeHeartbeat(ctx, &sundial.Node{ID: "b"}, time.Hour); err != nil {
					t.Fatal(err)
				}
				ran := make(chan string, 2)
				reg := sundial.NewRegistry()
				reg.Register("work", func(_ context.Context, rc *sundial.RunContext) error {
					ran <- rc.RunID
					return nil
				})
				s := setup(t, sundial.Config{Store: tc.st, Tasks: reg, NodeID: "a"})
				if _, err := s.AddJob(ctx, sundial.JobSpec{ID: "j", Task: "work", Trigger: trigger.NewDate(time.Now().Add(time.Second))}); err != nil {
					t.Fatal(err)
				}
				time.Sleep(5 * time.Second)
				synctest.Wait()
				if len(ran) != tc.runs {
					t.Fatalf("the run started %d times here, want %d", len(ran), tc.runs)
				}
				runs, err := tc.st.RunList(ctx, sundial.RunListParams{JobID: "j"})
				if err != nil || len(runs) != 1 {
					t.Fatalf("runs of j = %v, %v; want one", runs, err)
				}
				if r := runs[0]; r.Node != tc.owner || r.Status != tc.status {
					t.Errorf("run = %s on %q, want %s on %q", r.Status, r.Node, tc.status, tc.owner)
				}
			})
		})
	}
}
