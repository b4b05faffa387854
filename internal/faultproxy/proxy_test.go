package faultproxy_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial/internal/faultproxy"
)

// echoServer accepts connections on loopback and writes back every line it
// reads. It counts the connections it accepted.
type echoServer struct {
	ln       net.Listener
	mu       sync.Mutex
	accepted int
	wg       sync.WaitGroup
}

func newEcho(t *testing.T) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &echoServer{ln: ln}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.mu.Lock()
			e.accepted++
			e.mu.Unlock()
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		e.wg.Wait()
	})
	return e
}

func (e *echoServer) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.accepted
}

// setup starts an echo server and a proxy in front of it.
func setup(t *testing.T) (*echoServer, *faultproxy.Proxy) {
	t.Helper()
	e := newEcho(t)
	p, err := faultproxy.New(e.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return e, p
}

// client is a connection through the proxy that sends and reads lines.
type client struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, p *faultproxy.Proxy) *client {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &client{t: t, c: c, r: bufio.NewReader(c)}
}

func (c *client) send(line string) {
	c.t.Helper()
	_ = c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.c.Write([]byte(line + "\n")); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read reads one line within d.
func (c *client) read(d time.Duration) (string, error) {
	_ = c.c.SetReadDeadline(time.Now().Add(d))
	s, err := c.r.ReadString('\n')
	if err != nil {
		return s, err
	}
	return s[:len(s)-1], nil
}

func (c *client) roundTrip(line string) string {
	c.t.Helper()
	c.send(line)
	got, err := c.read(5 * time.Second)
	if err != nil {
		c.t.Fatalf("read %q back: %v", line, err)
	}
	return got
}

func TestPassThrough(t *testing.T) {
	t.Parallel()
	_, p := setup(t)
	c := dial(t, p)
	for _, s := range []string{"hello", "world", string(make([]byte, 100<<10))} {
		if got := c.roundTrip(s); got != s {
			t.Fatalf("echo of %d bytes came back as %d bytes", len(s), len(got))
		}
	}
	if n := p.Conns(); n != 1 {
		t.Errorf("Conns() = %d, want 1", n)
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	_, p := setup(t)
	c := dial(t, p)
	c.roundTrip("warm up")
	const d = 100 * time.Millisecond
	p.SetLatency(d)
	began := time.Now()
	c.roundTrip("slow")
	// Each direction is delayed: at least 2d for the round trip.
	if rtt := time.Since(began); rtt < 2*d {
		t.Errorf("round trip with latency %s took %s, want at least %s", d, rtt, 2*d)
	}
	p.SetLatency(0)
	began = time.Now()
	c.roundTrip("fast")
	if rtt := time.Since(began); rtt >= d {
		t.Errorf("round trip after latency 0 took %s", rtt)
	}
}

func TestBlackholeStallsWithoutError(t *testing.T) {
	t.Parallel()
	_, p := setup(t)
	c := dial(t, p)
	c.roundTrip("before")
	p.Blackhole(true)
	if !p.Blackholed() {
		t.Fatal("Blackholed() = false after Blackhole(true)")
	}
	c.send("held")
	// Nothing comes back, and the connection does not fail: the read
	// ends by its own deadline.
	_, err := c.read(300 * time.Millisecond)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read during blackhole: %v, want a deadline error", err)
	}
	// A new connection is accepted but not forwarded.
	c2 := dial(t, p)
	c2.send("new")
	if _, err := c2.read(200 * time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read on a connection made during blackhole: %v, want a deadline error", err)
	}
	p.Blackhole(false)
	// What was sent meanwhile arrives once the path is back.
	for _, cc := range []struct {
		c    *client
		want string
	}{{c, "held"}, {c2, "new"}} {
		got, err := cc.c.read(5 * time.Second)
		if err != nil || got != cc.want {
			t.Fatalf("after blackhole: %q, %v; want %q", got, err, cc.want)
		}
	}
	c.roundTrip("after")
}

func TestBlackholeToggle(t *testing.T) {
	t.Parallel()
	_, p := setup(t)
	c := dial(t, p)
	for i := 0; i < 3; i++ {
		p.Blackhole(true)
		p.Blackhole(true) // idempotent
		c.send("x")
		if _, err := c.read(50 * time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("round %d: read during blackhole: %v", i, err)
		}
		p.Blackhole(false)
		p.Blackhole(false)
		if got, err := c.read(5 * time.Second); err != nil || got != "x" {
			t.Fatalf("round %d: after blackhole %q, %v", i, got, err)
		}
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	e, p := setup(t)
	c := dial(t, p)
	c.roundTrip("before")
	p.Reset()
	_, err := c.read(5 * time.Second)
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after Reset: %v, want the connection to fail", err)
	}
	// New connections work, each reaching the target.
	c2 := dial(t, p)
	if got := c2.roundTrip("after"); got != "after" {
		t.Fatalf("after Reset: %q", got)
	}
	if n := e.count(); n != 2 {
		t.Errorf("target accepted %d connections, want 2", n)
	}
}

func TestResetWhileBlackholed(t *testing.T) {
	t.Parallel()
	_, p := setup(t)
	p.Blackhole(true)
	c := dial(t, p)
	c.send("never")
	p.Reset()
	if _, err := c.read(5 * time.Second); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after Reset during blackhole: %v, want the connection to fail", err)
	}
	p.Blackhole(false)
	if got := dial(t, p).roundTrip("ok"); got != "ok" {
		t.Fatalf("got %q", got)
	}
}

func TestCloseEndsEverything(t *testing.T) {
	t.Parallel()
	_, p := setup(t)
	c := dial(t, p)
	c.roundTrip("x")
	p.Blackhole(true)
	stalled := dial(t, p)
	stalled.send("y")
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := c.read(5 * time.Second); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read after Close: %v, want the connection to fail", err)
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Error("dial after Close succeeded")
	}
	if n := p.Conns(); n != 0 {
		t.Errorf("Conns() = %d after Close", n)
	}
}

func TestOrderlyCloseTravels(t *testing.T) {
	t.Parallel()
	_, p := setup(t)
	c := dial(t, p)
	c.roundTrip("x")
	// Half-close our side: the echo server sees EOF, closes, and the EOF
	// comes back through the proxy.
	if err := c.c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.read(5 * time.Second); !errors.Is(err, io.EOF) {
		t.Fatalf("read after half-close: %v, want EOF", err)
	}
}

func TestTargetDown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	p, err := faultproxy.New(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// The proxy accepts, fails to dial and resets: the client sees the
	// reset at its connect (if it comes first) or at its read.
	conn, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second)
	if err != nil {
		return
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read through a proxy whose target is down: %v, want the connection to fail", err)
	}
}
