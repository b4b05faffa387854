package chaos

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial/internal/faultproxy"
)

// Options shape a cluster. Zero fields take the defaults in their
// comments.
type Options struct {
	Backend string
	Nodes   int           // 3
	Lease   time.Duration // lease_ttl, 3s
	Poll    time.Duration // poll_interval, 250ms
	// ShutdownTimeout is shutdown_timeout, 5s.
	ShutdownTimeout time.Duration
	// StoreTimeout is store_timeout, 3s, when the server reads the key.
	StoreTimeout time.Duration
	Workers      int // default executor's workers, 20
	// NodeWorkers overrides Workers for some nodes, by node id.
	NodeWorkers map[string]int
	// Env adds environment variables to a node, by node id.
	Env map[string][]string
}

func (o *Options) defaults() {
	if o.Nodes == 0 {
		o.Nodes = 3
	}
	if o.Lease == 0 {
		o.Lease = 3 * time.Second
	}
	if o.Poll == 0 {
		o.Poll = 250 * time.Millisecond
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = 5 * time.Second
	}
	if o.StoreTimeout == 0 {
		o.StoreTimeout = 3 * time.Second
	}
	if o.Workers == 0 {
		o.Workers = 20
	}
}

// Cluster is a scenario's world: a fresh store, a fault proxy per node in
// front of its server, the nodes, and the sink their jobs call. Everything
// is torn down when the test ends (nodes first, then proxies and sink).
type Cluster struct {
	t       *testing.T
	Opts    Options
	Bin     *Binary
	Store   *Store
	Sink    *Sink
	Nodes   []*Node
	Proxies map[string]*faultproxy.Proxy // by node id
	Jobs    []JobDef
	dir     string
}

// NewCluster prepares a cluster on a fresh store of opts.Backend; it
// starts no node.
func NewCluster(t *testing.T, bin *Binary, opts Options) *Cluster {
	t.Helper()
	opts.defaults()
	c := &Cluster{t: t, Opts: opts, Bin: bin, Proxies: map[string]*faultproxy.Proxy{}}
	c.Store = NewStore(t, opts.Backend)
	c.Sink = NewSink()
	t.Cleanup(c.Sink.Close)
	c.dir = artifactsDir(t)
	for i := 1; i <= opts.Nodes; i++ {
		id := fmt.Sprintf("n%d", i)
		p, err := faultproxy.New(c.Store.Addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Close() })
		c.Proxies[id] = p
		workers := opts.Workers
		if w, ok := opts.NodeWorkers[id]; ok {
			workers = w
		}
		n, err := newNode(bin.Path, c.dir, NodeConfig{
			ID: id, Store: c.Store.Via(p.Addr()), LeaseTTL: opts.Lease, PollInterval: opts.Poll,
			ShutdownTimeout: opts.ShutdownTimeout, StoreTimeout: opts.StoreTimeout, Workers: workers,
			Env: opts.Env[id],
		}, bin.StoreTimeoutKey)
		if err != nil {
			t.Fatal(err)
		}
		c.Nodes = append(c.Nodes, n)
	}
	// Registered last, so it runs first: no node outlives the test, and
	// its log is summarised while the files are still there.
	t.Cleanup(func() {
		for _, n := range c.Nodes {
			n.cleanup()
		}
		if t.Failed() {
			for _, n := range c.Nodes {
				t.Logf("log of %s (%s), problems:\n%s%s", n.ID, n.LogPath(), SummarizeLog(n.LogPath(), 15), panicExcerpt(n.LogPath()))
			}
		}
	})
	return c
}

// artifactsDir is where node configs and logs go: under
// SUNDIAL_CHAOS_ARTIFACTS when set (kept), else the test's temp dir.
func artifactsDir(t *testing.T) string {
	base := os.Getenv("SUNDIAL_CHAOS_ARTIFACTS")
	if base == "" {
		return t.TempDir()
	}
	dir := filepath.Join(base, sanitize(t.Name()))
	_ = os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// Node returns the node with the id.
func (c *Cluster) Node(id string) *Node {
	for _, n := range c.Nodes {
		if n.ID == id {
			return n
		}
	}
	c.t.Fatalf("no node %s", id)
	return nil
}

// F is the failover bound of the test plan: lease + poll + 1 s.
func (c *Cluster) F() time.Duration { return c.Opts.Lease + c.Opts.Poll + time.Second }

// Start starts the nodes (all of them when none is named) in parallel and
// waits until each is ready.
func (c *Cluster) Start(nodes ...*Node) {
	c.t.Helper()
	if len(nodes) == 0 {
		nodes = c.Nodes
	}
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			if err := n.Start(60 * time.Second); err != nil {
				errs[i] = err
				return
			}
			errs[i] = n.WaitReady(60 * time.Second)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.t.Fatal(err)
	}
}

// API is the base URL of a running, not stopped node, for API calls.
func (c *Cluster) API() string {
	for _, n := range c.Nodes {
		n.mu.Lock()
		ok := n.cmd != nil && !n.exitedLocked() && !n.stopped
		n.mu.Unlock()
		if ok {
			return n.URL()
		}
	}
	var why []string
	for _, n := range c.Nodes {
		if crash := n.Crashed(); crash != "" {
			why = append(why, crash)
		}
	}
	c.t.Fatalf("no node is running; %s", strings.Join(why, "\n"))
	return ""
}

// Crashes lists the nodes that exited without being told to.
func (c *Cluster) Crashes() []string {
	var out []string
	for _, n := range c.Nodes {
		if crash := n.Crashed(); crash != "" {
			out = append(out, crash)
		}
	}
	return out
}

// AddJobs creates the jobs over the API, a few at a time, and remembers
// them for the checks.
func (c *Cluster) AddJobs(jobs []JobDef) {
	c.t.Helper()
	base := c.API()
	work := make(chan JobDef)
	errs := make(chan error, len(jobs))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for j := range work {
				errs <- CreateJob(base, c.Sink.URL(), j)
			}
		})
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			c.t.Fatal(err)
		}
	}
	c.Jobs = append(c.Jobs, jobs...)
}

// Runs lists the run records of fires scheduled in [from, to), retrying
// for a while when the node asked cannot answer (during a fault).
func (c *Cluster) Runs(from, to time.Time) []RunRecord {
	c.t.Helper()
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); pause(500 * time.Millisecond) {
		var runs []RunRecord
		if runs, err = ListRuns(c.API(), from, to); err == nil {
			return runs
		}
	}
	c.t.Fatalf("run records: %v", err)
	return nil
}

// JobSet lists the job definitions, retrying like Runs.
func (c *Cluster) JobSet() map[string]string {
	c.t.Helper()
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); pause(500 * time.Millisecond) {
		var jobs map[string]string
		if jobs, err = ListJobs(c.API()); err == nil {
			return jobs
		}
	}
	c.t.Fatalf("job list: %v", err)
	return nil
}

// Busiest is the running node that holds the most unfinished runs (the
// most work a failure would strand), ties broken by the most runs recorded,
// among the runs of fires scheduled in [from, to).
func (c *Cluster) Busiest(from, to time.Time) *Node {
	c.t.Helper()
	open, count := map[string]int{}, map[string]int{}
	for _, r := range c.Runs(from, to) {
		count[r.Node]++
		if r.Status == StatusRunning || r.Status == StatusSubmitted {
			open[r.Node]++
		}
	}
	var best *Node
	for _, n := range c.Nodes {
		if !n.Running() {
			continue
		}
		if best == nil || open[n.ID] > open[best.ID] || open[n.ID] == open[best.ID] && count[n.ID] > count[best.ID] {
			best = n
		}
	}
	if best == nil {
		c.t.Fatal("no node is running")
	}
	return best
}

// Blackhole turns the blackhole of every node's proxy on or off.
func (c *Cluster) Blackhole(on bool) {
	for _, p := range c.Proxies {
		p.Blackhole(on)
	}
}

// Every returns jobs named prefix-000… firing every interval from start.
func Every(prefix string, n int, interval time.Duration, start time.Time, opt func(*JobDef)) []JobDef {
	jobs := make([]JobDef, n)
	for i := range jobs {
		jobs[i] = JobDef{ID: fmt.Sprintf("%s-%03d", prefix, i), Interval: interval, Start: start}
		if opt != nil {
			opt(&jobs[i])
		}
	}
	return jobs
}

// StartAt is a whole second at least lead from now: a first fire time
// that leaves room to create the jobs before it.
func StartAt(lead time.Duration) time.Time {
	return time.Now().Add(lead).Truncate(time.Second).Add(time.Second)
}

// Until sleeps until t: the time windows of a scenario.
func Until(t time.Time) { time.Sleep(time.Until(t)) }

// Settle waits after a window ends until every fire before to has been
// claimed (each job's next fire time is at or after to) and every run of
// those fires has finished (so the sink has every delivery the checks
// need), or for the jobs' longest hold plus 10 s at most: a run that never
// finishes is the checks' to report, not a reason to wait forever.
func (c *Cluster) Settle(to time.Time) {
	var hold time.Duration
	for _, j := range c.Jobs {
		hold = max(hold, j.Hold)
	}
	for deadline := time.Now().Add(hold + 10*time.Second); time.Now().Before(deadline); pause(250 * time.Millisecond) {
		if claimed, err := ClaimedUntil(c.API(), to); err != nil || !claimed {
			continue
		}
		if open, err := HasOpenRuns(c.API(), to); err == nil && !open {
			return
		}
	}
}
