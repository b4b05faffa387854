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

// failingStore refuses every claim, as a store that is down does.
type failingStore struct {
	*memory.Store
	calls atomic.Int64
}

func (f *failingStore) JobClaimDue(context.Context, sundial.JobClaimDueParams) ([]sundial.Claim, error) {
	if f.calls.Add(1) > 1000 {
		time.Sleep(time.Second) // a spinning loop must not hang the test
	}
	return nil, errors.New("store unreachable")
}

// While claims fail with a job due, the loop backs off instead of spinning:
// a handful of attempts a second at most.
func TestClaimErrorsBackOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &failingStore{Store: memory.New(memory.Options{})}
		s := setup(t, sundial.Config{Store: st})
		if _, err := s.AddJob(context.Background(), sundial.JobSpec{ID: "due", Task: sundial.NoopTask,
			Trigger: every(t, `{"type": "interval", "seconds": 1}`), NextRunTime: time.Now()}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		if n := st.calls.Load(); n > 30 || n < 5 {
			t.Errorf("%d claim attempts in 10 s of a failing store, want a few per second (backing off to 1 s)", n)
		}
	})
}

// hangingStore never answers a claim until its context ends, as a store
// behind a blackholed connection does.
type hangingStore struct {
	*memory.Store
	calls atomic.Int64
}

func (h *hangingStore) JobClaimDue(ctx context.Context, _ sundial.JobClaimDueParams) ([]sundial.Claim, error) {
	h.calls.Add(1)
	<-ctx.Done()
	return nil, ctx.Err()
}

// A store call that hangs is cut off at StoreTimeout and tried again: the
// scheduler is never stuck on it.
func TestHangingStoreTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &hangingStore{Store: memory.New(memory.Options{})}
		s := setup(t, sundial.Config{Store: st, StoreTimeout: 5 * time.Second})
		if _, err := s.AddJob(context.Background(), sundial.JobSpec{ID: "due", Task: sundial.NoopTask,
			Trigger: every(t, `{"type": "interval", "seconds": 1}`), NextRunTime: time.Now()}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		if n := st.calls.Load(); n < 8 || n > 13 {
			t.Errorf("%d claims in a minute of a hanging store with a 5 s timeout, want about 11", n)
		}
	})
}
