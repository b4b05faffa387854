package postgres

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
)

// watchChannel is the NOTIFY channel the sundial_jobs trigger signals.
const watchChannel = "sundial_jobs"

// watchAppName names the Watch connections in pg_stat_activity.
const watchAppName = "sundial-watch"

// Watch returns a channel that receives a value soon after jobs change,
// by any program, until ctx is done or the store is closed. The changes
// arrive by LISTEN/NOTIFY on a connection of the Watch's own (not one of
// the pool's). When that connection is lost, Watch logs it and connects
// again, waiting Options.WatchBackoff, doubling to Options.WatchMaxBackoff;
// it signals once after every (re)connection, since changes made while it
// was away were not notified. The channel is never closed.
func (s *Store) Watch(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	s.watchers.Add(1)
	go func() {
		defer s.watchers.Done()
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-s.closed:
				cancel()
			case <-ctx.Done():
			}
		}()
		s.watch(ctx, ch)
	}()
	return ch
}

func signal(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// watch listens, reconnecting with backoff, until ctx is done.
func (s *Store) watch(ctx context.Context, ch chan<- struct{}) {
	wait := s.opts.WatchBackoff
	for {
		err := s.listen(ctx, ch, func() { wait = s.opts.WatchBackoff })
		if ctx.Err() != nil {
			return
		}
		pause := wait/2 + rand.N(wait/2+1)
		s.log.Warn("sundial: watch connection lost; reconnecting", "err", err, "in", pause)
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, s.opts.WatchMaxBackoff)
	}
}

// listen connects, LISTENs and forwards notifications until the
// connection fails or ctx is done. connected is called once it listens.
func (s *Store) listen(ctx context.Context, ch chan<- struct{}, connected func()) error {
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = watchAppName
	connectCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	conn, err := pgx.ConnectConfig(connectCtx, cfg)
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+watchChannel); err != nil {
		return err
	}
	connected()
	signal(ch)
	for {
		waitCtx, cancel := context.WithTimeout(ctx, s.opts.WatchPing)
		_, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case err == nil:
			signal(ch)
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case !errors.Is(err, context.DeadlineExceeded) || conn.IsClosed():
			return err
		}
		// Silent for WatchPing: make sure the connection still answers.
		pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = conn.Ping(pingCtx)
		cancel()
		if err != nil {
			return err
		}
	}
}
