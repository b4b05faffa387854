package storetest

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

// MultiProcessConfig sets up MultiProcess.
type MultiProcessConfig struct {
	// NewURL makes a fresh, empty store for the run and returns what Open
	// needs to reach it (a DSN, a URL, a file path). It is called once, in
	// the parent process.
	NewURL func(t *testing.T) string
	// Open opens the store named by url, in the parent and in each child.
	// A store with a Close() error method is closed after use.
	Open func(ctx context.Context, url string) (sundial.Store, error)
	// Shared, when set, replaces the processes with schedulers in this
	// process sharing the one store it returns (for the memory store,
	// which cannot be shared between processes). NewURL and Open are not
	// used then.
	Shared func(t *testing.T) sundial.Store

	Processes int           // default 4
	Jobs      int           // default 200
	Duration  time.Duration // default 30s
}

// Environment of the child processes of MultiProcess.
const (
	mpNode = "SUNDIAL_STORETEST_MP_NODE"
	mpURL  = "SUNDIAL_STORETEST_MP_URL"
	mpSink = "SUNDIAL_STORETEST_MP_SINK"
)

const mpTask = "storetest:fire"

// MultiProcess shows that schedulers in several OS processes sharing one
// store run every fire exactly once: Jobs jobs fire every second for
// Duration, and each fire's handler reports it to a sink in the test
// process, outside the store. No fire may be reported twice, none may be
// lost, every run is recorded once in the store's history, and the
// lateness (start minus fire time) is logged.
//
// Call it from a test whose name contains MultiProcess: the children are
// the test binary running that test again, with the store's URL in their
// environment.
func MultiProcess(t *testing.T, cfg MultiProcessConfig) {
	if node := os.Getenv(mpNode); node != "" {
		os.Exit(mpChild(node, cfg))
	}
	if testing.Short() {
		t.Skip("runs schedulers for 30 s")
	}
	cfg.Processes = cmp.Or(cfg.Processes, 4)
	cfg.Jobs = cmp.Or(cfg.Jobs, 200)
	if cfg.Duration <= 0 {
		cfg.Duration = 30 * time.Second
	}
	sink := newFireSink(t)
	ctx := t.Context()

	var st sundial.Store
	var url string
	if cfg.Shared != nil {
		st = cfg.Shared(t)
	} else {
		url = cfg.NewURL(t)
		var err error
		if st, err = cfg.Open(ctx, url); err != nil {
			t.Fatal(err)
		}
		defer closeStore(st)
	}

	// Fires start once every process has had time to start.
	t0 := time.Now().Truncate(time.Second).Add(4 * time.Second)
	adder, err := sundial.New(sundial.Config{Store: st, Tasks: mpRegistry(nil)})
	if err != nil {
		t.Fatal(err)
	}
	every, err := trigger.NewInterval(time.Second, t0, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cfg.Jobs {
		if _, err := adder.AddJob(ctx, sundial.JobSpec{ID: fmt.Sprintf("mp-%03d", i), Task: mpTask, Trigger: every}); err != nil {
			t.Fatal(err)
		}
	}

	var stop func()
	if cfg.Shared != nil {
		stop = mpShared(t, st, cfg.Processes, sink)
	} else {
		stop = mpSpawn(t, url, cfg.Processes, sink.addr())
	}
	end := t0.Add(cfg.Duration)
	time.Sleep(time.Until(end.Add(700 * time.Millisecond)))
	stop()

	// Every fire of the window, exactly once, from the sink's view.
	counts, late, byNode := sink.result()
	lost, dup := 0, 0
	for i := range cfg.Jobs {
		for at := t0; at.Before(end); at = at.Add(time.Second) {
			switch n := counts[fireKey{fmt.Sprintf("mp-%03d", i), at.UnixMilli()}]; {
			case n == 0:
				lost++
				if lost <= 5 {
					t.Errorf("job mp-%03d: the fire at %s never ran", i, at.Format("15:04:05"))
				}
			case n > 1:
				dup++
				t.Errorf("job mp-%03d: the fire at %s ran %d times", i, at.Format("15:04:05"), n)
			}
		}
	}
	want := cfg.Jobs * int(cfg.Duration/time.Second)
	slices.Sort(late)
	t.Logf("%d processes, %d jobs every second for %s: %d fires expected, %d lost, %d duplicated; lateness p50 %s p99 %s max %s; fires per node %v",
		cfg.Processes, cfg.Jobs, cfg.Duration, want, lost, dup, pct(late, 0.50), pct(late, 0.99), pct(late, 1), byNode)

	// The store's history agrees: one run per fire, none left unfinished
	// but those released by nodes as they shut down, for a node started
	// later (every node stops at once: none takes them over). Such a run
	// may make a later fire of its job skipped (max_instances) on a node
	// still running; the sink found the fires of the window all run.
	runs := map[fireKey]int{}
	released := 0
	for p := (sundial.RunListParams{Limit: 5000}); ; {
		page, err := st.RunList(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			switch {
			case r.Status == sundial.RunSucceeded || r.Status == sundial.RunInterrupted:
			case r.Status == sundial.RunSubmitted && r.Node == "":
				released++
			case r.Status == sundial.RunSkipped && !r.ScheduledAt.Before(end):
			default:
				t.Errorf("run %s of %s at %s: %s (%s)", r.ID, r.JobID, r.ScheduledAt, r.Status, r.Reason)
			}
			runs[fireKey{r.JobID, r.ScheduledAt.UnixMilli()}]++
		}
		if len(page) < p.Limit {
			break
		}
		p.BeforeSeq = page[len(page)-1].Seq
	}
	for k, n := range runs {
		if n > 1 {
			t.Errorf("job %s: %d run records for the fire at %s", k.job, n, time.UnixMilli(k.at).Format("15:04:05"))
		}
	}
	t.Logf("%d runs released at shutdown, waiting for a node", released)
}

func pct(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))].Round(time.Millisecond)
}

func closeStore(st sundial.Store) {
	if c, ok := st.(interface{ Close() error }); ok {
		_ = c.Close()
	}
}

// mpRegistry registers the task that reports each fire to report.
func mpRegistry(report func(job string, at time.Time, node string)) *sundial.Registry {
	reg := sundial.NewRegistry()
	reg.Register(mpTask, func(_ context.Context, rc *sundial.RunContext) error {
		if report != nil {
			report(rc.JobID, rc.ScheduledAt, "")
		}
		return nil
	})
	return reg
}

// mpNodeConfig is the scheduler configuration of every node.
func mpNodeConfig(st sundial.Store, node string, reg *sundial.Registry) sundial.Config {
	return sundial.Config{Store: st, Tasks: reg, NodeID: node, LeaseTTL: 10 * time.Second,
		Logger: quietLogger()}
}

// mpChild is a child process: a scheduler on the store until SIGTERM,
// reporting each fire to the sink.
func mpChild(node string, cfg MultiProcessConfig) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	conn, err := net.Dial("tcp", os.Getenv(mpSink))
	if err != nil {
		fmt.Fprintln(os.Stderr, "sink:", err)
		return 2
	}
	var mu sync.Mutex
	w := bufio.NewWriter(conn)
	report := func(job string, at time.Time, _ string) {
		started := time.Now()
		mu.Lock()
		fmt.Fprintf(w, "%s %d %d %s\n", job, at.UnixMilli(), started.Sub(at).Microseconds(), node)
		mu.Unlock()
	}
	flushed := make(chan struct{})
	go func() { // flush often, so that the sink's view is current
		defer close(flushed)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				mu.Lock()
				_ = w.Flush()
				mu.Unlock()
			}
		}
	}()
	st, err := cfg.Open(ctx, os.Getenv(mpURL))
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 2
	}
	defer closeStore(st)
	s, err := sundial.New(mpNodeConfig(st, node, mpRegistry(report)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := s.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "run:", err)
		return 1
	}
	<-flushed
	mu.Lock()
	_ = w.Flush()
	mu.Unlock()
	_ = conn.Close()
	return 0
}

// mpSpawn starts the child processes and returns what stops them.
func mpSpawn(t *testing.T, url string, n int, sink string) (stop func()) {
	var cmds []*exec.Cmd
	for i := range n {
		cmd := exec.Command(os.Args[0], "-test.run=^"+strings.ReplaceAll(t.Name(), "/", "$/^")+"$", "-test.count=1")
		cmd.Env = append(os.Environ(), mpNode+"=node-"+strconv.Itoa(i+1), mpURL+"="+url, mpSink+"="+sink)
		cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	t.Cleanup(func() {
		for _, c := range cmds {
			_ = c.Process.Kill()
		}
	})
	return func() {
		for _, c := range cmds {
			_ = c.Process.Signal(syscall.SIGTERM)
		}
		for i, c := range cmds {
			if err := c.Wait(); err != nil {
				t.Errorf("node-%d: %v", i+1, err)
			}
		}
	}
}

// mpShared runs n schedulers in this process on one store.
func mpShared(t *testing.T, st sundial.Store, n int, sink *fireSink) (stop func()) {
	var ss []*sundial.Scheduler
	for i := range n {
		node := "node-" + strconv.Itoa(i+1)
		s, err := sundial.New(mpNodeConfig(st, node, mpRegistry(func(job string, at time.Time, _ string) {
			sink.record(job, at.UnixMilli(), time.Since(at), node)
		})))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		ss = append(ss, s)
	}
	return func() {
		for _, s := range ss {
			s.Stop()
		}
	}
}

type fireKey struct {
	job string
	at  int64 // Unix milliseconds
}

// fireSink collects the fires the nodes report over TCP.
type fireSink struct {
	ln     net.Listener
	mu     sync.Mutex
	counts map[fireKey]int
	late   []time.Duration
	nodes  map[string]int
	wg     sync.WaitGroup
}

func newFireSink(t *testing.T) *fireSink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fireSink{ln: ln, counts: map[fireKey]int{}, nodes: map[string]int{}}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() { s.read(c) })
		}
	}()
	return s
}

func (s *fireSink) addr() string { return s.ln.Addr().String() }

func (s *fireSink) read(c net.Conn) {
	defer c.Close()
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 {
			continue
		}
		at, _ := strconv.ParseInt(f[1], 10, 64)
		us, _ := strconv.ParseInt(f[2], 10, 64)
		s.record(f[0], at, time.Duration(us)*time.Microsecond, f[3])
	}
}

func (s *fireSink) record(job string, at int64, late time.Duration, node string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[fireKey{job, at}]++
	s.late = append(s.late, late)
	s.nodes[node]++
}

// result waits for the nodes' connections to end and returns the counts.
func (s *fireSink) result() (map[fireKey]int, []time.Duration, map[string]int) {
	s.ln.Close()
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts, s.late, s.nodes
}

// quietLogger drops the nodes' logs below warnings.
func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
