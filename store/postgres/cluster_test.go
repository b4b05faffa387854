package postgres_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/postgres"
)

// Several stores (separate pools, as separate processes have) and many
// goroutines claim the same backlog of fires while others "run now":
// every fire is claimed exactly once, and no job ever has more unfinished
// runs than its max_instances.
func TestClusterClaimsEachFireOnceAndHoldsMaxInstances(t *testing.T) {
	t.Parallel()
	const (
		instances  = 3
		claimers   = 4 // per instance
		jobs       = 60
		fires      = 3 // due per job, one minute apart
		maxInst    = 2
		runNowEach = jobs // RunInsert attempts per instance, one per job
	)
	url := setup(t)
	stores := make([]*postgres.Store, instances)
	for i := range stores {
		stores[i] = open(t, url, postgres.Options{ClaimBatch: 7})
		heartbeat(t, stores[i], fmt.Sprintf("node-%d", i))
	}
	tr := mustTrigger(t, everyMinute)
	for i := range jobs {
		job := &sundial.Job{ID: fmt.Sprintf("j%03d", i), Task: "t", Trigger: tr, NextRunTime: base,
			Options: sundial.Options{Coalesce: false, MaxInstances: maxInst}}
		if err := stores[0].JobAdd(t.Context(), sundial.JobAddParams{Job: job}); err != nil {
			t.Fatal(err)
		}
	}
	now := base.Add((fires - 1) * time.Minute)

	type fire struct {
		job string
		at  time.Time
	}
	var (
		mu        sync.Mutex
		claimed   = map[fire]int{}
		submitted atomic.Int64
		manual    atomic.Int64
		wg        sync.WaitGroup
		start     = make(chan struct{})
	)
	for i, st := range stores {
		node := fmt.Sprintf("node-%d", i)
		for w := range claimers {
			wg.Go(func() {
				<-start
				for {
					cs, err := st.JobClaimDue(t.Context(), sundial.JobClaimDueParams{
						Now: now, Limit: 5, Node: node,
						Decide: func(job *sundial.Job, active int) sundial.ClaimDecision {
							status := sundial.RunSubmitted
							if active >= job.MaxInstances {
								status = sundial.RunSkipped
							}
							return sundial.ClaimDecision{
								NextRunTime: job.NextRunTime.Add(time.Minute),
								Runs: []*sundial.Run{{
									ID:    fmt.Sprintf("%s@%d", job.ID, job.NextRunTime.Unix()),
									JobID: job.ID, ScheduledAt: job.NextRunTime, Attempt: 1,
									Status: status, Node: node, CreatedAt: now,
								}},
							}
						},
					})
					if err != nil {
						t.Errorf("claimer %s/%d: %v", node, w, err)
						return
					}
					if len(cs) == 0 {
						return
					}
					mu.Lock()
					for _, c := range cs {
						claimed[fire{c.Job.ID, c.Job.NextRunTime}]++
						for _, r := range c.Runs {
							if r.Status == sundial.RunSubmitted {
								submitted.Add(1)
							}
						}
					}
					mu.Unlock()
				}
			})
		}
		wg.Go(func() {
			<-start
			for k := range runNowEach {
				r := &sundial.Run{ID: fmt.Sprintf("manual-%s-%d", node, k), JobID: fmt.Sprintf("j%03d", (k+i*jobs/instances)%jobs),
					ScheduledAt: now.Add(time.Duration(1+i*runNowEach+k) * time.Millisecond), Attempt: 1,
					Status: sundial.RunSubmitted, Manual: true, Node: node, CreatedAt: now}
				switch err := st.RunInsert(t.Context(), r, maxInst); {
				case err == nil:
					manual.Add(1)
				case !errorsIs(err, sundial.ErrMaxInstances):
					t.Errorf("run now on %s: %v", node, err)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		return
	}
	if len(claimed) != jobs*fires {
		t.Errorf("%d distinct fires claimed, want %d", len(claimed), jobs*fires)
	}
	for f, n := range claimed {
		if n != 1 {
			t.Errorf("fire %s at %s claimed %d times", f.job, f.at, n)
		}
	}
	other := connect(t, url)
	var worst int
	if err := other.QueryRow(t.Context(), `SELECT COALESCE(max(n), 0) FROM (
		SELECT count(*) AS n FROM sundial_runs WHERE status IN ('submitted', 'running') GROUP BY job_id) AS c`).Scan(&worst); err != nil {
		t.Fatal(err)
	}
	if worst > maxInst {
		t.Errorf("a job has %d unfinished runs, max_instances is %d", worst, maxInst)
	}
	var total int64
	if err := other.QueryRow(t.Context(), `SELECT count(*) FROM sundial_runs`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	if want := int64(jobs*fires) + manual.Load(); total != want {
		t.Errorf("%d runs recorded, want %d (one per fire, plus %d run-now)", total, want, manual.Load())
	}
	t.Logf("%d fires claimed by %d claimers on %d stores: %d submitted, %d run-now accepted",
		len(claimed), instances*claimers, instances, submitted.Load(), manual.Load())
}

// A decided run whose fire is already recorded is not recorded twice, and
// it is not handed to the claimer; the job still advances.
func TestClaimDropsRunOfRecordedFire(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	heartbeat(t, s, "n1")
	job := &sundial.Job{ID: "a", Task: "t", Trigger: mustTrigger(t, everyMinute), NextRunTime: base,
		Options: sundial.Options{Coalesce: true, MaxInstances: 1}}
	if err := s.JobAdd(t.Context(), sundial.JobAddParams{Job: job}); err != nil {
		t.Fatal(err)
	}
	earlier := &sundial.Run{ID: "earlier", JobID: "a", ScheduledAt: base, Attempt: 1, Status: sundial.RunSucceeded, CreatedAt: base}
	if err := s.RunInsert(t.Context(), earlier, 0); err != nil {
		t.Fatal(err)
	}
	claims, err := s.JobClaimDue(t.Context(), sundial.JobClaimDueParams{
		Now: base, Node: "n1",
		Decide: func(job *sundial.Job, _ int) sundial.ClaimDecision {
			return sundial.ClaimDecision{NextRunTime: base.Add(time.Minute), Runs: []*sundial.Run{
				{ID: "again", JobID: "a", ScheduledAt: base, Attempt: 1, Status: sundial.RunSubmitted, Node: "n1", CreatedAt: base},
				{ID: "retry", JobID: "a", ScheduledAt: base, Attempt: 2, Status: sundial.RunSubmitted, Node: "n1", CreatedAt: base},
			}}
		},
	})
	if err != nil || len(claims) != 1 {
		t.Fatalf("JobClaimDue = %+v, %v", claims, err)
	}
	if runs := claims[0].Runs; len(runs) != 1 || runs[0].ID != "retry" || runs[0].Seq <= earlier.Seq {
		t.Errorf("claimed runs = %+v, want only retry, with a Seq above %d", runs, earlier.Seq)
	}
	if _, err := s.RunGet(t.Context(), "again"); !errorsIs(err, sundial.ErrRunNotFound) {
		t.Errorf("RunGet(again): err = %v, want ErrRunNotFound", err)
	}
	if got, err := s.JobGet(t.Context(), "a"); err != nil || !got.NextRunTime.Equal(base.Add(time.Minute)) {
		t.Errorf("job after the claim = %+v, %v; want next run time %s", got, err, base.Add(time.Minute))
	}
}

// Without a limit, JobClaimDue claims every due job, in several
// transactions of at most ClaimBatch.
func TestClaimWithoutLimitTakesEveryDueJob(t *testing.T) {
	t.Parallel()
	s := open(t, setup(t), postgres.Options{ClaimBatch: 3})
	heartbeat(t, s, "n1")
	tr := mustTrigger(t, everyMinute)
	for i := range 10 {
		job := &sundial.Job{ID: fmt.Sprintf("j%d", i), Task: "t", Trigger: tr, NextRunTime: base,
			Options: sundial.Options{MaxInstances: 1}}
		if err := s.JobAdd(t.Context(), sundial.JobAddParams{Job: job}); err != nil {
			t.Fatal(err)
		}
	}
	claims, err := s.JobClaimDue(t.Context(), sundial.JobClaimDueParams{Now: base, Node: "n1",
		Decide: func(job *sundial.Job, _ int) sundial.ClaimDecision {
			return sundial.ClaimDecision{NextRunTime: base.Add(time.Minute)}
		}})
	if err != nil || len(claims) != 10 {
		t.Errorf("JobClaimDue without a limit = %d claims, %v; want 10", len(claims), err)
	}
}

// Run text that PostgreSQL cannot hold (NUL bytes, invalid UTF-8) is
// stored with U+FFFD in its place instead of failing the write.
func TestRunTextIsMadeStorable(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	heartbeat(t, s, "n1")
	r := &sundial.Run{ID: "r", JobID: "a", ScheduledAt: base, Attempt: 1, Status: sundial.RunRunning, Node: "n1",
		CreatedAt: base, Output: "a\x00b", Error: "bad \xff utf-8"}
	if err := s.RunInsert(t.Context(), r, 0); err != nil {
		t.Fatal(err)
	}
	r.Status, r.Output = sundial.RunFailed, "c\x00d"
	if err := s.RunUpdate(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	got, err := s.RunGet(t.Context(), "r")
	if err != nil {
		t.Fatal(err)
	}
	if got.Output != "c\uFFFDd" || got.Error != "bad \uFFFD utf-8" {
		t.Errorf("stored output %q, error %q", got.Output, got.Error)
	}
}

// RunUpdate with the same run twice applies both in order.
func TestRunUpdateSameRunTwice(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	heartbeat(t, s, "n1")
	r := &sundial.Run{ID: "r", JobID: "a", ScheduledAt: base, Attempt: 1, Status: sundial.RunSubmitted, Node: "n1", CreatedAt: base}
	if err := s.RunInsert(t.Context(), r, 0); err != nil {
		t.Fatal(err)
	}
	running := *r
	running.Status, running.StartedAt = sundial.RunRunning, base.Add(time.Second)
	done := running
	done.Status, done.FinishedAt = sundial.RunSucceeded, base.Add(2*time.Second)
	again := done
	again.Status = sundial.RunFailed
	err := s.RunUpdate(t.Context(), &running, &done, &again)
	if !errorsIs(err, sundial.ErrLeaseLost) {
		t.Errorf("RunUpdate(running, succeeded, failed) = %v, want the last refused (already finished)", err)
	}
	if got, _ := s.RunGet(t.Context(), "r"); got == nil || got.Status != sundial.RunSucceeded || !got.StartedAt.Equal(running.StartedAt) {
		t.Errorf("stored run = %+v, want succeeded, started at %s", got, running.StartedAt)
	}
}
