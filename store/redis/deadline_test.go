package redis

import (
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// A server that accepts connections and never answers (a blackholed
// connection) fails a call at its context's deadline, not after the
// client's read timeout (go-redis ContextTimeoutEnabled).
func TestDeadlineBoundsHungServer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(io.Discard, c) // read everything, answer nothing
			}()
		}
	}()
	const deadline = 200 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), deadline)
	defer cancel()
	began := time.Now()
	s, err := Open(ctx, "redis://"+ln.Addr().String()+"/0?read_timeout=30s&write_timeout=30s", Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open against a server that never answers succeeded")
	}
	if took := time.Since(began); took > 10*deadline {
		t.Errorf("Open against a hung server returned after %s (%v); want about its deadline, %s", took, err, deadline)
	}
}
