package memory

import (
	"context"
	"reflect"
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
	if s.hist.ids.len() != 10 || len(s.names) != 10 {
		t.Fatalf("kept %d runs and %d job entries, want 10 and 10", s.hist.ids.len(), len(s.names))
	}
	// Evicted records are reused: the slab holds no more than the runs
	// kept at once (one more while a run is being retired), plus the
	// unused record 0.
	if n := s.hist.size(); n > 12 {
		t.Fatalf("the run slab grew to %d records for 10 kept runs", n)
	}
}

// setRun copies the fields a run update may change by name: a field added
// to sundial.Run must be added there (or to the fields an update keeps).
func TestSetRunKnowsEveryField(t *testing.T) {
	t.Parallel()
	if n := reflect.TypeFor[sundial.Run]().NumField(); n != 16 {
		t.Fatalf("sundial.Run has %d fields, setRun was written for 16: update it", n)
	}
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	old := sundial.Run{ID: "r", JobID: "j", Seq: 3, ScheduledAt: at, Attempt: 1, Status: sundial.RunRunning,
		Node: "n", Manual: true, CreatedAt: at, StartedAt: at}
	upd := sundial.Run{ID: "r", JobID: "x", Seq: 9, ScheduledAt: at.Add(time.Hour), Attempt: 2,
		Status: sundial.RunFailed, Reason: "why", Coalesced: 2, Node: "m", Recoverable: true,
		CreatedAt: at.Add(time.Hour), StartedAt: at.Add(time.Second), FinishedAt: at.Add(2 * time.Second),
		Output: "out", Error: "err"}
	got := old
	setRun(&got, &upd)
	want := upd
	want.JobID, want.Seq, want.ScheduledAt, want.Attempt = old.JobID, old.Seq, old.ScheduledAt, old.Attempt
	want.Node, want.Manual, want.CreatedAt = old.Node, old.Manual, old.CreatedAt
	if got != want {
		t.Errorf("setRun gave\n%+v\nwant\n%+v", got, want)
	}
}
