package metrics

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/trigger"
)

const (
	jobsHelp = `# HELP sundial_jobs Jobs in the stores of the attached schedulers, by state: scheduled or paused.
# TYPE sundial_jobs gauge
`
	stateHelp = `# HELP sundial_scheduler_state Attached schedulers in each lifecycle state (1 for the current state of a single scheduler).
# TYPE sundial_scheduler_state gauge
`
	scrapeErrorsHelp = `# HELP sundial_scrape_errors_total Scrapes that could not list the jobs (the jobs gauge is left out of such a scrape).
# TYPE sundial_scrape_errors_total counter
`
)

// compareSchedulers checks the scrape-time metrics named in want against
// it, written in the text format without HELP and TYPE lines.
func compareSchedulers(t *testing.T, m *Metrics, want string) {
	t.Helper()
	var (
		text  strings.Builder
		names []string
	)
	for _, family := range []struct{ name, help string }{
		{"sundial_jobs", jobsHelp}, {"sundial_scheduler_state", stateHelp}, {"sundial_scrape_errors_total", scrapeErrorsHelp},
	} {
		var lines []string
		for line := range strings.Lines(want) {
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, family.name+" ") || strings.HasPrefix(line, family.name+"{") {
				lines = append(lines, line+"\n")
			}
		}
		if len(lines) > 0 {
			text.WriteString(family.help + strings.Join(lines, ""))
			names = append(names, family.name)
		}
	}
	err := testutil.CollectAndCompare(m.schedulers, strings.NewReader(text.String()), names...)
	if err != nil {
		t.Error(err)
	}
}

// The gauges follow the jobs and the scheduler's lifecycle, and add up
// over the attached schedulers.
func TestJobsAndStateGauges(t *testing.T) {
	t.Parallel()
	e := setup(t)
	later := trigger.NewDate(time.Now().Add(time.Hour))
	e.addJob(t, sundial.JobSpec{ID: "a", Task: "ok", Trigger: later})
	e.addJob(t, sundial.JobSpec{ID: "b", Task: "ok", Trigger: later})
	e.addJob(t, sundial.JobSpec{ID: "c", Task: "ok", Trigger: later, Paused: true})
	compareSchedulers(t, e.m, `
		sundial_jobs{state="paused"} 1
		sundial_jobs{state="scheduled"} 2
		sundial_scheduler_state{state="paused"} 0
		sundial_scheduler_state{state="running"} 0
		sundial_scheduler_state{state="shutdown"} 0
		sundial_scheduler_state{state="stopped"} 1
		sundial_scrape_errors_total 0
	`)

	e.start(t)
	if _, err := e.s.PauseJob(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	compareSchedulers(t, e.m, `
		sundial_jobs{state="paused"} 2
		sundial_jobs{state="scheduled"} 1
		sundial_scheduler_state{state="paused"} 0
		sundial_scheduler_state{state="running"} 1
		sundial_scheduler_state{state="shutdown"} 0
		sundial_scheduler_state{state="stopped"} 0
	`)

	// A second scheduler, stopped, with a job of its own.
	other, err := sundial.New(sundial.Config{
		Store:  memory.New(memory.Options{}),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.AddJob(context.Background(), sundial.JobSpec{Task: sundial.NoopTask, Trigger: later}); err != nil {
		t.Fatal(err)
	}
	detachOther := e.m.Attach(other)
	e.s.Pause()
	compareSchedulers(t, e.m, `
		sundial_jobs{state="paused"} 2
		sundial_jobs{state="scheduled"} 2
		sundial_scheduler_state{state="paused"} 1
		sundial_scheduler_state{state="running"} 0
		sundial_scheduler_state{state="shutdown"} 0
		sundial_scheduler_state{state="stopped"} 1
	`)

	detachOther()
	e.shutdown()
	compareSchedulers(t, e.m, `
		sundial_jobs{state="paused"} 2
		sundial_jobs{state="scheduled"} 1
		sundial_scheduler_state{state="paused"} 0
		sundial_scheduler_state{state="running"} 0
		sundial_scheduler_state{state="shutdown"} 1
		sundial_scheduler_state{state="stopped"} 0
		sundial_scrape_errors_total 0
	`)
	lint(t, e.m)
}

// stuckStore fails or hangs its job listing: hang waits for the caller's
// deadline, as a blackholed connection would.
type stuckStore struct {
	sundial.Store
	hang bool
}

func (s stuckStore) JobList(ctx context.Context, _ sundial.JobListParams) ([]*sundial.Job, error) {
	if s.hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return nil, errors.New("connection refused")
}

func newStuckScheduler(t *testing.T, hang bool) (*Metrics, *sundial.Scheduler) {
	t.Helper()
	m := newMetrics(t)
	s, err := sundial.New(sundial.Config{
		Store:  stuckStore{Store: memory.New(memory.Options{}), hang: hang},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	m.Attach(s)
	return m, s
}

// A scrape whose listing fails reports no jobs gauge, counts the error,
// and still reports the state.
func TestJobsGaugeListError(t *testing.T) {
	t.Parallel()
	m, _ := newStuckScheduler(t, false)
	compareSchedulers(t, m, `
		sundial_scheduler_state{state="paused"} 0
		sundial_scheduler_state{state="running"} 0
		sundial_scheduler_state{state="shutdown"} 0
		sundial_scheduler_state{state="stopped"} 1
		sundial_scrape_errors_total 1
	`)
	compareSchedulers(t, m, `sundial_scrape_errors_total 2`)
	if n := testutil.CollectAndCount(m.schedulers, "sundial_jobs"); n != 0 {
		t.Errorf("sundial_jobs has %d series when listing fails, want none", n)
	}
}

// A store that hangs costs a scrape two seconds, not more.
func TestJobsGaugeTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		m, _ := newStuckScheduler(t, true)
		start := time.Now()
		compareSchedulers(t, m, `sundial_scrape_errors_total 1`)
		if waited := time.Since(start); waited != scrapeTimeout {
			t.Errorf("scrape took %v, want %v", waited, scrapeTimeout)
		}
		if n := testutil.CollectAndCount(m.schedulers, "sundial_jobs"); n != 0 {
			t.Errorf("sundial_jobs has %d series when listing times out, want none", n)
		}
	})
}
