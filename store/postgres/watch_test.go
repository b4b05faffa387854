package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/postgres"
)

// watchOpts reconnect quickly, for tests.
var watchOpts = postgres.Options{WatchBackoff: 10 * time.Millisecond, WatchMaxBackoff: 100 * time.Millisecond}

// listenerPID returns the pid of the database's Watch connection other
// than not, polling until one is listening (the watcher reconnects in the
// background) or the deadline passes.
func listenerPID(t *testing.T, url string, not int32) int32 {
	t.Helper()
	conn := connect(t, url)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var pid int32
		err := conn.QueryRow(t.Context(), `SELECT pid FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = 'sundial-watch'
				AND query = 'LISTEN sundial_jobs' AND pid <> $1`, not).Scan(&pid)
		if err == nil {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("no Watch connection listening within 10s: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // the server's view, polled
	}
}

// Changes made by another store instance (another process) wake a Watch.
func TestWatchSeesOtherInstances(t *testing.T) {
	t.Parallel()
	url := setup(t)
	a := open(t, url, watchOpts)
	b := open(t, url, watchOpts)
	ch := a.Watch(t.Context())
	waitSignal(t, ch, 5*time.Second, "Watch started")
	listenerPID(t, url, 0)
	drain(ch)
	job := &sundial.Job{ID: "x", Task: "t", Trigger: mustTrigger(t, everyMinute), NextRunTime: base}
	if err := b.JobAdd(t.Context(), sundial.JobAddParams{Job: job}); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, ch, 5*time.Second, "JobAdd on another instance")
	if err := b.JobRemove(t.Context(), "x"); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, ch, 5*time.Second, "JobRemove on another instance")
}

// When the listening connection is killed, Watch connects again, and a
// change made afterwards is still noticed.
func TestWatchReconnectsAfterTerminate(t *testing.T) {
	t.Parallel()
	url := setup(t)
	s := open(t, url, watchOpts)
	ch := s.Watch(t.Context())
	waitSignal(t, ch, 5*time.Second, "Watch started")
	admin := connect(t, url)
	for round := range 2 {
		pid := listenerPID(t, url, 0)
		var ok bool
		if err := admin.QueryRow(t.Context(), `SELECT pg_terminate_backend($1)`, pid).Scan(&ok); err != nil || !ok {
			t.Fatalf("pg_terminate_backend(%d) = %t, %v", pid, ok, err)
		}
		listenerPID(t, url, pid)
		// The watcher signals once it listens again (changes made while it
		// was away were not notified); then a new change must arrive as a
		// notification of its own.
		waitSignal(t, ch, 5*time.Second, "reconnecting")
		drain(ch)
		if _, err := admin.Exec(t.Context(), `INSERT INTO sundial_jobs (id, task, trigger) VALUES ($1, 't', $2)`,
			"after-kill-"+string(rune('a'+round)), everyMinute); err != nil {
			t.Fatal(err)
		}
		waitSignal(t, ch, 5*time.Second, "an insert after the listener was terminated")
	}
}

// A Watch ends with its context, and Close ends every Watch.
func TestWatchEnds(t *testing.T) {
	t.Parallel()
	url := setup(t)
	s, err := postgres.Open(t.Context(), url, watchOpts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	ch := s.Watch(ctx)
	waitSignal(t, ch, 5*time.Second, "Watch started")
	s.Watch(t.Context()) // ended by Close
	cancel()
	done := make(chan struct{})
	go func() {
		s.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return: a Watch goroutine is still running")
	}
}

// Claims wake nobody: moving fire times later needs no other scheduler
// awake. Notifications arrive in commit order, so the first one a listener
// gets after a claim must be a marker sent after it.
func TestClaimsDoNotNotify(t *testing.T) {
	t.Parallel()
	url := setup(t)
	s := open(t, url, postgres.Options{})
	heartbeat(t, s, "n1")
	job := &sundial.Job{ID: "x", Task: "t", Trigger: mustTrigger(t, everyMinute), NextRunTime: base,
		Options: sundial.Options{MaxInstances: 1}}
	if err := s.JobAdd(t.Context(), sundial.JobAddParams{Job: job}); err != nil {
		t.Fatal(err)
	}
	listener := connect(t, url)
	if _, err := listener.Exec(t.Context(), `LISTEN sundial_jobs`); err != nil {
		t.Fatal(err)
	}
	claims, err := s.JobClaimDue(t.Context(), sundial.JobClaimDueParams{Now: base, Node: "n1",
		Decide: func(job *sundial.Job, _ int) sundial.ClaimDecision {
			return sundial.ClaimDecision{NextRunTime: base.Add(time.Minute), Runs: []*sundial.Run{
				{ID: "r", JobID: job.ID, ScheduledAt: base, Attempt: 1, Status: sundial.RunSubmitted, Node: "n1", CreatedAt: base},
			}}
		}})
	if err != nil || len(claims) != 1 {
		t.Fatalf("JobClaimDue = %v, %v", claims, err)
	}
	if _, err := connect(t, url).Exec(t.Context(), `SELECT pg_notify('sundial_jobs', 'marker')`); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	n, err := listener.WaitForNotification(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n.Payload != "marker" {
		t.Errorf("first notification after a claim has payload %q, want the marker sent after it", n.Payload)
	}
}
