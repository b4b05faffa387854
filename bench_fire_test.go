//go:build unix

package sundial_test

import (
	"context"
	"log/slog"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/trigger"
)

// BenchmarkFire measures the CPU time of a fire on the memory store, from
// claim to recorded outcome, across every goroutine of the process: the
// figure to read is cpu-ns/fire (user + system time of the process over
// the timed part, divided by the fires), which depends less on the other
// work of the machine than wall time does. The scheduler's clock is a
// variable the benchmark moves, so the loop never waits for real time.
//
//   - oneshot: b.N one-shot jobs due at one instant (the burst);
//   - every-second: 10,000 jobs firing every second, one second of the
//     clock per round until b.N fires (the steady workload).
func BenchmarkFire(b *testing.B) {
	b.Run("oneshot", func(b *testing.B) {
		f := newFireBench(b)
		for i := range b.N {
			f.add(b, i, trigger.NewDate(f.t0), 0)
		}
		f.run(b, func() {})
	})
	b.Run("every-second", func(b *testing.B) {
		const jobs = 10_000
		f := newFireBench(b)
		every, err := trigger.NewInterval(time.Second, f.t0, time.UTC)
		if err != nil {
			b.Fatal(err)
		}
		for i := range jobs {
			// A round starts when the last one's handlers returned,
			// maybe before their outcomes are recorded: max_instances 1
			// would skip those fires.
			f.add(b, i, every, 100)
		}
		f.run(b, func() {
			for f.ran.Load() < int64(b.N) {
				want := f.ran.Load() + jobs
				f.now.Add(int64(time.Second))
				f.wake()
				for f.ran.Load() < want && f.ran.Load() < int64(b.N) {
					<-f.tick
				}
			}
		})
	})
}

type fireBench struct {
	s    *sundial.Scheduler
	t0   time.Time
	now  atomic.Int64 // the scheduler's clock, Unix nanoseconds
	ran  atomic.Int64
	goal atomic.Int64
	tick chan struct{}
}

func newFireBench(b *testing.B) *fireBench {
	b.ReportAllocs()
	f := &fireBench{t0: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), tick: make(chan struct{}, 1)}
	f.now.Store(f.t0.UnixNano())
	f.goal.Store(int64(b.N))
	reg := sundial.NewRegistry()
	reg.Register("count", func(context.Context, *sundial.RunContext) error {
		n := f.ran.Add(1)
		if n == f.goal.Load() || n%1000 == 0 {
			select {
			case f.tick <- struct{}{}:
			default:
			}
		}
		return nil
	})
	s, err := sundial.New(sundial.Config{
		Store:      memory.New(memory.Options{RunsPerJob: 2, MaxRuns: 1000}),
		Tasks:      reg,
		Executors:  map[string]int{"default": 8},
		Logger:     slog.New(slog.DiscardHandler),
		Clock:      sundial.ClockFunc(func() time.Time { return time.Unix(0, f.now.Load()).UTC() }),
		ClaimBatch: 10_000,
	})
	if err != nil {
		b.Fatal(err)
	}
	f.s = s
	return f
}

// wake makes the scheduler read its clock again: Resume wakes the loop.
func (f *fireBench) wake() {
	f.s.Pause()
	f.s.Resume()
}

func (f *fireBench) add(b *testing.B, i int, tr trigger.Trigger, maxInstances int) {
	spec := sundial.JobSpec{ID: strconv.Itoa(i), Task: "count", Trigger: tr, MaxInstances: maxInstances}
	if _, err := f.s.AddJob(context.Background(), spec); err != nil {
		b.Fatal(err)
	}
}

// run starts the scheduler, calls drive to move the clock, and waits for
// b.N fires.
func (f *fireBench) run(b *testing.B, drive func()) {
	cpu0 := cpuTime()
	b.ResetTimer()
	if err := f.s.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	drive()
	for f.ran.Load() < int64(b.N) {
		<-f.tick
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/fire")
	f.s.Stop()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
