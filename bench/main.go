// Command bench measures Sundial against its peers (robfig/cron v3,
// go-co-op/gocron v2, reugn/go-quartz) on the same workloads and prints the
// figures as tables with ratios, with the machine named (DESIGN section 9).
//
//	cd bench && go run . -scenarios all
//	go run . -scenarios all -quick -json results.jsonl
//	go run . -scenarios burst,steady -peers sundial,robfig -sizes 10000
//
// Each scenario lives in its own file and is listed in scenarios below.
// "next" runs in this process; the others run every peer and size in a
// child process of its own (child.go), one after the other.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A scenario measures one workload for Sundial and its peers and adds its
// tables and records to the report.
type scenario struct {
	name  string
	about string
	run   func(ctx context.Context, e *env, r *report) error
}

// scenarios is the registry, in the order "all" runs them.
var scenarios = []scenario{
	{name: "next", about: "cron Next: ns/op and allocs/op against robfig/cron", run: runNext},
	addScenario.scenario(),
	burstScenario.scenario(),
	steadyScenario.scenario(),
	sparseScenario.scenario(),
	idleScenario.scenario(),
	storesScenario,
}

// env holds the settings every scenario reads.
type env struct {
	quick     bool
	runs      int           // timed runs per measurement; the median is reported
	benchtime time.Duration // target duration of one testing.Benchmark run

	// Peer scenarios.
	exe        string        // the binary re-executed as a child
	peers      []string      // schedulers measured, Sundial first
	sizes      []int         // overrides every scenario's sizes when set
	dur        time.Duration // measurement window of the timed scenarios
	cap        time.Duration // bound on adding jobs in one child
	profileDir string        // write each child's CPU, heap and mutex profiles here
	progress   io.Writer     // one line per child run
	results    map[resultKey]*childResult

	// The stores scenario.
	stores       []string      // stores measured (when their servers are named)
	storeDur     time.Duration // its steady window
	storeResults map[storeKey]*childResult
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	var err error
	if len(os.Args) > 1 && os.Args[1] == childFlag {
		err = childMain(ctx, os.Args[2:], os.Stdout)
	} else {
		err = run(ctx, os.Args[1:], os.Stdout)
	}
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case err != nil:
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	names := fs.String("scenarios", "all", "comma-separated scenarios to run, or all: "+strings.Join(scenarioNames(), ", "))
	jsonPath := fs.String("json", "", "also write the figures as JSON lines to `file`")
	quick := fs.Bool("quick", false, "smaller sizes and a 5 s window: a pass of a few minutes")
	peers := fs.String("peers", strings.Join(peerNames, ","), "comma-separated schedulers to measure in the peer scenarios")
	sizes := fs.String("sizes", "", "comma-separated job counts replacing every peer scenario's sizes")
	dur := fs.Duration("dur", 0, "measurement window of steady, sparse and idle (default 20s, 5s with -quick; stores: 20s, 10s with -quick)")
	capd := fs.Duration("cap", 0, "bound on adding jobs in one run; slower peers are stopped and reported as lower bounds or n/a (default 60s, 15s with -quick)")
	stores := fs.String("stores", strings.Join(storeServerNames(), ","), "comma-separated stores the stores scenario measures; postgres, mysql and redis need their servers' URLs in SUNDIAL_TEST_{POSTGRES,MYSQL,REDIS}_URL")
	profileDir := fs.String("profile", "", "write CPU, heap and mutex profiles of every child run into `dir`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	selected, err := selectScenarios(*names)
	if err != nil {
		return err
	}

	e := &env{quick: *quick, runs: 5, benchtime: time.Second,
		dur: 20 * time.Second, cap: time.Minute, profileDir: *profileDir,
		progress: os.Stderr, results: map[resultKey]*childResult{},
		storeDur: storeWindow(*quick, *dur), storeResults: map[storeKey]*childResult{}}
	if e.quick {
		e.runs, e.benchtime = 3, 100*time.Millisecond
		e.dur, e.cap = 5*time.Second, 15*time.Second
	}
	if *dur > 0 {
		e.dur = *dur
	}
	if *capd > 0 {
		e.cap = *capd
	}
	if e.peers, err = selectPeers(*peers); err != nil {
		return err
	}
	if e.sizes, err = parseSizes(*sizes); err != nil {
		return err
	}
	if e.stores, err = parseStores(*stores); err != nil {
		return err
	}
	if e.exe, err = executable(); err != nil {
		return err
	}
	if e.profileDir != "" {
		if err := os.MkdirAll(e.profileDir, 0o755); err != nil {
			return fmt.Errorf("profile dir: %w", err)
		}
	}
	// testing.Benchmark reads its duration from the test.benchtime flag;
	// put it back afterwards for the benchmarks of a test binary.
	testing.Init()
	saved := flag.Lookup("test.benchtime").Value.String()
	if err := flag.Set("test.benchtime", e.benchtime.String()); err != nil {
		return fmt.Errorf("set benchtime: %w", err)
	}
	defer flag.Set("test.benchtime", saved) //nolint:errcheck // a value it held

	r := newReport(stdout)
	if *jsonPath != "" {
		f, err := os.Create(*jsonPath)
		if err != nil {
			return fmt.Errorf("open json output: %w", err)
		}
		defer f.Close()
		r.json = f
	}
	r.machine(e)
	for _, s := range selected {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.run(ctx, e, r); err != nil {
			return fmt.Errorf("scenario %s: %w", s.name, err)
		}
	}
	if t, ok := targetTable(e); ok {
		r.table(t)
	}
	if t, ok := storeTargetTable(e); ok {
		r.table(t)
	}
	return r.err
}

// selectPeers reads the -peers list; Sundial, when listed, comes first.
func selectPeers(list string) ([]string, error) {
	var out []string
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" || slices.Contains(out, name) {
			continue
		}
		if !slices.Contains(peerNames, name) {
			return nil, fmt.Errorf("unknown peer %q; known: %s", name, strings.Join(peerNames, ", "))
		}
		out = append(out, name)
	}
	if len(out) == 0 {
		return nil, errors.New("no peer selected")
	}
	slices.SortStableFunc(out, func(a, b string) int {
		return slices.Index(peerNames, a) - slices.Index(peerNames, b)
	})
	return out, nil
}

// parseSizes reads the -sizes list.
func parseSizes(list string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad size %q in -sizes", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func scenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.name
	}
	return names
}

// selectScenarios reads the -scenarios list: names in the registry, or all.
func selectScenarios(list string) ([]scenario, error) {
	if strings.TrimSpace(list) == "all" {
		return scenarios, nil
	}
	var out []scenario
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		i := slices.IndexFunc(scenarios, func(s scenario) bool { return s.name == name })
		if i < 0 {
			return nil, fmt.Errorf("unknown scenario %q; known: %s, all", name, strings.Join(scenarioNames(), ", "))
		}
		out = append(out, scenarios[i])
	}
	if len(out) == 0 {
		return nil, errors.New("no scenario selected")
	}
	return out, nil
}
