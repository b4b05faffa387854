package sundial_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/trigger"
)

// skewedStore is a memory store whose clock reads skew from the process's
// (positive: the store is ahead): its heartbeats report that time. Its
// leases stay consistent, as they are judged by its own clock alone.
type skewedStore struct {
	*memory.Store
	skew time.Duration
}

func (s skewedStore) NodeHeartbeat(ctx context.Context, n *sundial.Node, ttl time.Duration) error {
	err := s.Store.NodeHeartbeat(ctx, n, ttl)
	n.HeartbeatAt, n.LeaseUntil = n.HeartbeatAt.Add(s.skew), n.LeaseUntil.Add(s.skew)
	return err
}

// storeClockSetup starts a scheduler on the system clock (inside the
// bubble) and a store whose clock is skew from it; ran receives the store's
// time at each start of task "work", which fails while fail is set.
func storeClockSetup(t *testing.T, skew time.Duration, fail bool) (s *sundial.Scheduler, ran chan time.Time) {
	t.Helper()
	ran = make(chan time.Time, 10)
	reg := sundial.NewRegistry()
	reg.Register("work", func(context.Context, *sundial.RunContext) error {
		ran <- time.Now().Add(skew)
		if fail {
			fail = false
			return errors.New("first attempt fails")
		}
		return nil
	})
	s = setup(t, sundial.Config{Store: skewedStore{memory.New(memory.Options{}), skew}, Tasks: reg, NodeID: "n1"})
	if got := s.StoreClockOffset(sundial.DefaultStore); got != skew {
		t.Fatalf("StoreClockOffset = %s after the first heartbeat, want %s", got, skew)
	}
	return s, ran
}

// A node whose clock is 30 s ahead of the store's does not fire early: a
// job due at T by the store's clock waits while this node's clock reads
// past T, and its run records are in the store's time.
func TestNodeAheadOfStoreDoesNotFireEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		skew := -30 * time.Second
		s, ran := storeClockSetup(t, skew, false)
		fire := time.Now().Add(skew + 10*time.Second) // this node's clock is past it already
		if _, err := s.AddJob(ctx, sundial.JobSpec{ID: "j", Task: "work", Trigger: trigger.NewDate(fire)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10*time.Second - time.Millisecond)
		synctest.Wait()
		if len(ran) != 0 {
			t.Fatalf("the job ran at store time %s, before its fire time %s", <-ran, fire)
		}
		time.Sleep(2 * time.Millisecond)
		synctest.Wait()
		if len(ran) != 1 {
			t.Fatalf("the job ran %d times once due by the store's clock, want 1", len(ran))
		}
		if at := <-ran; at.Before(fire) || at.Sub(fire) > time.Second {
			t.Errorf("started at store time %s, want at %s", at, fire)
		}
		runs, err := s.ListRuns(ctx, sundial.RunListParams{JobID: "j"})
		if err != nil || len(runs) != 1 {
			t.Fatalf("runs = %v, %v; want one", runs, err)
		}
		r := runs[0]
		if !r.ScheduledAt.Equal(fire) || r.CreatedAt.Before(fire) || r.StartedAt.Before(fire) || r.FinishedAt.Sub(fire) > time.Second {
			t.Errorf("run scheduled %s, created %s, started %s, finished %s; want all at about %s (store time)",
				r.ScheduledAt, r.CreatedAt, r.StartedAt, r.FinishedAt, fire)
		}
	})
}

// A node whose clock is 30 s behind the store's does not fire 30 s late,
// and its retry backoff counts in the store's time too.
func TestNodeBehindStoreFiresOnTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		skew := 30 * time.Second
		s, ran := storeClockSetup(t, skew, true)
		fire := time.Now().Add(skew + 5*time.Second)
		if _, err := s.AddJob(ctx, sundial.JobSpec{ID: "j", Task: "work", Trigger: trigger.NewDate(fire),
			Retry: &sundial.RetryPolicy{Attempts: 1, Backoff: 3 * time.Second}}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5*time.Second + time.Millisecond)
		synctest.Wait()
		if len(ran) != 1 {
			t.Fatalf("the job ran %d times once due by the store's clock, want 1", len(ran))
		}
		if at := <-ran; at.Sub(fire) > time.Second {
			t.Errorf("started at store time %s, %s after its fire time", at, at.Sub(fire))
		}
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if len(ran) != 1 {
			t.Fatalf("the retry ran %d times 3 s after the failure, want 1", len(ran))
		}
		if got := runsByStatus(t, s, "j"); got[sundial.RunFailed] != 1 || got[sundial.RunSucceeded] != 1 {
			t.Errorf("runs by status = %v, want one failed and its retry succeeded", got)
		}
	})
}

// An injected Clock is not pulled to the store's (tests keep their fake
// time) unless StoreClock is on.
func TestStoreClockOffWithInjectedClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, tt := range []struct {
			mode sundial.StoreClockMode
			want time.Duration
		}{{sundial.StoreClockAuto, 0}, {sundial.StoreClockOff, 0}, {sundial.StoreClockOn, -30 * time.Second}} {
			// The fake clock is 30 s ahead of the store's real one.
			clock := sundial.ClockFunc(func() time.Time { return time.Now().Add(30 * time.Second) })
			s := setup(t, sundial.Config{Store: memory.New(memory.Options{}), Clock: clock, StoreClock: tt.mode})
			if got := s.StoreClockOffset(sundial.DefaultStore); got != tt.want {
				t.Errorf("mode %d: StoreClockOffset = %s, want %s", tt.mode, got, tt.want)
			}
			if got, want := s.StoreNow(sundial.DefaultStore), clock.Now().Add(tt.want); !got.Equal(want) {
				t.Errorf("mode %d: StoreNow = %s, want %s", tt.mode, got, want)
			}
			s.Stop()
		}
	})
}
