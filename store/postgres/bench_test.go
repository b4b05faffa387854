package postgres_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/postgres"
)

// BenchmarkJobClaimDue claims 1,000 due jobs, recording one submitted run
// for each, in transactions of ClaimBatch jobs. One op is the whole 1,000.
func BenchmarkJobClaimDue(b *testing.B) {
	for _, batch := range []int{100, 500, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			benchClaim(b, 1000, batch)
		})
	}
}

func benchClaim(b *testing.B, jobs, batch int) {
	url := setup(b)
	s := open(b, url, postgres.Options{ClaimBatch: batch})
	heartbeat(b, s, "n1")
	tr := mustTrigger(b, everyMinute)
	for i := range jobs {
		job := &sundial.Job{ID: fmt.Sprintf("job-%05d", i), Task: "t", Trigger: tr, NextRunTime: base,
			Options: sundial.Options{Coalesce: true, MaxInstances: 1}}
		if err := s.JobAdd(b.Context(), sundial.JobAddParams{Job: job}); err != nil {
			b.Fatal(err)
		}
	}
	admin := connect(b, url)
	decide := func(job *sundial.Job, active int) sundial.ClaimDecision {
		status := sundial.RunSubmitted
		if active >= job.MaxInstances {
			status = sundial.RunSkipped
		}
		return sundial.ClaimDecision{
			NextRunTime: job.NextRunTime.Add(time.Hour),
			Runs: []*sundial.Run{{
				ID: job.ID + "@" + job.NextRunTime.Format(time.RFC3339), JobID: job.ID, ScheduledAt: job.NextRunTime,
				Attempt: 1, Status: status, Node: "n1", CreatedAt: job.NextRunTime,
			}},
		}
	}
	rounds := 0
	for b.Loop() {
		i := rounds
		rounds++
		// Make every job due again at a fire of its own, and finish the
		// runs of the last round so max_instances lets them run.
		b.StopTimer()
		fire := base.Add(time.Duration(i) * time.Minute)
		if _, err := admin.Exec(b.Context(), `UPDATE sundial_jobs SET next_run_time = $1`, fire); err != nil {
			b.Fatal(err)
		}
		if _, err := admin.Exec(b.Context(), `UPDATE sundial_runs SET status = 'succeeded' WHERE status = 'submitted'`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		claims, err := s.JobClaimDue(b.Context(), sundial.JobClaimDueParams{Now: fire, Node: "n1", Decide: decide})
		if err != nil {
			b.Fatal(err)
		}
		if len(claims) != jobs {
			b.Fatalf("claimed %d jobs, want %d", len(claims), jobs)
		}
	}
	b.ReportMetric(float64(jobs*rounds)/b.Elapsed().Seconds(), "jobs/s")
}
