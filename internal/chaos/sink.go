package chaos

import (
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"time"
)

// Delivery is one request a job sent to the sink.
type Delivery struct {
	JobID     string    // X-Sundial-Job
	Scheduled time.Time // X-Sundial-Scheduled-At
	RunID     string    // Idempotency-Key
	Arrived   time.Time // when the request arrived (the test's clock)
	// End is when the sink answered; for held requests (?hold=D), the
	// request ran from Arrived to End.
	End time.Time
	// Bad says what was wrong with the request's headers, if anything.
	Bad string
}

// Lateness is how long after its fire time the request arrived.
func (d Delivery) Lateness() time.Duration { return d.Arrived.Sub(d.Scheduled) }

// Sink is the recording HTTP server the jobs call. A "hold" query
// parameter (a Go duration) makes it hold the request that long before it
// answers, as a long job would.
type Sink struct {
	srv *httptest.Server
	mu  sync.Mutex
	all []Delivery
	// started holds the run ids of requests that arrived, finished or
	// not (Deliveries lists a held request once it is answered).
	started map[string]bool
}

// NewSink starts a sink on loopback. Close it after the nodes are gone.
func NewSink() *Sink {
	s := &Sink{started: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the sink's base URL.
func (s *Sink) URL() string { return s.srv.URL }

// Close stops the sink, waiting for requests in progress.
func (s *Sink) Close() { s.srv.Close() }

func (s *Sink) serve(w http.ResponseWriter, r *http.Request) {
	d := Delivery{
		JobID:   r.Header.Get("X-Sundial-Job"),
		RunID:   r.Header.Get("Idempotency-Key"),
		Arrived: time.Now(),
	}
	at, err := time.Parse(time.RFC3339Nano, r.Header.Get("X-Sundial-Scheduled-At"))
	if err != nil {
		d.Bad = "X-Sundial-Scheduled-At: " + err.Error()
	}
	d.Scheduled = at
	if d.JobID == "" || d.RunID == "" {
		d.Bad += " missing X-Sundial-Job or Idempotency-Key"
	}
	s.mu.Lock()
	s.started[d.RunID] = true
	s.mu.Unlock()
	if h := r.URL.Query().Get("hold"); h != "" {
		if hold, err := time.ParseDuration(h); err == nil && hold > 0 {
			t := time.NewTimer(hold)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
			}
		}
	}
	d.End = time.Now()
	s.mu.Lock()
	s.all = append(s.all, d)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// Deliveries returns a copy of what the sink received so far, by arrival.
func (s *Sink) Deliveries() []Delivery {
	s.mu.Lock()
	out := append([]Delivery(nil), s.all...)
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Arrived.Before(out[j].Arrived) })
	return out
}

// Started reports whether a request of the run has arrived, answered or
// still held.
func (s *Sink) Started(runID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started[runID]
}

// Count is how many requests the sink received.
func (s *Sink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.all)
}
