package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Watch returns a channel that receives a value (sent without blocking;
// it has room for one) soon after jobs may have changed, until ctx is done
// or the store is closed. The channel is never closed.
//
// Every script that changes jobs increments the change counter
// (<prefix>changes) and publishes its value on the channel of the same
// name. Watch subscribes to the channel, so changes by other processes
// arrive at once, and reads the counter every Options.PollInterval, which
// catches messages lost while the connection was down and writers that only
// increment the counter. A lost connection is logged and re-established
// with backoff; the counter is read again as soon as it is.
func (s *Store) Watch(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ch
	}
	wctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer stop()
		defer cancel()
		w := &watcher{s: s, ch: ch, name: "sundial-watch-" + s.id + "-" + strconv.FormatUint(s.reqs.Add(1), 36)}
		w.loop(wctx)
	}()
	return ch
}

// watcher is the state of one Watch goroutine.
type watcher struct {
	s    *Store
	ch   chan<- struct{}
	name string // CLIENT SETNAME of its subscriber connection
	last int64  // the change counter as last seen
	seen bool   // whether last was read yet
}

func (w *watcher) signal() {
	select {
	case w.ch <- struct{}{}:
	default:
	}
}

// observe notes a value of the change counter and signals if it moved.
func (w *watcher) observe(n int64) {
	if w.seen && n > w.last {
		w.signal()
	}
	if !w.seen || n > w.last {
		w.last, w.seen = n, true
	}
}

// poll reads the change counter.
func (w *watcher) poll(ctx context.Context) error {
	v, err := w.s.rdb.Get(ctx, w.s.key("changes")).Result()
	if errors.Is(err, goredis.Nil) {
		v, err = "0", nil
	}
	if err != nil {
		return fmt.Errorf("read change counter: %w", err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return fmt.Errorf("change counter %q is not an integer", v)
	}
	if w.seen && n < w.last {
		// Reset (the server lost its data): anything may have changed.
		w.last = n
		w.signal()
		return nil
	}
	w.observe(n)
	return nil
}

// Backoff between reconnection attempts.
const (
	watchBackoffMin = 50 * time.Millisecond
	watchBackoffMax = 5 * time.Second
)

func (w *watcher) loop(ctx context.Context) {
	backoff := watchBackoffMin
	for {
		subscribed, err := w.subscribe(ctx)
		if ctx.Err() != nil {
			return
		}
		if subscribed {
			backoff = watchBackoffMin
		}
		w.s.log.Warn("redis store: watch lost its connection; reconnecting", "err", err, "retry_in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, watchBackoffMax)
	}
}

// subscribe listens on one connection until it fails or ctx is done,
// polling the counter in between; subscribed reports whether it got as far
// as listening.
func (w *watcher) subscribe(ctx context.Context) (subscribed bool, err error) {
	ps := w.s.rdb.Subscribe(ctx)
	defer ps.Close()
	stop := context.AfterFunc(ctx, func() { ps.Close() })
	defer stop()
	if err := ps.ClientSetName(ctx, w.name); err != nil {
		return false, err
	}
	channel := w.s.key("changes")
	if err := ps.Subscribe(ctx, channel); err != nil {
		return false, err
	}
	// Changes made while no connection listened show in the counter.
	if err := w.poll(ctx); err != nil {
		return false, err
	}
	if h := w.s.hookSubscribed; h != nil {
		h(w.name)
	}
	interval := w.s.opts.PollInterval
	next := time.Now().Add(interval)
	for {
		wait := time.Until(next)
		if wait <= 0 {
			if err := w.poll(ctx); err != nil {
				return true, err
			}
			next = time.Now().Add(interval)
			continue
		}
		msg, err := ps.ReceiveTimeout(ctx, wait)
		if err != nil {
			var nerr net.Error
			if errors.As(err, &nerr) && nerr.Timeout() && ctx.Err() == nil {
				continue
			}
			return true, err
		}
		switch msg := msg.(type) {
		case *goredis.Subscription:
			subscribed = true
		case *goredis.Message:
			if n, err := strconv.ParseInt(msg.Payload, 10, 64); err == nil {
				w.observe(n)
			} else {
				w.signal()
			}
		}
	}
}
