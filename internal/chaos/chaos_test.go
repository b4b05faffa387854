package chaos_test

import (
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial/internal/chaos"
)

// bin is the sundial binary every node runs, built once by TestMain.
var bin *chaos.Binary

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "sundial-chaos-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	began := time.Now()
	bin, err = chaos.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	if testing.Verbose() {
		fmt.Printf("chaos: built %s in %s (store_timeout key known: %v)\n", bin.Path, time.Since(began).Round(time.Millisecond), bin.StoreTimeoutKey)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// setup makes a cluster of opts on backend, starts every node and checks
// that the scenario is not run in -short mode.
func setup(t *testing.T, backend string, opts chaos.Options) *chaos.Cluster {
	t.Helper()
	skipIfUnfit(t)
	opts.Backend = backend
	c := chaos.NewCluster(t, bin, opts)
	c.Start()
	return c
}

// skipIfUnfit skips a scenario under -short (they run real server
// processes for tens of seconds) and under -race (they measure timing, and
// must not run beside other packages' tests: see race_test.go).
func skipIfUnfit(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("chaos scenarios run real server processes for tens of seconds")
	}
	if raceEnabled {
		t.Skip("chaos scenarios do not run under -race: they measure timing and restart the shared store servers (run them with -p 1, as scripts/test's system tests do)")
	}
}

// addJobs creates the jobs and fails the test if that took so long that
// their first fire time passed.
func addJobs(t *testing.T, c *chaos.Cluster, jobs []chaos.JobDef) {
	t.Helper()
	began := time.Now()
	c.AddJobs(jobs)
	first := jobs[0].Start
	for _, j := range jobs {
		if j.Start.Before(first) {
			first = j.Start
		}
	}
	if time.Now().After(first) {
		t.Fatalf("creating %d jobs took %s, past their first fire time %s: the machine is too loaded for this scenario",
			len(jobs), time.Since(began).Round(time.Millisecond), first.Format(time.RFC3339Nano))
	}
}

// report starts a scenario's report, failed already for every node that
// exited without being told to.
func report(c *chaos.Cluster, scenario string, window time.Duration) *chaos.Report {
	rp := &chaos.Report{Scenario: scenario, Backend: c.Opts.Backend, Nodes: len(c.Nodes), Jobs: len(c.Jobs), Window: window}
	for _, crash := range c.Crashes() {
		rp.Fail("%s", crash)
	}
	return rp
}

// check runs the checker over the window [from, to) with the cluster's
// jobs, the sink's deliveries and the run records.
func check(c *chaos.Cluster, from, to time.Time, allowInterrupted bool) *chaos.Result {
	runs := c.Runs(time.Time{}, time.Time{})
	return chaos.Check(chaos.Input{
		Jobs: c.Jobs, From: from, To: to, Deliveries: c.Sink.Deliveries(), Runs: runs,
		AllowInterrupted: allowInterrupted,
	})
}

// checkShare fails the report when one node took more than 60% of the
// fires: with several healthy nodes, claims spread across them.
func checkShare(rp *chaos.Report) {
	if node, share := rp.Result.MaxShare(); share > 0.6 {
		rp.Fail("node %s took %.0f%% of the fires, want no node above 60%%", node, 100*share)
	}
}
