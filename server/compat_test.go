package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The compatible API answers as Flask-APScheduler does (its contract:
// ../shared/api/flask-apscheduler.md), and better where it misbehaves.

func TestCompatInfo(t *testing.T) {
	t.Parallel()
	e := setup(t)
	m := e.must(200, "GET", "/scheduler", "").json(t)
	if m["running"] != true || m["current_host"] == "" {
		t.Fatalf("GET /scheduler = %v", m)
	}
	if hosts, _ := m["allowed_hosts"].([]any); len(hosts) != 1 || hosts[0] != "*" {
		t.Fatalf("allowed_hosts = %v", m["allowed_hosts"])
	}
}

func TestCompatJobShapes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	cases := []struct {
		name, body string
		want       map[string]any // keys that must have these values
		absent     []string
	}{
		{"date", `{"id": "d1", "func": "sundial:noop", "trigger": "date", "run_date": "2030-01-01T10:00:00"}`,
			map[string]any{"id": "d1", "name": "d1", "func": "sundial:noop", "trigger": "date",
				"run_date": "2030-01-01T10:00:00+00:00", "next_run_time": "2030-01-01T10:00:00+00:00",
				"max_instances": 1.0, "misfire_grace_time": nil},
			[]string{"coalesce", "executor", "jobstore", "timezone", "jitter"}},
		{"interval renormalised", `{"id": "i1", "func": "sundial:noop", "trigger": "interval", "minutes": 90}`,
			map[string]any{"trigger": "interval", "hours": 1.0, "minutes": 30.0}, []string{"seconds", "end_date"}},
		{"interval days and seconds", `{"id": "i2", "func": "sundial:noop", "trigger": "interval", "days": 10, "seconds": 3725}`,
			map[string]any{"weeks": 1.0, "days": 3.0, "hours": 1.0, "minutes": 2.0, "seconds": 5.0}, nil},
		{"cron fields as given, as strings", `{"id": "c1", "func": "sundial:noop", "trigger": "cron", "hour": 9, "day_of_week": "MON-fri", "day": "1st mon, last fri"}`,
			map[string]any{"trigger": "cron", "hour": "9", "day_of_week": "mon-fri", "day": "1st mon,last fri"},
			[]string{"second", "minute", "start_date"}},
		{"legacy trigger object", `{"id": "c2", "func": "sundial:noop", "trigger": {"type": "cron", "minute": "*/5"}}`,
			map[string]any{"trigger": "cron", "minute": "*/5"}, nil},
		{"zone of the trigger", `{"id": "c3", "func": "sundial:noop", "trigger": "cron", "minute": 5, "timezone": "America/New_York", "start_date": "2030-06-01T00:00:00"}`,
			map[string]any{"start_date": "2030-06-01T00:00:00-04:00", "next_run_time": "2030-06-01T00:05:00-04:00"}, nil},
		// Flask-APScheduler keeps a fixed offset given without a timezone;
		// Sundial shows the same instant in the trigger's zone.
		{"explicit offset, same instant", `{"id": "d2", "func": "sundial:noop", "trigger": "date", "run_date": "2030-01-01T10:00:00+02:00"}`,
			map[string]any{"run_date": "2030-01-01T08:00:00+00:00"}, nil},
		{"options", `{"id": "o1", "func": "sundial:noop", "trigger": "interval", "seconds": 30, "name": "Nice", "misfire_grace_time": 30, "max_instances": 4, "args": [1, "a"], "kwargs": {"k": true}}`,
			map[string]any{"name": "Nice", "misfire_grace_time": 30.0, "max_instances": 4.0}, nil},
		{"paused when next_run_time is null", `{"id": "p1", "func": "sundial:noop", "trigger": "interval", "seconds": 30, "next_run_time": null}`,
			map[string]any{"next_run_time": nil}, nil},
	}
	for _, c := range cases {
		r := e.must(200, "POST", "/scheduler/jobs", c.body)
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", c.name, ct)
		}
		m := r.json(t)
		for k, v := range c.want {
			if got, ok := m[k]; !ok || !equalJSON(got, v) {
				t.Errorf("%s: %s = %#v (present %v), want %#v; job %s", c.name, k, got, ok, v, r.body)
			}
		}
		for _, k := range c.absent {
			if _, ok := m[k]; ok {
				t.Errorf("%s: key %s present, want absent; job %s", c.name, k, r.body)
			}
		}
		// The shape round-trips: GET gives the same, and it can be posted
		// back under a new id.
		got := e.must(200, "GET", "/scheduler/jobs/"+m["id"].(string), "").json(t)
		if !equalJSON(got, any(m)) {
			t.Errorf("%s: GET differs from POST:\n%v\n%v", c.name, got, m)
		}
		m["id"] = m["id"].(string) + "-copy"
		b, _ := json.Marshal(m)
		if rr := e.do("POST", "/scheduler/jobs", string(b)); rr.status != 200 {
			t.Errorf("%s: posting the job's own JSON back: %d %s", c.name, rr.status, rr.body)
		}
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestCompatLifecycle(t *testing.T) {
	t.Parallel()
	e := setup(t)
	body := `{"id": "d1", "func": "test:echo", "trigger": "date", "run_date": "2030-01-01T10:00:00"}`
	e.must(200, "POST", "/scheduler/jobs", body)
	r := e.must(409, "POST", "/scheduler/jobs", body)
	if m := r.json(t); m["error_message"] != "Job d1 already exists." {
		t.Fatalf("409 body %s", r.body)
	}
	e.must(200, "POST", "/scheduler/jobs", strings.Replace(body, `"date",`, `"date", "replace_existing": true, "name": "again",`, 1))
	if m := e.must(200, "POST", "/scheduler/jobs/d1/pause", "").json(t); m["next_run_time"] != nil {
		t.Fatalf("paused job next_run_time = %v", m["next_run_time"])
	}
	if m := e.must(200, "POST", "/scheduler/jobs/d1/resume", "").json(t); m["next_run_time"] != "2030-01-01T10:00:00+00:00" {
		t.Fatalf("resumed job next_run_time = %v", m["next_run_time"])
	}
	// /run dispatches to the executor and answers at once; the run is in
	// the history, succeeded, with its output.
	r = e.must(200, "POST", "/scheduler/jobs/d1/run", "")
	if m := r.json(t); m["next_run_time"] != "2030-01-01T10:00:00+00:00" {
		t.Fatalf("run changed next_run_time: %s", r.body)
	}
	run := e.waitRun(r.header.Get("X-Sundial-Run-Id"))
	if string(run.Status) != "succeeded" || run.Output != "hello from d1" || !run.Manual {
		t.Fatalf("run after /run: %+v", run)
	}
	r = e.must(204, "DELETE", "/scheduler/jobs/d1", "")
	if len(r.body) != 0 {
		t.Fatalf("204 with body %q", r.body)
	}
	r = e.must(404, "DELETE", "/scheduler/jobs/d1", "")
	if m := r.json(t); m["error_message"] != "Job d1 not found" {
		t.Fatalf("404 body %s", r.body)
	}
	e.must(404, "GET", "/scheduler/jobs/d1", "")
	e.must(404, "POST", "/scheduler/jobs/d1/pause", "")
	e.must(404, "POST", "/scheduler/jobs/d1/resume", "")
	e.must(404, "POST", "/scheduler/jobs/d1/run", "")
	e.must(404, "PATCH", "/scheduler/jobs/d1", `{"name": "x"}`)
}

func TestCompatSchedulerControl(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.must(400, "POST", "/scheduler/start", "")
	e.must(204, "POST", "/scheduler/pause", "")
	e.must(204, "POST", "/scheduler/resume", "")
	e.must(200, "POST", "/scheduler/jobs", `{"id": "keep", "func": "sundial:noop", "trigger": "interval", "hours": 1}`)
	e.must(204, "POST", "/scheduler/shutdown", `{"wait": false}`)
	if m := e.must(200, "GET", "/scheduler", "").json(t); m["running"] != false {
		t.Fatalf("running after shutdown: %v", m)
	}
	e.must(400, "POST", "/scheduler/shutdown", "")
	e.must(409, "POST", "/scheduler/pause", "")
	e.must(409, "POST", "/scheduler/resume", "")
	// Unlike Flask-APScheduler, shutdown wipes no job and start works.
	e.must(200, "GET", "/scheduler/jobs/keep", "")
	e.must(204, "POST", "/scheduler/start", "")
	if m := e.must(200, "GET", "/scheduler", "").json(t); m["running"] != true {
		t.Fatalf("running after start: %v", m)
	}
	if st := e.s.State().String(); st != "running" {
		t.Fatalf("scheduler state after start = %s", st)
	}
}

func TestCompatPatch(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.must(200, "POST", "/scheduler/jobs", `{"id": "p", "func": "sundial:noop", "trigger": "interval", "minutes": 5}`)
	// {} changes nothing.
	before := e.jobIDs()
	e.must(200, "PATCH", "/scheduler/jobs/p", `{}`)
	// Not atomic in Flask-APScheduler: here a bad key next to a trigger
	// changes nothing.
	r := e.must(400, "PATCH", "/scheduler/jobs/p", `{"trigger": "interval", "minutes": 6, "bogus": 1}`)
	if m := r.json(t); m["field"] != "bogus" {
		t.Fatalf("field = %v: %s", m["field"], r.body)
	}
	if after := e.jobIDs(); after != before {
		t.Fatalf("a refused PATCH changed the job:\n%s\n%s", before, after)
	}
	e.must(400, "PATCH", "/scheduler/jobs/p", `{"seconds": 50}`)
	e.must(400, "PATCH", "/scheduler/jobs/p", `{"id": "q"}`)
	m := e.must(200, "PATCH", "/scheduler/jobs/p", `{"name": "renamed", "max_instances": 3}`).json(t)
	if m["name"] != "renamed" || m["max_instances"] != 3.0 {
		t.Fatalf("after PATCH: %v", m)
	}
	// A trigger change keeps a paused job paused.
	e.must(200, "POST", "/scheduler/jobs/p/pause", "")
	m = e.must(200, "PATCH", "/scheduler/jobs/p", `{"trigger": "cron", "hour": 3}`).json(t)
	if m["trigger"] != "cron" || m["hour"] != "3" || m["next_run_time"] != nil {
		t.Fatalf("trigger PATCH of a paused job: %v", m)
	}
	// next_run_time null pauses, a time resumes at it.
	e.must(200, "POST", "/scheduler/jobs/p/resume", "")
	if m = e.must(200, "PATCH", "/scheduler/jobs/p", `{"next_run_time": null}`).json(t); m["next_run_time"] != nil {
		t.Fatalf("next_run_time null: %v", m)
	}
	if m = e.must(200, "PATCH", "/scheduler/jobs/p", `{"next_run_time": "2031-01-01T00:00:00"}`).json(t); m["next_run_time"] != "2031-01-01T00:00:00+00:00" {
		t.Fatalf("next_run_time set: %v", m)
	}
}

func TestCompatResumeFinishedKeepsTheJob(t *testing.T) {
	t.Parallel()
	e := setup(t)
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	e.must(200, "POST", "/scheduler/jobs", `{"id": "old", "func": "sundial:noop", "trigger": "interval", "seconds": 10, "end_date": "`+past+`", "next_run_time": null}`)
	r := e.must(409, "POST", "/scheduler/jobs/old/resume", "")
	if m := r.json(t); m["code"] != "schedule_finished" {
		t.Fatalf("resume of a finished schedule: %s", r.body)
	}
	e.must(200, "GET", "/scheduler/jobs/old", "")
}

// Every kind of bad input gets a 400 with a JSON error naming the field,
// and stores nothing (where Flask-APScheduler answers 500 or HTML).
func TestCompatBadInput(t *testing.T) {
	t.Parallel()
	e := setup(t)
	cases := []struct{ body, field string }{
		{`{"func": "sundial:noop"}`, "id"},
		{`{"id": "", "func": "sundial:noop"}`, "id"},
		{`{"id": 5, "func": "sundial:noop"}`, "id"},
		{`{"id": "a/b", "func": "sundial:noop"}`, "id"},
		{`{"id": "x"}`, "func"},
		{`{"id": "x", "func": "nope:missing"}`, "func"},
		{`{"id": "x", "func": "sundial:noop", "trigger": "weekly"}`, "trigger"},
		{`{"id": "x", "func": "sundial:noop", "trigger": "cron", "hour": "25"}`, "hour"},
		{`{"id": "x", "func": "sundial:noop", "trigger": "cron", "dayofweek": "mon"}`, "dayofweek"},
		{`{"id": "x", "func": "sundial:noop", "trigger": "interval", "seconds": "10"}`, "seconds"},
		{`{"id": "x", "func": "sundial:noop", "trigger": "interval", "seconds": -10}`, "seconds"},
		{`{"id": "x", "func": "sundial:noop", "trigger": "date", "run_date": "not a date"}`, "run_date"},
		{`{"id": "x", "func": "sundial:noop", "trigger": "cron", "hour": 1, "timezone": "Mars/Olympus"}`, "timezone"},
		{`{"id": "x", "func": "sundial:noop", "trigger": "interval", "seconds": 5, "misfire_grace_time": 0}`, "misfire_grace_time"},
		{`{"id": "x", "func": "sundial:noop", "trigger": "interval", "seconds": 5, "max_instances": 0}`, "max_instances"},
		{`{"id": "x", "func": "sundial:noop", "trigger": "interval", "seconds": 5, "args": "abc"}`, "args"},
		{`{"id": "x", "func": "sundial:noop", "trigger": "interval", "seconds": 5, "kwargs": [1]}`, "kwargs"},
		{`{"id": "x", "func": "sundial:noop", "trigger": "interval", "seconds": 5, "executor": "nope"}`, "executor"},
		{`{"id": "x", "func": "sundial:noop", "trigger": "interval", "seconds": 5, "jobstore": "nope"}`, "jobstore"},
		{`{"id": "x", "func": "sundial:noop", "trigger": "interval", "seconds": 5, "next_run_time": "Jan 1 2030"}`, "next_run_time"},
		{`{"id": "x", "func": "sundial:noop", "trigger": "interval", "seconds": 5, "bogus": 1}`, "bogus"},
		{`[1, 2]`, ""},
		{`not json`, ""},
		{``, ""},
	}
	before := e.jobIDs()
	for _, c := range cases {
		r := e.do("POST", "/scheduler/jobs", c.body)
		if r.status != http.StatusBadRequest {
			t.Errorf("POST %s: status %d, want 400: %s", c.body, r.status, r.body)
			continue
		}
		m := r.json(t)
		if msg, _ := m["error_message"].(string); msg == "" || m["code"] == nil {
			t.Errorf("POST %s: error body %s", c.body, r.body)
		}
		if c.field != "" && m["field"] != c.field {
			t.Errorf("POST %s: field %v, want %q (%s)", c.body, m["field"], c.field, r.body)
		}
	}
	if after := e.jobIDs(); after != before {
		t.Fatalf("refused requests stored something: %s", after)
	}
}

func TestCompatRoutesAnswerJSON(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.must(404, "GET", "/scheduler/jobs/", "")
	if r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("404 content type %q", r.header.Get("Content-Type"))
	}
	r = e.must(405, "PUT", "/scheduler/jobs/x", "")
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "PATCH") || !strings.Contains(allow, "DELETE") {
		t.Fatalf("Allow = %q", allow)
	}
	_ = r.json(t)
}
