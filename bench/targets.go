package main

import "slices"

// target is one of Sundial's performance targets: either a ratio against
// robfig/cron (oriented so that > 1 means Sundial is better) of at least
// min, or an absolute figure of Sundial's within a limit.
type target struct {
	what   string
	key    string
	metric metricSpec
	// vsRobfig: the ratio against robfig must be at least limit;
	// otherwise Sundial's value must be at most limit (better lower) or at
	// least limit (better higher).
	vsRobfig bool
	limit    float64
	// size is the size the issue states the target at; 0 for every size.
	size int
}

// targets are the targets for Sundial with the memory store.
var targets = []target{
	{what: "add before start ≥ 3× faster than robfig", key: "add/before-start", metric: metricSpec{"ns_per_job", "ns", lower}, vsRobfig: true, limit: 3},
	{what: "add before start: no more heap bytes/job than robfig", key: "add/before-start", metric: metricSpec{"heap_bytes_per_job", "B", lower}, vsRobfig: true, limit: 1},
	{what: "add while running ≥ 20× faster than robfig", key: "add/running", metric: metricSpec{"ns_per_job", "ns", lower}, vsRobfig: true, limit: 20},
	{what: "burst ≥ 3M fires/s", key: "burst", metric: metricSpec{"fires_per_s", "fires/s", higher}, limit: 3e6, size: 100_000},
	{what: "burst lateness p99 ≤ 35 ms", key: "burst", metric: metricSpec{"lateness_p99", "ms", lower}, limit: 35, size: 100_000},
	{what: "burst: nothing dropped", key: "burst", metric: metricSpec{"dropped", "jobs", lower}, limit: 0, size: 100_000},
	{what: "steady: no fire missed", key: "steady", metric: metricSpec{"missed", "fires", lower}, limit: 0, size: 100_000},
	{what: "steady: no fire duplicated", key: "steady", metric: metricSpec{"duplicated", "fires", lower}, limit: 0, size: 100_000},
	{what: "steady lateness p99 ≤ 20 ms", key: "steady", metric: metricSpec{"lateness_p99", "ms", lower}, limit: 20, size: 100_000},
	{what: "steady ≤ 0.35 ms CPU per 1,000 fires", key: "steady", metric: metricSpec{"cpu_per_1000_fires", "ms", lower}, limit: 0.35, size: 100_000},
	{what: "sparse ≤ 0.1% of a core", key: "sparse", metric: metricSpec{"cpu_share", "% of a core", lower}, limit: 0.1, size: 1_000_000},
	{what: "idle ≈ 0 CPU (≤ 0.05% of a core)", key: "idle", metric: metricSpec{"cpu_share", "% of a core", lower}, limit: 0.05},
}

// targetTable checks the targets against the results of this run, at every
// size measured. It returns false when there is nothing to check.
func targetTable(e *env) (table, bool) {
	t := table{
		title:  "targets: Sundial (memory store) against the issue's targets, from the runs above",
		header: []string{"target", "n", "sundial", "robfig", "measured", "required", "met"},
	}
	for _, tg := range targets {
		var sizes []int
		for k := range e.results {
			if k.key == tg.key && k.peer == "sundial" && !slices.Contains(sizes, k.n) {
				sizes = append(sizes, k.n)
			}
		}
		slices.Sort(sizes)
		for _, n := range sizes {
			s := e.results[resultKey{tg.key, n, "sundial"}]
			rb := e.results[resultKey{tg.key, n, "robfig"}]
			sm, ok := s.metric(tg.metric.name)
			if !ok {
				continue
			}
			label := countLabel(n)
			if tg.size != 0 && n != tg.size {
				label += " (issue: " + countLabel(tg.size) + ")"
			}
			row := []string{tg.what, label, formatMetric(sm) + " " + tg.metric.unit, "", "", "", ""}
			if rm, ok := rb.metric(tg.metric.name); ok {
				row[3] = formatMetric(rm) + " " + tg.metric.unit
			}
			if tg.vsRobfig {
				v, bound, ok := ratio(tg.metric, s, rb)
				if !ok {
					row[4], row[6] = "no robfig figure", "?"
				} else {
					row[4] = bound + formatRatio(v) + "×"
					row[6] = verdict(v >= tg.limit, bound, true)
				}
				row[5] = "≥ " + formatRatio(tg.limit) + "×"
			} else {
				row[4] = formatMetric(sm) + " " + tg.metric.unit
				var met bool
				if tg.metric.better == higher {
					met = sm.Value >= tg.limit
					row[5] = "≥ " + formatNumber(tg.limit)
				} else {
					met = sm.Value <= tg.limit
					row[5] = "≤ " + formatNumber(tg.limit)
				}
				row[6] = verdict(met, sm.Bound, tg.metric.better == higher)
			}
			t.rows = append(t.rows, row)
		}
	}
	if len(t.rows) == 0 {
		return t, false
	}
	t.notes = append(t.notes,
		"  The issue states the burst and steady targets at 100k jobs, sparse at 1M; other sizes are shown for context.",
		"  met: yes or NO; \"?\" when a capped (lower-bound) figure cannot decide it. Sizes measured with -quick are smaller than the issue's.",
	)
	return t, true
}

// verdict prints whether a target is met. bound is ">" or "<" when the
// measured value is a bound; higherOK says whether a larger value helps.
func verdict(met bool, bound string, higherOK bool) string {
	if bound != "" {
		// A lower bound that already meets a "higher is better" target, or
		// an upper bound that meets a "lower is better" one, decides it.
		decides := (bound == ">") == higherOK
		if met && decides {
			return "yes"
		}
		if !met && !decides {
			return "NO"
		}
		return "?"
	}
	if met {
		return "yes"
	}
	return "NO"
}

// storeTarget is one of the targets for Sundial on durable stores
// (issue 4), checked per store at the default claim batch.
type storeTarget struct {
	what   string
	kind   string // "burst", "steady" or "spread"
	stores []string
	metric metricSpec
	limit  float64
	// strict: the value must be below (or above) limit, not equal to it.
	strict bool
	size   int // the size the issue states the target at
}

// durableStores are the stores the per-store targets apply to.
var durableStores = []string{"sqlite", "postgres", "mysql", "redis"}

var storeTargets = []storeTarget{
	{what: "burst ≥ 5,000 fires/s", kind: "burst", stores: []string{"sqlite", "postgres"},
		metric: metricSpec{"fires_per_s", "fires/s", higher}, limit: 5000, size: 10_000},
	{what: "steady 1k fires/s, spread: lateness p99 < 50 ms", kind: "spread", stores: durableStores,
		metric: metricSpec{"lateness_p99", "ms", lower}, limit: 50, strict: true, size: 1_000},
	{what: "1k fires on each whole second: lateness p99 < 50 ms", kind: "steady", stores: durableStores,
		metric: metricSpec{"lateness_p99", "ms", lower}, limit: 50, strict: true, size: 1_000},
}

// storeTargetTable checks the durable store targets against the
// stores scenario's runs. It returns false when there is nothing to check.
func storeTargetTable(e *env) (table, bool) {
	t := table{
		title:  "targets (issue 4): Sundial on durable stores, run history on, default claim batch, from the runs above",
		header: []string{"target", "store", "n", "measured", "required", "met"},
	}
	for _, tg := range storeTargets {
		for _, st := range tg.stores {
			var sizes []int
			for k := range e.storeResults {
				if k.kind == tg.kind && k.store == st && k.claimBatch == 0 && !slices.Contains(sizes, k.n) {
					sizes = append(sizes, k.n)
				}
			}
			slices.Sort(sizes)
			for _, n := range sizes {
				res := e.storeResults[storeKey{tg.kind, n, st, 0}]
				label := countLabel(n)
				if n != tg.size {
					label += " (issue: " + countLabel(tg.size) + ")"
				}
				row := []string{tg.what, st, label, "", "", ""}
				op := map[bool]string{true: "≥ ", false: "≤ "}[tg.metric.better == higher]
				if tg.strict {
					op = map[bool]string{true: "> ", false: "< "}[tg.metric.better == higher]
				}
				row[4] = op + formatNumber(tg.limit) + " " + tg.metric.unit
				m, ok := res.metric(tg.metric.name)
				switch {
				case res.Err != "" || res.NA != "":
					row[3], row[5] = "no figure (see above)", "?"
				case !ok:
					row[3], row[5] = "no figure", "?"
				default:
					row[3] = formatMetric(m) + " " + tg.metric.unit
					row[5] = verdict(tg.met(m.Value), m.Bound, tg.metric.better == higher)
				}
				t.rows = append(t.rows, row)
			}
		}
	}
	if len(t.rows) == 0 {
		return t, false
	}
	t.notes = append(t.notes,
		"  The issue states the burst target at 10k jobs and the steady one at 1k jobs firing every second; other sizes are shown for context.",
		"  met: yes or NO; \"?\" when the run gave no figure or a capped (lower-bound) one cannot decide it.",
	)
	return t, true
}

// met says whether a value meets the target.
func (tg storeTarget) met(v float64) bool {
	switch {
	case tg.metric.better == higher && tg.strict:
		return v > tg.limit
	case tg.metric.better == higher:
		return v >= tg.limit
	case tg.strict:
		return v < tg.limit
	}
	return v <= tg.limit
}
