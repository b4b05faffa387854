package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMain lets the test binary act as a child, as the bench binary does:
// the parent re-executes os.Executable, which under go test is this binary.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == childFlag {
		if err := childMain(context.Background(), os.Args[2:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// peerScenarios lists the scenarios that run in child processes.
func peerScenarios() []peerScenario {
	return []peerScenario{addScenario, burstScenario, steadyScenario, sparseScenario, idleScenario}
}

// TestChildren runs every child workload for every peer at a tiny size,
// all at once, through the child-process path, and checks that the
// results are complete and sane.
func TestChildren(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	var wg sync.WaitGroup
	for _, ps := range peerScenarios() {
		for _, key := range ps.keys {
			if _, ok := childScenarios[key]; !ok {
				t.Errorf("scenario %s: key %s has no child workload", ps.name, key)
				continue
			}
			for _, peer := range peerNames {
				wg.Go(func() {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					cmd := exec.CommandContext(ctx, exe, childFlag, "-scenario", key, "-peer", peer,
						"-n", fmt.Sprint(n), "-dur", "1s", "-cap", "10s")
					var stderr bytes.Buffer
					cmd.Stderr = &stderr
					out, err := cmd.Output()
					if err != nil {
						t.Errorf("%s %s: %v: %s", key, peer, err, stderr.String())
						return
					}
					line, ok := strings.CutPrefix(strings.TrimSpace(string(out)), resultPrefix)
					if !ok {
						t.Errorf("%s %s: no result line in %q", key, peer, out)
						return
					}
					var res childResult
					if err := json.Unmarshal([]byte(line), &res); err != nil {
						t.Errorf("%s %s: %v", key, peer, err)
						return
					}
					checkResult(t, ps, key, peer, n, &res)
				})
			}
		}
	}
	wg.Wait()
}

func checkResult(t *testing.T, ps peerScenario, key, peer string, n int, res *childResult) {
	t.Helper()
	what := key + " " + peer
	if res.Scenario != key || res.Peer != peer || res.N != n {
		t.Errorf("%s: result names %s %s %d", what, res.Scenario, res.Peer, res.N)
	}
	if res.NA != "" || res.Err != "" {
		t.Errorf("%s: n/a %q, error %q", what, res.NA, res.Err)
		return
	}
	for _, ms := range ps.metrics {
		m, ok := res.metric(ms.name)
		if !ok {
			t.Errorf("%s: no %s in %+v", what, ms.name, res.Metrics)
			continue
		}
		if m.Unit != ms.unit || math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
			t.Errorf("%s: bad %s: %+v", what, ms.name, m)
		}
	}
	get := func(name string) float64 { m, _ := res.metric(name); return m.Value }
	switch key {
	case "add/before-start", "add/running":
		if get("ns_per_job") <= 0 || get("time") <= 0 || get("rss") <= 0 {
			t.Errorf("%s: %+v", what, res.Metrics)
		}
	case "burst":
		if get("dropped") != 0 || get("lateness_p50") < 0 || get("lateness_max") < get("lateness_p99") {
			t.Errorf("%s: %+v", what, res.Metrics)
		}
	case "steady":
		// A tiny second on a loaded machine may miss some fires; none
		// at all is a broken workload.
		if get("fires") <= 0 || get("lateness_p99") < get("lateness_p50") {
			t.Errorf("%s: %+v", what, res.Metrics)
		}
	case "sparse", "idle":
		if get("rss") <= 0 || get("cpu") < 0 {
			t.Errorf("%s: %+v", what, res.Metrics)
		}
		if key == "idle" && get("fires") != 0 {
			t.Errorf("%s: jobs due in 30 days fired: %+v", what, res.Metrics)
		}
	}
}

// TestRunPeerScenario runs one peer scenario end to end through the
// parent: children, table, JSON lines and the targets table.
func TestRunPeerScenario(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.jsonl")
	var out bytes.Buffer
	err := run(context.Background(), []string{"-scenarios", "burst", "-sizes", "50", "-cap", "10s", "-json", path}, &out)
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"burst: N one-shot jobs", "robfig ×", "quartz ×", "targets:", "burst ≥ 3M fires/s"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	peers := map[string]int{}
	for l := range strings.SplitSeq(strings.TrimSpace(string(data)), "\n") {
		var rec record
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		if rec.Scenario != "burst" || rec.N != 50 || rec.Metric == "" || rec.Unit == "" {
			t.Errorf("bad record %s", l)
		}
		peers[rec.Peer]++
	}
	for _, p := range peerNames {
		if peers[p] == 0 {
			t.Errorf("no records for %s in\n%s", p, data)
		}
	}
}

func TestRatio(t *testing.T) {
	t.Parallel()
	res := func(v float64, bound string) *childResult {
		return &childResult{Metrics: []metric{{Name: "m", Value: v, Bound: bound}}}
	}
	cases := []struct {
		better      better
		s, p        *childResult
		want        float64
		bound       string
		ok          bool
		description string
	}{
		{lower, res(1, ""), res(3, ""), 3, "", true, "a peer three times costlier"},
		{higher, res(3e6, ""), res(1e6, ""), 3, "", true, "Sundial three times the rate"},
		{lower, res(2, ""), res(40, ">"), 20, ">", true, "a capped peer: at least 20×"},
		{higher, res(5, ""), res(10, ">"), 0.5, "<", true, "a capped peer's rate: at most 0.5×"},
		{lower, res(0, ""), res(1, ""), 0, "", false, "Sundial at zero"},
		{none, res(1, ""), res(2, ""), 0, "", false, "a count"},
		{lower, res(1, ""), nil, 0, "", false, "no peer result"},
	}
	for _, c := range cases {
		v, bound, ok := ratio(metricSpec{name: "m", better: c.better}, c.s, c.p)
		if ok != c.ok || bound != c.bound || math.Abs(v-c.want) > 1e-9 {
			t.Errorf("%s: got %v %q %v, want %v %q %v", c.description, v, bound, ok, c.want, c.bound, c.ok)
		}
	}
}

func TestVerdict(t *testing.T) {
	t.Parallel()
	cases := []struct {
		met      bool
		bound    string
		higherOK bool
		want     string
	}{
		{true, "", true, "yes"},
		{false, "", false, "NO"},
		{true, ">", true, "yes"}, // at least 25× where 20× is needed
		{false, ">", true, "?"},  // at least 5× where 20× is needed
		{true, "<", true, "?"},
		{false, "<", true, "NO"},
	}
	for _, c := range cases {
		if got := verdict(c.met, c.bound, c.higherOK); got != c.want {
			t.Errorf("verdict(%v, %q, %v) = %s, want %s", c.met, c.bound, c.higherOK, got, c.want)
		}
	}
}

func TestFormatNumber(t *testing.T) {
	t.Parallel()
	for v, want := range map[float64]string{
		0: "0", 3: "3", 0.3512: "0.351", 0.0012: "0.00120", 0.0307: "0.0307", 12.34: "12.3", 572.46: "572",
		186_000: "186k", 3_120_000: "3.12M",
	} {
		if got := formatNumber(v); got != want {
			t.Errorf("formatNumber(%v) = %s, want %s", v, got, want)
		}
	}
	if got := countLabel(100_000); got != "100k" {
		t.Errorf("countLabel(100000) = %s", got)
	}
}

func TestSelectPeers(t *testing.T) {
	t.Parallel()
	got, err := selectPeers("quartz, sundial,robfig,sundial")
	if err != nil || !slices.Equal(got, []string{"sundial", "robfig", "quartz"}) {
		t.Errorf("got %v, %v", got, err)
	}
	if _, err := selectPeers("cronx"); err == nil {
		t.Error("unknown peer accepted")
	}
	if s, err := parseSizes("100, 1000"); err != nil || !slices.Equal(s, []int{100, 1000}) {
		t.Errorf("sizes: %v, %v", s, err)
	}
	if _, err := parseSizes("10k"); err == nil {
		t.Error("bad size accepted")
	}
}

func TestRecorderSlots(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := newRecorder(10, everySecondSched(t0)).withSlots(2, 3, t0)
	r.hit(0, t0)
	r.hit(0, t0.Add(time.Second))
	r.hit(0, t0.Add(time.Second)) // a duplicate
	r.hit(1, t0.Add(2*time.Second))
	r.hit(1, t0.Add(3*time.Second)) // after the window: fires only
	missed, dup := r.slotCounts()
	if missed != 3 || dup != 1 || r.fires.Load() != 5 || len(r.lateness()) != 4 {
		t.Errorf("missed %d dup %d fires %d late %d", missed, dup, r.fires.Load(), len(r.lateness()))
	}
	if got := everySecondSched(t0)(0, t0.Add(2300*time.Millisecond)); !got.Equal(t0.Add(2 * time.Second)) {
		t.Errorf("inferred %s", got)
	}
}
