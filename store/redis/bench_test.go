package redis

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// BenchmarkJobClaimDue claims 1,000 due jobs in one call (the scheduler's
// default ClaimBatch), each recording one submitted run, as a scheduler
// does at a burst of fires. Setting the jobs up is not timed.
func BenchmarkJobClaimDue(b *testing.B) {
	const jobs = 1000
	for _, tc := range []struct {
		name       string
		instances  int // stores claiming at once, each with its own pool
		limitPerIn int
	}{
		{"OneClaimer", 1, jobs},
		{"FourInstancesRacing", 4, jobs},
	} {
		b.Run(tc.name, func(b *testing.B) {
			opts := testPrefix(b)
			stores := make([]*Store, tc.instances)
			for i := range stores {
				stores[i] = setup(b, opts)
				n := &sundial.Node{ID: fmt.Sprint("node-", i)}
				if err := stores[i].NodeHeartbeat(b.Context(), n, time.Hour); err != nil {
					b.Fatal(err)
				}
			}
			s := stores[0]
			claimed := 0
			var decides atomic.Int64
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				if _, err := s.JobRemoveAll(b.Context()); err != nil {
					b.Fatal(err)
				}
				at := base.Add(time.Duration(i) * time.Hour)
				for k := range jobs {
					j := newJob(fmt.Sprintf("j%04d", k), at)
					if err := s.JobAdd(b.Context(), sundial.JobAddParams{Job: j}); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				done := make(chan int, tc.instances)
				for k, st := range stores {
					node := fmt.Sprint("node-", k)
					decide := submitOrSkip(node)
					go func() {
						cs, err := st.JobClaimDue(b.Context(), sundial.JobClaimDueParams{
							Now: at, Limit: tc.limitPerIn, Node: node, Decide: func(j *sundial.Job, active int) sundial.ClaimDecision {
								decides.Add(1)
								return decide(j, active)
							},
						})
						if err != nil {
							b.Error(err)
						}
						done <- len(cs)
					}()
				}
				n := 0
				for range stores {
					n += <-done
				}
				if n != jobs {
					b.Fatalf("claimed %d jobs, want %d", n, jobs)
				}
				claimed += n
			}
			b.ReportMetric(float64(claimed)/b.Elapsed().Seconds(), "jobs/s")
			b.ReportMetric(float64(decides.Load())/float64(claimed), "decides/job")
		})
	}
}
