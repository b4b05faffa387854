package chaos_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial/internal/chaos"
)

// TestChaosKill: the node that ran the most fires is killed with SIGKILL.
// Nothing runs twice; the fires it had claimed are taken over once its
// lease expires (within lease + poll + 1 s), and every other fire stays
// within a second.
func TestChaosKill(t *testing.T) {
	for _, b := range chaos.BackendsFor(1) {
		t.Run(b, func(t *testing.T) { killBusiest(t, b) })
	}
}

func killBusiest(t *testing.T, backend string) {
	n := chaos.Size(60, 200)
	window := chaos.Size(15*time.Second, 60*time.Second)
	killAfter := chaos.Size(5*time.Second, 21*time.Second) // odd: see below
	// The two survivors must have the workers for the whole load: n/5
	// runs of 1.5 s at once every other second (the long jobs below) and
	// the 1 s jobs between them. With 20 workers a node (the default) the
	// long form's 40 long runs take every survivor's worker for 1.5 s and
	// the fires due meanwhile are folded or late, which says nothing
	// about failover.
	c := setup(t, backend, chaos.Options{Workers: max(20, n/5)})
	start := chaos.StartAt(2*time.Second + time.Duration(n)*15*time.Millisecond)
	jobs := chaos.Every("kill", n, time.Second, start, nil)
	// Long jobs, so that the killed node dies in the middle of some runs:
	// half abandon them (recorded interrupted), half ask for recovery
	// (run again by a survivor, under the same run id).
	jobs = append(jobs, chaos.Every("kill-long", n/10, 2*time.Second, start, func(j *chaos.JobDef) { j.Hold = 1500 * time.Millisecond })...)
	jobs = append(jobs, chaos.Every("kill-retry", n/10, 2*time.Second, start, func(j *chaos.JobDef) {
		j.Hold, j.Recovery = 1500*time.Millisecond, "retry"
	})...)
	addJobs(t, c, jobs)
	end := start.Add(window)

	// The long jobs fire at even seconds and run 1.5 s: at an odd
	// second minus 0.4 s they are running.
	chaos.Until(start.Add(killAfter - 400*time.Millisecond))
	victim := c.Busiest(start, time.Now())
	prefix := chaos.RunPrefix(c.Runs(start, time.Time{}), victim.ID)
	// Just after a whole second: the victim has claimed that second's
	// fires and is starting them.
	chaos.Until(start.Add(killAfter + 5*time.Millisecond))
	killedAt := time.Now()
	if err := victim.Kill(); err != nil {
		t.Fatal(err)
	}
	chaos.Until(end)
	c.Settle(end)

	rp := report(c, "kill -9 busiest", window)
	rp.Note("killed %s at +%s", victim.ID, killedAt.Sub(start).Round(time.Millisecond))
	rp.Result = check(c, start, end, true)
	// The slack of "on time" is a second plus the poll interval.
	f := chaos.Failover(c.Sink.Deliveries(), start, end, killedAt, c.F(), time.Second+c.Opts.Poll, prefix)
	rp.Note("fires late by more than 1s + poll: %d, of them claimed by %s and taken over within the bound: %d (last %s after the kill; bound F+1s = %s)",
		f.Late, victim.ID, f.TakenOver, f.LastArrival.Round(time.Millisecond), c.F()+time.Second)
	if f.Count() > 0 {
		rp.Fail("%d fires late beyond the failover allowance: %s", f.Count(), strings.Join(f.Violations, "; "))
	}
	var lastRerun time.Duration
	for _, d := range rp.Result.Reruns {
		lastRerun = max(lastRerun, d.Arrived.Sub(killedAt))
		if d.Arrived.After(killedAt.Add(c.F() + time.Second)) {
			rp.Fail("%s fire %s (run %s) run again %s after the kill, past F + 1s = %s", d.JobID, d.Scheduled.Format(time.RFC3339Nano), d.RunID,
				d.Arrived.Sub(killedAt).Round(time.Millisecond), c.F()+time.Second)
		}
	}
	taken := 0
	for _, node := range c.Nodes {
		if node != victim {
			taken += chaos.CountLog(node.LogPath(), "run taken over from a lost node")
		}
	}
	interrupted := 0
	for _, r := range c.Runs(start, end) {
		if r.Status == chaos.StatusInterrupted {
			interrupted++
			if r.Node != victim.ID {
				rp.Fail("run %s of %s at %s interrupted on %s, which was not killed: %s", r.ID, r.JobID, r.ScheduledAt.Format(time.RFC3339Nano), r.Node, r.Reason)
			}
		}
	}
	rp.Note("runs taken over by the survivors: %d (recovery-retry runs delivered again: %d, the last %s after the kill); runs of %s marked interrupted: %d",
		taken, len(rp.Result.Reruns), lastRerun.Round(time.Millisecond), victim.ID, interrupted)
	checkNeverStarted(rp, chaos.NeverStarted(c.Runs(start, end), c.Sink.Deliveries(), start, end), killedAt, "kill")
	if p99 := rp.Result.Lateness.P99; p99 >= time.Second {
		rp.Fail("lateness p99 %s, want < 1s", p99.Round(time.Millisecond))
	}
	rp.Emit(t)
}

// checkNeverStarted fails each run recorded interrupted that never reached
// the sink, unless its start was recorded within a second before the
// node's loss (at lost): a node records a run's start just before it
// sends the request, so a kill or a stop can fall between the two. A run
// recorded running earlier than that and never sent is the gap a worker
// recording its whole batch running before running it would leave.
func checkNeverStarted(rp *chaos.Report, runs []chaos.RunRecord, lost time.Time, what string) {
	for _, r := range runs {
		if r.StartedAt != nil && r.StartedAt.After(lost.Add(-time.Second)) {
			rp.Note("%s fire %s (run %s) recorded interrupted on %s, its start recorded %s before the %s: its request may not have left the node",
				r.JobID, r.ScheduledAt.Format("15:04:05.000"), r.ID, r.Node, lost.Sub(*r.StartedAt).Round(time.Millisecond), what)
			continue
		}
		rp.Fail("%s fire %s (run %s) recorded interrupted on %s but never reached the sink: recorded running, not started, and not taken over",
			r.JobID, r.ScheduledAt.Format("15:04:05.000"), r.ID, r.Node)
	}
}
