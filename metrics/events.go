package metrics

import (
	"sync"

	"github.com/sundial-scheduler/sundial"
)

// finalStatus is the status label of the events that end a run.
func finalStatus(t sundial.EventType) (sundial.RunStatus, bool) {
	switch t {
	case sundial.EventRunSucceeded:
		return sundial.RunSucceeded, true
	case sundial.EventRunFailed:
		return sundial.RunFailed, true
	case sundial.EventRunTimedOut:
		return sundial.RunTimedOut, true
	case sundial.EventRunMissed:
		return sundial.RunMissed, true
	case sundial.EventRunSkipped:
		return sundial.RunSkipped, true
	case sundial.EventRunInterrupted:
		return sundial.RunInterrupted, true
	}
	return "", false
}

// listened are the events Attach subscribes to.
const listened = sundial.EventRunSubmitted | sundial.EventRunSucceeded | sundial.EventRunFailed |
	sundial.EventRunMissed | sundial.EventRunSkipped | sundial.EventRunTimedOut | sundial.EventRunInterrupted |
	sundial.EventRunReleased | sundial.EventSchedulerShutdown

// Attach feeds the run metrics from s's events and adds s to the
// scrape-time gauges (jobs and scheduler state). Attach each scheduler
// once; detach stops both (it is idempotent) and takes the runs of s still
// in flight out of sundial_runs_in_flight.
//
// Events are delivered on the scheduler's event goroutine, so the metrics
// never slow the dispatch loop; they lag it by the event queue.
func (m *Metrics) Attach(s *sundial.Scheduler) (detach func()) {
	t := &tracker{m: m, inFlight: map[string]struct{}{}}
	remove := s.AddListener(t.handle, listened)
	m.schedulers.add(s)
	var once sync.Once
	return func() {
		once.Do(func() {
			remove()
			m.schedulers.remove(s)
			t.close()
		})
	}
}

// tracker turns one scheduler's run events into metrics. It remembers the
// runs it saw submitted, so that a run is counted in flight from its
// submission to its final event, and a skip of a run already submitted
// (its task is not registered where it was to execute) is not a second
// fire.
type tracker struct {
	m *Metrics

	mu       sync.Mutex
	inFlight map[string]struct{} // ids of submitted, unfinished runs
	closed   bool
}

func (t *tracker) handle(e sundial.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return // delivered while detaching
	}
	if e.Type == sundial.EventSchedulerShutdown {
		// Shutdown has ended every run of this node; ids left are runs
		// the scheduler dropped without a final event (a start refused
		// because another node had taken the run over).
		t.forget()
		return
	}
	r := e.Run
	if r == nil {
		return
	}
	task := taskLabel(e.Task)
	_, submitted := t.inFlight[r.ID]
	if e.Type == sundial.EventRunSubmitted {
		if !submitted {
			t.inFlight[r.ID] = struct{}{}
			t.m.inFlight.Inc()
			t.fire(task, r)
		}
		return
	}
	if e.Type == sundial.EventRunReleased {
		// Handed to another node at shutdown, not ended: it leaves this
		// node's runs in flight and counts where it finishes.
		if submitted {
			delete(t.inFlight, r.ID)
			t.m.inFlight.Dec()
		}
		return
	}
	status, ok := finalStatus(e.Type)
	if !ok {
		return
	}
	if submitted {
		delete(t.inFlight, r.ID)
		t.m.inFlight.Dec()
	} else if status == sundial.RunMissed || status == sundial.RunSkipped {
		t.fire(task, r)
	}
	t.m.runs.WithLabelValues(task, string(status)).Inc()
	if r.StartedAt.IsZero() {
		return
	}
	// Retries start after their backoff, by design: only first attempts
	// tell how late the scheduler is.
	if r.Attempt <= 1 {
		t.m.lateness.Observe(max(r.StartedAt.Sub(r.ScheduledAt).Seconds(), 0))
	}
	if !r.FinishedAt.IsZero() {
		t.m.duration.WithLabelValues(task).Observe(max(r.FinishedAt.Sub(r.StartedAt).Seconds(), 0))
	}
}

// fire counts a fire of the schedule: the first record of a first attempt
// that was not started by hand.
func (t *tracker) fire(task string, r *sundial.Run) {
	if !r.Manual && r.Attempt <= 1 {
		t.m.fires.WithLabelValues(task).Inc()
	}
}

// forget takes the runs still in flight out of the gauge.
func (t *tracker) forget() {
	t.m.inFlight.Sub(float64(len(t.inFlight)))
	clear(t.inFlight)
}

// close forgets the runs in flight and ignores any later event.
func (t *tracker) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.forget()
	t.closed = true
}
