package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
)

// report prints tables as scenarios finish and, with -json, writes every
// figure as one JSON line.
type report struct {
	out  io.Writer
	json io.Writer // nil: no JSON output
	err  error     // the first write error
}

// record is one figure in the JSON lines output. N is the size of the
// workload the figure was measured on: the number of jobs for scenarios that
// have them, the number of timed runs a median was taken from otherwise.
// Peer is "sundial" for ours, else "robfig", "gocron" or "quartz"; in the
// stores scenario, "sundial-<store>" (sundial-sqlite, sundial-postgres, …).
type record struct {
	Scenario string `json:"scenario"`
	N        int    `json:"n"`
	Peer     string `json:"peer"` // "sundial" for ours
	// ClaimBatch is Sundial's Config.ClaimBatch in the stores scenario;
	// absent elsewhere.
	ClaimBatch int     `json:"claim_batch,omitempty"`
	Metric     string  `json:"metric"`
	Value      float64 `json:"value"`
	Unit       string  `json:"unit"`
	// Bound is ">" when Value is only a lower bound (a peer stopped at
	// the -cap bound); absent otherwise.
	Bound string `json:"bound,omitempty"`
}

// table is a titled grid of cells printed with aligned columns, followed by
// free-text notes.
type table struct {
	title  string
	header []string
	rows   [][]string
	notes  []string
}

func newReport(out io.Writer) *report { return &report{out: out} }

// machine prints what the figures were measured on.
func (r *report) machine(e *env) {
	mode := fmt.Sprintf("next: median of %d runs, %s each; peer scenarios: one process per peer and size, %s window, adding bounded to %s",
		e.runs, e.benchtime, e.dur, e.cap)
	if e.quick {
		mode += " (quick)"
	}
	r.printf("machine: %s/%s, %d CPUs (%s), GOMAXPROCS %d, %s, %s RAM; %s\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), runtime.GOMAXPROCS(0), runtime.Version(), memTotal(), mode)
}

// add writes one record to the JSON output, if there is one.
func (r *report) add(rec record) {
	if r.json == nil || r.err != nil {
		return
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep "bound":">" readable
	err := enc.Encode(rec)
	if err == nil {
		_, err = r.json.Write(b.Bytes())
	}
	if err != nil {
		r.err = fmt.Errorf("write json: %w", err)
	}
}

// table prints t.
func (r *report) table(t table) {
	r.printf("%s\n", t.title)
	w := tabwriter.NewWriter(r.out, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	if len(t.header) > 0 {
		r.row(w, t.header)
		rule := make([]string, len(t.header))
		for i, h := range t.header {
			rule[i] = strings.Repeat("-", len(h))
		}
		r.row(w, rule)
	}
	for _, row := range t.rows {
		r.row(w, row)
	}
	if err := w.Flush(); err != nil && r.err == nil {
		r.err = err
	}
	for _, n := range t.notes {
		r.printf("%s\n", n)
	}
	r.printf("\n")
}

func (r *report) row(w io.Writer, cells []string) {
	if _, err := fmt.Fprintf(w, " %s \t\n", strings.Join(cells, " \t ")); err != nil && r.err == nil {
		r.err = err
	}
}

func (r *report) printf(format string, args ...any) {
	if _, err := fmt.Fprintf(r.out, format, args...); err != nil && r.err == nil {
		r.err = err
	}
}

// cpuModel returns the CPU model name from /proc/cpuinfo, or "unknown CPU".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// memTotal returns the machine's memory from /proc/meminfo, or "unknown".
func memTotal() string {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err == nil {
				return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	return "unknown"
}
