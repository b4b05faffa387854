// Package faultproxy is a TCP proxy for fault injection in tests: it sits
// between clients (scheduler nodes) and a server (a store) on loopback and
// can add latency, blackhole traffic, or reset every connection.
//
// A blackhole behaves like a dead network path, not like a refused one:
// connections are still accepted, bytes already sent wait in the proxy, and
// nothing reaches the other side until the blackhole is lifted, when the
// held bytes are delivered in order (as TCP would retransmit them). No
// connection errors because of it; clients see only silence, so their own
// timeouts are what ends a call.
//
//	p, err := faultproxy.New("127.0.0.1:5432")
//	...
//	url := "postgres://u@" + p.Addr() + "/db"
//	p.SetLatency(50 * time.Millisecond)
//	p.Blackhole(true) // calls hang
//	p.Blackhole(false) // and complete
//	p.Reset()          // every current connection gets an RST
package faultproxy

import (
	"errors"
	"net"
	"sync"
	"time"
)

// chunkSize bounds the bytes one read forwards.
const chunkSize = 32 << 10

// queueLen bounds the chunks read but not yet written per direction: when
// a direction stalls, reading from its source stops after this many, so
// the sender's own buffers fill as on a dead path.
const queueLen = 16

// Proxy forwards TCP connections from its listener to a target address.
// Its methods are safe for concurrent use.
type Proxy struct {
	target string
	ln     net.Listener

	mu       sync.Mutex
	latency  time.Duration
	open     chan struct{} // closed while traffic flows; replaced by Blackhole(true)
	links    map[*link]struct{}
	closed   bool
	closedCh chan struct{}
	wg       sync.WaitGroup
	dialer   net.Dialer
}

// link is one proxied connection: the client's side and the target's.
type link struct {
	client   net.Conn
	upstream net.Conn // nil until dialled
	done     chan struct{}
	once     sync.Once
}

// stop closes both sides, abruptly when reset is set (RST, not FIN).
func (l *link) stop(reset bool) {
	l.once.Do(func() {
		close(l.done)
		for _, c := range []net.Conn{l.client, l.upstream} {
			if c == nil {
				continue
			}
			if tc, ok := c.(*net.TCPConn); ok && reset {
				_ = tc.SetLinger(0)
			}
			_ = c.Close()
		}
	})
}

// New starts a proxy on 127.0.0.1 (a port the kernel chooses) that
// forwards to target, passing traffic through unchanged.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	open := make(chan struct{})
	close(open)
	p := &Proxy{
		target:   target,
		ln:       ln,
		open:     open,
		links:    map[*link]struct{}{},
		closedCh: make(chan struct{}),
		dialer:   net.Dialer{Timeout: 10 * time.Second},
	}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's listening address, host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Target is the address the proxy forwards to.
func (p *Proxy) Target() string { return p.target }

// SetLatency delays every chunk of bytes, in each direction, by d from
// when the proxy read it (0: no delay). It applies to chunks written from
// now on, on current connections too.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	p.latency = max(d, 0)
	p.mu.Unlock()
}

// Blackhole stops (on) or resumes (off) forwarding. While on, new
// connections are accepted but not connected to the target, and current
// ones forward nothing; nothing is closed and no error is raised. Bytes
// read meanwhile are delivered when it is turned off.
func (p *Proxy) Blackhole(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
		if on {
			p.open = make(chan struct{})
		}
	default:
		if !on {
			close(p.open)
		}
	}
}

// Blackholed reports whether a blackhole is on.
func (p *Proxy) Blackholed() bool {
	select {
	case <-p.gate():
		return false
	default:
		return true
	}
}

// Reset closes every current connection abruptly: both peers get a TCP
// reset. New connections are accepted as before.
func (p *Proxy) Reset() {
	p.mu.Lock()
	links := make([]*link, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	for _, l := range links {
		l.stop(true)
	}
}

// Conns is the number of connections currently proxied.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}

// Close stops listening, resets every connection and waits for the
// proxy's goroutines to end. It is idempotent.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.wg.Wait()
		return nil
	}
	p.closed = true
	close(p.closedCh)
	p.mu.Unlock()
	err := p.ln.Close()
	p.Reset()
	p.wg.Wait()
	return err
}

// gate returns the channel that is closed while traffic flows.
func (p *Proxy) gate() chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.open
}

func (p *Proxy) currentLatency() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.latency
}

// waitOpen blocks while a blackhole is on; false if l stopped meanwhile.
func (p *Proxy) waitOpen(l *link) bool {
	for {
		g := p.gate()
		select {
		case <-g:
			// The gate may have been replaced since; look again.
			if !p.Blackholed() {
				return true
			}
		case <-l.done:
			return false
		}
	}
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed
		}
		l := &link{client: c, done: make(chan struct{})}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			l.stop(true)
			return
		}
		p.links[l] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.serve(l)
	}
}

// serve dials the target once traffic may flow, then pumps both ways
// until either side ends.
func (p *Proxy) serve(l *link) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		delete(p.links, l)
		p.mu.Unlock()
	}()
	if !p.waitOpen(l) {
		return
	}
	up, err := p.dialer.Dial("tcp", p.target)
	if err != nil {
		l.stop(true)
		return
	}
	p.mu.Lock()
	select {
	case <-l.done: // reset while dialling
		p.mu.Unlock()
		_ = up.Close()
		return
	default:
	}
	l.upstream = up
	p.mu.Unlock()

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pump(l, l.client, up, &wg) }()
	go func() { defer wg.Done(); p.pump(l, up, l.client, &wg) }()
	// Both directions ended (or one failed and stopped the link): the
	// wait covers the readers too, so Close leaves no goroutine behind.
	wg.Wait()
	l.stop(false)
}

// chunk is bytes read from one side, with when they were read.
type chunk struct {
	b  []byte
	at time.Time
}

// pump copies src to dst through a bounded queue, delaying each chunk by
// the latency and holding it while a blackhole is on. When src ends, dst
// is half-closed, so an orderly close travels through.
func (p *Proxy) pump(l *link, src, dst net.Conn, wg *sync.WaitGroup) {
	q := make(chan chunk, queueLen)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(q)
		for {
			b := make([]byte, chunkSize)
			n, err := src.Read(b)
			if n > 0 {
				select {
				case q <- chunk{b: b[:n], at: time.Now()}:
				case <-l.done:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	timer := time.NewTimer(0)
	<-timer.C
	defer timer.Stop()
	for c := range q {
		if d := time.Until(c.at.Add(p.currentLatency())); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-l.done:
				return
			}
		}
		if !p.waitOpen(l) {
			return
		}
		if _, err := dst.Write(c.b); err != nil {
			l.stop(true)
			return
		}
	}
	select {
	case <-l.done:
		return
	default:
	}
	if tc, ok := dst.(interface{ CloseWrite() error }); ok {
		_ = tc.CloseWrite()
	} else {
		_ = dst.Close()
	}
}
