// Command bench measures Sundial against its peers (robfig/cron today;
// gocron and go-quartz as scenarios are added) in one process run, and
// prints the figures as tables with the machine named (DESIGN section 9).
//
//	cd bench && go run . -scenarios next
//	go run . -scenarios all -json results.jsonl
//	go run . -quick
//
// Each scenario lives in its own file and is listed in scenarios below.
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
}

// env holds the settings every scenario reads.
type env struct {
	quick     bool
	runs      int           // timed runs per measurement; the median is reported
	benchtime time.Duration // target duration of one testing.Benchmark run
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout)
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
	quick := fs.Bool("quick", false, "fewer and shorter runs, for a smoke test")
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

	e := &env{quick: *quick, runs: 5, benchtime: time.Second}
	if e.quick {
		e.runs, e.benchtime = 3, 100*time.Millisecond
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
	return r.err
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
