package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// decodeJob decodes a job printed with --json.
func decodeJob(t *testing.T, s string) map[string]any {
	t.Helper()
	var j map[string]any
	if err := json.Unmarshal([]byte(s), &j); err != nil {
		t.Fatalf("not a JSON job: %v: %q", err, s)
	}
	return j
}

// fields reads "key: value" lines into a map.
func fields(t *testing.T, s string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, line := range lines(s) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("line %q is not key: value", line)
		}
		m[k] = strings.TrimSpace(v)
	}
	return m
}

func TestJobsRoundTrip(t *testing.T) {
	t.Parallel()
	a := startAPI(t)

	r := a.mustCLI("", "jobs", "add", "--id", "backup", "--name", "Nightly backup", "--task", helloTask,
		"--trigger", "0 3 * * *", "--kwargs", `{"dir": "/srv"}`, "--tag", "nightly", "--tag", "ops")
	got := fields(t, r.stdout)
	for k, want := range map[string]string{"id": "backup", "name": "Nightly backup", "task": helloTask,
		"kwargs": `{"dir":"/srv"}`, "tags": `["nightly","ops"]`, "paused": "false"} {
		if got[k] != want {
			t.Errorf("add: %s = %q, want %q", k, got[k], want)
		}
	}
	if !strings.HasPrefix(got["trigger"], `{"type":"crontab","expr":"0 3 * * *"`) {
		t.Errorf("add: trigger = %q, want the crontab expression", got["trigger"])
	}
	if got["next_run_time"] == "-" || got["etag"] == "" {
		t.Errorf("add: next_run_time %q, etag %q: want both", got["next_run_time"], got["etag"])
	}

	// A job from a file, and one from standard input.
	file := filepath.Join(t.TempDir(), "job.json")
	def := `{"id": "report", "task": "` + helloTask + `", "trigger": {"type": "interval", "hours": 1}, "paused": true}`
	if err := os.WriteFile(file, []byte(def), 0o600); err != nil {
		t.Fatal(err)
	}
	a.mustCLI("", "jobs", "add", "--file", file)
	a.mustCLI(`{"id": "cleanup", "task": "`+helloTask+`", "trigger": {"type": "cron", "minute": "*/5"}}`, "jobs", "add", "--file", "-")

	// Paused jobs come last; a job's name is its id unless given.
	r = a.mustCLI("", "jobs", "list")
	rows := lines(r.stdout)
	if len(rows) != 4 || !strings.HasPrefix(rows[3], "report ") {
		t.Fatalf("list: want a header and 3 jobs, report last:\n%s", r.stdout)
	}
	if h := strings.Fields(rows[0]); !equalStrings(h, []string{"ID", "NAME", "TASK", "NEXT", "RUN", "TRIGGER", "STATE"}) {
		t.Errorf("header = %q", rows[0])
	}
	byID := map[string]string{}
	for _, row := range rows[1:] {
		byID[strings.Fields(row)[0]] = row
	}
	for id, want := range map[string]string{
		"backup":  `^backup +Nightly backup +test:hello +20\S+T03:00:00\+00:00 +at 03:00 \(UTC\) +scheduled$`,
		"cleanup": `^cleanup +cleanup +test:hello +20\S+ +every 5 minutes \(UTC\) +scheduled$`,
		"report":  `^report +report +test:hello +- +every hour .* +paused$`,
	} {
		if !regexp.MustCompile(want).MatchString(byID[id]) {
			t.Errorf("list: row of %s = %q, want it to match %s", id, byID[id], want)
		}
	}
	r = a.mustCLI("", "jobs", "list", "--paused", "true")
	if rows := lines(r.stdout); len(rows) != 2 || !strings.HasPrefix(rows[1], "report ") {
		t.Errorf("list --paused true:\n%s", r.stdout)
	}
	r = a.mustCLI("", "jobs", "list", "--tag", "ops", "--q", "NIGHTLY")
	if rows := lines(r.stdout); len(rows) != 2 || !strings.HasPrefix(rows[1], "backup ") {
		t.Errorf("list --tag ops --q NIGHTLY:\n%s", r.stdout)
	}

	// Edit with field flags, then with a file of changes.
	r = a.mustCLI("", "jobs", "edit", "backup", "--name", "Backup", "--trigger", `{"type": "cron", "hour": "4"}`, "--tag", "")
	got = fields(t, r.stdout)
	if got["name"] != "Backup" || got["tags"] != "[]" || !strings.Contains(got["trigger"], `"hour":"4"`) {
		t.Errorf("edit: name %q, tags %q, trigger %q", got["name"], got["tags"], got["trigger"])
	}
	r = a.mustCLI(`{"description": "to the NAS"}`, "jobs", "edit", "backup", "--file", "-")
	if got = fields(t, r.stdout); got["description"] != "to the NAS" || got["name"] != "Backup" {
		t.Errorf("edit --file -: description %q, name %q", got["description"], got["name"])
	}

	// Pause and resume, directly and through edit.
	r = a.mustCLI("", "jobs", "pause", "backup")
	if r.stdout != "backup: paused\n" {
		t.Errorf("pause: stdout %q", r.stdout)
	}
	r = a.mustCLI("", "jobs", "get", "backup")
	if got = fields(t, r.stdout); got["paused"] != "true" || got["next_run_time"] != "-" {
		t.Errorf("get after pause: paused %q, next_run_time %q", got["paused"], got["next_run_time"])
	}
	r = a.mustCLI("", "jobs", "resume", "backup")
	if !strings.HasPrefix(r.stdout, "backup: next run 20") {
		t.Errorf("resume: stdout %q", r.stdout)
	}
	r = a.mustCLI("", "jobs", "edit", "report", "--paused=false", "--name", "Report")
	if got = fields(t, r.stdout); got["paused"] != "false" || got["name"] != "Report" {
		t.Errorf("edit --paused=false --name: paused %q, name %q", got["paused"], got["name"])
	}

	// Run prints the id of a run the API knows.
	r = a.mustCLI("", "jobs", "run", "backup")
	id := strings.TrimSpace(r.stdout)
	if run := a.waitRun(id); run["job_id"] != "backup" || run["status"] != "succeeded" {
		t.Errorf("run %s: %v", id, run)
	}

	// Remove two; the third is left.
	r = a.mustCLI("", "jobs", "rm", "backup", "report")
	if r.stdout != "backup: removed\nreport: removed\n" {
		t.Errorf("rm: stdout %q", r.stdout)
	}
	r = a.mustCLI("", "jobs", "list")
	if rows := lines(r.stdout); len(rows) != 2 || !strings.HasPrefix(rows[1], "cleanup ") {
		t.Errorf("list after rm:\n%s", r.stdout)
	}
	if r := a.cli("", "jobs", "get", "backup"); exitStatus(r.err) != exitNotFound {
		t.Errorf("get removed job: err %v, want exit %d", r.err, exitNotFound)
	}
}

func equalStrings(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00")
}

// --json prints exactly what the API answers.
func TestJobsJSON(t *testing.T) {
	t.Parallel()
	a := startAPI(t)
	r := a.mustCLI("", "jobs", "add", "--json", "--id", "j1", "--task", helloTask, "--trigger", `{"type": "interval", "minutes": 10}`)
	added := decodeJob(t, r.stdout)
	if added["id"] != "j1" || added["trigger_description"] == "" {
		t.Errorf("add --json: %v", added)
	}
	for _, tt := range []struct {
		args []string
		path string
	}{
		{[]string{"jobs", "get", "j1"}, "/jobs/j1"},
		{[]string{"jobs", "list"}, "/jobs"},
		{[]string{"jobs", "list", "--all"}, "/jobs"},
		{[]string{"runs", "list"}, "/runs"},
		{[]string{"nodes"}, "/nodes"},
	} {
		r := a.mustCLI("", append(tt.args, "--json")...)
		want := string(a.get(tt.path))
		if tt.path == "/nodes" {
			// A heartbeat may come between the two reads; compare the shape.
			var got, w struct {
				Nodes []struct{ ID string } `json:"nodes"`
				Self  string                `json:"self"`
			}
			if json.Unmarshal([]byte(r.stdout), &got) != nil || json.Unmarshal([]byte(want), &w) != nil ||
				fmt.Sprint(got) != fmt.Sprint(w) {
				t.Errorf("%v --json = %s, want %s", tt.args, r.stdout, want)
			}
			continue
		}
		if r.stdout != want {
			t.Errorf("%v --json =\n%s\nwant the API's\n%s", tt.args, r.stdout, want)
		}
	}
	r = a.mustCLI("", "jobs", "pause", "j1", "--json")
	if j := decodeJob(t, r.stdout); j["paused"] != true || j["next_run_time"] != nil {
		t.Errorf("pause --json: %v", j)
	}
	r = a.mustCLI("", "jobs", "run", "j1", "--json")
	if run := decodeJob(t, r.stdout); run["job_id"] != "j1" || run["manual"] != true {
		t.Errorf("run --json: %v", run)
	}
	r = a.mustCLI("", "jobs", "rm", "j1", "--json")
	if r.stdout != "" {
		t.Errorf("rm --json: stdout %q, want nothing (the API answers no body)", r.stdout)
	}
}

func TestJobsListAllPages(t *testing.T) {
	t.Parallel()
	a := startAPI(t)
	const n = 7
	for i := range n {
		a.mustCLI("", "jobs", "add", "--id", fmt.Sprintf("job-%d", i), "--task", helloTask,
			"--trigger", fmt.Sprintf(`{"type": "interval", "minutes": %d}`, i+1))
	}
	r := a.mustCLI("", "jobs", "list", "--limit", "3")
	if got := len(lines(r.stdout)) - 1; got != 3 {
		t.Errorf("--limit 3: %d jobs, want 3:\n%s", got, r.stdout)
	}
	if !strings.Contains(r.stderr, "--all") {
		t.Errorf("--limit 3: stderr %q, want a hint at --all", r.stderr)
	}
	r = a.mustCLI("", "jobs", "list", "--limit", "3", "--all")
	rows := lines(r.stdout)[1:]
	if len(rows) != n || r.stderr != "" {
		t.Fatalf("--limit 3 --all: %d jobs, want %d; stderr %q:\n%s", len(rows), n, r.stderr, r.stdout)
	}
	for i, row := range rows { // the shortest interval fires first
		if want := fmt.Sprintf("job-%d ", i); !strings.HasPrefix(row, want) {
			t.Errorf("row %d = %q, want %q first", i, row, want)
		}
	}
	r = a.mustCLI("", "jobs", "list", "--limit", "3", "--all", "--json")
	var page struct {
		Jobs       []map[string]any `json:"jobs"`
		NextCursor *string          `json:"next_cursor"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Jobs) != n || page.NextCursor == nil || *page.NextCursor != "" {
		t.Errorf("--all --json: %d jobs, next_cursor %v; want %d and \"\"", len(page.Jobs), page.NextCursor, n)
	}
	// With every job on one page, --all --json is the API's answer itself.
	r = a.mustCLI("", "jobs", "list", "--all", "--json")
	if want := string(a.get("/jobs")); r.stdout != want {
		t.Errorf("list --all --json =\n%s\nwant\n%s", r.stdout, want)
	}
}

// The server's refusals reach the exit status, and a 400 names its field.
func TestJobsErrors(t *testing.T) {
	t.Parallel()
	a := startAPI(t)
	a.mustCLI("", "jobs", "add", "--id", "taken", "--task", helloTask, "--trigger", "* * * * *")
	etag := fields(t, a.mustCLI("", "jobs", "get", "taken").stdout)["etag"]

	tests := []struct {
		name    string
		stdin   string
		args    []string
		status  int
		message string // in the error
	}{
		{"bad trigger field", "", []string{"jobs", "add", "--task", helloTask, "--trigger", `{"type": "cron", "hour": "25"}`},
			exitInvalid, "trigger.hour: "},
		{"bad limit", "", []string{"jobs", "list", "--limit", "0"}, exitInvalid, "limit: must be"},
		{"unknown field in file", `{"task": "x", "trigger": {"type": "cron"}, "colour": "red"}`, []string{"jobs", "add", "--file", "-"},
			exitInvalid, "colour"},
		{"body not JSON", `{nope`, []string{"jobs", "add", "--file", "-"}, exitInvalid, "not valid JSON"},
		{"bad run status", "", []string{"runs", "list", "--status", "done"}, exitInvalid, "status: "},
		{"get missing", "", []string{"jobs", "get", "nope"}, exitNotFound, "job not found"},
		{"pause missing", "", []string{"jobs", "pause", "nope"}, exitNotFound, "job not found"},
		{"run missing", "", []string{"jobs", "run", "nope"}, exitNotFound, "job not found"},
		{"edit missing", "", []string{"jobs", "edit", "nope", "--name", "x"}, exitNotFound, "job not found"},
		{"rm missing", "", []string{"jobs", "rm", "taken-not", "nope"}, exitNotFound, "nope: job not found"},
		{"run logs missing", "", []string{"runs", "logs", "nope"}, exitNotFound, "run not found"},
		{"id taken", "", []string{"jobs", "add", "--id", "taken", "--task", helloTask, "--trigger", "* * * * *"},
			exitConflict, "already exists"},
		{"if-match stale", "", []string{"jobs", "edit", "taken", "--name", "x", "--if-match", `"0123"`}, exitConflict, "changed since"},
		{"if-match stale, unquoted", "", []string{"jobs", "edit", "taken", "--paused", "--if-match", "0123"}, exitConflict, "changed since"},
		{"no fields", "", []string{"jobs", "add"}, exitUsage, "--file"},
		{"nothing to change", "", []string{"jobs", "edit", "taken", "--if-match", "x"}, exitUsage, "nothing to change"},
		{"file and flags", "", []string{"jobs", "add", "--file", "-", "--task", "x"}, exitUsage, "not both"},
		{"bad inline JSON", "", []string{"jobs", "add", "--task", "x", "--args", "[1,"}, exitUsage, "--args: not valid JSON"},
		{"id in edit", "", []string{"jobs", "edit", "taken", "--id", "other"}, exitUsage, "-id"},
		{"missing id", "", []string{"jobs", "get"}, exitUsage, "missing job ID"},
		{"extra id", "", []string{"jobs", "get", "a", "b"}, exitUsage, `unexpected argument "b"`},
		{"bad paused filter", "", []string{"jobs", "list", "--paused", "maybe"}, exitUsage, "--paused"},
		{"unknown subcommand", "", []string{"jobs", "frob"}, exitUsage, `unknown subcommand "frob"`},
		{"no subcommand", "", []string{"jobs"}, exitUsage, "no subcommand"},
		{"missing file", "", []string{"jobs", "add", "--file", "/nonexistent/job.json"}, 1, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := a.cli(tt.stdin, tt.args...)
			if got := exitStatus(r.err); got != tt.status {
				t.Errorf("exit %d (err %v), want %d", got, r.err, tt.status)
			}
			if r.err == nil || !strings.Contains(r.err.Error(), tt.message) {
				t.Errorf("err = %v, want it to contain %q", r.err, tt.message)
			}
		})
	}
	// The right etag, quoted as the API gives it or not, lets the change through.
	r := a.mustCLI("", "jobs", "edit", "taken", "--name", "renamed", "--if-match", etag)
	got := fields(t, r.stdout)
	if got["name"] != "renamed" {
		t.Errorf("edit --if-match current: name %q", got["name"])
	}
	r = a.mustCLI("", "jobs", "edit", "taken", "--paused", "--if-match", strings.Trim(got["etag"], `"`))
	if got := fields(t, r.stdout); got["paused"] != "true" {
		t.Errorf("edit --paused --if-match current: paused %q", got["paused"])
	}
	r = a.mustCLI("", "jobs", "edit", "taken", "--paused=false")
	if got := fields(t, r.stdout); got["paused"] != "false" || got["next_run_time"] == "-" {
		t.Errorf("edit --paused=false: paused %q, next_run_time %q", got["paused"], got["next_run_time"])
	}
}

// A 400's message is "field: message" exactly once.
func TestJobsInvalidMessage(t *testing.T) {
	t.Parallel()
	a := startAPI(t)
	r := a.cli("", "jobs", "add", "--task", helloTask, "--trigger", `{"type": "cron", "hour": "25"}`)
	const want = "sundial jobs: add: trigger.hour: "
	if r.err == nil || !strings.HasPrefix(r.err.Error(), want) || strings.Count(r.err.Error(), "trigger.hour") != 1 {
		t.Errorf("err = %v, want %q once, then the reason", r.err, want)
	}
}

func TestJobsHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help", "jobs"}, {"jobs", "-h"}, {"jobs", "help"}} {
		r := runCmd(t, "", args...)
		if r.err != nil {
			t.Fatalf("%v: %v", args, r.err)
		}
		for _, want := range []string{"Exit status:", "3  not found", "6  unauthorized", "Subcommands:", "--server URL"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%v: usage lacks %q", args, want)
			}
		}
	}
	for _, sub := range []string{"list", "get", "add", "edit", "pause", "resume", "run", "rm"} {
		r := runCmd(t, "", "jobs", sub, "-h")
		if r.err != nil || !strings.HasPrefix(r.stdout, "Usage: sundial jobs "+sub) || !strings.Contains(r.stdout, "-server URL") {
			t.Errorf("jobs %s -h: err %v, stdout:\n%s", sub, r.err, r.stdout)
		}
	}
}

// The common flags may come before the subcommand.
func TestJobsFlagsBeforeSubcommand(t *testing.T) {
	t.Parallel()
	a := startAPI(t)
	a.mustCLI("", "jobs", "add", "--id", "x", "--task", helloTask, "--trigger", "* * * * *")
	r := runCmd(t, "", "jobs", "--server", a.url, "--json", "get", "x")
	if r.err != nil {
		t.Fatal(r.err)
	}
	if j := decodeJob(t, r.stdout); j["id"] != "x" {
		t.Errorf("jobs --server URL --json get x: %v", j)
	}
}
