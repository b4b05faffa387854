package chaos

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Report is one scenario run's outcome: the checker's result, the facts
// the scenario measured itself (Notes) and the assertions it failed
// (Failures).
type Report struct {
	Scenario string
	Backend  string
	Nodes    int
	Jobs     int
	Window   time.Duration
	Result   *Result
	Notes    []string
	Failures []string
}

// Note records a measured fact.
func (rp *Report) Note(format string, args ...any) {
	rp.Notes = append(rp.Notes, fmt.Sprintf(format, args...))
}

// Fail records a failed assertion of the scenario's own.
func (rp *Report) Fail(format string, args ...any) {
	rp.Failures = append(rp.Failures, fmt.Sprintf(format, args...))
}

// Failed reports whether anything was wrong.
func (rp *Report) Failed() bool {
	return len(rp.Failures) > 0 || rp.Result != nil && !rp.Result.OK()
}

// Verdict is PASS or FAIL.
func (rp *Report) Verdict() string {
	if rp.Failed() {
		return "FAIL"
	}
	return "PASS"
}

// String is the report in full, for the test log.
func (rp *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "chaos report: %s on %s — %s\n", rp.Scenario, rp.Backend, rp.Verdict())
	fmt.Fprintf(&b, "  %d nodes, %d jobs, window %s\n", rp.Nodes, rp.Jobs, rp.Window.Round(time.Millisecond))
	if r := rp.Result; r != nil {
		fmt.Fprintf(&b, "  fires expected %d, delivered %d, duplicates %d (store %d), misses %d, misfire-rule breaks %d, early %d, overlaps %d\n",
			r.Expected, r.Delivered, r.Duplicates, r.StoreDuplicates, r.Misses, r.RuleBreaks, r.Early, r.Overlaps)
		if len(r.Reruns) > 0 {
			fmt.Fprintf(&b, "  runs of recovery-retry jobs run again under their id after their node was lost: %d\n", len(r.Reruns))
		}
		if len(r.Allowed) > 0 {
			fmt.Fprintf(&b, "  not delivered, as the rules allow: %s\n", countList(r.Allowed))
		}
		fmt.Fprintf(&b, "  lateness %s\n", r.Lateness)
		if r.Lateness.Max > time.Second {
			fmt.Fprintf(&b, "  latest: %s\n", strings.Join(r.Latest, "; "))
		}
		if len(r.Share) > 0 {
			node, share := r.MaxShare()
			fmt.Fprintf(&b, "  runs per node: %s (largest share %s %.0f%%)\n", countList(r.Share), node, 100*share)
		}
		kinds := make([]string, 0, len(r.Violations))
		for k := range r.Violations {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			fmt.Fprintf(&b, "  %s, e.g.:\n", k)
			for _, v := range r.Violations[k] {
				fmt.Fprintf(&b, "    %s\n", v)
			}
		}
	}
	for _, n := range rp.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	for _, f := range rp.Failures {
		fmt.Fprintf(&b, "  FAILED: %s\n", f)
	}
	return strings.TrimRight(b.String(), "\n")
}

// countList renders counts as "a=1 b=2", sorted by key.
func countList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

// tableHeader is the header of Row's table.
const tableHeader = "| scenario | backend | nodes | jobs | window | expected | delivered | dup | store dup | misses | rule breaks | early | overlaps | lateness p50 / p99 / max | max share | verdict |\n" +
	"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"

// Row is the report as a row of a Markdown table.
func (rp *Report) Row() string {
	r := rp.Result
	if r == nil {
		r = &Result{}
	}
	node, share := r.MaxShare()
	sh := "-"
	if node != "" {
		sh = fmt.Sprintf("%s %.0f%%", node, 100*share)
	}
	return fmt.Sprintf("| %s | %s | %d | %d | %s | %d | %d | %d | %d | %d | %d | %d | %d | %s / %s / %s | %s | %s |",
		rp.Scenario, rp.Backend, rp.Nodes, rp.Jobs, rp.Window.Round(time.Second), r.Expected, r.Delivered, r.Duplicates, r.StoreDuplicates,
		r.Misses, r.RuleBreaks, r.Early, r.Overlaps, round(r.Lateness.P50), round(r.Lateness.P99), round(r.Lateness.Max), sh, rp.Verdict())
}

var reportMu sync.Mutex

// Emit logs the report, appends it to SUNDIAL_CHAOS_REPORT (when set) and,
// in the long form, prints its table row to standard output; then it
// fails the test if anything was wrong.
func (rp *Report) Emit(t *testing.T) {
	t.Helper()
	text := rp.String()
	t.Log("\n" + text)
	reportMu.Lock()
	if path := os.Getenv("SUNDIAL_CHAOS_REPORT"); path != "" {
		if f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
			fmt.Fprintf(f, "%s\n%s\n\n", rp.Row(), text)
			f.Close()
		}
	}
	if Long() {
		fmt.Printf("%s\n%s\n", tableHeader, rp.Row())
	}
	reportMu.Unlock()
	if rp.Failed() {
		var why []string
		if r := rp.Result; r != nil && !r.OK() {
			for k, v := range r.Violations {
				why = append(why, fmt.Sprintf("%s (%d listed)", k, len(v)))
			}
			sort.Strings(why)
		}
		why = append(why, rp.Failures...)
		t.Errorf("%s on %s failed: %s", rp.Scenario, rp.Backend, strings.Join(why, "; "))
	}
}
