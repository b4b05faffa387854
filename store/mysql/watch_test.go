package mysql_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/sundial-scheduler/sundial/internal/testenv"
	"github.com/sundial-scheduler/sundial/store/mysql"
)

// recorder is a slog handler that keeps every record as text.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) logger() *slog.Logger { return slog.New(r) }

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	r.mu.Lock()
	r.lines = append(r.lines, b.String())
	r.mu.Unlock()
	return nil
}

func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

// has reports whether a record contains s.
func (r *recorder) has(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// proxy forwards TCP connections to a server until cut, which drops every
// connection and refuses new ones until restore.
type proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { p.serve(c) })
		}
	})
	return p
}

func (p *proxy) serve(c net.Conn) {
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.mu.Unlock()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[s] = true, true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(s, c)
	go pipe(c, s)
	<-done
	c.Close()
	s.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, s)
	p.mu.Unlock()
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
}

func (p *proxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// Watch survives losing the database: it logs, backs off, reconnects and
// then signals (changes may have been missed meanwhile).
func TestWatchSurvivesConnectionLoss(t *testing.T) {
	t.Parallel()
	dsn := testenv.MySQLDSN(t)
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, cfg.Addr)
	cfg.Addr = p.ln.Addr().String()
	logs := &recorder{}
	st := openWith(t, cfg.FormatDSN(), mysql.Options{Logger: logs.logger()})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ch := st.Watch(ctx)

	p.cut()
	deadline := time.Now().Add(10 * time.Second)
	for !logs.has("watch: cannot read the change counter") {
		if time.Now().After(deadline) {
			t.Fatal("Watch logged no failure while the database was unreachable")
		}
		time.Sleep(pollInterval)
	}
	drain(ch)
	// A change made meanwhile by another program, straight to the server.
	exec(t, rawDB(t, dsn), "INSERT INTO sundial_jobs (id, task, `trigger`) VALUES ('x', 't', '{\"type\": \"interval\", \"seconds\": 1}')")
	p.restore()
	waitSignal(t, ch, 10*time.Second, "the database came back")
	deadline = time.Now().Add(10 * time.Second)
	for !logs.has("watch: change counter readable again") {
		if time.Now().After(deadline) {
			t.Fatal("Watch did not log its recovery")
		}
		time.Sleep(pollInterval)
	}
	// And it goes on watching.
	drain(ch)
	exec(t, rawDB(t, dsn), "UPDATE sundial_jobs SET paused = 1 WHERE id = 'x'")
	waitSignal(t, ch, 5*time.Second, "an update after the reconnect")
}

// Close stops the watchers and may be called twice.
func TestClose(t *testing.T) {
	t.Parallel()
	st, err := mysql.Open(t.Context(), testenv.MySQLDSN(t), mysql.Options{Logger: quiet, PollInterval: pollInterval})
	if err != nil {
		t.Fatal(err)
	}
	st.Watch(t.Context())
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
