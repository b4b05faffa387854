package storetest

import (
	"cmp"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// ClaimRace has goroutines (16 when 0) claim the same due jobs for d (10 s
// when 0), on their own nodes: 20 jobs each due every 10 ms of real time.
// Every fire must be claimed exactly once, and none skipped.
func ClaimRace(t *testing.T, st sundial.Store, goroutines int, d time.Duration) {
	if testing.Short() {
		t.Skip("races claims for 10 s")
	}
	goroutines = cmp.Or(goroutines, 16)
	if d <= 0 {
		d = 10 * time.Second
	}
	const jobs, period = 20, 10 * time.Millisecond
	start := time.Now().Truncate(time.Millisecond)
	for i := range jobs {
		j := newJob(fmt.Sprintf("race-%02d", i), start)
		j.MaxInstances = 1 << 20
		addJobs(t, st, j)
	}
	decide := func(node string) decideFunc {
		return func(job *sundial.Job, _ int) sundial.ClaimDecision {
			r := &sundial.Run{ID: fmt.Sprintf("%s@%d", job.ID, job.NextRunTime.UnixMilli()), JobID: job.ID,
				ScheduledAt: job.NextRunTime, Attempt: 1, Status: sundial.RunSucceeded, Node: node, CreatedAt: job.NextRunTime}
			return sundial.ClaimDecision{NextRunTime: job.NextRunTime.Add(period), Runs: []*sundial.Run{r}}
		}
	}
	var mu sync.Mutex
	seen := map[string]map[int64]int{}
	var wg sync.WaitGroup
	for g := range goroutines {
		node := fmt.Sprintf("racer-%d", g)
		heartbeat(t, st, node, time.Hour)
		wg.Go(func() {
			for time.Since(start) < d {
				claims, err := st.JobClaimDue(t.Context(), sundial.JobClaimDueParams{Now: time.Now(), Limit: 7, Node: node, Decide: decide(node)})
				if err != nil {
					t.Errorf("%s: %v", node, err)
					return
				}
				mu.Lock()
				for _, c := range claims {
					for _, r := range c.Runs {
						m := seen[r.JobID]
						if m == nil {
							m = map[int64]int{}
							seen[r.JobID] = m
						}
						m[r.ScheduledAt.UnixMilli()]++
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	total := 0
	for i := range jobs {
		id := fmt.Sprintf("race-%02d", i)
		m := seen[id]
		// The fires claimed form one unbroken sequence from start, each once.
		for k := range len(m) {
			at := start.Add(time.Duration(k) * period).UnixMilli()
			if n := m[at]; n != 1 {
				t.Errorf("%s: the fire at +%s was claimed %d times", id, time.Duration(k)*period, n)
			}
		}
		total += len(m)
	}
	t.Logf("%d goroutines claimed %d fires of %d jobs in %s, each once", goroutines, total, jobs, d)
	if total < jobs {
		t.Errorf("only %d fires claimed", total)
	}
}
