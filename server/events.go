package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// hub fans the scheduler's events out to the live streams. A stream that
// cannot keep up loses events (and is told how many), never the others.
type hub struct {
	mu      sync.Mutex
	subs    map[*subscriber]struct{}
	closed  bool
	done    chan struct{}
	removed func()
}

type subscriber struct {
	ch      chan eventJSON
	mask    sundial.EventType
	job     string
	dropped int
}

// eventJSON is an event on the stream.
type eventJSON struct {
	Type  string   `json:"type"`
	Time  string   `json:"time"`
	JobID string   `json:"job_id,omitempty"`
	Task  string   `json:"task,omitempty"`
	Run   *runJSON `json:"run,omitempty"`
	mask  sundial.EventType
}

func newHub(s *sundial.Scheduler) *hub {
	h := &hub{subs: map[*subscriber]struct{}{}, done: make(chan struct{})}
	h.removed = s.AddListener(h.publish, sundial.EventAll)
	return h
}

func (h *hub) publish(e sundial.Event) {
	ev := eventJSON{Type: e.Type.String(), Time: formatTime(e.Time), JobID: e.JobID, Task: e.Task, mask: e.Type}
	if e.Run != nil {
		rj := toRunJSON(e.Run, false)
		ev.Run = &rj
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.mask&e.Type == 0 || (s.job != "" && s.job != e.JobID) {
			continue
		}
		select {
		case s.ch <- ev:
		default:
			s.dropped++
		}
	}
}

func (h *hub) subscribe(mask sundial.EventType, job string) (*subscriber, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, false
	}
	s := &subscriber{ch: make(chan eventJSON, 256), mask: mask, job: job}
	h.subs[s] = struct{}{}
	return s, true
}

func (h *hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, s)
}

// takeDropped returns and resets how many events the subscriber lost.
func (h *hub) takeDropped(s *subscriber) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := s.dropped
	s.dropped = 0
	return n
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.done)
		h.removed()
	}
}

// eventMask reads the types filter: comma-separated event names such as
// run_failed,job_added; empty for all.
func eventMask(v string) (sundial.EventType, error) {
	if v == "" {
		return sundial.EventAll, nil
	}
	var m sundial.EventType
	for _, name := range strings.Split(v, ",") {
		found := false
		for t := sundial.EventType(1); t != 0 && t <= sundial.EventAll; t <<= 1 {
			if t.String() == strings.TrimSpace(name) {
				m |= t
				found = true
			}
		}
		if !found {
			return 0, errInvalid("types", "%q is not an event type", name)
		}
	}
	return m, nil
}

// heartbeat keeps idle streams open through proxies.
const heartbeat = 15 * time.Second

// streamEvents is a Server-Sent Events stream of the scheduler's events,
// filtered by ?types= and ?job=. Each event is "event: <type>" with the
// JSON in "data:"; lost events are announced as "event: dropped".
func (srv *Server) streamEvents(w http.ResponseWriter, r *http.Request) error {
	mask, err := eventMask(r.URL.Query().Get("types"))
	if err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	sub, ok := srv.events.subscribe(mask, r.URL.Query().Get("job"))
	if !ok {
		return &apiError{Status: http.StatusServiceUnavailable, Code: codeUnavailable, Message: "the server is shutting down"}
	}
	defer srv.events.unsubscribe(sub)
	// A stream outlives the server's write timeout.
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprint(w, ": sundial event stream\n\n")
	if rc.Flush() != nil {
		return nil
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-srv.events.done:
			return nil
		case <-tick.C:
			_, _ = fmt.Fprint(w, ": keep-alive\n\n")
		case ev := <-sub.ch:
			if n := srv.events.takeDropped(sub); n > 0 {
				_, _ = fmt.Fprintf(w, "event: dropped\ndata: {\"count\": %d}\n\n", n)
			}
			b, _ := json.Marshal(ev)
			_, _ = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, b)
		}
		if rc.Flush() != nil {
			return nil
		}
	}
}
