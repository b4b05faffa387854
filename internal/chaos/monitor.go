package chaos

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Monitor probes every node's /healthz and /readyz while a fault lasts:
// a live node answers /healthz at once whatever its store does, and
// /readyz within its own store timeout (5 s) plus a little.
type Monitor struct {
	c    *Cluster
	stop chan struct{}
	wg   sync.WaitGroup

	mu sync.Mutex
	// per node
	probes        map[string]int
	healthFails   map[string][]string
	readyHangs    map[string][]string
	exited        map[string]string
	notReady      map[string]int
	lastNotReady  map[string]time.Time
	firstNotReady map[string]time.Time
	maxReady      map[string]time.Duration
}

// Health probe bounds.
const (
	healthTimeout = 2 * time.Second
	readyTimeout  = 7 * time.Second // the server's own 5 s, and slack
)

// Watch starts probing every node every interval until Stop.
func (c *Cluster) Watch(interval time.Duration) *Monitor {
	m := &Monitor{c: c, stop: make(chan struct{}),
		probes: map[string]int{}, healthFails: map[string][]string{}, readyHangs: map[string][]string{},
		exited: map[string]string{}, notReady: map[string]int{}, lastNotReady: map[string]time.Time{},
		firstNotReady: map[string]time.Time{}, maxReady: map[string]time.Duration{}}
	for _, n := range c.Nodes {
		m.wg.Go(func() { m.probe(n, interval, "/healthz") })
		m.wg.Go(func() { m.probe(n, interval, "/readyz") })
	}
	return m
}

func (m *Monitor) probe(n *Node, interval time.Duration, path string) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		now := time.Now()
		if !n.Running() {
			m.mu.Lock()
			if m.exited[n.ID] == "" {
				m.exited[n.ID] = fmt.Sprintf("exited at %s: %v", clock(now), n.ExitErr())
			}
			m.mu.Unlock()
			continue
		}
		timeout := healthTimeout
		if path == "/readyz" {
			timeout = readyTimeout
		}
		code, took, err := n.Probe(path, timeout)
		m.mu.Lock()
		switch path {
		case "/healthz":
			m.probes[n.ID]++
			if err != nil || code != http.StatusOK {
				m.healthFails[n.ID] = append(m.healthFails[n.ID], fmt.Sprintf("%s: %d %v after %s", clock(now), code, err, took.Round(time.Millisecond)))
			}
		case "/readyz":
			m.maxReady[n.ID] = max(m.maxReady[n.ID], took)
			if err != nil {
				m.readyHangs[n.ID] = append(m.readyHangs[n.ID], fmt.Sprintf("%s: no answer within %s: %v", clock(now), timeout, err))
			}
			if err != nil || code != http.StatusOK {
				m.notReady[n.ID]++
				m.lastNotReady[n.ID] = now.Add(took) // when the answer came
				if m.firstNotReady[n.ID].IsZero() {
					m.firstNotReady[n.ID] = now
				}
			}
		}
		m.mu.Unlock()
	}
}

// Stop ends the probing.
func (m *Monitor) Stop() {
	close(m.stop)
	m.wg.Wait()
}

// Judge adds the monitor's findings to a report: a node that exited, a
// /healthz that failed or a /readyz that hung is a failure; a node still
// not ready recoverBy after the fault ended is one too.
func (m *Monitor) Judge(rp *Report, faultEnd time.Time, recoverBy time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range m.c.Nodes {
		id := n.ID
		if e := m.exited[id]; e != "" {
			rp.Fail("%s %s", id, e)
		}
		if f := m.healthFails[id]; len(f) > 0 {
			rp.Fail("%s: /healthz failed %d of %d probes, e.g. %s", id, len(f), m.probes[id], f[0])
		}
		if h := m.readyHangs[id]; len(h) > 0 {
			rp.Fail("%s: /readyz hung %d times, e.g. %s", id, len(h), h[0])
		}
		last := m.lastNotReady[id]
		if m.notReady[id] == 0 {
			rp.Note("%s: /readyz never reported the fault (slowest answer %s)", id, m.maxReady[id].Round(time.Millisecond))
			continue
		}
		rp.Note("%s: /readyz not ready in %d probes, answered from %s to %s (the fault ended at %s; slowest /readyz %s)",
			id, m.notReady[id], clock(m.firstNotReady[id]), clock(last), clock(faultEnd), m.maxReady[id].Round(time.Millisecond))
		if last.After(faultEnd.Add(recoverBy)) {
			rp.Fail("%s: /readyz still failing %s after the fault ended (bound %s)", id, last.Sub(faultEnd).Round(time.Millisecond), recoverBy)
		}
	}
}
