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

// busyNode is a scheduler with one worker, busy with a job that blocks
// until unblock is closed, and a run of job "queued" claimed behind it.
// The queued job fires hourly (or once, with oneShot: then the claim of
// its fire removed it).
type busyNode struct {
	s       *sundial.Scheduler
	unblock chan struct{}
	ran     chan string // ids of runs of "queued" that started here
	runID   string      // the queued run

	mu     sync.Mutex
	events []sundial.Event // released and interrupted runs
}

func newBusyNode(t *testing.T, st sundial.Store, id string, cfg sundial.Config, oneShot bool) *busyNode {
	t.Helper()
	ctx := context.Background()
	n := &busyNode{unblock: make(chan struct{}), ran: make(chan string, 1)}
	started := make(chan struct{})
	reg := sundial.NewRegistry()
	reg.Register("block", func(context.Context, *sundial.RunContext) error {
		close(started)
		<-n.unblock
		return nil
	})
	reg.Register("work", func(_ context.Context, rc *sundial.RunContext) error {
		n.ran <- rc.RunID
		return nil
	})
	cfg.Store, cfg.Tasks, cfg.NodeID, cfg.Executors = st, reg, id, map[string]int{"default": 1}
	n.s = setup(t, cfg)
	n.s.AddListener(func(e sundial.Event) {
		n.mu.Lock()
		defer n.mu.Unlock()
		n.events = append(n.events, e)
	}, sundial.EventRunReleased|sundial.EventRunInterrupted)
	if _, err := n.s.AddJob(ctx, sundial.JobSpec{ID: "block", Task: "block", Trigger: trigger.NewDate(time.Now())}); err != nil {
		t.Fatal(err)
	}
	<-started
	queued := sundial.JobSpec{ID: "queued", Task: "work", Trigger: every(t, `{"type": "interval", "hours": 1}`), NextRunTime: time.Now()}
	if oneShot {
		queued.Trigger, queued.NextRunTime = trigger.NewDate(time.Now()), time.Time{}
	}
	if _, err := n.s.AddJob(ctx, queued); err != nil {
		t.Fatal(err)
	}
	synctest.Wait() // claimed, and queued behind the blocking job
	runs, err := st.RunList(ctx, sundial.RunListParams{JobID: "queued"})
	if err != nil || len(runs) != 1 || runs[0].Status != sundial.RunSubmitted || runs[0].Node != id {
		t.Fatalf("runs of queued = %v, %v; want one submitted on %s", runs, err, id)
	}
	n.runID = runs[0].ID
	return n
}

// shutdown starts a shutdown that waits for the blocking job without a
// bound; its result arrives on the channel.
func (n *busyNode) shutdown() <-chan error {
	done := make(chan error, 1)
	go func() { done <- n.s.Shutdown(context.Background()) }()
	return done
}

// wantReleasedOnly checks that the node emitted one event for the queued
// run: released, with no owner.
func (n *busyNode) wantReleasedOnly(t *testing.T) {
	t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.events) != 1 || n.events[0].Type != sundial.EventRunReleased || n.events[0].Run.ID != n.runID ||
		n.events[0].Run.Node != "" || n.events[0].Task != "work" {
		t.Errorf("events = %+v; want one run_released of %s, task work, with no node", n.events, n.runID)
	}
}

func getRun(t *testing.T, st sundial.Store, id string) *sundial.Run {
	t.Helper()
	r, err := st.RunGet(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A node that shuts down hands the run it claimed but could not start
// (its only worker is busy) to a live peer at once: the peer runs it under
// the same id while the node still waits for its running job, which keeps
// the node's lease until it ends.
func TestShutdownReleasesUnstartedRunToPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := memory.New(memory.Options{})
		a := newBusyNode(t, st, "a", sundial.Config{LeaseTTL: 3 * time.Second}, false)
		ranOnB := make(chan string, 1)
		regB := sundial.NewRegistry()
		regB.Register("work", func(_ context.Context, rc *sundial.RunContext) error {
			ranOnB <- rc.RunID
			return nil
		})
		setup(t, sundial.Config{Store: st, Tasks: regB, NodeID: "b"})
		time.Sleep(10 * time.Second) // b reaps many times meanwhile: a is live
		synctest.Wait()
		if r := getRun(t, st, a.runID); r.Node != "a" || r.Status != sundial.RunSubmitted {
			t.Fatalf("before the shutdown the queued run is %s on %q; want submitted on a", r.Status, r.Node)
		}

		begin := time.Now()
		done := a.shutdown()
		if id := <-ranOnB; id != a.runID {
			t.Fatalf("b ran %s, want the released run %s", id, a.runID)
		}
		if d := time.Since(begin); d > time.Second {
			t.Errorf("b started the released run %s after the shutdown began; want within its reap interval (1s)", d)
		}
		// a still waits for its blocking job, well past its lease: it
		// renews the lease, so the job's run stays its own.
		time.Sleep(10 * time.Second)
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("shutdown returned %v before the blocking job ended", err)
		default:
		}
		block, err := st.RunList(context.Background(), sundial.RunListParams{JobID: "block"})
		if err != nil || len(block) != 1 {
			t.Fatalf("runs of the blocking job = %d, %v; want one", len(block), err)
		}
		if r := block[0]; r.Status != sundial.RunRunning || r.Node != "a" {
			t.Fatalf("blocking run while a shuts down = %s on %q (%s); want running on a", r.Status, r.Node, r.Reason)
		}
		close(a.unblock)
		if err := <-done; err != nil {
			t.Fatalf("shutdown: %v", err)
		}
		synctest.Wait()
		if len(a.ran) != 0 {
			t.Error("a ran the run it released")
		}
		a.wantReleasedOnly(t)
		if r := getRun(t, st, a.runID); r.Status != sundial.RunSucceeded || r.Node != "b" || r.Attempt != 1 {
			t.Errorf("released run = %s on %q, attempt %d; want succeeded on b, attempt 1", r.Status, r.Node, r.Attempt)
		}
		if r := getRun(t, st, block[0].ID); r.Status != sundial.RunSucceeded || r.Node != "a" {
			t.Errorf("blocking run = %s on %q; want succeeded on a", r.Status, r.Node)
		}
	})
}

// With no other node, a released run waits in the store, submitted and
// unowned (not interrupted), and a node started later runs it.
func TestShutdownReleaseWithoutPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := memory.New(memory.Options{})
		a := newBusyNode(t, st, "a", sundial.Config{}, false)
		done := a.shutdown()
		synctest.Wait() // released; waiting for the blocking job
		if r := getRun(t, st, a.runID); r.Status != sundial.RunSubmitted || r.Node != "" {
			t.Errorf("queued run while a shuts down = %s on %q; want submitted on no node", r.Status, r.Node)
		}
		close(a.unblock)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if r := getRun(t, st, a.runID); r.Status != sundial.RunSubmitted || r.Node != "" {
			t.Errorf("queued run after a shut down = %s on %q; want submitted on no node", r.Status, r.Node)
		}
		a.wantReleasedOnly(t)

		ran := make(chan string, 1)
		reg := sundial.NewRegistry()
		reg.Register("work", func(_ context.Context, rc *sundial.RunContext) error {
			ran <- rc.RunID
			return nil
		})
		setup(t, sundial.Config{Store: st, Tasks: reg, NodeID: "c"})
		if id := <-ran; id != a.runID {
			t.Fatalf("c ran %s, want %s", id, a.runID)
		}
		synctest.Wait()
		if r := getRun(t, st, a.runID); r.Status != sundial.RunSucceeded || r.Node != "c" {
			t.Errorf("released run = %s on %q; want succeeded on c", r.Status, r.Node)
		}
	})
}

// refusingRelease is a store whose RunRelease fails.
type refusingRelease struct{ sundial.Store }

func (refusingRelease) RunRelease(context.Context, sundial.RunReleaseParams) ([]string, error) {
	return nil, errors.New("store unreachable")
}

// A run is recorded interrupted, as before releases existed, when the
// store cannot take it back, and when its job is gone (a one-shot job is
// removed with the claim of its fire): no other node could read its task.
func TestShutdownRecordsInterruptedWhenNotReleased(t *testing.T) {
	for _, tc := range []struct {
		name    string
		st      sundial.Store
		oneShot bool
	}{
		{"StoreRefuses", refusingRelease{memory.New(memory.Options{})}, false},
		{"JobGone", memory.New(memory.Options{}), true},
	} {
		t.Run(tc.name, func(t *testing.T) { shutdownInterrupts(t, tc.st, tc.oneShot) })
	}
}

func shutdownInterrupts(t *testing.T, st sundial.Store, oneShot bool) {
	synctest.Test(t, func(t *testing.T) {
		a := newBusyNode(t, st, "a", sundial.Config{}, oneShot)
		done := a.shutdown()
		synctest.Wait()
		close(a.unblock)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		r := getRun(t, st, a.runID)
		if r.Status != sundial.RunInterrupted || r.Node != "a" || r.Reason != "scheduler shut down before the run started" {
			t.Errorf("queued run = %s on %q (%s); want interrupted on a by the shutdown", r.Status, r.Node, r.Reason)
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		if len(a.events) != 1 || a.events[0].Type != sundial.EventRunInterrupted {
			t.Errorf("events = %+v; want one run_interrupted", a.events)
		}
	})
}

// A retry waiting out its backoff when its node shuts down is released
// too; the node that takes it over starts it when the backoff ends, not
// at once.
func TestReleasedRetryKeepsBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		st := memory.New(memory.Options{})
		regA := sundial.NewRegistry()
		regA.Register("flaky", func(context.Context, *sundial.RunContext) error { return errors.New("flaked") })
		a := setup(t, sundial.Config{Store: st, Tasks: regA, NodeID: "a"})
		released := make(chan *sundial.Run, 1)
		a.AddListener(func(e sundial.Event) { released <- e.Run }, sundial.EventRunReleased)
		if _, err := a.AddJob(ctx, sundial.JobSpec{ID: "j", Task: "flaky", Trigger: every(t, `{"type": "interval", "hours": 1}`),
			NextRunTime: time.Now(), Retry: &sundial.RetryPolicy{Attempts: 1, Backoff: time.Minute}}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the first attempt failed; the retry waits a minute
		failedAt := time.Now()

		type start struct {
			id      string
			attempt int
			at      time.Time
		}
		ranOnB := make(chan start, 1)
		regB := sundial.NewRegistry()
		regB.Register("flaky", func(_ context.Context, rc *sundial.RunContext) error {
			ranOnB <- start{rc.RunID, rc.Attempt, time.Now()}
			return nil
		})
		setup(t, sundial.Config{Store: st, Tasks: regB, NodeID: "b"})
		time.Sleep(10 * time.Second)
		if err := a.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		r := <-released
		if r.Attempt != 2 {
			t.Fatalf("released attempt %d, want the retry (2)", r.Attempt)
		}
		got := <-ranOnB
		if got.id != r.ID || got.attempt != 2 {
			t.Errorf("b ran %s attempt %d, want %s attempt 2", got.id, got.attempt, r.ID)
		}
		if want := failedAt.Add(time.Minute); got.at.Before(want) || got.at.After(want.Add(time.Second)) {
			t.Errorf("b started the retry %s after the failure; want when the 1m backoff ends", got.at.Sub(failedAt))
		}
		synctest.Wait()
		if r := getRun(t, st, r.ID); r.Status != sundial.RunSucceeded || r.Node != "b" {
			t.Errorf("retry = %s on %q; want succeeded on b", r.Status, r.Node)
		}
	})
}

// notifyingStore is a memory store with a Watch channel the test signals,
// as PostgreSQL and Redis signal a release.
type notifyingStore struct {
	sundial.Store
	ch chan struct{}
}

func (n notifyingStore) Watch(context.Context) <-chan struct{} { return n.ch }

// A store notification has a node reap at once instead of at its next
// reap (every second): a run another node released starts without delay.
func TestNotificationReapsReleasedRunSoon(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		st := notifyingStore{memory.New(memory.Options{}), make(chan struct{}, 1)}
		ran := make(chan time.Time, 1)
		reg := sundial.NewRegistry()
		reg.Register("work", func(context.Context, *sundial.RunContext) error {
			ran <- time.Now()
			return nil
		})
		b := setup(t, sundial.Config{Store: st, Tasks: reg, NodeID: "b"})
		if _, err := b.AddJob(ctx, sundial.JobSpec{ID: "j", Task: "work", Trigger: every(t, `{"type": "interval", "hours": 1}`), Paused: true}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond) // half a second after b's last reap
		synctest.Wait()
		// What a node that shut down leaves: a submitted run of no node.
		r := &sundial.Run{ID: "released", JobID: "j", ScheduledAt: time.Now(), Attempt: 1, Status: sundial.RunSubmitted, CreatedAt: time.Now()}
		if err := st.RunInsert(ctx, r, 0); err != nil {
			t.Fatal(err)
		}
		notified := time.Now()
		st.ch <- struct{}{}
		if d := (<-ran).Sub(notified); d != 0 {
			t.Errorf("the released run started %s after the notification, want at once", d)
		}
		synctest.Wait()
		if got := getRun(t, st, "released"); got.Status != sundial.RunSucceeded || got.Node != "b" {
			t.Errorf("released run = %s on %q; want succeeded on b", got.Status, got.Node)
		}
	})
}
