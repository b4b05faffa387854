package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A peer scenario runs the same workload on Sundial and every peer, each
// size and peer in a child process of its own, one after the other, and
// prints one table per key with the ratios against Sundial.
type peerScenario struct {
	name  string
	about string
	// keys are the child workloads, one table each ("add/before-start",
	// "add/running"; most scenarios have one, named like the scenario).
	keys    []string
	titles  map[string]string
	sizes   func(quick bool) []int
	metrics []metricSpec
	notes   []string
}

// better says which way a metric improves, for its ratio.
type better int

const (
	none   better = iota // a count shown for context: no ratio
	lower                // costs: ratio = peer / sundial
	higher               // rates: ratio = sundial / peer
)

type metricSpec struct {
	name   string
	unit   string
	better better
}

// resultKey names one child measurement.
type resultKey struct {
	key  string
	n    int
	peer string
}

func (ps peerScenario) scenario() scenario {
	return scenario{name: ps.name, about: ps.about, run: func(ctx context.Context, e *env, r *report) error {
		return runPeerScenario(ctx, e, r, ps)
	}}
}

// commonNotes explain every peer table.
var commonNotes = []string{
	"  × is the ratio against Sundial, oriented so that > 1 means Sundial is better: peer/sundial for costs (time, lateness, CPU, bytes), sundial/peer for rates (fires/s).",
	"  Every job's handler only records its lateness (start minus scheduled time). Sundial passes the scheduled time to the handler; for the peers it is inferred from the job's schedule (assumes less than one period late).",
	"  Peers run with their defaults: robfig/cron and gocron start a goroutine per fire; go-quartz a goroutine per fire and skips fires more than 100 ms late (OutdatedThreshold), counted as dropped/missed. Sundial: memory store, 4 workers per CPU, claim batches of 10,000.",
}

func runPeerScenario(ctx context.Context, e *env, r *report, ps peerScenario) error {
	sizes := ps.sizes(e.quick)
	if len(e.sizes) > 0 {
		sizes = e.sizes
	}
	for _, key := range ps.keys {
		for _, n := range sizes {
			for _, peer := range e.peers {
				if err := ctx.Err(); err != nil {
					return err
				}
				res := e.runChild(ctx, key, peer, n)
				e.results[resultKey{key, n, peer}] = res
				for _, m := range res.Metrics {
					r.add(record{Scenario: key, N: n, Peer: peer, Metric: m.Name, Value: m.Value, Unit: m.Unit, Bound: m.Bound})
				}
			}
		}
		r.table(peerTable(e, ps, key, sizes))
	}
	return nil
}

// runChild measures one peer on one workload and size in a child process
// and returns its result; failures are results with Err set.
func (e *env) runChild(ctx context.Context, key, peer string, n int) *childResult {
	return e.runChildWith(ctx, childRun{scenario: key, key: key, peer: peer, name: peer, n: n, dur: e.dur})
}

// childRun is one child measurement as the parent asks for it.
type childRun struct {
	scenario string // as reported: names the run in progress lines and profile files
	key      string // the child workload (-scenario)
	peer     string
	name     string // names the measured scheduler in progress lines and profile files
	n        int
	dur      time.Duration
	extra    []string // further child flags
}

// runChildWith runs one child measurement and returns its result; failures
// are results with Err set.
func (e *env) runChildWith(ctx context.Context, cr childRun) *childResult {
	args := []string{childFlag, "-scenario", cr.key, "-peer", cr.peer, "-n", strconv.Itoa(cr.n),
		"-dur", cr.dur.String(), "-cap", e.cap.String()}
	if e.profileDir != "" {
		base := filepath.Join(e.profileDir, strings.ReplaceAll(cr.scenario, "/", "-")+"-"+strconv.Itoa(cr.n)+"-"+cr.name)
		args = append(args, "-cpuprofile", base+".cpu.pprof", "-memprofile", base+".mem.pprof", "-mutexprofile", base+".mutex.pprof")
	}
	args = append(args, cr.extra...)
	// Setup and the add scenario are bounded by cap (twice: a sample and
	// the real thing), the timed scenarios by dur; the rest is slack.
	timeout := 3*e.cap + cr.dur + time.Minute
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, e.exe, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	began := time.Now()
	err := cmd.Run()
	took := time.Since(began)

	res := &childResult{Scenario: cr.key, Peer: cr.peer, N: cr.n}
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	found := false
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), resultPrefix); ok {
			if jerr := json.Unmarshal([]byte(line), res); jerr != nil {
				res.Err = "bad result: " + jerr.Error()
			}
			found = true
		}
	}
	switch {
	case errors.Is(cctx.Err(), context.DeadlineExceeded):
		res.Err = fmt.Sprintf("no result within %s", timeout)
	case err != nil:
		res.Err = fmt.Sprintf("%v: %s", err, lastLine(stderr.String()))
	case !found:
		res.Err = "no result line: " + lastLine(stderr.String())
	}
	status := "ok"
	switch {
	case res.Err != "":
		status = "error: " + res.Err
	case res.NA != "":
		status = "n/a: " + res.NA
	}
	fmt.Fprintf(e.progress, "bench: %s n=%d %s: %s (%s)\n", cr.scenario, cr.n, cr.name, status, took.Round(100*time.Millisecond))
	return res
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if s == "" {
		return "(no output)"
	}
	return s
}

// peerTable lays out one key's results: a group of rows per size, a row
// per metric, a column per peer with its ratio against Sundial.
func peerTable(e *env, ps peerScenario, key string, sizes []int) table {
	t := table{title: ps.titles[key]}
	if t.title == "" {
		t.title = key
	}
	withRatio := slices.Contains(e.peers, "sundial")
	t.header = []string{"n", "metric"}
	for _, p := range e.peers {
		t.header = append(t.header, p)
		if p != "sundial" && withRatio {
			t.header = append(t.header, p+" ×")
		}
	}
	foot := footnotes{}
	for _, n := range sizes {
		for mi, ms := range ps.metrics {
			row := []string{"", ms.name + " (" + ms.unit + ")"}
			if mi == 0 {
				row[0] = countLabel(n)
			}
			base := e.results[resultKey{key, n, "sundial"}]
			for _, p := range e.peers {
				res := e.results[resultKey{key, n, p}]
				cell := "—"
				switch {
				case res == nil:
				case res.Err != "":
					cell = "error" + foot.mark(p+": "+res.Err)
				case res.NA != "":
					cell = "n/a" + foot.mark(p+": "+res.NA)
				default:
					if m, ok := res.metric(ms.name); ok {
						cell = formatMetric(m)
					}
					if mi == 0 {
						for _, note := range res.Notes {
							cell += foot.mark(note)
						}
					}
				}
				row = append(row, cell)
				if p != "sundial" && withRatio {
					row = append(row, ratioCell(ms, base, res))
				}
			}
			t.rows = append(t.rows, row)
		}
	}
	t.notes = append(t.notes, foot.lines()...)
	t.notes = append(t.notes, ps.notes...)
	t.notes = append(t.notes, commonNotes...)
	return t
}

// footnotes numbers the distinct notes of a table.
type footnotes struct{ texts []string }

func (f *footnotes) mark(text string) string {
	i := slices.Index(f.texts, text)
	if i < 0 {
		f.texts = append(f.texts, text)
		i = len(f.texts) - 1
	}
	return fmt.Sprintf(" [%d]", i+1)
}

func (f *footnotes) lines() []string {
	out := make([]string, len(f.texts))
	for i, t := range f.texts {
		out[i] = fmt.Sprintf("  [%d] %s", i+1, t)
	}
	return out
}

// ratio returns a metric's ratio against Sundial, oriented so that > 1
// means Sundial is better, and ">" or "<" when it is a bound.
func ratio(ms metricSpec, base, res *childResult) (v float64, bound string, ok bool) {
	if ms.better == none {
		return 0, "", false
	}
	s, ok1 := base.metric(ms.name)
	p, ok2 := res.metric(ms.name)
	if !ok1 || !ok2 || s.Value <= 0 || p.Value <= 0 {
		return 0, "", false
	}
	// A lower bound on the peer's cost is a lower bound on the ratio; on
	// Sundial's, an upper bound.
	switch {
	case s.Bound != "" && p.Bound != "":
		return 0, "", false
	case p.Bound != "":
		bound = ">"
	case s.Bound != "":
		bound = "<"
	}
	if ms.better == lower {
		return p.Value / s.Value, bound, true
	}
	if bound != "" {
		bound = map[string]string{">": "<", "<": ">"}[bound]
	}
	return s.Value / p.Value, bound, true
}

func ratioCell(ms metricSpec, base, res *childResult) string {
	v, bound, ok := ratio(ms, base, res)
	if !ok {
		return ""
	}
	return bound + formatRatio(v)
}

func formatRatio(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

// formatMetric prints a figure with about three significant digits.
func formatMetric(m metric) string {
	return m.Bound + formatNumber(m.Value)
}

func formatNumber(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', 2, 64) + "M"
	case a >= 1e5:
		return strconv.FormatFloat(v/1e3, 'f', 0, 64) + "k"
	case a >= 100 || a == 0 || v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 1e-4:
		// Three significant digits, without an exponent.
		decimals := 2 - int(math.Floor(math.Log10(a)))
		return strconv.FormatFloat(v, 'f', decimals, 64)
	default:
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
}

// countLabel prints a job count as 1k, 100k, 1M.
func countLabel(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return strconv.Itoa(n/1_000_000) + "M"
	case n >= 1000 && n%1000 == 0:
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

// executable returns the path the parent re-executes as a child.
func executable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find own binary: %w", err)
	}
	return exe, nil
}
