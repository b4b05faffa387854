package sundial_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/trigger"
)

// BenchmarkBurst measures the whole path of a fire, from claim to the
// handler's return and the recorded outcome: b.N one-shot jobs all due at
// the same instant, with the memory store. The figure to read is ns/op,
// the wall time per fire on this machine's cores.
func BenchmarkBurst(b *testing.B) {
	b.ReportAllocs()
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var ran atomic.Int64
	done := make(chan struct{})
	reg := sundial.NewRegistry()
	reg.Register("count", func(context.Context, *sundial.RunContext) error {
		if ran.Add(1) == int64(b.N) {
			close(done)
		}
		return nil
	})
	s, err := sundial.New(sundial.Config{
		Store:      memory.New(memory.Options{RunsPerJob: 2, MaxRuns: 1000}),
		Tasks:      reg,
		Executors:  map[string]int{"default": 8},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Clock:      sundial.ClockFunc(func() time.Time { return at }),
		ClaimBatch: 10_000,
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i := range b.N {
		if _, err := s.AddJob(ctx, sundial.JobSpec{ID: strconv.Itoa(i), Task: "count", Trigger: trigger.NewDate(at)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	if err := s.Start(ctx); err != nil {
		b.Fatal(err)
	}
	<-done
	b.StopTimer()
	s.Stop()
}
