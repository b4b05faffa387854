package sundial_test

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
)

// reapCountStore counts RunReap calls and, while held is open, keeps
// every claim waiting, as a store that stopped answering would.
type reapCountStore struct {
	*memory.Store
	reaps atomic.Int64
	held  chan struct{} // nil: claims pass
}

func (s *reapCountStore) RunReap(ctx context.Context, p sundial.RunReapParams) (sundial.RunReapResult, error) {
	if !p.Restarted {
		s.reaps.Add(1)
	}
	return s.Store.RunReap(ctx, p)
}

func (s *reapCountStore) JobClaimDue(ctx context.Context, p sundial.JobClaimDueParams) ([]sundial.Claim, error) {
	if s.held != nil {
		<-s.held
	}
	return s.Store.JobClaimDue(ctx, p)
}

// The maintenance loop reaps about once a second, asked by the dispatch
// loop's wake; and every two seconds on its own while the dispatch loop
// is held up in a claim that does not return.
func TestReapCadence(t *testing.T) {
	for _, tc := range []struct {
		name     string
		held     bool
		min, max int64 // reaps in 10 s
	}{
		{"dispatch loop running", false, 9, 11},
		{"dispatch loop held up", true, 4, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				st := &reapCountStore{Store: memory.New(memory.Options{})}
				if tc.held {
					st.held = make(chan struct{})
					defer close(st.held) // before the scheduler stops
				}
				s := setup(t, sundial.Config{Store: st, Tasks: sundial.NewRegistry()})
				synctest.Wait()
				from := st.reaps.Load()
				time.Sleep(10 * time.Second)
				synctest.Wait()
				if n := st.reaps.Load() - from; n < tc.min || n > tc.max {
					t.Errorf("%d reaps in 10 s, want %d to %d", n, tc.min, tc.max)
				}
				_ = s
			})
		})
	}
}
