package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
)

func TestNativeJobLifecycle(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.must(201, "POST", "/api/v1/jobs", `{"id": "rep", "name": "Report", "task": "test:echo",
		"trigger": {"type": "cron", "hour": "9", "minute": "30", "day_of_week": "mon-fri", "timezone": "Asia/Shanghai"},
		"tags": ["billing"], "timeout": 60, "retry": {"attempts": 2, "backoff": 5}, "misfire_grace_time": null}`)
	m := r.json(t)
	if r.header.Get("Location") != "/api/v1/jobs/rep" || r.header.Get("ETag") == "" || r.header.Get("ETag") != m["etag"] {
		t.Fatalf("create headers %v, body %s", r.header, r.body)
	}
	if m["trigger_description"] != "at 09:30 on Monday through Friday (Asia/Shanghai)" {
		t.Fatalf("trigger_description = %v", m["trigger_description"])
	}
	if next, _ := m["next_run_time"].(string); !strings.HasSuffix(next, "T09:30:00+08:00") {
		t.Fatalf("next_run_time = %v", m["next_run_time"])
	}
	if m["timeout"] != 60.0 || m["misfire_grace_time"] != nil || m["retry"].(map[string]any)["backoff"] != 5.0 {
		t.Fatalf("options: %s", r.body)
	}
	etag := r.header.Get("ETag")
	got := e.must(200, "GET", "/api/v1/jobs/rep", "")
	if got.header.Get("ETag") != etag {
		t.Fatalf("ETag changed between create and get")
	}
	// PATCH with a stale ETag fails and changes nothing; with the right
	// one it applies.
	e.must(412, "PATCH", "/api/v1/jobs/rep", `{"name": "x"}`, "If-Match", `"0000"`)
	e.must(412, "PATCH", "/api/v1/jobs/rep", `{}`, "If-Match", `"0000"`)
	r = e.must(200, "PATCH", "/api/v1/jobs/rep", `{"name": "Daily report", "trigger": {"type": "interval", "hours": 2}}`, "If-Match", etag)
	if m := r.json(t); m["name"] != "Daily report" || m["trigger"].(map[string]any)["type"] != "interval" || r.header.Get("ETag") == etag {
		t.Fatalf("after PATCH: %s", r.body)
	}
	e.must(412, "DELETE", "/api/v1/jobs/rep", "", "If-Match", etag)
	// Pause, resume, run now.
	if m := e.must(200, "POST", "/api/v1/jobs/rep/pause", "").json(t); m["paused"] != true || m["next_run_time"] != nil {
		t.Fatalf("pause: %v", m)
	}
	if m := e.must(200, "POST", "/api/v1/jobs/rep/resume", "").json(t); m["paused"] != false || m["next_run_time"] == nil {
		t.Fatalf("resume: %v", m)
	}
	r = e.must(202, "POST", "/api/v1/jobs/rep/run", "")
	runID := r.json(t)["id"].(string)
	e.waitRun(runID)
	run := e.must(200, "GET", "/api/v1/runs/"+runID, "").json(t)
	if run["status"] != "succeeded" || run["output"] != "hello from rep" || run["manual"] != true || run["duration"] == nil {
		t.Fatalf("run: %v", run)
	}
	out := e.must(200, "GET", "/api/v1/runs/"+runID+"/output", "")
	if string(out.body) != "hello from rep" || !strings.HasPrefix(out.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("output: %q %v", out.body, out.header)
	}
	runs := e.must(200, "GET", "/api/v1/jobs/rep/runs", "").json(t)["runs"].([]any)
	if len(runs) != 1 || runs[0].(map[string]any)["id"] != runID {
		t.Fatalf("job runs: %v", runs)
	}
	// PUT replaces the whole definition.
	r = e.must(200, "PUT", "/api/v1/jobs/rep", `{"task": "sundial:noop", "trigger": {"type": "interval", "minutes": 1}}`)
	if m := r.json(t); m["task"] != "sundial:noop" || len(m["tags"].([]any)) != 0 {
		t.Fatalf("PUT: %s", r.body)
	}
	e.must(201, "PUT", "/api/v1/jobs/new", `{"task": "sundial:noop", "trigger": {"type": "interval", "minutes": 1}}`)
	e.must(204, "DELETE", "/api/v1/jobs/rep", "")
	e.must(404, "GET", "/api/v1/jobs/rep", "")
	// History outlives the job.
	e.must(200, "GET", "/api/v1/runs/"+runID, "")
}

func TestNativeListFiltersAndPages(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for i := range 25 {
		tag := "even"
		if i%2 == 1 {
			tag = "odd"
		}
		e.must(201, "POST", "/api/v1/jobs", fmt.Sprintf(`{"id": "j%02d", "name": "Job %d", "task": "sundial:noop",
			"trigger": {"type": "interval", "minutes": %d}, "tags": [%q], "paused": %v}`, i, i, i+1, tag, i >= 20))
	}
	list := func(q string) (ids []string, next string) {
		m := e.must(200, "GET", "/api/v1/jobs?"+q, "").json(t)
		for _, j := range m["jobs"].([]any) {
			ids = append(ids, j.(map[string]any)["id"].(string))
		}
		return ids, m["next_cursor"].(string)
	}
	// Pages of 10 walk all 25 once, in order, paused last.
	var all []string
	cursor := ""
	for {
		ids, next := list("limit=10&cursor=" + cursor)
		all = append(all, ids...)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(all) != 25 || all[0] != "j00" || all[19] != "j19" || all[20] != "j20" {
		t.Fatalf("pages: %v", all)
	}
	seen := map[string]bool{}
	for _, id := range all {
		if seen[id] {
			t.Fatalf("job %s on two pages", id)
		}
		seen[id] = true
	}
	if ids, _ := list("tag=odd&paused=false"); len(ids) != 10 {
		t.Fatalf("odd and not paused: %v", ids)
	}
	if ids, _ := list("paused=true"); len(ids) != 5 {
		t.Fatalf("paused: %v", ids)
	}
	if ids, _ := list("q=job%2013"); len(ids) != 1 || ids[0] != "j13" {
		t.Fatalf("text search: %v", ids)
	}
	for _, q := range []string{"limit=0", "limit=x", "paused=maybe", "cursor=zzz"} {
		r := e.must(400, "GET", "/api/v1/jobs?"+q, "")
		if r.json(t)["field"] == nil {
			t.Errorf("%s: no field in %s", q, r.body)
		}
	}
}

func TestNativeBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.must(201, "POST", "/api/v1/jobs", `{"id": "keep", "task": "sundial:noop", "trigger": {"type": "interval", "minutes": 5}}`)
	before := e.jobIDs()
	cases := []struct{ method, path, body, field string }{
		{"POST", "/api/v1/jobs", `{"task": "sundial:noop"}`, "trigger"},
		{"POST", "/api/v1/jobs", `{"task": "nope", "trigger": {"type": "interval", "minutes": 5}}`, "task"},
		{"POST", "/api/v1/jobs", `{"task": "sundial:noop", "trigger": {"type": "cron", "hour": "9-"}}`, "trigger.hour"},
		{"POST", "/api/v1/jobs", `{"task": "sundial:noop", "trigger": {"type": "or", "triggers": [{"type": "cron", "hour": "1"}, {"type": "cron", "minute": "61"}]}}`, "trigger.triggers[1].minute"},
		{"POST", "/api/v1/jobs", `{"task": "sundial:noop", "trigger": {"type": "date", "run_date": "2001-01-01T00:00:00Z"}, "misfire_grace_time": 1}`, ""},
		{"POST", "/api/v1/jobs", `{"task": "sundial:noop", "trigger": {"type": "interval", "minutes": 5}, "retry": {"attempts": -1}}`, "retry.attempts"},
		{"POST", "/api/v1/jobs", `{"task": "sundial:noop", "trigger": {"type": "interval", "minutes": 5}, "retry": {"tries": 1}}`, "retry.tries"},
		{"POST", "/api/v1/jobs", `{"task": "sundial:noop", "trigger": {"type": "interval", "minutes": 5}, "recovery": "maybe"}`, "recovery"},
		{"POST", "/api/v1/jobs", `{"task": "sundial:noop", "trigger": {"type": "interval", "minutes": 5}, "timeout": -1}`, "timeout"},
		{"POST", "/api/v1/jobs", `{"task": "sundial:noop", "trigger": {"type": "interval", "minutes": 5}, "tags": "a"}`, "tags"},
		{"POST", "/api/v1/jobs", `{"task": "sundial:noop", "trigger": {"type": "interval", "minutes": 5}, "colour": "red"}`, "colour"},
		{"POST", "/api/v1/jobs", `{"id": "keep", "task": "sundial:noop", "trigger": {"type": "interval", "minutes": 5}}`, "id"},
		{"PATCH", "/api/v1/jobs/keep", `{"trigger": {"type": "cron", "second": "x"}, "name": "changed"}`, "trigger.second"},
		{"PATCH", "/api/v1/jobs/keep", `{"name": "changed", "max_instances": 0}`, "max_instances"},
		{"PATCH", "/api/v1/jobs/keep", `{"trigger": null}`, "trigger"},
		{"PATCH", "/api/v1/jobs/keep", `{"id": "other"}`, "id"},
		{"PUT", "/api/v1/jobs/keep", `{"id": "other", "task": "sundial:noop", "trigger": {"type": "interval", "minutes": 5}}`, "id"},
		{"POST", "/api/v1/triggers/preview", `{"trigger": {"type": "crontab", "expr": "61 * * * *"}}`, "trigger.expr"},
		{"POST", "/api/v1/triggers/preview", `{"trigger": {"type": "interval", "minutes": 1}, "count": 1000}`, "count"},
		{"POST", "/api/v1/jobs", `[]`, ""},
		{"POST", "/api/v1/jobs", `{"task": `, ""},
	}
	for _, c := range cases {
		r := e.do(c.method, c.path, c.body)
		if r.status < 400 || r.status >= 500 {
			t.Errorf("%s %s %s: status %d, want 4xx: %s", c.method, c.path, c.body, r.status, r.body)
			continue
		}
		m := r.json(t)
		if m["code"] == nil || m["message"] == nil {
			t.Errorf("%s %s: error body %s", c.method, c.path, r.body)
		}
		if c.field != "" && m["field"] != c.field {
			t.Errorf("%s %s %s: field %v, want %q: %s", c.method, c.path, c.body, m["field"], c.field, r.body)
		}
	}
	if after := e.jobIDs(); after != before {
		t.Fatalf("refused requests changed the jobs:\n%s\n%s", before, after)
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	e := setup(t)
	big := `{"task": "sundial:noop", "trigger": {"type": "interval", "minutes": 5}, "description": "` + strings.Repeat("x", 1<<20) + `"}`
	r := e.must(413, "POST", "/api/v1/jobs", big)
	if r.json(t)["code"] != "too_large" {
		t.Fatalf("413 body %s", r.body)
	}
}

func TestPreviewAndValidate(t *testing.T) {
	t.Parallel()
	e := setup(t)
	m := e.must(200, "POST", "/api/v1/triggers/preview", `{"trigger": {"type": "crontab", "expr": "30 2 * * *", "timezone": "Europe/Berlin"},
		"from": "2025-03-29T12:00:00+01:00", "count": 3}`).json(t)
	fires := m["fires"].([]any)
	want := []any{"2025-03-30T03:30:00+02:00", "2025-03-31T02:30:00+02:00", "2025-04-01T02:30:00+02:00"}
	if !equalJSON(fires, want) || m["done"] != false || m["description"] == "" {
		t.Fatalf("preview: %v", m)
	}
	m = e.must(200, "POST", "/api/v1/triggers/preview", `{"trigger": {"type": "date", "run_date": "2030-01-01T00:00:00Z"}, "from": "2029-01-01T00:00:00Z"}`).json(t)
	if len(m["fires"].([]any)) != 1 || m["done"] != true {
		t.Fatalf("date preview: %v", m)
	}
	m = e.must(200, "POST", "/api/v1/triggers/validate", `{"trigger": {"type": "cron", "day_of_week": "MON-fri", "hour": 9}}`).json(t)
	if m["valid"] != true || m["trigger"].(map[string]any)["hour"] != "9" {
		t.Fatalf("validate: %v", m)
	}
	r := e.must(400, "POST", "/api/v1/triggers/validate", `{"trigger": {"type": "cron", "day_of_week": "funday"}}`)
	if r.json(t)["field"] != "trigger.day_of_week" {
		t.Fatalf("validate error: %s", r.body)
	}
}

func TestSchedulerStateNodesTasks(t *testing.T) {
	t.Parallel()
	e := setup(t)
	m := e.must(200, "GET", "/api/v1/scheduler", "").json(t)
	if m["state"] != "running" || m["node"] != e.s.NodeID() || m["executors"].(map[string]any)["scripts"] != 2.0 {
		t.Fatalf("state: %v", m)
	}
	if m := e.must(200, "POST", "/api/v1/scheduler/pause", "").json(t); m["state"] != "paused" {
		t.Fatalf("pause: %v", m)
	}
	if m := e.must(200, "POST", "/api/v1/scheduler/resume", "").json(t); m["state"] != "running" {
		t.Fatalf("resume: %v", m)
	}
	nodes := e.must(200, "GET", "/api/v1/nodes", "").json(t)["nodes"].([]any)
	if len(nodes) != 1 || nodes[0].(map[string]any)["id"] != e.s.NodeID() || nodes[0].(map[string]any)["live"] != true {
		t.Fatalf("nodes: %v", nodes)
	}
	tasks := e.must(200, "GET", "/api/v1/tasks", "").json(t)["tasks"].([]any)
	if !equalJSON(tasks, []any{"sundial:noop", "test:echo"}) {
		t.Fatalf("tasks: %v", tasks)
	}
}

func TestEventStream(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/api/v1/events?types=job_added,run_succeeded", nil)
	res, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	rd := bufio.NewReader(res.Body)
	if line, _ := rd.ReadString('\n'); !strings.HasPrefix(line, ":") {
		t.Fatalf("first line %q", line)
	}
	e.must(201, "POST", "/api/v1/jobs", `{"id": "ev", "task": "test:echo", "trigger": {"type": "interval", "hours": 1}}`)
	e.must(202, "POST", "/api/v1/jobs/ev/run", "")
	var types []string
	for len(types) < 2 {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended: %v (saw %v)", err, types)
		}
		if typ, ok := strings.CutPrefix(strings.TrimSpace(line), "event: "); ok {
			types = append(types, typ)
			data, _ := rd.ReadString('\n')
			var ev map[string]any
			if err := json.Unmarshal([]byte(strings.TrimPrefix(data, "data: ")), &ev); err != nil || ev["job_id"] != "ev" {
				t.Fatalf("event data %q: %v", data, err)
			}
		}
	}
	if !equalJSON(types, []string{"job_added", "run_succeeded"}) {
		t.Fatalf("event types %v", types)
	}
}

func TestAuditTrail(t *testing.T) {
	t.Parallel()
	e := setup(t, withAuth())
	op := e.as("operator")
	op.must(201, "POST", "/api/v1/jobs", `{"id": "a1", "task": "sundial:noop", "trigger": {"type": "interval", "hours": 1}}`)
	op.must(200, "POST", "/api/v1/jobs/a1/pause", "")
	op.must(204, "DELETE", "/api/v1/jobs/a1", "")
	op.must(400, "POST", "/api/v1/jobs", `{"task": "nope", "trigger": {"type": "interval", "hours": 1}}`)
	op.must(403, "GET", "/api/v1/audit", "")
	m := e.as("admin").must(200, "GET", "/api/v1/audit?target=a1", "").json(t)
	var actions []string
	for _, x := range m["entries"].([]any) {
		en := x.(map[string]any)
		actions = append(actions, en["action"].(string))
		if en["actor"] != "operator" || en["role"] != "operator" || en["remote"] != "127.0.0.1" || en["at"] == "" {
			t.Errorf("entry %v", en)
		}
	}
	if !equalJSON(actions, []string{"job.delete", "job.pause", "job.create"}) {
		t.Fatalf("audit actions %v", actions)
	}
	entries, _ := e.store.AuditList(t.Context(), sundial.AuditListParams{})
	if len(entries) != 3 {
		t.Fatalf("refused request audited: %d entries", len(entries))
	}
}
