package memory

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// Runs of one-shot jobs leave nothing behind once evicted: the job id's
// entry is dropped with the job's last run, and run records are reused.
func TestRunIndexDoesNotLeak(t *testing.T) {
	t.Parallel()
	s := New(Options{RunsPerJob: 2, MaxRuns: 10})
	ctx := context.Background()
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.NodeHeartbeat(ctx, &sundial.Node{ID: "n"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		id := "job-" + strconv.Itoa(i)
		r := &sundial.Run{ID: "run-" + id, JobID: id, ScheduledAt: at, Attempt: 1, Status: sundial.RunSubmitted, Node: "n"}
		if err := s.RunInsert(ctx, r, 0); err != nil {
			t.Fatal(err)
		}
		r.Status = sundial.RunSucceeded
		if err := s.RunUpdate(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.hist.ids) != 10 || len(s.names) != 10 {
		t.Fatalf("kept %d runs and %d job entries, want 10 and 10", len(s.hist.ids), len(s.names))
	}
	// Evicted records are reused: the slab holds no more than the runs
	// kept at once (one more while a run is being retired), plus the
	// unused record 0.
	if n := len(s.hist.recs); n > 12 {
		t.Fatalf("the run slab grew to %d records for 10 kept runs", n)
	}
}
