package chaos_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial/internal/chaos"
)

// defaultStoreTimeout is the scheduler's bound on a store call when the
// server cannot be told another (Config.StoreTimeout's default).
const defaultStoreTimeout = 30 * time.Second

// TestChaosStoreRestart: the store server crashes mid-run (PostgreSQL:
// immediate shutdown; MariaDB and Redis: SIGKILL) and comes back. No node
// dies or hangs, /readyz recovers, no job is lost, fires resume, nothing
// runs twice.
func TestChaosStoreRestart(t *testing.T) {
	for _, b := range chaos.BackendsFor(4) {
		t.Run(b, func(t *testing.T) {
			chaos.NeedRestart(t, b)
			storeFault(t, b, "store restart", func(c *chaos.Cluster, rp *chaos.Report) time.Time {
				down := chaos.Size(3*time.Second, 10*time.Second)
				crashedAt := time.Now()
				if err := c.Store.Crash(); err != nil {
					t.Fatalf("crash the %s server: %v", b, err)
				}
				chaos.Until(crashedAt.Add(down))
				if err := c.Store.Restart(); err != nil {
					t.Fatalf("restart the %s server: %v", b, err)
				}
				upAt := time.Now()
				rp.Note("%s server down from %s, answering again at %s (%s)", b, crashedAt.Format("15:04:05.000"),
					upAt.Format("15:04:05.000"), upAt.Sub(crashedAt).Round(time.Millisecond))
				return upAt
			})
		})
	}
}

// TestChaosStoreBlackhole: every node's connection to the store goes
// silent (the fault proxies drop nothing and forward nothing) for longer
// than the store timeout, then works again.
func TestChaosStoreBlackhole(t *testing.T) {
	for _, b := range chaos.BackendsFor(6) {
		t.Run(b, func(t *testing.T) {
			// A claim (or, on Redis, a RunReap) whose reply was lost in
			// the blackhole leaves runs submitted on a live node that
			// never learnt of them; other nodes take them over once they
			// are older than the staleness bound (store timeout + lease).
			storeFault(t, b, "store blackhole", func(c *chaos.Cluster, rp *chaos.Report) time.Time {
				timeout := defaultStoreTimeout
				if c.Bin.StoreTimeoutKey {
					timeout = c.Opts.StoreTimeout
				} else {
					rp.Note("sundial serve has no store_timeout key: the nodes use the default %s, so the blackhole lasts longer", timeout)
				}
				hold := timeout + chaos.Size(4*time.Second, 10*time.Second)
				began := time.Now()
				c.Blackhole(true)
				chaos.Until(began.Add(hold))
				c.Blackhole(false)
				rp.Note("blackhole of every node's store connection for %s (store timeout %s)", hold, timeout)
				return time.Now()
			})
		})
	}
}

// storeFault runs jobs on three nodes, applies fault (which returns when
// the store is reachable again), and checks the aftermath.
func storeFault(t *testing.T, backend, scenario string, fault func(*chaos.Cluster, *chaos.Report) time.Time) {
	n := chaos.Size(30, 100)
	before := chaos.Size(5*time.Second, 20*time.Second)
	after := chaos.Size(10*time.Second, 20*time.Second)
	skipIfUnfit(t)
	c := chaos.NewCluster(t, bin, chaos.Options{Backend: backend})
	// Before any node connects: the store keeps what it acknowledged.
	if err := c.Store.MakeDurable(context.Background()); err != nil {
		t.Fatalf("make the %s store durable: %v", backend, err)
	}
	c.Start()
	start := chaos.StartAt(2*time.Second + time.Duration(n)*15*time.Millisecond)
	addJobs(t, c, chaos.Every("store", n, time.Second, start, nil))
	chaos.Until(start.Add(before))
	jobsBefore := c.JobSet()

	rp := report(c, scenario, 0)
	faultAt := time.Now()
	mon := c.Watch(250 * time.Millisecond)
	recovered := fault(c, rp)
	end := recovered.Add(after)
	chaos.Until(end)
	mon.Stop()
	c.Settle(end)
	rp.Window = end.Sub(start)
	rp.Note("fault from +%s to +%s", faultAt.Sub(start).Round(time.Millisecond), recovered.Sub(start).Round(time.Millisecond))

	// Readiness comes back within the failover bound and a store call.
	mon.Judge(rp, recovered, 2*c.F())
	jobsAfter := c.JobSet()
	if len(jobsAfter) != len(jobsBefore) {
		rp.Fail("%d jobs before the fault, %d after", len(jobsBefore), len(jobsAfter))
	}
	for id, def := range jobsBefore {
		if got, ok := jobsAfter[id]; !ok {
			rp.Fail("job %s lost", id)
		} else if got != def {
			rp.Fail("job %s changed:\n  before %s\n  after  %s", id, def, got)
		}
	}
	// Every fire is accounted for (folded by coalesce while the store was
	// away is allowed); fires due from one failover bound after the
	// store came back are delivered.
	rp.Result = check(c, start, end, true)
	resumed := chaos.Check(chaos.Input{Jobs: c.Jobs, From: recovered.Add(c.F()), To: end, Deliveries: c.Sink.Deliveries()})
	if resumed.Delivered < resumed.Expected {
		rp.Fail("after recovery + %s: %d of %d fires delivered", c.F(), resumed.Delivered, resumed.Expected)
	}
	rp.Note("after recovery + %s: %d of %d fires delivered, lateness %s", c.F(), resumed.Delivered, resumed.Expected, resumed.Lateness)
	for _, node := range c.Nodes {
		if k := chaos.CountLog(node.LogPath(), "claim due jobs"); k > 0 {
			rp.Note("%s logged %d failed claims", node.ID, k)
		}
	}
	// A live node that left runs submitted (never started, never taken
	// over): what are its goroutines doing?
	stuck := map[string]int{}
	for _, r := range c.Runs(start, end) {
		if r.Status == chaos.StatusSubmitted {
			stuck[r.Node]++
		}
	}
	for _, node := range c.Nodes {
		if stuck[node.ID] > 0 {
			dump := node.DumpGoroutines()
			if lines := strings.Split(dump, "\n"); len(lines) > 60 {
				dump = strings.Join(lines[:60], "\n") + "\n…"
			}
			rp.Note("%s still has %d runs submitted after the window; its busy goroutines (SIGQUIT; full dump in %s):\n%s",
				node.ID, stuck[node.ID], node.LogPath(), dump)
		}
	}
	rp.Emit(t)
}
