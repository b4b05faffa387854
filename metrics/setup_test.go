package metrics

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
)

// env is a scheduler on the memory store, attached to fresh metrics, with
// three tasks: "ok" succeeds, "fail" fails and "block" waits until its
// context is cancelled (a timeout or a shutdown).
type env struct {
	reg    *prometheus.Registry
	m      *Metrics
	s      *sundial.Scheduler
	detach func()
	// events receives every event after the metrics have seen it (its
	// listener was added after Attach's, and listeners run in order).
	events chan sundial.Event
}

func setup(t *testing.T) *env {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	tasks := sundial.NewRegistry()
	tasks.Register("ok", func(context.Context, *sundial.RunContext) error { return nil })
	tasks.Register("fail", func(context.Context, *sundial.RunContext) error { return errors.New("boom") })
	tasks.Register("block", func(ctx context.Context, _ *sundial.RunContext) error {
		<-ctx.Done()
		return ctx.Err()
	})
	s, err := sundial.New(sundial.Config{
		Store:  m.WrapStore(sundial.DefaultStore, memory.New(memory.Options{})),
		Tasks:  tasks,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{reg: reg, m: m, s: s, events: make(chan sundial.Event, 1024)}
	e.detach = m.Attach(s)
	s.AddListener(func(ev sundial.Event) { e.events <- ev }, sundial.EventAll)
	t.Cleanup(func() {
		e.shutdown()
		e.detach()
	})
	return e
}

// shutdown shuts the scheduler down at once, cancelling running handlers;
// every event has been delivered when it returns.
func (e *env) shutdown() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = e.s.Shutdown(ctx) // an error says that handlers were cancelled
}

func (e *env) start(t *testing.T) {
	t.Helper()
	if err := e.s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (e *env) addJob(t *testing.T, spec sundial.JobSpec) {
	t.Helper()
	if _, err := e.s.AddJob(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
}

// waitEvents consumes events until want has been seen (each count of
// each event type, counted by job id), and fails after a generous bound
// rather than hang.
func (e *env) waitEvents(t *testing.T, want map[string]map[sundial.EventType]int) {
	t.Helper()
	left := 0
	for _, byType := range want {
		for _, n := range byType {
			left += n
		}
	}
	deadline := time.After(30 * time.Second)
	for left > 0 {
		select {
		case ev := <-e.events:
			if want[ev.JobID][ev.Type] > 0 {
				want[ev.JobID][ev.Type]--
				left--
			}
		case <-deadline:
			t.Fatalf("events still awaited: %v", want)
		}
	}
}

// sampleCount returns how many observations a histogram series holds.
func sampleCount(t *testing.T, o prometheus.Observer) uint64 {
	t.Helper()
	var pb dto.Metric
	if err := o.(prometheus.Metric).Write(&pb); err != nil {
		t.Fatal(err)
	}
	return pb.GetHistogram().GetSampleCount()
}

// lint fails the test on any problem promlint finds in the metrics' output.
func lint(t *testing.T, m *Metrics) {
	t.Helper()
	problems, err := testutil.CollectAndLint(m.registered)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}
