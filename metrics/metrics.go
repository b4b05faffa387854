package metrics

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

const namespace = "sundial"

// unknownTask is the task label of events that carry no task (runs of a
// lost node whose job could not be read).
const unknownTask = "unknown"

// Metrics holds the Prometheus collectors of one or more Sundial
// schedulers and their stores. Create it with New, then feed it with
// Attach and WrapStore. It is safe for concurrent use.
type Metrics struct {
	fires    *prometheus.CounterVec
	runs     *prometheus.CounterVec
	lateness prometheus.Histogram
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge

	storeDuration *prometheus.HistogramVec
	storeErrors   *prometheus.CounterVec

	schedulers *schedulerCollector

	registered collectors // all of the above, as registered
}

// New creates the collectors and registers them on reg, all or none: on
// an error (reg nil, or a collector of the same name already registered,
// such as by an earlier New on the same registry) nothing is registered.
func New(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("metrics: nil registerer")
	}
	// Buckets, in seconds. Lateness is expected to be small (the dispatch
	// loop's wake-up and the executor's queue), so its buckets are fine
	// near zero, from 1 ms to 60 s; handlers and store calls span wider
	// ranges.
	latenessBuckets := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	durationBuckets := []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600}
	storeBuckets := []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	m := &Metrics{
		fires: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "fires_total",
			Help: "Fires handled: scheduled (not manual) first attempts recorded as submitted, missed or skipped.",
		}, []string{"task"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "runs_total",
			Help: "Runs (every attempt) that reached a final status: succeeded, failed, timeout, missed, skipped or interrupted.",
		}, []string{"task", "status"}),
		lateness: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "run_lateness_seconds",
			Help:    "How much later than their fire time first attempts started.",
			Buckets: latenessBuckets,
		}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "run_duration_seconds",
			Help:    "How long handlers ran, from start to finish.",
			Buckets: durationBuckets,
		}, []string{"task"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "runs_in_flight",
			Help: "Runs submitted on this node that have not finished yet.",
		}),
		storeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "store_operation_duration_seconds",
			Help:    "How long store operations took, by store and operation (method name).",
			Buckets: storeBuckets,
		}, []string{"store", "op"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "store_errors_total",
			Help: "Store operations that failed (not counting expected answers such as job not found).",
		}, []string{"store", "op"}),
		schedulers: newSchedulerCollector(),
	}
	m.registered = collectors{m.fires, m.runs, m.lateness, m.duration, m.inFlight, m.storeDuration, m.storeErrors, m.schedulers}
	if err := reg.Register(m.registered); err != nil {
		return nil, fmt.Errorf("metrics: register collectors: %w", err)
	}
	return m, nil
}

// collectors registers several collectors as one, so registration is all
// or nothing.
type collectors []prometheus.Collector

func (cs collectors) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range cs {
		c.Describe(ch)
	}
}

func (cs collectors) Collect(ch chan<- prometheus.Metric) {
	for _, c := range cs {
		c.Collect(ch)
	}
}

// taskLabel is the task label of an event's task.
func taskLabel(task string) string {
	if task == "" {
		return unknownTask
	}
	return task
}
