package postgres_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/postgres"
)

var base = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const everyMinute = `{"type": "interval", "minutes": 1, "start_date": "2024-01-01T00:00:00+00:00"}`

// heartbeat registers node id with a lease of an hour.
func heartbeat(t testing.TB, s sundial.Store, id string) {
	t.Helper()
	n := &sundial.Node{ID: id, Host: "test", PID: 1, StartedAt: base}
	if err := s.NodeHeartbeat(t.Context(), n, time.Hour); err != nil {
		t.Fatalf("NodeHeartbeat: %v", err)
	}
}

// waitSignal waits for a Watch signal for at most d.
func waitSignal(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("no Watch signal within %s after %s", d, what)
	}
}

// drain empties a Watch channel.
func drain(ch <-chan struct{}) {
	select {
	case <-ch:
	default:
	}
}

// A job row written by another program with only id, task and trigger is
// a valid job with Sundial's defaults: Watch tells of it, a claim hands it
// to Decide with a zero NextRunTime, and the decided time is stored.
func TestPlainSQLInsertIsClaimed(t *testing.T) {
	t.Parallel()
	url := setup(t)
	s := open(t, url, postgres.Options{})
	heartbeat(t, s, "n1")
	ch := s.Watch(t.Context())
	waitSignal(t, ch, 5*time.Second, "Watch started") // the signal after connecting
	drain(ch)

	other := connect(t, url)
	if _, err := other.Exec(t.Context(), `INSERT INTO sundial_jobs (id, task, trigger) VALUES ('plain', 'report', $1)`, everyMinute); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, ch, 5*time.Second, "a plain SQL insert")

	if next, ok, err := s.JobNextFireTime(t.Context()); err != nil || !ok || !next.IsZero() {
		t.Errorf("JobNextFireTime = %s, %t, %v; want the zero time (due at once)", next, ok, err)
	}
	var seen *sundial.Job
	first := base.Add(90 * time.Second)
	claims, err := s.JobClaimDue(t.Context(), sundial.JobClaimDueParams{
		Now: base, Node: "n1", Limit: 10,
		Decide: func(job *sundial.Job, active int) sundial.ClaimDecision {
			seen = job.Clone()
			if active != 0 {
				t.Errorf("active = %d, want 0", active)
			}
			return sundial.ClaimDecision{NextRunTime: first}
		},
	})
	if err != nil || len(claims) != 1 || len(claims[0].Runs) != 0 {
		t.Fatalf("JobClaimDue = %+v, %v; want one claim without runs", claims, err)
	}
	if seen == nil || !seen.NextRunTime.IsZero() {
		t.Fatalf("Decide saw %+v, want the job with a zero NextRunTime", seen)
	}
	want := &sundial.Job{
		ID: "plain", Task: "report", Args: json.RawMessage(`[]`), Kwargs: json.RawMessage(`{}`),
		Options: sundial.Options{Coalesce: true, MaxInstances: 1}, Version: 1,
	}
	if seen.Name != "" || seen.Paused || seen.MisfireGraceTime != nil || seen.Coalesce != want.Coalesce ||
		seen.MaxInstances != want.MaxInstances || seen.Timeout != 0 || seen.Retry != (sundial.RetryPolicy{}) ||
		string(seen.Args) != "[]" || string(seen.Kwargs) != "{}" || len(seen.Tags) != 0 || seen.Version != 1 ||
		!seen.CreatedAt.IsZero() {
		t.Errorf("defaults of a plain SQL row: got %+v, want %+v", seen, want)
	}
	got, err := s.JobGet(t.Context(), "plain")
	if err != nil {
		t.Fatal(err)
	}
	if !got.NextRunTime.Equal(first) {
		t.Errorf("next run time after the claim = %s, want %s", got.NextRunTime, first)
	}
	if next, ok, _ := s.JobNextFireTime(t.Context()); !ok || !next.Equal(first) {
		t.Errorf("JobNextFireTime = %s, %t; want %s", next, ok, first)
	}

	// Plain SQL updates are noticed too.
	drain(ch)
	if _, err := other.Exec(t.Context(), `UPDATE sundial_jobs SET paused = true WHERE id = 'plain'`); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, ch, 5*time.Second, "a plain SQL update")
}

// A row whose trigger Sundial rejects does not block the jobs behind it:
// claims park it (pause it) and log it; listing leaves it out; JobGet
// names the column.
func TestUndecodableRowIsParked(t *testing.T) {
	t.Parallel()
	url := setup(t)
	s := open(t, url, postgres.Options{})
	heartbeat(t, s, "n1")
	other := connect(t, url)
	for i, trig := range []string{`{"type": "nope"}`, `{"type": "cron", "hour": "25"}`} {
		if _, err := other.Exec(t.Context(), `INSERT INTO sundial_jobs (id, task, trigger, next_run_time) VALUES ($1, 't', $2, $3)`,
			fmt.Sprintf("broken%d", i), trig, base.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := other.Exec(t.Context(), `INSERT INTO sundial_jobs (id, task, trigger, retry) VALUES ('badretry', 't', $1, '{"attempts": "x"}')`, everyMinute); err != nil {
		t.Fatal(err)
	}
	good := &sundial.Job{ID: "good", Task: "t", Trigger: mustTrigger(t, everyMinute), NextRunTime: base,
		Options: sundial.Options{Coalesce: true, MaxInstances: 1}}
	if err := s.JobAdd(t.Context(), sundial.JobAddParams{Job: good}); err != nil {
		t.Fatal(err)
	}

	claims, err := s.JobClaimDue(t.Context(), sundial.JobClaimDueParams{
		Now: base, Node: "n1", Limit: 1,
		Decide: func(job *sundial.Job, _ int) sundial.ClaimDecision {
			return sundial.ClaimDecision{NextRunTime: base.Add(time.Hour)}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(claims) != 1 || claims[0].Job.ID != "good" {
		t.Errorf("claims = %+v, want the good job", claims)
	}
	var paused int
	if err := other.QueryRow(t.Context(), `SELECT count(*) FROM sundial_jobs WHERE paused`).Scan(&paused); err != nil {
		t.Fatal(err)
	}
	if paused != 3 {
		t.Errorf("%d parked (paused) rows, want 3", paused)
	}
	if next, ok, err := s.JobNextFireTime(t.Context()); err != nil || !ok || !next.Equal(base.Add(time.Hour)) {
		t.Errorf("JobNextFireTime = %s, %t, %v; want the good job's %s", next, ok, err, base.Add(time.Hour))
	}
	jobs, err := s.JobList(t.Context(), sundial.JobListParams{})
	if err != nil || len(jobs) != 1 || jobs[0].ID != "good" {
		t.Errorf("JobList = %v, %v; want only the good job", jobs, err)
	}
	for _, id := range []string{"broken0", "broken1", "badretry"} {
		_, err := s.JobGet(t.Context(), id)
		var je *sundial.JobError
		if !errors.Is(err, sundial.ErrInvalidJob) || !errors.As(err, &je) || je.JobID != id {
			t.Errorf("JobGet(%s): err = %v, want a JobError for it", id, err)
		}
	}
}

// The JSON columns refuse what is not JSON of the right shape, from
// Sundial and from other programs alike.
func TestJSONColumnsAreChecked(t *testing.T) {
	t.Parallel()
	url := setup(t)
	s := open(t, url, postgres.Options{})
	other := connect(t, url)
	for _, col := range []string{"args", "kwargs", "retry", "tags"} {
		_, err := other.Exec(t.Context(), `INSERT INTO sundial_jobs (id, task, trigger, `+col+`) VALUES ('x', 't', $1, 'not json')`, everyMinute)
		if err == nil {
			t.Errorf("a row with %s = 'not json' was accepted", col)
		}
	}
	if _, err := other.Exec(t.Context(), `INSERT INTO sundial_jobs (id, task, trigger) VALUES ('x', 't', '[1]')`); err == nil {
		t.Error("a row with a trigger that is not a JSON object was accepted")
	}
	job := &sundial.Job{ID: "x", Task: "t", Trigger: mustTrigger(t, everyMinute), Args: json.RawMessage(`{"not": "an array"}`)}
	err := s.JobAdd(t.Context(), sundial.JobAddParams{Job: job})
	var je *sundial.JobError
	if !errors.As(err, &je) || je.Field != "args" {
		t.Errorf("JobAdd with object args: err = %v, want a JobError for args", err)
	}
}
