package chaos

import (
	"strings"
	"testing"
	"time"
)

// t0 is a whole second the checker tests count from.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func sec(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Second))) }

// deliver is a delivery of job's fire at t0+at, arriving late seconds later.
func deliver(job string, at, late float64, run string) Delivery {
	return Delivery{JobID: job, Scheduled: sec(at), RunID: run, Arrived: sec(at + late), End: sec(at + late + 0.01)}
}

func record(job string, at float64, status string, created float64) RunRecord {
	return RunRecord{ID: job + "@" + sec(at).Format("05"), JobID: job, ScheduledAt: sec(at), Attempt: 1, Status: status, CreatedAt: sec(created), Node: "n1"}
}

func TestCheckCleanRun(t *testing.T) {
	job := JobDef{ID: "a", Interval: time.Second, Start: t0}
	var ds []Delivery
	var rs []RunRecord
	for i := range 10 {
		ds = append(ds, deliver("a", float64(i), 0.1, "r"+itoa(i)))
		rs = append(rs, record("a", float64(i), StatusSucceeded, float64(i)))
	}
	r := Check(Input{Jobs: []JobDef{job}, From: t0, To: sec(10), Deliveries: ds, Runs: rs})
	if !r.OK() || r.Expected != 10 || r.Delivered != 10 {
		t.Fatalf("clean run: ok=%v expected=%d delivered=%d violations=%v", r.OK(), r.Expected, r.Delivered, r.Violations)
	}
	if r.Lateness.P50 != 100*time.Millisecond || r.Lateness.Max != 100*time.Millisecond {
		t.Errorf("lateness %s", r.Lateness)
	}
	if r.Share["n1"] != 10 {
		t.Errorf("share %v", r.Share)
	}
}

func TestCheckDuplicates(t *testing.T) {
	job := JobDef{ID: "a", Interval: time.Second, Start: t0}
	ds := []Delivery{
		deliver("a", 0, 0.1, "r1"), deliver("a", 0, 0.2, "r2"), // two runs of one fire
		deliver("a", 1, 0.1, "r3"), deliver("a", 1, 5, "r3"), // one run delivered twice
		deliver("a", 2, 0.1, "r4"),
	}
	rs := []RunRecord{record("a", 0, StatusSucceeded, 0), record("a", 0, StatusSucceeded, 0)}
	rs[1].ID = "other"
	r := Check(Input{Jobs: []JobDef{job}, From: t0, To: sec(3), Deliveries: ds, Runs: rs})
	if r.Duplicates != 2 || r.StoreDuplicates != 1 || r.OK() {
		t.Fatalf("duplicates %d, store duplicates %d, want 2 and 1: %v", r.Duplicates, r.StoreDuplicates, r.Violations)
	}
}

func TestCheckRerunOfRecoverableJob(t *testing.T) {
	jobs := []JobDef{{ID: "a", Interval: time.Second, Start: t0, Recovery: "retry"}, {ID: "b", Interval: time.Second, Start: t0}}
	ds := []Delivery{deliver("a", 0, 0.1, "r1"), deliver("a", 0, 4, "r1"), deliver("b", 0, 0.1, "r2"), deliver("b", 0, 4, "r2")}
	r := Check(Input{Jobs: jobs, From: t0, To: sec(1), Deliveries: ds})
	if len(r.Reruns) != 1 || r.Duplicates != 1 {
		t.Fatalf("reruns %d, duplicates %d; want 1 (a, recovery retry) and 1 (b): %v", len(r.Reruns), r.Duplicates, r.Violations)
	}
}

func TestCheckMissesAndRules(t *testing.T) {
	grace := 2 * time.Second
	co := true
	noco := false
	jobs := []JobDef{
		{ID: "co", Interval: time.Second, Start: t0, Coalesce: &co},
		{ID: "strict", Interval: time.Second, Start: t0, Coalesce: &noco, Grace: &grace},
		{ID: "lost", Interval: time.Second, Start: t0},
	}
	var ds []Delivery
	var rs []RunRecord
	// co: fires 0..4 down, one run at 5 folding 5 earlier fires? Only 4
	// (1..4); fire 0 ran.
	ds = append(ds, deliver("co", 0, 0, "c0"), deliver("co", 5, 0.2, "c5"))
	rs = append(rs, record("co", 0, StatusSucceeded, 0))
	c5 := record("co", 5, StatusSucceeded, 5.2)
	c5.Coalesced = 4
	rs = append(rs, c5)
	// strict: fires 0..5 claimed at 5.5: 0..3 missed (> 2s late), 4 and 5
	// run; fire 1 wrongly recorded succeeded although 4.5s late.
	for i := range 6 {
		st := StatusMissed
		if i >= 4 || i == 1 {
			st = StatusSucceeded
			ds = append(ds, deliver("strict", float64(i), 5.5-float64(i), "s"+itoa(i)))
		}
		rs = append(rs, record("strict", float64(i), st, 5.5))
	}
	// lost: fire 2 never delivered and not recorded; fire 3 recorded
	// interrupted.
	for _, i := range []int{0, 1, 4, 5} {
		ds = append(ds, deliver("lost", float64(i), 0.1, "l"+itoa(i)))
	}
	rs = append(rs, record("lost", 3, StatusInterrupted, 3))
	r := Check(Input{Jobs: jobs, From: t0, To: sec(6), Deliveries: ds, Runs: rs})
	if got := r.Allowed["folded by coalesce"]; got != 4 {
		t.Errorf("folded %d, want 4 (allowed: %v)", got, r.Allowed)
	}
	if got := r.Allowed["recorded missed (past misfire_grace_time)"]; got != 3 {
		t.Errorf("missed %d, want 3 (allowed: %v)", got, r.Allowed)
	}
	if r.RuleBreaks != 1 || !strings.Contains(r.Violations["misfire rule"][0], "strict fire") {
		t.Errorf("rule breaks %d, want 1 (strict fire 1): %v", r.RuleBreaks, r.Violations["misfire rule"])
	}
	if r.Misses != 2 {
		t.Errorf("misses %d, want 2 (lost 2 unrecorded, lost 3 interrupted): %v", r.Misses, r.Violations["miss"])
	}
	r = Check(Input{Jobs: jobs, From: t0, To: sec(6), Deliveries: ds, Runs: rs, AllowInterrupted: true})
	if r.Misses != 1 {
		t.Errorf("with interruptions allowed: misses %d, want 1: %v", r.Misses, r.Violations["miss"])
	}
}

func TestCheckFoldedFireWithRecord(t *testing.T) {
	job := JobDef{ID: "a", Interval: time.Second, Start: t0}
	r3 := record("a", 3, StatusSucceeded, 3)
	r3.Coalesced = 2
	rs := []RunRecord{record("a", 0, StatusSucceeded, 0), record("a", 2, StatusSucceeded, 2), r3}
	ds := []Delivery{deliver("a", 0, 0, "x"), deliver("a", 2, 0, "y"), deliver("a", 3, 0, "z")}
	r := Check(Input{Jobs: []JobDef{job}, From: t0, To: sec(4), Deliveries: ds, Runs: rs})
	if r.RuleBreaks != 1 {
		t.Fatalf("rule breaks %d, want 1 (fire 2 is both folded and recorded): %v", r.RuleBreaks, r.Violations)
	}
}

func TestCheckOverlapAndEarly(t *testing.T) {
	job := JobDef{ID: "a", Interval: time.Second, Start: t0, MaxInstances: 1}
	d0 := deliver("a", 0, 0, "r0")
	d0.End = sec(1.5)
	d1 := deliver("a", 1, 0.1, "r1") // starts while r0 runs
	d2 := deliver("a", 3, -0.5, "r3")
	r := Check(Input{Jobs: []JobDef{job}, From: t0, To: sec(2), Deliveries: []Delivery{d0, d1, d2}})
	if r.Overlaps != 1 || r.Early != 1 {
		t.Fatalf("overlaps %d, early %d, want 1 and 1: %v", r.Overlaps, r.Early, r.Violations)
	}
}

func TestFailover(t *testing.T) {
	lost := sec(10)
	ds := []Delivery{
		deliver("a", 5, 0.2, "ok"),
		deliver("a", 10, 4, "taken"),   // due at the loss, taken over 4s later
		deliver("a", 11, 3.5, "taken"), // due in the bound
		deliver("a", 20, 2, "late"),    // long after: too late
		deliver("a", 10.5, 6, "slow"),  // around the loss but past the bound
	}
	f := Failover(ds, t0, sec(30), lost, 4250*time.Millisecond, time.Second, "")
	if f.Late != 4 || f.TakenOver != 2 || f.Count() != 2 {
		t.Fatalf("late %d, taken over %d, violations %d (%v); want 4, 2, 2", f.Late, f.TakenOver, f.Count(), f.Violations)
	}
	if f.LastArrival != 4500*time.Millisecond {
		t.Errorf("last arrival %s after the loss, want 4.5s", f.LastArrival)
	}
	// By run id prefix: the lost node's claims may be late whenever due.
	ds = []Delivery{deliver("a", 8, 4, "lost-1"), deliver("b", 8, 4, "other-1")}
	f = Failover(ds, t0, sec(30), lost, 4250*time.Millisecond, time.Second, "lost-")
	if f.TakenOver != 1 || f.Count() != 1 {
		t.Fatalf("by prefix: taken over %d, violations %d (%v); want 1 and 1", f.TakenOver, f.Count(), f.Violations)
	}
}

func TestRunPrefixAndNeverStarted(t *testing.T) {
	runs := []RunRecord{
		{ID: "abc-1", Node: "n1", Status: StatusInterrupted, ScheduledAt: sec(1)},
		{ID: "abc-2", Node: "n1", Status: StatusInterrupted, ScheduledAt: sec(1)},
		{ID: "def-1", Node: "n2", Status: StatusSucceeded, ScheduledAt: sec(1)},
	}
	if p := RunPrefix(runs, "n1"); p != "abc-" {
		t.Errorf("prefix %q", p)
	}
	if p := RunPrefix(runs, "n9"); p != "" {
		t.Errorf("prefix of a node without runs %q", p)
	}
	got := NeverStarted(runs, []Delivery{{RunID: "abc-1"}}, t0, sec(2))
	if len(got) != 1 || got[0].ID != "abc-2" {
		t.Errorf("never started %v, want abc-2", got)
	}
}

func TestJobFires(t *testing.T) {
	j := JobDef{Interval: 2 * time.Second, Start: sec(1)}
	got := j.Fires(t0, sec(8))
	want := []time.Time{sec(1), sec(3), sec(5), sec(7)}
	if len(got) != len(want) {
		t.Fatalf("fires %v, want %v", got, want)
	}
	for i := range got {
		if !got[i].Equal(want[i]) {
			t.Fatalf("fires %v, want %v", got, want)
		}
	}
	if got := j.Fires(sec(4), sec(5)); len(got) != 0 {
		t.Errorf("fires in [4, 5): %v, want none", got)
	}
}

func TestStats(t *testing.T) {
	var xs []time.Duration
	for i := 1; i <= 100; i++ {
		xs = append(xs, time.Duration(i)*time.Millisecond)
	}
	s := statsOf(xs)
	if s.P50 != 50*time.Millisecond || s.P99 != 99*time.Millisecond || s.Max != 100*time.Millisecond || s.N != 100 {
		t.Fatalf("stats %+v", s)
	}
	if (statsOf(nil) != Stats{}) {
		t.Fatal("stats of nothing")
	}
}
