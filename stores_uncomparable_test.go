package sundial_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/trigger"
)

// uncomparableStore is a store whose dynamic type cannot be compared with
// ==, as a wrapper holding a func cannot: the scheduler must never compare
// or hash Store values.
type uncomparableStore struct {
	sundial.Store
	hook func()
}

func TestUncomparableStoreTypes(t *testing.T) {
	t.Parallel()
	st := uncomparableStore{Store: memory.New(memory.Options{}), hook: func() {}}
	var done atomic.Int32
	finished := make(chan struct{})
	const n = 64
	reg := sundial.NewRegistry()
	reg.Register("t", func(context.Context, *sundial.RunContext) error {
		if done.Add(1) == n {
			close(finished)
		}
		return nil
	})
	s, err := sundial.New(sundial.Config{Store: st, Stores: map[string]sundial.Store{"other": uncomparableStore{Store: memory.New(memory.Options{})}},
		Tasks: reg, Executors: map[string]int{"default": 1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	at := time.Now().Add(-time.Second)
	for i := range n {
		store := ""
		if i%2 == 1 {
			store = "other"
		}
		if _, err := s.AddJob(ctx, sundial.JobSpec{Task: "t", Store: store, Trigger: trigger.NewDate(at)}); err != nil {
			t.Fatal(err)
		}
	}
	// One worker and a backlog: runs are recorded in batches that span
	// both stores.
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	select {
	case <-finished:
	case <-time.After(20 * time.Second):
		t.Fatalf("%d of %d runs done", done.Load(), n)
	}
}
