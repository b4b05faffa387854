package sundial_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/trigger"
)

// BenchmarkAddJob measures adding an hourly job to the memory store, the
// bench module's add scenario in one process: B/op is the memory a job
// costs while it is being added (what stays is a little less).
func BenchmarkAddJob(b *testing.B) {
	for _, running := range []bool{false, true} {
		name := "before-start"
		if running {
			name = "running"
		}
		b.Run(name, func(b *testing.B) {
			reg := sundial.NewRegistry()
			reg.Register("t", func(context.Context, *sundial.RunContext) error { return nil })
			s, err := sundial.New(sundial.Config{
				Store: memory.New(memory.Options{}), Tasks: reg,
				Logger: slog.New(slog.DiscardHandler),
			})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			if running {
				if err := s.Start(ctx); err != nil {
					b.Fatal(err)
				}
				defer s.Stop()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				tr, err := trigger.NewInterval(time.Hour, time.Time{}, time.UTC)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.AddJob(ctx, sundial.JobSpec{ID: strconv.Itoa(i), Task: "t", Trigger: tr}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
