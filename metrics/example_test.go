package metrics_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/metrics"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/trigger"
)

// A program that embeds the scheduler registers the metrics on its own
// registry (serve it with promhttp.HandlerFor), wraps its store so store
// calls are timed, and attaches the scheduler.
func Example() {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		panic(err)
	}
	s, err := sundial.New(sundial.Config{
		Store:  m.WrapStore(sundial.DefaultStore, memory.New(memory.Options{})),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	detach := m.Attach(s)
	defer detach()

	// Listeners run in the order they were added: once this one sees the
	// run finish, the metrics have counted it.
	finished := make(chan struct{})
	s.AddListener(func(sundial.Event) { close(finished) }, sundial.EventRunSucceeded)

	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		panic(err)
	}
	if _, err := s.AddJob(ctx, sundial.JobSpec{ID: "ping", Task: sundial.NoopTask, Trigger: trigger.NewDate(time.Now())}); err != nil {
		panic(err)
	}
	<-finished
	if err := s.Shutdown(ctx); err != nil {
		panic(err)
	}

	printMetrics(reg, "sundial_fires_total", "sundial_runs_total", "sundial_runs_in_flight", "sundial_scheduler_state")
	// Output:
	// sundial_fires_total{task="sundial:noop"} 1
	// sundial_runs_in_flight 0
	// sundial_runs_total{status="succeeded",task="sundial:noop"} 1
	// sundial_scheduler_state{state="paused"} 0
	// sundial_scheduler_state{state="running"} 0
	// sundial_scheduler_state{state="shutdown"} 1
	// sundial_scheduler_state{state="stopped"} 0
}

// printMetrics prints the counters and gauges of the named families.
func printMetrics(reg *prometheus.Registry, names ...string) {
	families, err := reg.Gather()
	if err != nil {
		panic(err)
	}
	for _, f := range families {
		if !slices.Contains(names, f.GetName()) {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			name := f.GetName()
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			fmt.Println(name, m.GetCounter().GetValue()+m.GetGauge().GetValue())
		}
	}
}
