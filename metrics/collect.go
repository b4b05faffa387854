package metrics

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sundial-scheduler/sundial"
)

// scrapeTimeout bounds the job listing one scrape makes, so a slow store
// costs a missing gauge rather than a stuck scrape.
const scrapeTimeout = 2 * time.Second

// schedulerCollector reads the attached schedulers at scrape time: their
// lifecycle states and how many jobs they hold.
type schedulerCollector struct {
	jobs         *prometheus.Desc
	state        *prometheus.Desc
	scrapeErrors *prometheus.Desc

	errors atomic.Uint64 // failed job listings

	mu         sync.Mutex
	schedulers []*sundial.Scheduler
}

func newSchedulerCollector() *schedulerCollector {
	return &schedulerCollector{
		jobs: prometheus.NewDesc(namespace+"_jobs",
			"Jobs in the stores of the attached schedulers, by state: scheduled or paused.",
			[]string{"state"}, nil),
		state: prometheus.NewDesc(namespace+"_scheduler_state",
			"Attached schedulers in each lifecycle state (1 for the current state of a single scheduler).",
			[]string{"state"}, nil),
		scrapeErrors: prometheus.NewDesc(namespace+"_scrape_errors_total",
			"Scrapes that could not list the jobs (the jobs gauge is left out of such a scrape).",
			nil, nil),
	}
}

func (c *schedulerCollector) add(s *sundial.Scheduler) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.schedulers = append(c.schedulers, s)
}

func (c *schedulerCollector) remove(s *sundial.Scheduler) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := slices.Index(c.schedulers, s); i >= 0 {
		c.schedulers = slices.Delete(c.schedulers, i, i+1)
	}
}

// Describe implements prometheus.Collector.
func (c *schedulerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.jobs
	ch <- c.state
	ch <- c.scrapeErrors
}

// Collect implements prometheus.Collector.
func (c *schedulerCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	schedulers := slices.Clone(c.schedulers)
	c.mu.Unlock()

	states := [...]sundial.State{sundial.StateStopped, sundial.StateRunning, sundial.StatePaused, sundial.StateShutdown}
	var inState [len(states)]int
	for _, s := range schedulers {
		if st := s.State(); int(st) < len(inState) {
			inState[st]++
		}
	}
	for _, st := range states {
		ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, float64(inState[st]), st.String())
	}

	if scheduled, paused, err := countJobs(schedulers); err != nil {
		c.errors.Add(1)
	} else {
		ch <- prometheus.MustNewConstMetric(c.jobs, prometheus.GaugeValue, float64(scheduled), "scheduled")
		ch <- prometheus.MustNewConstMetric(c.jobs, prometheus.GaugeValue, float64(paused), "paused")
	}
	ch <- prometheus.MustNewConstMetric(c.scrapeErrors, prometheus.CounterValue, float64(c.errors.Load()))
}

// countJobs lists the jobs of every scheduler, all within scrapeTimeout.
func countJobs(schedulers []*sundial.Scheduler) (scheduled, paused int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	for _, s := range schedulers {
		jobs, err := s.ListJobs(ctx, sundial.JobListParams{})
		if err != nil {
			return 0, 0, err
		}
		for _, j := range jobs {
			if j.Paused {
				paused++
			} else {
				scheduled++
			}
		}
	}
	return scheduled, paused, nil
}
