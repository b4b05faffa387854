package chaos_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial/internal/chaos"
)

// TestChaosTerm: a node with one worker has claimed more long runs than it
// can start when it gets SIGTERM. It stops claiming, lets its running job
// finish and exits 0 within shutdown_timeout + 1 s; the runs it had not
// started go to the other nodes at once (within 2 × poll + 1 s), instead
// of being interrupted or waiting for its lease to expire.
func TestChaosTerm(t *testing.T) {
	for _, b := range chaos.BackendsFor(8) {
		t.Run(b, func(t *testing.T) { termNode(t, b) })
	}
}

func termNode(t *testing.T, backend string) {
	n := chaos.Size(12, 30)
	const interval, hold = 8 * time.Second, 3 * time.Second
	skipIfUnfit(t)
	c := chaos.NewCluster(t, bin, chaos.Options{Backend: backend, NodeWorkers: map[string]int{"n1": 1}, ShutdownTimeout: 10 * time.Second})
	// n1 alone takes the first fire of every job: it runs one and holds
	// the others unstarted. Then the others join, and n1 is stopped.
	victim := c.Node("n1")
	c.Start(victim)
	start := chaos.StartAt(2*time.Second + time.Duration(n)*15*time.Millisecond)
	addJobs(t, c, chaos.Every("term", n, interval, start, func(j *chaos.JobDef) { j.Hold = hold }))
	fire := start
	chaos.Until(fire.Add(100 * time.Millisecond))
	c.Start(c.Nodes[1:]...)
	// Unstarted: claimed by n1 and not at the sink yet. A worker records
	// a run's start just before it sends the request, so n1, with one
	// worker, has at most one run recorded running: the others are
	// still submitted, to be released.
	claimed, recordedRunning, unstarted := 0, 0, 0
	for _, r := range c.Runs(fire, fire.Add(time.Millisecond)) {
		if r.Node == victim.ID {
			claimed++
			if r.Status == chaos.StatusRunning {
				recordedRunning++
			}
			if !c.Sink.Started(r.ID) {
				unstarted++
			}
		}
	}
	termAt := time.Now()
	if err := victim.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exitErr := victim.Wait(c.Opts.ShutdownTimeout + 5*time.Second)
	exitedIn := time.Since(termAt)
	end := start.Add(2 * interval)
	chaos.Until(end)
	c.Settle(end)

	rp := report(c, "SIGTERM with unstarted claims", end.Sub(start))
	rp.Note("SIGTERM to %s at +%s, holding %d claims of which %d recorded running and %d not started; it exited in %s (%v)", victim.ID,
		termAt.Sub(start).Round(time.Millisecond), claimed, recordedRunning, unstarted, exitedIn.Round(time.Millisecond), exitErr)
	if unstarted == 0 {
		rp.Note("%s held no unstarted claim at SIGTERM: the release was not exercised", victim.ID)
	}
	if recordedRunning > 1 {
		rp.Fail("%s, with one worker, had %d runs recorded running: a run's start must be recorded only when it starts", victim.ID, recordedRunning)
	}
	if exitErr != nil || victim.Running() {
		rp.Fail("%s did not exit cleanly on SIGTERM: %v", victim.ID, exitErr)
	} else if exitedIn > c.Opts.ShutdownTimeout+time.Second {
		rp.Fail("%s took %s to exit, more than shutdown_timeout + 1s", victim.ID, exitedIn.Round(time.Millisecond))
	}
	rp.Result = check(c, start, end, false)
	bound := 2*c.Opts.Poll + time.Second
	for _, d := range c.Sink.Deliveries() {
		if d.Scheduled.Equal(fire) && d.Arrived.After(termAt.Add(bound)) && d.Arrived.Sub(d.Scheduled) > time.Second {
			rp.Fail("%s fire %s (run %s) started %s after the SIGTERM, past 2 × poll + 1s = %s", d.JobID, d.Scheduled.Format("15:04:05"),
				d.RunID, d.Arrived.Sub(termAt).Round(time.Millisecond), bound)
		}
	}
	rp.Emit(t)
}
