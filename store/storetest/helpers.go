package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

// base is the suite's fixed "now"; no test reads the clock.
var base = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// at returns the base time plus n minutes.
func at(n int) time.Time { return base.Add(time.Duration(n) * time.Minute) }

var (
	everyMinute    = trigger.MustParse(`{"type": "interval", "minutes": 1, "start_date": "2024-01-01T00:00:00+00:00"}`)
	weekdaysBerlin = mustCron(trigger.CronFields{DayOfWeek: "mon-fri", Hour: "9", Minute: "30"}, "Europe/Berlin")
	dateTrigger    = trigger.NewDate(at(4))
)

func mustCron(f trigger.CronFields, zone string) trigger.Trigger {
	loc, err := trigger.LoadLocation(zone)
	if err != nil {
		panic(err)
	}
	t, err := trigger.NewCron(f, loc)
	if err != nil {
		panic(err)
	}
	return t
}

// newJob returns a job with every field set, due at next.
func newJob(id string, next time.Time) *sundial.Job {
	grace := 30 * time.Second
	return &sundial.Job{
		ID: id, Name: "job " + id, Task: "report",
		Args: json.RawMessage(`[1,"two"]`), Kwargs: json.RawMessage(`{"k":"v"}`),
		Trigger: everyMinute, NextRunTime: next,
		Options: sundial.Options{
			Executor: "default", MisfireGraceTime: &grace, Coalesce: true, MaxInstances: 2,
			Timeout:     time.Minute,
			Retry:       sundial.RetryPolicy{Attempts: 2, Backoff: time.Second, MaxBackoff: time.Minute, Multiplier: 1.5},
			Description: "a job of the contract suite", Tags: []string{"nightly", "billing"},
		},
		CreatedAt: base.Add(-time.Hour), UpdatedAt: base.Add(-time.Minute),
	}
}

// pausedJob returns a paused job (no next fire time).
func pausedJob(id string) *sundial.Job {
	j := newJob(id, time.Time{})
	j.Paused = true
	return j
}

// mutate changes a job in place, down to the bytes and elements it shares
// with whatever it was copied from.
func mutate(j *sundial.Job) {
	j.Name, j.Paused, j.Version = "mutated", !j.Paused, j.Version+100
	j.NextRunTime = j.NextRunTime.Add(time.Hour)
	if len(j.Tags) > 0 {
		j.Tags[0] = "mutated"
	}
	if len(j.Args) > 1 {
		j.Args[1] = '9'
	}
	if len(j.Kwargs) > 2 {
		j.Kwargs[2] = 'x'
	}
	if j.MisfireGraceTime != nil {
		*j.MisfireGraceTime = time.Hour
	}
}

func addJobs(t *testing.T, st sundial.Store, jobs ...*sundial.Job) {
	t.Helper()
	for _, j := range jobs {
		if err := st.JobAdd(t.Context(), sundial.JobAddParams{Job: j}); err != nil {
			t.Fatalf("JobAdd(%q): %v", j.ID, err)
		}
	}
}

func getJob(t *testing.T, st sundial.Store, id string) *sundial.Job {
	t.Helper()
	j, err := st.JobGet(t.Context(), id)
	if err != nil {
		t.Fatalf("JobGet(%q): %v", id, err)
	}
	return j
}

func jobIDs(jobs []*sundial.Job) []string {
	var ids []string
	for _, j := range jobs {
		ids = append(ids, j.ID)
	}
	return ids
}

func wantNextFire(t *testing.T, st sundial.Store, want time.Time, wantOK bool) {
	t.Helper()
	got, ok, err := st.JobNextFireTime(t.Context())
	if err != nil {
		t.Fatalf("JobNextFireTime: %v", err)
	}
	if ok != wantOK || (ok && !got.Equal(want)) {
		t.Errorf("JobNextFireTime = %s, %t; want %s, %t", got, ok, want, wantOK)
	}
}

type decideFunc = func(job *sundial.Job, active int) sundial.ClaimDecision

func claim(t *testing.T, st sundial.Store, now time.Time, limit int, decide decideFunc) []sundial.Claim {
	t.Helper()
	claims, err := st.JobClaimDue(t.Context(), sundial.JobClaimDueParams{Now: now, Limit: limit, Node: "node-1", Decide: decide})
	if err != nil {
		t.Fatalf("JobClaimDue(%s): %v", now, err)
	}
	return claims
}

func claimIDs(claims []sundial.Claim) []string {
	var ids []string
	for _, c := range claims {
		ids = append(ids, c.Job.ID)
	}
	return ids
}

// advanceBy moves each claimed job's next fire time on by d and records no
// run.
func advanceBy(d time.Duration) decideFunc {
	return func(job *sundial.Job, _ int) sundial.ClaimDecision {
		return sundial.ClaimDecision{NextRunTime: job.NextRunTime.Add(d)}
	}
}

// advance moves each claimed job's next fire time on by a minute and
// records one run of the given status for the fire.
func advance(status sundial.RunStatus) decideFunc {
	return func(job *sundial.Job, _ int) sundial.ClaimDecision {
		return sundial.ClaimDecision{NextRunTime: job.NextRunTime.Add(time.Minute), Runs: []*sundial.Run{fireRun(job, status)}}
	}
}

// fireRun is the run of a job's current fire.
func fireRun(job *sundial.Job, status sundial.RunStatus) *sundial.Run {
	return &sundial.Run{
		ID: fmt.Sprintf("%s@%d", job.ID, job.NextRunTime.Unix()), JobID: job.ID,
		ScheduledAt: job.NextRunTime, Attempt: 1, Status: status, Node: "node-1", CreatedAt: job.NextRunTime,
	}
}

// activeSeen claims job id at now and returns the active count Decide got
// for it; the job's next fire time moves on by a minute.
func activeSeen(t *testing.T, st sundial.Store, id string, now time.Time) int {
	t.Helper()
	active := -1
	claim(t, st, now, 100, func(job *sundial.Job, n int) sundial.ClaimDecision {
		if job.ID == id {
			active = n
		}
		return sundial.ClaimDecision{NextRunTime: job.NextRunTime.Add(time.Minute)}
	})
	if active < 0 {
		t.Fatalf("job %s was not claimed at %s", id, now)
	}
	return active
}

func newRun(id, jobID string, scheduled time.Time, status sundial.RunStatus, created time.Time) *sundial.Run {
	return &sundial.Run{ID: id, JobID: jobID, ScheduledAt: scheduled, Attempt: 1, Status: status, Node: "node-1", CreatedAt: created}
}

func copyRun(r *sundial.Run) *sundial.Run {
	c := *r
	return &c
}

func cloneRuns(runs []*sundial.Run) []*sundial.Run {
	out := make([]*sundial.Run, len(runs))
	for i, r := range runs {
		out[i] = copyRun(r)
	}
	return out
}

func insertRuns(t *testing.T, st sundial.Store, runs ...*sundial.Run) {
	t.Helper()
	for _, r := range runs {
		if err := st.RunInsert(t.Context(), r, 0); err != nil {
			t.Fatalf("RunInsert(%q): %v", r.ID, err)
		}
	}
}

func updateRun(t *testing.T, st sundial.Store, r *sundial.Run) {
	t.Helper()
	if err := st.RunUpdate(t.Context(), r); err != nil {
		t.Fatalf("RunUpdate(%q): %v", r.ID, err)
	}
}

func getRun(t *testing.T, st sundial.Store, id string) *sundial.Run {
	t.Helper()
	r, err := st.RunGet(t.Context(), id)
	if err != nil {
		t.Fatalf("RunGet(%q): %v", id, err)
	}
	return r
}

func wantRunIDs(t *testing.T, st sundial.Store, p sundial.RunListParams, want ...string) {
	t.Helper()
	runs, err := st.RunList(t.Context(), p)
	if err != nil {
		t.Fatalf("RunList(%+v): %v", p, err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, r.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("RunList(%+v) = %v, want %v", p, got, want)
	}
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
	runType  = reflect.TypeFor[sundial.Run]()
)

// diff lists the differences between two values of the same type, one a
// line, empty when they agree. Times are compared with Equal, JSON by value,
// triggers by their canonical JSON, and a nil slice equals an empty one.
// Run.Seq is left out.
func diff(want, got any) string {
	var d []string
	diffValue(&d, "", reflect.ValueOf(want), reflect.ValueOf(got))
	return strings.Join(d, "\n")
}

func diffValue(d *[]string, path string, w, g reflect.Value) {
	report := func(wv, gv any) {
		name := strings.TrimPrefix(path, ".")
		if name == "" {
			name = "value"
		}
		*d = append(*d, fmt.Sprintf("  %s: got %v, want %v", name, gv, wv))
	}
	switch w.Type() {
	case timeType:
		wt, gt := w.Interface().(time.Time), g.Interface().(time.Time)
		if !wt.Equal(gt) {
			report(wt, gt)
		}
		return
	case rawType:
		if !jsonEqual(w.Bytes(), g.Bytes()) {
			report(string(w.Bytes()), string(g.Bytes()))
		}
		return
	}
	switch w.Kind() {
	case reflect.Pointer, reflect.Interface:
		if w.IsNil() || g.IsNil() {
			if w.IsNil() != g.IsNil() {
				report(show(w), show(g))
			}
			return
		}
		if w.Kind() == reflect.Interface {
			if wm, ok := w.Interface().(json.Marshaler); ok {
				wj, werr := wm.MarshalJSON()
				gj, gerr := json.Marshal(g.Interface())
				if werr != nil || gerr != nil || !jsonEqual(wj, gj) {
					report(string(wj), string(gj))
				}
				return
			}
		}
		diffValue(d, path, w.Elem(), g.Elem())
	case reflect.Struct:
		for i := range w.NumField() {
			// Run.Seq is the store's to assign; testRunSeq checks it.
			if f := w.Type().Field(i); f.IsExported() && !(w.Type() == runType && f.Name == "Seq") {
				diffValue(d, path+"."+f.Name, w.Field(i), g.Field(i))
			}
		}
	case reflect.Slice:
		if w.Len() != g.Len() {
			report(w.Interface(), g.Interface())
			return
		}
		for i := range w.Len() {
			diffValue(d, fmt.Sprintf("%s[%d]", path, i), w.Index(i), g.Index(i))
		}
	default:
		if !w.Equal(g) {
			report(w.Interface(), g.Interface())
		}
	}
}

func show(v reflect.Value) any {
	if v.IsNil() {
		return "nil"
	}
	if v.Kind() == reflect.Pointer {
		return v.Elem().Interface()
	}
	return v.Interface()
}

func jsonEqual(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var av, bv any
	if len(a) > 0 && json.Unmarshal(a, &av) != nil {
		return false
	}
	if len(b) > 0 && json.Unmarshal(b, &bv) != nil {
		return false
	}
	return reflect.DeepEqual(av, bv)
}

// heartbeat registers node id with a lease of ttl (negative for one that
// has already expired).
func heartbeat(t *testing.T, st sundial.Store, id string, ttl time.Duration) *sundial.Node {
	t.Helper()
	n := &sundial.Node{ID: id, Host: "host-" + id, PID: 42, Version: "test", StartedAt: base}
	if err := st.NodeHeartbeat(t.Context(), n, ttl); err != nil {
		t.Fatalf("NodeHeartbeat(%q): %v", id, err)
	}
	return n
}
