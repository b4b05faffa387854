package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/robfig/cron/v3"

	"github.com/sundial-scheduler/sundial/trigger"
)

// The next scenario: the cost of computing the fire time after the previous
// one, for 5-field crontab expressions that Sundial (standard dialect) and
// robfig/cron (ParseStandard) read the same way.

type nextCase struct {
	name string
	expr string
	zone string // IANA name; "" is UTC
	// known explains a difference between the peers in the first
	// agreeFires fire times; it lies after nextUntil, outside the walks.
	known string
}

var nextCases = []nextCase{
	{name: "every-minute", expr: "* * * * *"},
	{name: "business-hours", expr: "*/5 9-17 * * mon-fri"},
	{name: "yearly", expr: "0 0 1 1 *"},
	{name: "leap-day", expr: "0 0 29 2 *",
		known: "robfig gives up after five years without a match: nothing after 2096-02-29 (2100 is not a leap year)"},
	{name: "berlin-0230", expr: "30 2 * * *", zone: "Europe/Berlin"},
	{name: "sunday-noon", expr: "0 12 * * 0"},
	{name: "twice-monthly", expr: "15 10 1,15 * *"},
}

var (
	// nextFrom is where every walk and the agreement check start.
	nextFrom = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// nextUntil ends a walk's cycle: a fire time after it sends the walk
	// back to nextFrom, so yearly expressions stay in years the zone files
	// list transitions for, and both peers walk the same times.
	nextUntil = time.Date(2037, 12, 31, 23, 59, 59, 0, time.UTC)
)

// agreeFires is how many fire times the agreement check compares.
const agreeFires = 50

// label is how a case is shown in tables.
func (c nextCase) label() string {
	if c.zone == "" {
		return c.expr
	}
	return c.expr + " (" + c.zone + ")"
}

func (c nextCase) location() (*time.Location, error) {
	if c.zone == "" {
		return time.UTC, nil
	}
	return time.LoadLocation(c.zone)
}

// sundial builds Sundial's trigger for the case.
func (c nextCase) sundial() (*trigger.CrontabTrigger, error) {
	loc, err := c.location()
	if err != nil {
		return nil, err
	}
	return trigger.NewCrontab(c.expr, loc)
}

// robfig builds robfig/cron's schedule for the case, in the same zone.
func (c nextCase) robfig() (cron.Schedule, error) {
	zone := c.zone
	if zone == "" {
		zone = "UTC"
	}
	return cron.ParseStandard("CRON_TZ=" + zone + " " + c.expr)
}

// sundialNext and robfigNext are one step of a walk: the fire time after
// prev, or from again when the schedule is done or past nextUntil. The
// benchmarks time exactly these.
func sundialNext(t *trigger.CrontabTrigger, prev time.Time) time.Time {
	next, ok := t.Next(prev)
	if !ok || next.After(nextUntil) {
		return nextFrom
	}
	return next
}

func robfigNext(s cron.Schedule, prev time.Time) time.Time {
	next := s.Next(prev)
	if next.IsZero() || next.After(nextUntil) {
		return nextFrom
	}
	return next
}

// benchSundial and benchRobfig measure the steady state of a walk.
func benchSundial(b *testing.B, t *trigger.CrontabTrigger) {
	b.ReportAllocs()
	prev := nextFrom
	for b.Loop() {
		prev = sundialNext(t, prev)
	}
}

func benchRobfig(b *testing.B, s cron.Schedule) {
	b.ReportAllocs()
	prev := nextFrom
	for b.Loop() {
		prev = robfigNext(s, prev)
	}
}

// agreement compares the first n fire times after from of both peers, and
// none after until (zero: no limit), and returns "agree" or the first
// difference.
func (c nextCase) agreement(from time.Time, n int, until time.Time) (string, error) {
	st, err := c.sundial()
	if err != nil {
		return "", fmt.Errorf("sundial %q: %w", c.expr, err)
	}
	rs, err := c.robfig()
	if err != nil {
		return "", fmt.Errorf("robfig %q: %w", c.expr, err)
	}
	loc := st.Location()
	sp, rp := from, from
	for i := 1; i <= n; i++ {
		sn, ok := st.Next(sp)
		rn := rs.Next(rp)
		if !until.IsZero() && (!ok || sn.After(until)) && (rn.IsZero() || rn.After(until)) {
			break
		}
		if !ok || rn.IsZero() || !sn.Equal(rn) {
			return fmt.Sprintf("fire %d differs: sundial %s, robfig %s", i, fireText(sn, ok, loc), fireText(rn, !rn.IsZero(), loc)), nil
		}
		sp, rp = sn, rn
	}
	return "agree", nil
}

func fireText(t time.Time, ok bool, loc *time.Location) string {
	if !ok {
		return "none"
	}
	return t.In(loc).Format(time.RFC3339)
}

// dstWindows are extra agreement windows for zoned cases: the fire times
// across the 2026 transitions of Europe/Berlin. They are reported as notes,
// not in the agree column, since the peers may differ there by design.
var dstWindows = []struct {
	what string
	from time.Time
}{
	{"spring-forward 2026-03-29", time.Date(2026, 3, 25, 0, 0, 0, 0, time.UTC)},
	{"fall-back 2026-10-25", time.Date(2026, 10, 21, 0, 0, 0, 0, time.UTC)},
}

// dstFires is how many fire times a DST window compares.
const dstFires = 10

// nextFigures is the median of several runs of one peer on one case.
type nextFigures struct {
	ns, allocs, bytes float64
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func perOp(r testing.BenchmarkResult) nextFigures {
	n := float64(max(r.N, 1))
	return nextFigures{
		ns:     float64(r.T.Nanoseconds()) / n,
		allocs: float64(r.MemAllocs) / n,
		bytes:  float64(r.MemBytes) / n,
	}
}

func medianOf(runs []nextFigures) nextFigures {
	var ns, allocs, bytes []float64
	for _, f := range runs {
		ns, allocs, bytes = append(ns, f.ns), append(allocs, f.allocs), append(bytes, f.bytes)
	}
	return nextFigures{ns: median(ns), allocs: median(allocs), bytes: median(bytes)}
}

func runNext(ctx context.Context, e *env, r *report) error {
	t := table{
		title: fmt.Sprintf("next: Next(prev) walking fire times from %s (5-field crontab; robfig/cron v3 ParseStandard)", nextFrom.Format("2006-01-02")),
		header: []string{"expression", "sundial ns/op", "robfig ns/op", "ratio robfig/sundial",
			"sundial allocs/op", "robfig allocs/op", fmt.Sprintf("first %d fires", agreeFires)},
	}
	for _, c := range nextCases {
		st, err := c.sundial()
		if err != nil {
			return fmt.Errorf("sundial %q: %w", c.expr, err)
		}
		rs, err := c.robfig()
		if err != nil {
			return fmt.Errorf("robfig %q: %w", c.expr, err)
		}
		agree, err := c.agreement(nextFrom, agreeFires, time.Time{})
		if err != nil {
			return err
		}

		// Interleave the peers' runs so that drift in the machine's speed
		// affects both alike.
		var sRuns, rRuns []nextFigures
		for range e.runs {
			if err := ctx.Err(); err != nil {
				return err
			}
			sRuns = append(sRuns, perOp(testing.Benchmark(func(b *testing.B) { benchSundial(b, st) })))
			rRuns = append(rRuns, perOp(testing.Benchmark(func(b *testing.B) { benchRobfig(b, rs) })))
		}
		s, rb := medianOf(sRuns), medianOf(rRuns)

		t.rows = append(t.rows, []string{
			c.label(),
			strconv.FormatFloat(s.ns, 'f', 1, 64),
			strconv.FormatFloat(rb.ns, 'f', 1, 64),
			strconv.FormatFloat(rb.ns/s.ns, 'f', 2, 64),
			countText(s.allocs),
			countText(rb.allocs),
			agree,
		})
		for _, p := range []struct {
			peer string
			f    nextFigures
		}{{"sundial", s}, {"robfig", rb}} {
			scen := "next/" + c.name
			r.add(record{Scenario: scen, N: e.runs, Peer: p.peer, Metric: "ns_per_op", Value: p.f.ns, Unit: "ns"})
			r.add(record{Scenario: scen, N: e.runs, Peer: p.peer, Metric: "allocs_per_op", Value: p.f.allocs, Unit: "allocs"})
			r.add(record{Scenario: scen, N: e.runs, Peer: p.peer, Metric: "bytes_per_op", Value: p.f.bytes, Unit: "B"})
		}

		if agree != "agree" && c.known != "" {
			t.notes = append(t.notes, fmt.Sprintf("  %s: %s.", c.label(), c.known))
		}
		if c.zone != "" {
			for _, w := range dstWindows {
				d, err := c.agreement(w.from, dstFires, time.Time{})
				if err != nil {
					return err
				}
				t.notes = append(t.notes, fmt.Sprintf("  %s across %s (%d fires from %s): %s",
					c.label(), w.what, dstFires, w.from.Format("2006-01-02"), d))
			}
		}
	}
	t.notes = append(t.notes,
		fmt.Sprintf("  ns/op and allocs/op: median of %d testing.Benchmark runs per peer; ratio > 1 means Sundial is faster.", e.runs),
		fmt.Sprintf("  Each op is Next on the previous fire time; the walk restarts at %s after %s.", nextFrom.Format("2006-01-02"), nextUntil.Format("2006-01-02")))
	r.table(t)
	return nil
}

// countText prints a per-op count truncated to a whole number, as go test
// prints allocs/op (the JSON output keeps the fraction).
func countText(v float64) string {
	return strconv.FormatInt(int64(v), 10)
}
