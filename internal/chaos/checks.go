package chaos

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Run statuses as the API writes them.
const (
	StatusSubmitted   = "submitted"
	StatusRunning     = "running"
	StatusSucceeded   = "succeeded"
	StatusFailed      = "failed"
	StatusTimeout     = "timeout"
	StatusMissed      = "missed"
	StatusSkipped     = "skipped"
	StatusInterrupted = "interrupted"
)

// fireKey identifies one fire: a job and a fire time.
type fireKey struct {
	job string
	at  int64 // Unix nanoseconds
}

func keyOf(job string, at time.Time) fireKey { return fireKey{job, at.UnixNano()} }

// Input is what a scenario hands the checker.
type Input struct {
	Jobs []JobDef
	// From and To bound the fire times whose fate is checked: [From, To).
	// Duplicates and early fires are looked for in every delivery.
	From, To   time.Time
	Deliveries []Delivery
	// Runs are the run records of (at least) the window's fires.
	Runs []RunRecord
	// AllowInterrupted accepts a fire that was never delivered because
	// its run was interrupted (a node killed or stopped while it ran).
	AllowInterrupted bool
	// EarlyTolerance is how much before its fire time a request may
	// arrive (clock reading noise); default 50ms.
	EarlyTolerance time.Duration
	// MaxExamples bounds the examples listed per kind; default 5.
	MaxExamples int
}

// Stats summarise a distribution of durations.
type Stats struct {
	N             int
	P50, P99, Max time.Duration
}

func (s Stats) String() string {
	if s.N == 0 {
		return "n=0"
	}
	return fmt.Sprintf("p50=%s p99=%s max=%s (n=%d)", round(s.P50), round(s.P99), round(s.Max), s.N)
}

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

// statsOf computes the stats of a sample (sorted in place).
func statsOf(xs []time.Duration) Stats {
	if len(xs) == 0 {
		return Stats{}
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	q := func(p float64) time.Duration {
		i := int(p*float64(len(xs))+0.5) - 1
		return xs[min(max(i, 0), len(xs)-1)]
	}
	return Stats{N: len(xs), P50: q(0.50), P99: q(0.99), Max: xs[len(xs)-1]}
}

// Result is what the checker found.
type Result struct {
	Expected  int // fires due in the window
	Delivered int // of those, delivered at least once
	// Duplicates are fires delivered more than once or under more than one
	// run id (every delivery counts, not only the window's).
	Duplicates int
	// Reruns are the second deliveries, under the same run id, of runs of
	// jobs with recovery "retry": run again after their node was lost.
	Reruns []Delivery
	// StoreDuplicates are fires with more than one run record of the same
	// attempt.
	StoreDuplicates int
	// Allowed counts undelivered fires by the rule that allows them
	// ("folded by coalesce", "missed past misfire_grace_time", …).
	Allowed map[string]int
	// Misses are undelivered fires no rule allows.
	Misses int
	// RuleBreaks are run records that contradict the misfire rules.
	RuleBreaks int
	Early      int // requests that arrived before their fire time
	Overlaps   int // runs of a max_instances 1 job that overlapped
	Lateness   Stats
	// Latest are the latest deliveries of the window (up to 3).
	Latest []string
	// Share counts the window's executed runs by node.
	Share map[string]int
	// Violations are examples of everything above that is wrong, by kind.
	Violations map[string][]string
	violations int
}

// OK reports whether nothing was wrong.
func (r *Result) OK() bool { return r.violations == 0 }

func (r *Result) violate(kind string, max int, format string, args ...any) {
	r.violations++
	if len(r.Violations[kind]) < max {
		r.Violations[kind] = append(r.Violations[kind], fmt.Sprintf(format, args...))
	}
}

// MaxShare is the largest fraction of executed runs one node took, and
// that node.
func (r *Result) MaxShare() (string, float64) {
	total, best, bestN := 0, "", 0
	for n, c := range r.Share {
		total += c
		if c > bestN || c == bestN && n < best {
			best, bestN = n, c
		}
	}
	if total == 0 {
		return "", 0
	}
	return best, float64(bestN) / float64(total)
}

// executed reports whether a status means the fire was handed to a task.
func executed(status string) bool {
	switch status {
	case StatusMissed, StatusSkipped:
		return false
	}
	return true
}

// Check compares what happened with what the jobs' triggers and misfire
// rules say should have.
func Check(in Input) *Result {
	if in.EarlyTolerance == 0 {
		in.EarlyTolerance = 50 * time.Millisecond
	}
	if in.MaxExamples == 0 {
		in.MaxExamples = 5
	}
	ex := in.MaxExamples
	r := &Result{Allowed: map[string]int{}, Share: map[string]int{}, Violations: map[string][]string{}}
	jobs := map[string]JobDef{}
	for _, j := range in.Jobs {
		jobs[j.ID] = j
	}

	// Deliveries by fire: duplicates, early arrivals, bad requests.
	delivered := map[fireKey][]Delivery{}
	byJob := map[string][]Delivery{}
	for _, d := range in.Deliveries {
		if d.Bad != "" {
			r.violate("bad request", ex, "job %q run %q: %s", d.JobID, d.RunID, d.Bad)
			continue
		}
		k := keyOf(d.JobID, d.Scheduled)
		delivered[k] = append(delivered[k], d)
		byJob[d.JobID] = append(byJob[d.JobID], d)
		if d.Arrived.Before(d.Scheduled.Add(-in.EarlyTolerance)) {
			r.Early++
			r.violate("early", ex, "%s fire %s arrived %s early (run %s)", d.JobID, stamp(d.Scheduled), round(d.Scheduled.Sub(d.Arrived)), d.RunID)
		}
	}
	for k, ds := range delivered {
		ids := map[string]bool{}
		for _, d := range ds {
			ids[d.RunID] = true
		}
		if len(ds) == 2 && len(ids) == 1 && jobs[k.job].Recovery == "retry" {
			r.Reruns = append(r.Reruns, ds[1])
			continue
		}
		if len(ds) > 1 {
			r.Duplicates++
			var runs []string
			for _, d := range ds {
				runs = append(runs, d.RunID+"@"+d.Arrived.UTC().Format("15:04:05.000"))
			}
			r.violate("duplicate", ex, "%s fire %s delivered %d times, %d run ids: %s", k.job, stamp(time.Unix(0, k.at)), len(ds), len(ids), strings.Join(runs, ", "))
		}
	}

	// Run records by fire (fires of manual runs do not count).
	records := map[fireKey][]RunRecord{}
	recordsByJob := map[string][]RunRecord{}
	for _, rec := range in.Runs {
		if rec.Manual {
			continue
		}
		k := keyOf(rec.JobID, rec.ScheduledAt)
		records[k] = append(records[k], rec)
		recordsByJob[rec.JobID] = append(recordsByJob[rec.JobID], rec)
	}
	for k, rs := range records {
		seen := map[int]string{}
		for _, rec := range rs {
			if prev, dup := seen[rec.Attempt]; dup {
				r.StoreDuplicates++
				r.violate("store duplicate", ex, "%s fire %s attempt %d recorded twice: runs %s and %s", k.job, stamp(time.Unix(0, k.at)), rec.Attempt, prev, rec.ID)
			}
			seen[rec.Attempt] = rec.ID
		}
	}

	// The misfire rules, record by record.
	for _, rec := range in.Runs {
		j, ok := jobs[rec.JobID]
		if !ok || rec.Manual || rec.Attempt != 1 {
			continue
		}
		late := rec.CreatedAt.Sub(rec.ScheduledAt)
		switch {
		case j.Grace == nil && rec.Status == StatusMissed:
			r.RuleBreaks++
			r.violate("misfire rule", ex, "%s fire %s recorded missed, but the job has no misfire_grace_time", rec.JobID, stamp(rec.ScheduledAt))
		case j.Grace != nil && rec.Status == StatusMissed && late <= *j.Grace+time.Millisecond:
			r.RuleBreaks++
			r.violate("misfire rule", ex, "%s fire %s recorded missed when claimed %s late, within its grace time %s", rec.JobID, stamp(rec.ScheduledAt), round(late), *j.Grace)
		case j.Grace != nil && rec.Status != StatusMissed && rec.Status != StatusSkipped && late > *j.Grace+time.Millisecond:
			r.RuleBreaks++
			r.violate("misfire rule", ex, "%s fire %s run (%s) although claimed %s late, past its grace time %s", rec.JobID, stamp(rec.ScheduledAt), rec.Status, round(late), *j.Grace)
		}
	}

	// Folded fires: a record with coalesced = k stands for the k fires of
	// its trigger before it, which must have no record of their own.
	folded := map[fireKey]bool{}
	for _, rec := range in.Runs {
		j, ok := jobs[rec.JobID]
		if !ok || rec.Coalesced == 0 || rec.Manual {
			continue
		}
		if !j.coalesces() {
			// Without coalesce a backlog is only folded beyond 10,000 fires.
			r.RuleBreaks++
			r.violate("misfire rule", ex, "%s fire %s folds %d fires, but the job does not coalesce", rec.JobID, stamp(rec.ScheduledAt), rec.Coalesced)
		}
		at := rec.ScheduledAt
		for i := 0; i < rec.Coalesced; i++ {
			at = at.Add(-j.Interval)
			k := keyOf(j.ID, at)
			if len(records[k]) > 0 {
				r.RuleBreaks++
				r.violate("misfire rule", ex, "%s fire %s folds %d fires, but the folded fire %s has a record of its own (%s)", rec.JobID, stamp(rec.ScheduledAt), rec.Coalesced, stamp(at), records[k][0].Status)
				break
			}
			folded[k] = true
		}
	}

	// The fate of every fire due in the window.
	var late []time.Duration
	for _, j := range in.Jobs {
		for _, at := range j.Fires(in.From, in.To) {
			r.Expected++
			k := keyOf(j.ID, at)
			if ds := delivered[k]; len(ds) > 0 {
				r.Delivered++
				late = append(late, ds[0].Lateness())
				continue
			}
			reason, ok := r.classify(j, at, records[k], folded[k], in.AllowInterrupted)
			if ok {
				r.Allowed[reason]++
				continue
			}
			r.Misses++
			r.violate("miss", ex, "%s fire %s: %s", j.ID, stamp(at), reason)
		}
	}
	r.Lateness = statsOf(late)
	r.Latest = latest(in.Deliveries, in.From, in.To, 3)

	// Who ran the window's fires.
	for _, rec := range in.Runs {
		if rec.Manual || !executed(rec.Status) || rec.ScheduledAt.Before(in.From) || !rec.ScheduledAt.Before(in.To) {
			continue
		}
		if _, ok := jobs[rec.JobID]; ok {
			r.Share[rec.Node]++
		}
	}

	// Overlaps of jobs that allow one instance, as the sink saw them.
	for _, j := range in.Jobs {
		if j.MaxInstances > 1 {
			continue
		}
		ds := byJob[j.ID]
		sort.Slice(ds, func(a, b int) bool { return ds[a].Arrived.Before(ds[b].Arrived) })
		for i := 1; i < len(ds); i++ {
			if prev := ds[i-1]; ds[i].Arrived.Before(prev.End) {
				r.Overlaps++
				r.violate("overlap", ex, "%s: run %s (fire %s) started at %s while run %s (fire %s) ran until %s",
					j.ID, ds[i].RunID, stamp(ds[i].Scheduled), clock(ds[i].Arrived), prev.RunID, stamp(prev.Scheduled), clock(prev.End))
			}
		}
	}
	return r
}

// classify says why a fire was not delivered, and whether the job's rules
// allow it.
func (r *Result) classify(j JobDef, at time.Time, recs []RunRecord, folded, allowInterrupted bool) (string, bool) {
	if len(recs) == 0 {
		if folded {
			return "folded by coalesce", true
		}
		return "no delivery and no run record", false
	}
	rec := recs[0]
	switch rec.Status {
	case StatusMissed:
		// Whether it was right to miss it is the misfire rule check's.
		return "recorded missed (past misfire_grace_time)", true
	case StatusSkipped:
		if strings.Contains(rec.Reason, "max_instances") {
			return "recorded skipped (max_instances)", true
		}
		return "recorded skipped: " + rec.Reason, false
	case StatusInterrupted:
		if allowInterrupted {
			return "recorded interrupted (its node was lost)", true
		}
		return fmt.Sprintf("recorded interrupted on %s: %s", rec.Node, rec.Reason), false
	}
	return fmt.Sprintf("recorded %s on %s (run %s) but never delivered", rec.Status, rec.Node, rec.ID), false
}

// stamp formats a fire time briefly.
func stamp(t time.Time) string { return t.UTC().Format("15:04:05.000") }

// clock formats an instant briefly.
func clock(t time.Time) string { return t.UTC().Format("15:04:05.000") }

// latest describes the n latest deliveries of fires due in [from, to).
func latest(ds []Delivery, from, to time.Time, n int) []string {
	var in []Delivery
	for _, d := range ds {
		if d.Bad == "" && !d.Scheduled.Before(from) && d.Scheduled.Before(to) {
			in = append(in, d)
		}
	}
	sort.Slice(in, func(i, j int) bool { return in[i].Lateness() > in[j].Lateness() })
	var out []string
	for _, d := range in[:min(n, len(in))] {
		out = append(out, fmt.Sprintf("%s fire %s arrived %s late (run %s)", d.JobID, stamp(d.Scheduled), round(d.Lateness()), d.RunID))
	}
	return out
}
