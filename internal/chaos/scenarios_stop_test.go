package chaos_test

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial/internal/chaos"
)

// TestChaosStop: the busiest node is frozen with SIGSTOP for three lease
// periods, then resumed. The others take over what it held; when it wakes
// it must not run or record what it lost: no fire is delivered twice, no
// fire has two records, and it serves again.
func TestChaosStop(t *testing.T) {
	for _, b := range chaos.BackendsFor(2) {
		t.Run(b, func(t *testing.T) { stopBusiest(t, b) })
	}
}

func stopBusiest(t *testing.T, backend string) {
	n := chaos.Size(40, 150)
	long := chaos.Size(6, 15)
	// The long jobs fire every 3 s from the start and run 2 s: at these
	// times they are running.
	stopAfter := chaos.Size(7*time.Second, 16*time.Second)
	after := chaos.Size(8*time.Second, 20*time.Second)
	c := setup(t, backend, chaos.Options{})
	start := chaos.StartAt(2*time.Second + time.Duration(n+long)*15*time.Millisecond)
	jobs := chaos.Every("stop", n, time.Second, start, nil)
	// Long jobs, so that the frozen node is in the middle of some runs.
	jobs = append(jobs, chaos.Every("stop-long", long, 3*time.Second, start, func(j *chaos.JobDef) { j.Hold = 2 * time.Second })...)
	addJobs(t, c, jobs)

	chaos.Until(start.Add(stopAfter - 400*time.Millisecond))
	victim := c.Busiest(start, time.Now())
	prefix := chaos.RunPrefix(c.Runs(start, time.Time{}), victim.ID)
	chaos.Until(start.Add(stopAfter))
	stoppedAt := time.Now()
	if err := victim.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	chaos.Until(stoppedAt.Add(3 * c.Opts.Lease))
	contAt := time.Now()
	if err := victim.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	end := contAt.Add(after)
	chaos.Until(end)
	c.Settle(end)

	rp := report(c, "SIGSTOP 3x lease", end.Sub(start))
	rp.Note("stopped %s at +%s for %s", victim.ID, stoppedAt.Sub(start).Round(time.Millisecond), contAt.Sub(stoppedAt).Round(time.Millisecond))
	rp.Result = check(c, start, end, true)
	if !victim.Running() {
		rp.Fail("%s exited after SIGCONT: %v", victim.ID, victim.ExitErr())
	} else if code, _, err := victim.Probe("/healthz", 2*time.Second); err != nil || code != http.StatusOK {
		rp.Fail("%s does not answer /healthz after SIGCONT: %d %v", victim.ID, code, err)
	}
	f := chaos.Failover(c.Sink.Deliveries(), start, end, stoppedAt, c.F(), time.Second+c.Opts.Poll, prefix)
	rp.Note("fires late by more than 1s + poll: %d, claimed by the frozen node and taken over within the bound: %d (last %s after the stop)",
		f.Late, f.TakenOver, f.LastArrival.Round(time.Millisecond))
	// After it wakes, the frozen node may be late with fires it claims
	// itself (its first claims); only the window around the stop is
	// judged by the failover bound.
	fr := chaos.Failover(c.Sink.Deliveries(), start, contAt, stoppedAt, c.F(), time.Second+c.Opts.Poll, prefix)
	if fr.Count() > 0 {
		rp.Fail("%d fires due while %s was frozen arrived late beyond the failover allowance: %s", fr.Count(), victim.ID, strings.Join(fr.Violations, "; "))
	}
	checkNeverStarted(rp, chaos.NeverStarted(c.Runs(start, end), c.Sink.Deliveries(), start, end), stoppedAt, "stop")
	// What the frozen node did with what it lost, from its own log.
	for _, msg := range []string{"run not started: this node no longer owns it", "run outcome not recorded: this node lost the run", "claim due jobs"} {
		if k := chaos.CountLog(victim.LogPath(), msg); k > 0 {
			rp.Note("%s logged %q %d times", victim.ID, msg, k)
		}
	}
	// Runs the frozen node recorded as its own that started while it was
	// frozen would mean it kept work another node should have taken.
	for _, r := range c.Runs(start, end) {
		if r.Node == victim.ID && r.StartedAt != nil && r.StartedAt.After(stoppedAt.Add(time.Second)) && r.StartedAt.Before(contAt) {
			rp.Fail("run %s of %s (fire %s) recorded started by the frozen %s at %s", r.ID, r.JobID, r.ScheduledAt.Format(time.RFC3339Nano), victim.ID, r.StartedAt.Format(time.RFC3339Nano))
		}
	}
	rp.Emit(t)
}
