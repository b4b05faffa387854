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
