package chaos_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial/internal/chaos"
)

// TestChaosOutage: every node is stopped (SIGTERM), the cluster stays down
// for a while, then every node starts again. The fires missed meanwhile
// are caught up exactly as each job's coalesce and misfire_grace_time say:
//
//	coalesce, no grace       one run for the backlog, coalesced = the rest
//	coalesce, grace 2s       the same (the latest fire is within grace)
//	no coalesce, no grace    one run per missed fire
//	no coalesce, grace 2s    fires older than 2s at the claim recorded
//	                         missed, the rest run
//
// checked in the run records (status, coalesced) as well as at the sink.
func TestChaosOutage(t *testing.T) {
	for _, b := range chaos.BackendsFor(3) {
		t.Run(b, func(t *testing.T) { outage(t, b) })
	}
}

// outageGroup is one combination of the misfire options.
type outageGroup struct {
	name     string
	coalesce bool
	grace    *time.Duration
}

func outage(t *testing.T, backend string) {
	per := chaos.Size(5, 20)
	before := chaos.Size(6*time.Second, 15*time.Second)
	down := chaos.Size(10*time.Second, 30*time.Second)
	after := chaos.Size(8*time.Second, 15*time.Second)
	grace := 2 * time.Second
	groups := []outageGroup{
		{"co-nograce", true, nil},
		{"co-grace", true, &grace},
		{"noco-nograce", false, nil},
		{"noco-grace", false, &grace},
	}
	c := setup(t, backend, chaos.Options{})
	start := chaos.StartAt(2*time.Second + time.Duration(per*len(groups))*15*time.Millisecond)
	var jobs []chaos.JobDef
	for _, g := range groups {
		jobs = append(jobs, chaos.Every(g.name, per, time.Second, start, func(j *chaos.JobDef) {
			j.Coalesce, j.Grace = &g.coalesce, g.grace
			// Without coalesce a backlog runs at once, one run per fire:
			// max_instances must not skip them.
			j.MaxInstances = 100
		})...)
	}
	addJobs(t, c, jobs)

	chaos.Until(start.Add(before))
	downAt := time.Now()
	var wg sync.WaitGroup
	for _, n := range c.Nodes {
		wg.Go(func() {
			if err := n.Term(c.Opts.ShutdownTimeout + 5*time.Second); err != nil {
				t.Errorf("%s did not stop cleanly on SIGTERM: %v", n.ID, err)
			}
		})
	}
	wg.Wait()
	stoppedAt := time.Now()
	chaos.Until(downAt.Add(down))
	upAt := time.Now()
	c.Start()
	readyAt := time.Now()
	end := upAt.Add(after)
	chaos.Until(end)
	c.Settle(end)

	rp := report(c, "all down, catch-up", end.Sub(start))
	rp.Note("SIGTERM to every node at +%s (all exited within %s), restarted at +%s (ready in %s)",
		downAt.Sub(start).Round(time.Millisecond), stoppedAt.Sub(downAt).Round(time.Millisecond),
		upAt.Sub(start).Round(time.Millisecond), readyAt.Sub(upAt).Round(time.Millisecond))
	rp.Result = check(c, start, end, false)
	runs := c.Runs(start, end)
	for _, g := range groups {
		checkCatchUp(rp, g, c.Jobs, runs, stoppedAt, upAt, c.F())
	}
	rp.Emit(t)
}

// checkCatchUp checks one group's records of the fires due while the
// cluster was down: (lastUp, upAt).
func checkCatchUp(rp *chaos.Report, g outageGroup, jobs []chaos.JobDef, runs []chaos.RunRecord, stoppedAt, upAt time.Time, bound time.Duration) {
	byJob := map[string][]chaos.RunRecord{}
	for _, r := range runs {
		if !r.Manual {
			byJob[r.JobID] = append(byJob[r.JobID], r)
		}
	}
	var folded, ran, missed, catchUps []int
	var firstClaim time.Duration
	for _, j := range jobs {
		if len(j.ID) <= len(g.name) || j.ID[:len(g.name)+1] != g.name+"-" {
			continue
		}
		// The fires nobody was up to claim.
		dueDown := len(j.Fires(stoppedAt, upAt))
		f, r, m, cu := 0, 0, 0, 0
		for _, rec := range byJob[j.ID] {
			// Records of fires due while down, or the catch-up run
			// (claimed after the restart, for a fire up to then).
			if rec.ScheduledAt.Before(stoppedAt) || rec.ScheduledAt.After(upAt.Add(bound)) || rec.CreatedAt.Before(upAt) {
				continue
			}
			if rec.ScheduledAt.After(upAt) && rec.Coalesced == 0 {
				continue // a fire after the restart, on time
			}
			cu++
			if d := rec.CreatedAt.Sub(upAt); firstClaim == 0 || d < firstClaim {
				firstClaim = d
			}
			f += rec.Coalesced
			switch rec.Status {
			case chaos.StatusMissed:
				m++
			case chaos.StatusSucceeded:
				r++
			default:
				rp.Fail("%s: catch-up record of fire %s is %s (%s)", j.ID, rec.ScheduledAt.Format(time.RFC3339Nano), rec.Status, rec.Reason)
			}
		}
		switch {
		case g.coalesce:
			// One run for the backlog, folding the others.
			if cu != 1 || r != 1 || f < dueDown-2 {
				rp.Fail("%s (%s): after %d fires due while down, want one succeeded catch-up run folding them; got %d records (%d succeeded, %d missed) folding %d",
					j.ID, g.name, dueDown, cu, r, m, f)
			}
		case g.grace == nil:
			// One run per missed fire.
			if f != 0 || m != 0 || r < dueDown {
				rp.Fail("%s (%s): %d fires due while down, want a succeeded run of each; got %d succeeded, %d missed, %d folded", j.ID, g.name, dueDown, r, m, f)
			}
		default:
			// Past the grace time: missed; the rest run.
			if f != 0 || m < dueDown-3 || m+r < dueDown {
				rp.Fail("%s (%s): %d fires due while down, want those older than %s at the claim missed and the rest run; got %d missed, %d succeeded, %d folded",
					j.ID, g.name, dueDown, *g.grace, m, r, f)
			}
		}
		folded, ran, missed, catchUps = append(folded, f), append(ran, r), append(missed, m), append(catchUps, cu)
	}
	rp.Note("%s: per job, catch-up records %v, succeeded %v, missed %v, folded %v (first catch-up claim %s after the restart)",
		g.name, summary(catchUps), summary(ran), summary(missed), summary(folded), firstClaim.Round(time.Millisecond))
}

// summary renders a list of counts briefly: "min–max".
func summary(xs []int) string {
	if len(xs) == 0 {
		return "-"
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d–%d", lo, hi)
}
