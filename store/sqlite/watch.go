package sqlite

import (
	"context"
	"time"
)

// watcher is one Watch call: its channel and the change counter value it
// last accounted for (-1 before the first read).
type watcher struct {
	ch   chan struct{}
	last int64
}

// maxWatchBackoff bounds the wait between polls after failures.
const maxWatchBackoff = 10 * time.Second

// Watch returns a channel that receives a value when jobs may have been
// changed by another Store, process or program: it polls the change
// counter (sundial_changes, bumped by triggers on sundial_jobs) every
// Options.PollInterval. Changes this Store made itself are not reported.
// Failed polls are logged and retried with backoff (up to 10s apart); the
// goroutine ends when ctx is done or the Store is closed.
func (s *Store) Watch(ctx context.Context) <-chan struct{} {
	w := &watcher{ch: make(chan struct{}, 1), last: -1}
	s.watchMu.Lock()
	s.watchers[w] = struct{}{}
	s.watchMu.Unlock()
	// Read the counter now, so a change made right after Watch returns is
	// reported.
	if err := s.poll(ctx, w, false); err != nil && ctx.Err() == nil {
		s.log.Warn("sqlite store: watch: read change counter", "err", err)
	}
	go s.watch(ctx, w)
	return w.ch
}

func (s *Store) watch(ctx context.Context, w *watcher) {
	defer func() {
		s.watchMu.Lock()
		delete(s.watchers, w)
		s.watchMu.Unlock()
	}()
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("sqlite store: watch stopped by a panic", "panic", p)
		}
	}()
	interval := s.opts.PollInterval
	delay := interval
	failures := 0
	t := time.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.closed:
			return
		case <-t.C:
		}
		if err := s.poll(ctx, w, true); err != nil {
			if ctx.Err() != nil {
				return
			}
			select {
			case <-s.closed:
				return
			default:
			}
			failures++
			delay = min(max(interval, maxWatchBackoff), interval<<min(failures, 16))
			s.log.Warn("sqlite store: watch: read change counter", "err", err, "failures", failures, "retry_in", delay)
		} else {
			if failures > 0 {
				s.log.Info("sqlite store: watch: reading the change counter again", "after_failures", failures)
				// Whatever changed while polls failed was not seen.
				w.signal()
			}
			failures, delay = 0, interval
		}
		t.Reset(delay)
	}
}

// poll reads the change counter and, with notify, signals when it moved.
// It holds watchMu so that ownChange and the read are ordered.
func (s *Store) poll(ctx context.Context, w *watcher, notify bool) error {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var n int64
	if err := s.r.QueryRowContext(qctx, qChanges).Scan(&n); err != nil {
		return err
	}
	if n != w.last {
		if notify {
			w.signal()
		}
		w.last = n
	}
	return nil
}

func (w *watcher) signal() {
	select {
	case w.ch <- struct{}{}:
	default:
	}
}

// ownChange records that this Store's last write moved the change counter
// from n0 to n1: a watcher that had seen n0 has seen everything but that
// write, so it need not report it.
func (s *Store) ownChange(n0, n1 int64) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	for w := range s.watchers {
		if w.last == n0 {
			w.last = n1
		}
	}
}
