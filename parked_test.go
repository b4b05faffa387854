package sundial_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
)

// A stored job whose task this process does not have (another build added
// it, or the task was renamed) is parked: it stays in the store with its
// schedule, and each of its fires is recorded as skipped with the reason,
// never run and never deleted.
func TestJobWithUnregisteredTaskIsParked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		st := memory.New(memory.Options{})
		job := &sundial.Job{ID: "orphan", Name: "orphan", Task: "billing:gone", Args: []byte(`[]`), Kwargs: []byte(`{}`),
			Trigger: every(t, `{"type": "interval", "seconds": 10}`), NextRunTime: time.Now().Add(time.Second),
			Options: sundial.DefaultJobOptions()}
		if err := st.JobAdd(ctx, sundial.JobAddParams{Job: job}); err != nil {
			t.Fatal(err)
		}
		s := setup(t, sundial.Config{Store: st, NodeID: "n1"})
		time.Sleep(25 * time.Second)
		synctest.Wait()
		got, err := s.GetJob(ctx, "orphan")
		if err != nil {
			t.Fatalf("the job with an unregistered task is gone: %v", err)
		}
		if !got.NextRunTime.After(time.Now()) {
			t.Errorf("next run time %s, want it kept in the future", got.NextRunTime)
		}
		runs, err := s.ListRuns(ctx, sundial.RunListParams{JobID: "orphan"})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 3 {
			t.Fatalf("%d runs recorded, want 3 (at 1 s, 11 s, 21 s)", len(runs))
		}
		for _, r := range runs {
			if r.Status != sundial.RunSkipped || !strings.Contains(r.Reason, `"billing:gone" is not registered`) {
				t.Errorf("run at %s: %s (%s), want skipped because the task is not registered", r.ScheduledAt, r.Status, r.Reason)
			}
		}
	})
}
