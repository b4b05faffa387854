package mysql_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/testenv"
	"github.com/sundial-scheduler/sundial/store/mysql"
)

const benchJobs = 1000

// benchSetup makes a database with benchJobs jobs due at base, one store
// per node, each node registered.
func benchSetup(b *testing.B, nodes int, opts mysql.Options) (string, []*mysql.Store) {
	b.Helper()
	dsn := testenv.MySQLDSN(b)
	var sts []*mysql.Store
	for i := range nodes {
		st := openWith(b, dsn, opts)
		heartbeat(b, st, fmt.Sprintf("node-%d", i))
		sts = append(sts, st)
	}
	db := rawDB(b, dsn)
	var q strings.Builder
	q.WriteString("INSERT INTO sundial_jobs (id, task, `trigger`, next_run_time, max_instances) VALUES ")
	for i := range benchJobs {
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "('job-%04d', 'report', '{\"type\": \"interval\", \"hours\": 1}', '2024-01-01 00:00:00', 1000000)", i)
	}
	exec(b, db, q.String())
	return dsn, sts
}

// hourly records one submitted run per claimed job and moves it on by an
// hour, as the scheduler does for an hourly job with no backlog.
func hourly(node string) func(job *sundial.Job, active int) sundial.ClaimDecision {
	return func(job *sundial.Job, active int) sundial.ClaimDecision {
		return sundial.ClaimDecision{
			NextRunTime: job.NextRunTime.Add(time.Hour),
			Runs: []*sundial.Run{{
				ID: fmt.Sprintf("%s@%d", job.ID, job.NextRunTime.Unix()), JobID: job.ID, ScheduledAt: job.NextRunTime,
				Attempt: 1, Status: sundial.RunSubmitted, Node: node, CreatedAt: job.NextRunTime,
			}},
		}
	}
}

// BenchmarkJobClaimDue claims 1,000 due jobs with one call (the scheduler's
// default ClaimBatch), recording a run for each, in transactions of
// ClaimChunk jobs. Runs pile up as history across iterations; they are
// marked finished between iterations (untimed) as executors would.
func BenchmarkJobClaimDue(b *testing.B) {
	for _, chunk := range []int{100, 250, 1000} {
		b.Run(fmt.Sprintf("chunk=%d", chunk), func(b *testing.B) {
			dsn, sts := benchSetup(b, 1, mysql.Options{ClaimChunk: chunk})
			db := rawDB(b, dsn)
			ctx := context.Background()
			b.ResetTimer()
			for i := range b.N {
				now := base.Add(time.Duration(i) * time.Hour)
				cs, err := sts[0].JobClaimDue(ctx, sundial.JobClaimDueParams{Now: now, Limit: benchJobs, Node: "node-0", Decide: hourly("node-0")})
				if err != nil || len(cs) != benchJobs {
					b.Fatalf("claimed %d, %v; want %d", len(cs), err, benchJobs)
				}
				b.StopTimer()
				exec(b, db, "UPDATE sundial_runs SET status = 'succeeded' WHERE status = 'submitted'")
				b.StartTimer()
			}
			b.ReportMetric(float64(benchJobs*b.N)/b.Elapsed().Seconds(), "jobs/s")
		})
	}
}

// BenchmarkJobClaimDueContended has three stores (as three nodes) claim
// the same 1,000 due jobs at once, 100 per call, until none is left.
func BenchmarkJobClaimDueContended(b *testing.B) {
	const nodes = 3
	dsn, sts := benchSetup(b, nodes, mysql.Options{})
	db := rawDB(b, dsn)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		now := base.Add(time.Duration(i) * time.Hour)
		var wg sync.WaitGroup
		counts := make([]int, nodes)
		for n, st := range sts {
			node := fmt.Sprintf("node-%d", n)
			wg.Go(func() {
				for {
					cs, err := st.JobClaimDue(ctx, sundial.JobClaimDueParams{Now: now, Limit: 100, Node: node, Decide: hourly(node)})
					if err != nil {
						b.Error(err)
						return
					}
					if len(cs) == 0 {
						return
					}
					counts[n] += len(cs)
				}
			})
		}
		wg.Wait()
		if total := counts[0] + counts[1] + counts[2]; total != benchJobs {
			b.Fatalf("claimed %d (%v), want %d", total, counts, benchJobs)
		}
		b.StopTimer()
		exec(b, db, "UPDATE sundial_runs SET status = 'succeeded' WHERE status = 'submitted'")
		b.StartTimer()
	}
	b.ReportMetric(float64(benchJobs*b.N)/b.Elapsed().Seconds(), "jobs/s")
}
