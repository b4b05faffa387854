package sundial

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// EventType is a kind of event; types are bits so listeners can subscribe
// to a mask of them.
type EventType uint32

// Event types.
const (
	EventSchedulerStarted EventType = 1 << iota
	EventSchedulerShutdown
	EventSchedulerPaused
	EventSchedulerResumed
	EventJobAdded
	EventJobModified
	EventJobRemoved
	EventJobPaused
	EventJobResumed
	EventAllJobsRemoved
	EventRunSubmitted
	EventRunSucceeded
	EventRunFailed
	EventRunMissed
	EventRunSkipped
	EventRunTimedOut
	EventRunInterrupted
	// EventRunReleased: a run this node claimed but did not start was
	// handed back to its store at shutdown (its Node is now empty), for
	// another node to take over under the same id. Not a final status.
	EventRunReleased

	// EventAll subscribes to every event.
	EventAll EventType = 1<<iota - 1
)

var eventNames = map[EventType]string{
	EventSchedulerStarted: "scheduler_started", EventSchedulerShutdown: "scheduler_shutdown",
	EventSchedulerPaused: "scheduler_paused", EventSchedulerResumed: "scheduler_resumed",
	EventJobAdded: "job_added", EventJobModified: "job_modified", EventJobRemoved: "job_removed",
	EventJobPaused: "job_paused", EventJobResumed: "job_resumed", EventAllJobsRemoved: "all_jobs_removed",
	EventRunSubmitted: "run_submitted", EventRunSucceeded: "run_succeeded", EventRunFailed: "run_failed",
	EventRunMissed: "run_missed", EventRunSkipped: "run_skipped", EventRunTimedOut: "run_timeout",
	EventRunInterrupted: "run_interrupted", EventRunReleased: "run_released",
}

// String returns the event's name, such as "run_failed".
func (t EventType) String() string {
	if n, ok := eventNames[t]; ok {
		return n
	}
	return fmt.Sprintf("EventType(%#x)", uint32(t))
}

// Event is something that happened in the scheduler.
type Event struct {
	Type  EventType
	Time  time.Time
	JobID string
	// Task is the job's task for run events ("" when the job could not
	// be read, as for a run interrupted with a lost node).
	Task string
	// Run is a copy of the run for run events.
	Run *Run
}

// Listener receives events. It runs on the scheduler's event goroutine, one
// event at a time in order; a slow listener delays only later events, never
// the dispatch loop, and a panicking one is logged and kept.
type Listener func(Event)

type listenerEntry struct {
	id   int
	mask EventType
	fn   Listener
}

// eventBus queues events without blocking the emitter and delivers them on
// one goroutine.
type eventBus struct {
	log *slog.Logger

	count atomic.Int32 // number of listeners, read without the lock

	mu        sync.Mutex
	listeners []listenerEntry
	nextID    int
	queue     []Event
	wake      chan struct{}
	done      chan struct{}
	closed    bool
}

func newEventBus(log *slog.Logger) *eventBus {
	return &eventBus{log: log, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

func (b *eventBus) add(fn Listener, mask EventType) (remove func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nextID++
	id := b.nextID
	b.listeners = append(b.listeners, listenerEntry{id: id, mask: mask, fn: fn})
	b.count.Add(1)
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for i, l := range b.listeners {
			if l.id == id {
				b.listeners = append(b.listeners[:i:i], b.listeners[i+1:]...)
				b.count.Add(-1)
				return
			}
		}
	}
}

// listening reports whether any listener is subscribed.
func (b *eventBus) listening() bool { return b.count.Load() > 0 }

// emit queues an event; it never blocks on listeners.
func (b *eventBus) emit(e Event) {
	b.mu.Lock()
	if len(b.listeners) == 0 || b.closed {
		b.mu.Unlock()
		return
	}
	b.queue = append(b.queue, e)
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// run delivers events until close is called and the queue is drained.
func (b *eventBus) run() {
	defer close(b.done)
	for {
		b.mu.Lock()
		batch := b.queue
		b.queue = nil
		listeners := b.listeners
		closed := b.closed
		b.mu.Unlock()
		for _, e := range batch {
			for _, l := range listeners {
				if l.mask&e.Type != 0 {
					b.deliver(l.fn, e)
				}
			}
		}
		if len(batch) > 0 {
			continue
		}
		if closed {
			return
		}
		<-b.wake
	}
}

func (b *eventBus) deliver(fn Listener, e Event) {
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("event listener panicked", "event", e.Type.String(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	fn(e)
}

// close stops the bus after the queued events are delivered.
func (b *eventBus) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
	<-b.done
}
