package sundial_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
)

// downStore refuses to answer run updates that end a run while down is
// set, as a store that restarts does.
type downStore struct {
	*memory.Store
	down atomic.Bool
}

func (d *downStore) RunUpdate(ctx context.Context, runs ...*sundial.Run) error {
	if d.down.Load() {
		for _, r := range runs {
			if r.Status.Finished() {
				return errors.New("connection reset by peer")
			}
		}
	}
	return d.Store.RunUpdate(ctx, runs...)
}

// A run whose outcome the store did not answer is recorded once the store
// is back: it does not stay running forever, holding its job's
// max_instances, and the job's later fires run.
func TestOutcomeRecordedAfterStoreComesBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		st := &downStore{Store: memory.New(memory.Options{})}
		var ran atomic.Int64
		reg := sundial.NewRegistry()
		reg.Register("work", func(context.Context, *sundial.RunContext) error {
			ran.Add(1)
			return nil
		})
		s := setup(t, sundial.Config{Store: st, Tasks: reg})
		st.down.Store(true)
		if _, err := s.AddJob(ctx, sundial.JobSpec{ID: "j", Task: "work", Trigger: every(t, `{"type": "interval", "seconds": 10}`),
			NextRunTime: time.Now()}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if ran.Load() != 1 {
			t.Fatalf("ran %d times, want 1", ran.Load())
		}
		st.down.Store(false)
		time.Sleep(2 * time.Second) // the maintenance loop tries again
		synctest.Wait()
		runs, err := st.RunList(ctx, sundial.RunListParams{JobID: "j"})
		if err != nil || len(runs) != 1 || runs[0].Status != sundial.RunSucceeded {
			t.Fatalf("runs %v (err %v), want the one run recorded succeeded", runs, err)
		}
		time.Sleep(10 * time.Second) // the next fire
		synctest.Wait()
		if ran.Load() != 2 {
			t.Errorf("ran %d times, want 2: the next fire must not be skipped for max_instances", ran.Load())
		}
	})
}

// lapseStore is a memory store whose connection can fail in parts: while
// updatesDown is set, updates that end a run are not answered; while
// beatsDown is set, heartbeats are not, so the node's lease lapses by the
// store's clock.
type lapseStore struct {
	*memory.Store
	updatesDown, beatsDown atomic.Bool
}

func (l *lapseStore) RunUpdate(ctx context.Context, runs ...*sundial.Run) error {
	if l.updatesDown.Load() {
		for _, r := range runs {
			if r.Status.Finished() {
				return errors.New("connection reset by peer")
			}
		}
	}
	return l.Store.RunUpdate(ctx, runs...)
}

func (l *lapseStore) NodeHeartbeat(ctx context.Context, n *sundial.Node, ttl time.Duration) error {
	if l.beatsDown.Load() {
		return errors.New("connection reset by peer")
	}
	return l.Store.NodeHeartbeat(ctx, n, ttl)
}

// An outcome the store refuses only because this node's lease lapsed
// during an outage (ErrLeaseExpired: no other node took the run) is
// recorded once the node renews its lease. Dropped instead, the run would
// stay running, owned by a live node that forgot it, and every later fire
// of its job would be skipped for max_instances.
func TestOutcomeRecordedAfterLeaseRenewed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		st := &lapseStore{Store: memory.New(memory.Options{})}
		var ran atomic.Int64
		reg := sundial.NewRegistry()
		reg.Register("work", func(context.Context, *sundial.RunContext) error {
			ran.Add(1)
			return nil
		})
		s := setup(t, sundial.Config{Store: st, Tasks: reg, NodeID: "n1", LeaseTTL: 3 * time.Second})
		st.updatesDown.Store(true)
		st.beatsDown.Store(true)
		if _, err := s.AddJob(ctx, sundial.JobSpec{ID: "j", Task: "work", Trigger: every(t, `{"type": "interval", "seconds": 30}`),
			NextRunTime: time.Now()}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second) // the run ends; its outcome gets no answer
		synctest.Wait()
		// The store answers again, but the lease has lapsed: the store
		// refuses the outcome for the lease alone.
		st.updatesDown.Store(false)
		time.Sleep(3 * time.Second)
		synctest.Wait()
		st.beatsDown.Store(false)
		time.Sleep(3 * time.Second) // a heartbeat, then another try
		synctest.Wait()
		runs, err := st.RunList(ctx, sundial.RunListParams{JobID: "j"})
		if err != nil || len(runs) != 1 || runs[0].Status != sundial.RunSucceeded {
			t.Fatalf("runs %v (err %v), want the one run recorded succeeded", runs, err)
		}
		time.Sleep(30 * time.Second) // the next fire
		synctest.Wait()
		if ran.Load() != 2 {
			t.Errorf("ran %d times, want 2: the next fire must not be skipped for max_instances", ran.Load())
		}
	})
}

// startStore applies updates that start a run but, while down is set,
// does not answer them, as a store whose reply was lost.
type startStore struct {
	*memory.Store
	down atomic.Bool
}

func (s *startStore) RunUpdate(ctx context.Context, runs ...*sundial.Run) error {
	err := s.Store.RunUpdate(ctx, runs...)
	if s.down.Load() {
		for _, r := range runs {
			if r.Status == sundial.RunRunning {
				return errors.New("i/o timeout")
			}
		}
	}
	return err
}

// A run whose start record the store applied but never answered, for
// longer than the worker waits, is neither started in doubt nor forgotten
// (it would stay running in the store, owned by this live node, for
// good): it starts once the store accepts the record, and its outcome is
// recorded.
func TestStartRecordedAfterStoreAnswers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		st := &startStore{Store: memory.New(memory.Options{})}
		var ran atomic.Int64
		var runID atomic.Value
		reg := sundial.NewRegistry()
		reg.Register("work", func(_ context.Context, rc *sundial.RunContext) error {
			ran.Add(1)
			runID.Store(rc.RunID)
			return nil
		})
		s := setup(t, sundial.Config{Store: st, Tasks: reg, NodeID: "n1", LeaseTTL: 3 * time.Second})
		st.down.Store(true)
		if _, err := s.AddJob(ctx, sundial.JobSpec{ID: "j", Task: "work", Trigger: every(t, `{"type": "interval", "seconds": 60}`),
			NextRunTime: time.Now()}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second) // the worker gives up waiting after the lease TTL
		synctest.Wait()
		if n := ran.Load(); n != 0 {
			t.Fatalf("ran %d times while its start was in doubt, want 0", n)
		}
		runs, err := st.RunList(ctx, sundial.RunListParams{JobID: "j"})
		if err != nil || len(runs) != 1 || runs[0].Status != sundial.RunRunning {
			t.Fatalf("runs %v (err %v), want one recorded running", runs, err)
		}
		st.down.Store(false)
		time.Sleep(2 * time.Second) // the maintenance loop records the start again
		synctest.Wait()
		if n := ran.Load(); n != 1 {
			t.Fatalf("ran %d times after the store answered, want 1", n)
		}
		runs, err = st.RunList(ctx, sundial.RunListParams{JobID: "j"})
		if err != nil || len(runs) != 1 || runs[0].Status != sundial.RunSucceeded || runs[0].ID != runID.Load() {
			t.Fatalf("runs %v (err %v), want the one run %v recorded succeeded", runs, err, runID.Load())
		}
	})
}
