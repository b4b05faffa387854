package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRunsListGetLogs(t *testing.T) {
	t.Parallel()
	a := startAPI(t)
	a.mustCLI("", "jobs", "add", "--id", "greet", "--task", helloTask, "--trigger", "0 0 1 1 *")
	id := strings.TrimSpace(a.mustCLI("", "jobs", "run", "greet").stdout)
	if id == "" {
		t.Fatal("jobs run printed no run id")
	}
	run := a.waitRun(id)
	if run["status"] != "succeeded" {
		t.Fatalf("run %s: %v", id, run)
	}

	r := a.mustCLI("", "runs", "list")
	rows := lines(r.stdout)
	if len(rows) != 2 {
		t.Fatalf("runs list: want a header and one run:\n%s", r.stdout)
	}
	if h := strings.Fields(rows[0]); !equalStrings(h, []string{"ID", "JOB", "STATUS", "SCHEDULED", "DURATION", "NODE"}) {
		t.Errorf("header = %q", rows[0])
	}
	f := strings.Fields(rows[1])
	if len(f) != 6 || f[0] != id || f[1] != "greet" || f[2] != "succeeded" || f[3] != run["scheduled_at"] || f[5] != run["node"] {
		t.Errorf("row = %q, want run %s of greet, succeeded, at %v on %v", rows[1], id, run["scheduled_at"], run["node"])
	}
	for _, filter := range [][]string{{"--job", "greet"}, {"--status", "succeeded"}, {"--node", run["node"].(string)}} {
		r := a.mustCLI("", append([]string{"runs", "list"}, filter...)...)
		if rows := lines(r.stdout); len(rows) != 2 || !strings.HasPrefix(rows[1], id+" ") {
			t.Errorf("runs list %v:\n%s", filter, r.stdout)
		}
	}
	for _, filter := range [][]string{{"--job", "other"}, {"--status", "failed"}, {"--from", "2999-01-01T00:00:00Z"}} {
		r := a.mustCLI("", append([]string{"runs", "list"}, filter...)...)
		if rows := lines(r.stdout); len(rows) != 1 {
			t.Errorf("runs list %v: want only the header:\n%s", filter, r.stdout)
		}
	}

	r = a.mustCLI("", "runs", "logs", id)
	if r.stdout != "hello" {
		t.Errorf("runs logs = %q, want the output as recorded, %q", r.stdout, "hello")
	}
	r = a.mustCLI("", "runs", "get", id)
	got := fields(t, r.stdout)
	if got["id"] != id || got["job_id"] != "greet" || got["output"] != "hello" || got["manual"] != "true" {
		t.Errorf("runs get: %v", got)
	}
	r = a.mustCLI("", "runs", "get", id, "--json")
	if want := string(a.get("/runs/" + id)); r.stdout != want {
		t.Errorf("runs get --json = %s, want the API's %s", r.stdout, want)
	}
}

func TestRunsListAllPages(t *testing.T) {
	t.Parallel()
	a := startAPI(t)
	a.mustCLI("", "jobs", "add", "--id", "greet", "--task", helloTask, "--trigger", "0 0 1 1 *")
	var ids []string
	for range 5 {
		id := strings.TrimSpace(a.mustCLI("", "jobs", "run", "greet").stdout)
		a.waitRun(id)
		ids = append(ids, id)
	}
	r := a.mustCLI("", "runs", "list", "--limit", "2")
	if got := len(lines(r.stdout)) - 1; got != 2 || !strings.Contains(r.stderr, "--all") {
		t.Errorf("--limit 2: %d runs, stderr %q; want 2 and a hint", got, r.stderr)
	}
	r = a.mustCLI("", "runs", "list", "--limit", "2", "--all")
	rows := lines(r.stdout)[1:]
	if len(rows) != len(ids) {
		t.Fatalf("--limit 2 --all: %d runs, want %d:\n%s", len(rows), len(ids), r.stdout)
	}
	for i, row := range rows { // newest first
		if want := ids[len(ids)-1-i] + " "; !strings.HasPrefix(row, want) {
			t.Errorf("row %d = %q, want run %s", i, row, want)
		}
	}
	r = a.mustCLI("", "runs", "list", "--limit", "2", "--all", "--json")
	var page struct {
		Runs []struct {
			ID     string  `json:"id"`
			Output *string `json:"output"`
		} `json:"runs"`
		NextCursor string `json:"next_cursor"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Runs) != len(ids) || page.NextCursor != "" || !strings.HasPrefix(r.stdout, `{"next_cursor":"","runs":[`) {
		t.Errorf("--all --json: %s", r.stdout)
	}
}

func TestRunsHelp(t *testing.T) {
	t.Parallel()
	r := runCmd(t, "", "help", "runs")
	if r.err != nil || !strings.Contains(r.stdout, "logs") || !strings.Contains(r.stdout, "Exit status:") {
		t.Errorf("help runs: err %v, stdout:\n%s", r.err, r.stdout)
	}
	for _, sub := range []string{"list", "get", "logs"} {
		r := runCmd(t, "", "runs", sub, "-h")
		if r.err != nil || !strings.HasPrefix(r.stdout, "Usage: sundial runs "+sub) {
			t.Errorf("runs %s -h: err %v, stdout:\n%s", sub, r.err, r.stdout)
		}
	}
}
