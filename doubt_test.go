package sundial_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
)

// lostClaimStore commits the next claim but loses its reply, as a store
// that restarts right after a commit does.
type lostClaimStore struct {
	*memory.Store
	lose atomic.Bool
}

func (l *lostClaimStore) JobClaimDue(ctx context.Context, p sundial.JobClaimDueParams) ([]sundial.Claim, error) {
	claims, err := l.Store.JobClaimDue(ctx, p)
	if err == nil && len(claims) > 0 && l.lose.CompareAndSwap(true, false) {
		return nil, errors.New("read tcp 127.0.0.1:5432: i/o timeout")
	}
	return claims, err
}

// A node alone on its store whose claim was committed but never answered
// takes the run it never learnt of back after the staleness bound, and runs
// it once under its id; left submitted, the run would hold its job's
// max_instances for good and every later fire would be skipped.
func TestLostClaimReplyRunTakenBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		st := &lostClaimStore{Store: memory.New(memory.Options{})}
		var mu sync.Mutex
		var ran []string
		reg := sundial.NewRegistry()
		reg.Register("work", func(_ context.Context, rc *sundial.RunContext) error {
			mu.Lock()
			defer mu.Unlock()
			ran = append(ran, rc.RunID)
			return nil
		})
		s := setup(t, sundial.Config{Store: st, Tasks: reg, NodeID: "n1", LeaseTTL: 3 * time.Second})
		st.lose.Store(true)
		if _, err := s.AddJob(ctx, sundial.JobSpec{ID: "j", Task: "work", Trigger: every(t, `{"type": "interval", "seconds": 20}`),
			NextRunTime: time.Now()}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		runs, err := st.RunList(ctx, sundial.RunListParams{JobID: "j"})
		if err != nil || len(runs) != 1 || runs[0].Status != sundial.RunSubmitted {
			t.Fatalf("runs %v (err %v), want one submitted run the node never learnt of", runs, err)
		}
		lost := runs[0].ID
		time.Sleep(10 * time.Second) // past the lease TTL, the staleness bound
		synctest.Wait()
		mu.Lock()
		got := append([]string(nil), ran...)
		mu.Unlock()
		if len(got) != 1 || got[0] != lost {
			t.Fatalf("ran %v, want the lost run %s once", got, lost)
		}
		r, err := st.RunGet(ctx, lost)
		if err != nil || r.Status != sundial.RunSucceeded {
			t.Fatalf("run %s = %v (err %v), want succeeded", lost, r, err)
		}
		time.Sleep(20 * time.Second) // the next fire is not skipped
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(ran) != 2 {
			t.Errorf("ran %v, want the next fire to run too", ran)
		}
	})
}
