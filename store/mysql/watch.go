package mysql

import (
	"context"
	"time"
)

// maxWatchBackoff bounds the wait between two failed polls of the change
// counter.
const maxWatchBackoff = 30 * time.Second

// Watch returns a channel that receives a value soon after jobs may have
// changed, until ctx is done or the store is closed: it reads the change
// counter that triggers on sundial_jobs bump (sundial_changes) every
// Options.PollInterval, so changes by other nodes and by plain SQL are
// noticed within about one interval. When the database cannot be reached it
// logs, backs off (doubling up to 30s) and tries again; after it reconnects
// it signals once, as changes may have been missed. The channel has room for
// one value and is never closed.
func (s *Store) Watch(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	go s.watch(ctx, ch)
	return ch
}

func (s *Store) watch(ctx context.Context, ch chan<- struct{}) {
	signal := func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	var (
		last    uint64
		started bool // last holds a value read
		failing bool // the last poll failed
		wait    = s.opts.PollInterval
	)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.closed:
			return
		case <-t.C:
		}
		var n uint64
		qctx, cancel := context.WithTimeout(ctx, max(5*time.Second, s.opts.PollInterval))
		err := s.db.QueryRowContext(qctx, "SELECT n FROM sundial_changes WHERE id = 1").Scan(&n)
		cancel()
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			select {
			case <-s.closed:
				return
			default:
			}
			if !failing {
				s.log.Warn("watch: cannot read the change counter; retrying with backoff", "err", err)
			}
			failing = true
			wait = min(max(wait*2, s.opts.PollInterval), maxWatchBackoff)
		default:
			if failing {
				// Changes made while the database was out of reach
				// may have been missed.
				s.log.Info("watch: change counter readable again")
				signal()
			} else if started && n != last {
				signal()
			}
			last, started, failing = n, true, false
			wait = s.opts.PollInterval
		}
		t.Reset(wait)
	}
}
