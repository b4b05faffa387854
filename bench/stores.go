package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The stores scenario measures Sundial itself on each store, as deployed:
// run history on (every fire recorded at its claim, its start and its
// end), every Config field at its default but ClaimBatch. The workloads
// are the burst and steady children, run on a store:
//
//   - burst: 10k one-shot jobs due at the same instant, at claim batches
//     of 100, 1000 (the default) and 10000;
//   - steady: 1k jobs each firing every whole second, for the window;
//   - spread: the same jobs with their fires spread evenly over each
//     second, a steady 1k fires/s.
//
// The memory store is the reference; SQLite (a temporary file) always
// runs; PostgreSQL, MySQL/MariaDB and Redis when their servers are named
// (storeServers). Each child run gets a fresh database or key prefix,
// made before it starts and removed after it exits.

var storesScenario = scenario{
	name:  "stores",
	about: "Sundial on each store, run history on: a 10k burst at claim batches 100/1000/10000, 1k jobs every second",
	run:   runStores,
}

// defaultClaimBatch is sundial.Config's default ClaimBatch; runs at the
// default pass none, so they follow the library.
const defaultClaimBatch = 1000

// storeClaimBatches are the claim batches the burst runs at; 0 is the
// default.
var storeClaimBatches = []int{100, 0, 10_000}

// storeKey names one child measurement of the stores scenario.
type storeKey struct {
	kind       string // "burst", "steady" or "spread"
	n          int
	store      string
	claimBatch int // 0: the default
}

// storeBurstMetrics and storeSteadyMetrics are the rows of the two
// tables: the burst and steady scenarios' own, the steady one with the
// fire rate first and without the CPU share (a store's server is not in
// the bench process).
var (
	storeBurstMetrics  = burstScenario.metrics
	storeSteadyMetrics = append([]metricSpec{{name: "fires_per_s", unit: "fires/s", better: higher}},
		slices.DeleteFunc(slices.Clone(steadyScenario.metrics), func(m metricSpec) bool { return m.name == "cpu_share" })...)
)

// storeNotes explain both tables.
var storeNotes = []string{
	"  Sundial as deployed: run history on (each fire recorded when claimed, started and finished), Config defaults (10 workers, MaxSleep 1s, LeaseTTL 30s) but ClaimBatch.",
	"  Each run has a fresh store: a temporary SQLite file, a database created for it (PostgreSQL, MySQL), a random key prefix (Redis); memory is the reference.",
	"  Lateness is the handler's start minus the scheduled time; CPU is the bench process's only (the database server's is not counted).",
}

func runStores(ctx context.Context, e *env, r *report) error {
	var servers []storeServer
	var skipped []string
	for _, s := range storeServers {
		if !slices.Contains(e.stores, s.name) {
			continue
		}
		if _, _, ok := s.lookup(); !ok {
			skipped = append(skipped, fmt.Sprintf("%s (set %s)", s.name, strings.Join(s.envs, " or ")))
			continue
		}
		servers = append(servers, s)
	}
	if len(servers) == 0 {
		r.printf("stores: no store selected has its server named (%s)\n\n", strings.Join(skipped, ", "))
		return nil
	}
	burstSizes, steadySizes := []int{10_000}, []int{1_000}
	if len(e.sizes) > 0 {
		burstSizes, steadySizes = e.sizes, e.sizes
	}
	for _, s := range servers {
		for _, n := range burstSizes {
			for _, cb := range storeClaimBatches {
				if err := ctx.Err(); err != nil {
					return err
				}
				e.runStoreChild(ctx, r, s, storeKey{kind: "burst", n: n, store: s.name, claimBatch: cb})
			}
		}
		for _, n := range steadySizes {
			if err := ctx.Err(); err != nil {
				return err
			}
			e.runStoreChild(ctx, r, s, storeKey{kind: "steady", n: n, store: s.name})
			e.runStoreChild(ctx, r, s, storeKey{kind: "spread", n: n, store: s.name})
		}
	}
	var notes []string
	if len(skipped) > 0 {
		notes = append(notes, "  Not measured, no server named: "+strings.Join(skipped, ", ")+".")
	}
	r.table(storeTable(e, servers, "burst", burstSizes, notes))
	r.table(storeTable(e, servers, "steady", steadySizes, notes))
	r.table(storeTable(e, servers, "spread", steadySizes, notes))
	return nil
}

// runStoreChild makes a fresh place on the store's server, measures one
// case in a child process, removes the place and records the result.
func (e *env) runStoreChild(ctx context.Context, r *report, s storeServer, k storeKey) {
	name := "sundial-" + s.name
	if k.claimBatch != 0 {
		name += "-claim" + strconv.Itoa(k.claimBatch)
	}
	res := &childResult{Scenario: "stores/" + k.kind, Peer: "sundial-" + s.name, N: k.n}
	env, v, _ := s.lookup()
	storeURL, drop, err := s.fresh(ctx, env, v)
	if err != nil {
		res.Err = err.Error()
		fmt.Fprintf(e.progress, "bench: stores/%s n=%d %s: error: %v\n", k.kind, k.n, name, err)
	} else {
		dur := e.storeDur
		if k.kind == "burst" {
			dur = e.dur // unused by burst; keeps the child's timeout short
		}
		res = e.runChildWith(ctx, childRun{
			scenario: "stores/" + k.kind, key: k.kind, peer: "sundial", name: name, n: k.n, dur: dur,
			extra: []string{"-store", storeURL, "-claim-batch", strconv.Itoa(k.claimBatch)},
		})
		// The child has exited: nothing holds the place any more.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), provisionTimeout)
		if err := drop(dctx); err != nil {
			fmt.Fprintf(e.progress, "bench: stores/%s n=%d %s: cleanup: %v\n", k.kind, k.n, name, err)
		}
		cancel()
	}
	if k.kind != "burst" && res.Err == "" && res.NA == "" {
		if f, ok := res.metric("fires"); ok {
			res.Metrics = append([]metric{{Name: "fires_per_s", Value: f.Value / float64(windowSeconds(e.storeDur)), Unit: "fires/s"}}, res.Metrics...)
		}
	}
	e.storeResults[k] = res
	cb := k.claimBatch
	if cb == 0 {
		cb = defaultClaimBatch
	}
	for _, m := range res.Metrics {
		r.add(record{Scenario: "stores/" + k.kind, N: k.n, Peer: "sundial-" + s.name, ClaimBatch: cb,
			Metric: m.Name, Value: m.Value, Unit: m.Unit, Bound: m.Bound})
	}
}

// claimBatchLabel prints a claim batch of the tables.
func claimBatchLabel(cb int) string {
	if cb == 0 {
		return strconv.Itoa(defaultClaimBatch) + " (default)"
	}
	return strconv.Itoa(cb)
}

// storeTable lays out one workload: a group of rows per size (and claim
// batch, for the burst), a row per metric, a column per store.
func storeTable(e *env, servers []storeServer, kind string, sizes []int, notes []string) table {
	t := table{header: []string{"n"}}
	metrics, batches := storeBurstMetrics, storeClaimBatches
	if kind == "burst" {
		t.title = "stores/burst: N one-shot jobs due at the same instant, Sundial on each store (run history on), by claim batch"
		t.header = append(t.header, "claim batch")
	} else {
		t.title = fmt.Sprintf("stores/steady: N jobs each firing every whole second (all on the same instant) for %s, Sundial on each store (run history on)", e.storeDur)
		if kind == "spread" {
			t.title = fmt.Sprintf("stores/spread: N jobs each firing every second, their fires spread evenly over the second (a steady N fires/s) for %s, Sundial on each store (run history on)", e.storeDur)
		}
		metrics, batches = storeSteadyMetrics, []int{0}
	}
	t.header = append(t.header, "metric")
	for _, s := range servers {
		t.header = append(t.header, s.name)
	}
	foot := footnotes{}
	for _, n := range sizes {
		for bi, cb := range batches {
			for mi, ms := range metrics {
				row := []string{""}
				if bi == 0 && mi == 0 {
					row[0] = countLabel(n)
				}
				if kind == "burst" {
					label := ""
					if mi == 0 {
						label = claimBatchLabel(cb)
					}
					row = append(row, label)
				}
				row = append(row, ms.name+" ("+ms.unit+")")
				for _, s := range servers {
					row = append(row, storeCell(e.storeResults[storeKey{kind, n, s.name, cb}], ms, mi == 0, s.name, &foot))
				}
				t.rows = append(t.rows, row)
			}
		}
	}
	t.notes = append(t.notes, foot.lines()...)
	t.notes = append(t.notes, notes...)
	t.notes = append(t.notes, storeNotes...)
	return t
}

// storeCell prints one figure, or why there is none; the first row of a
// group carries the run's notes.
func storeCell(res *childResult, ms metricSpec, first bool, store string, foot *footnotes) string {
	switch {
	case res == nil:
		return "—"
	case res.Err != "":
		return "error" + foot.mark(store+": "+res.Err)
	case res.NA != "":
		return "n/a" + foot.mark(store+": "+res.NA)
	}
	cell := "—"
	if m, ok := res.metric(ms.name); ok {
		cell = formatMetric(m)
	}
	if first {
		for _, note := range res.Notes {
			cell += foot.mark(store + ": " + note)
		}
	}
	return cell
}

// parseStores reads the -stores list.
func parseStores(list string) ([]string, error) {
	var out []string
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" || slices.Contains(out, name) {
			continue
		}
		if !slices.Contains(storeServerNames(), name) {
			return nil, fmt.Errorf("unknown store %q; known: %s", name, strings.Join(storeServerNames(), ", "))
		}
		out = append(out, name)
	}
	if len(out) == 0 {
		return nil, errors.New("no store selected")
	}
	return out, nil
}

// storeWindow is the steady window of the stores scenario: -dur when set,
// else 20 s, 10 s with -quick.
func storeWindow(quick bool, dur time.Duration) time.Duration {
	switch {
	case dur > 0:
		return dur
	case quick:
		return 10 * time.Second
	}
	return 20 * time.Second
}
