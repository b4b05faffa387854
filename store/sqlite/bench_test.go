package sqlite

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

var benchBase = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func benchJob(id string, next time.Time) *sundial.Job {
	return &sundial.Job{
		ID: id, Name: id, Task: "report", Args: json.RawMessage(`[1,"two"]`), Kwargs: json.RawMessage(`{"k":"v"}`),
		Trigger:     trigger.MustParse(`{"type": "interval", "minutes": 1, "start_date": "2024-01-01T00:00:00+00:00"}`),
		NextRunTime: next,
		Options:     sundial.Options{Coalesce: true, MaxInstances: 1, Tags: []string{"bench"}},
		CreatedAt:   benchBase, UpdatedAt: benchBase,
	}
}

func benchStore(b *testing.B) *Store {
	b.Helper()
	s := openFile(b, filepath.Join(b.TempDir(), "bench.db"), Options{Logger: quiet})
	n := &sundial.Node{ID: "bench", Host: "localhost", PID: 1, StartedAt: benchBase}
	if err := s.NodeHeartbeat(b.Context(), n, time.Hour); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkJobClaimDue claims 1,000 due jobs per op (so ns/op ÷ 1,000 is
// the cost of one job's claim), each recording one run: every op claims
// the next minute's fire of the same jobs, so the run history grows by
// 1,000 rows per op as it would in a store in use.
func BenchmarkJobClaimDue(b *testing.B) {
	const jobs = 1000
	s := benchStore(b)
	for i := range jobs {
		if err := s.JobAdd(b.Context(), sundial.JobAddParams{Job: benchJob(fmt.Sprintf("job-%04d", i), benchBase)}); err != nil {
			b.Fatal(err)
		}
	}
	decide := func(job *sundial.Job, active int) sundial.ClaimDecision {
		at := job.NextRunTime
		return sundial.ClaimDecision{
			NextRunTime: at.Add(time.Minute),
			Runs: []*sundial.Run{{
				ID: fmt.Sprintf("%s@%d", job.ID, at.Unix()), JobID: job.ID, ScheduledAt: at, Attempt: 1,
				Status: sundial.RunSucceeded, Node: "bench", CreatedAt: at, StartedAt: at, FinishedAt: at,
			}},
		}
	}
	now := benchBase
	b.ReportAllocs()
	for b.Loop() {
		claims, err := s.JobClaimDue(b.Context(), sundial.JobClaimDueParams{Now: now, Limit: jobs, Node: "bench", Decide: decide})
		if err != nil {
			b.Fatal(err)
		}
		if len(claims) != jobs {
			b.Fatalf("claimed %d jobs at %s, want %d", len(claims), now, jobs)
		}
		now = now.Add(time.Minute)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*jobs), "ns/job")
}

// BenchmarkJobAdd adds one job per op.
func BenchmarkJobAdd(b *testing.B) {
	s := benchStore(b)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		if err := s.JobAdd(b.Context(), sundial.JobAddParams{Job: benchJob(fmt.Sprintf("job-%07d", i), benchBase)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunUpdate updates 1,000 runs per op in one call (the batch a
// busy scheduler writes): each op starts them all, then finishes them.
func BenchmarkRunUpdate(b *testing.B) {
	const n = 1000
	s := benchStore(b)
	runs := make([]*sundial.Run, n)
	at := benchBase
	fresh := func() {
		at = at.Add(time.Minute)
		for i := range runs {
			runs[i] = &sundial.Run{ID: fmt.Sprintf("r%d-%d", at.Unix(), i), JobID: fmt.Sprintf("job-%04d", i), ScheduledAt: at,
				Attempt: 1, Status: sundial.RunSubmitted, Node: "bench", CreatedAt: at}
			if err := s.RunInsert(b.Context(), runs[i], 0); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		fresh()
		b.StartTimer()
		for _, r := range runs {
			r.Status, r.StartedAt = sundial.RunRunning, at
		}
		if err := s.RunUpdate(b.Context(), runs...); err != nil {
			b.Fatal(err)
		}
		for _, r := range runs {
			r.Status, r.FinishedAt, r.Output = sundial.RunSucceeded, at.Add(time.Second), "ok"
		}
		if err := s.RunUpdate(b.Context(), runs...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/run")
}
