package task

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
)

func TestExecValidator(t *testing.T) {
	t.Parallel()
	_, validate := Exec(ExecConfig{
		Allow:    []string{"/opt/jobs/*", "python3", "sh"},
		EnvAllow: []string{"MODE"},
	})
	for _, tc := range []struct {
		name         string
		args, kwargs string
		field        string // "" for valid
		reason       string // a part of the reason
	}{
		{"args", `["python3", "report.py"]`, `{}`, "", ""},
		{"glob", `["/opt/jobs/nightly.sh", "--full"]`, ``, "", ""},
		{"command array", `[]`, `{"command": ["python3", "-V"]}`, "", ""},
		{"command string", `null`, `{"command": "python3 -c 'print(1)'"}`, "", ""},
		{"listed shell", `["sh", "-c", "echo hi"]`, `{}`, "", ""},
		{"everything", `["python3"]`, `{"dir": "reports", "env": {"MODE": "full"}, "timeout": 0.5}`, "", ""},
		{"nulls are absent", `["python3"]`, `{"dir": null, "env": null, "timeout": null}`, "", ""},

		{"neither", `[]`, `{}`, "args", "is empty"},
		{"no arguments at all", ``, ``, "args", "is empty"},
		{"both", `["python3"]`, `{"command": ["python3"]}`, "kwargs.command", "conflicts with args"},
		{"args not array", `{"a": 1}`, `{}`, "args", "array of strings"},
		{"args element", `["python3", 3]`, `{}`, "args[1]", "must be a string, got a number"},
		{"args NUL", `["python3", "a\u0000b"]`, `{}`, "args[1]", "NUL"},
		{"kwargs not object", `["python3"]`, `[1]`, "kwargs", "JSON object"},
		{"unknown kwarg", `["python3"]`, `{"shell": true, "cwd": "/"}`, "kwargs.cwd", "also unknown: shell"},
		{"command type", `[]`, `{"command": 5}`, "kwargs.command", "string or an array"},
		{"command element", `[]`, `{"command": ["python3", {}]}`, "kwargs.command[1]", "got an object"},
		{"command empty array", `[]`, `{"command": []}`, "kwargs.command", "is empty"},
		{"command empty string", `[]`, `{"command": "  "}`, "kwargs.command", "no words"},
		{"command open quote", `[]`, `{"command": "python3 'x"}`, "kwargs.command", "not closed"},
		{"command string not allowed", `[]`, `{"command": "bash -c id"}`, "kwargs.command", "does not list it"},
		{"bare name not listed", `["bash", "-c", "id"]`, `{}`, "args[0]", "does not list it"},
		{"absolute path of a listed name", `["/usr/bin/python3"]`, `{}`, "args[0]", "matches no path"},
		{"glob does not cross /", `["/opt/jobs/sub/x"]`, `{}`, "args[0]", "matches no path"},
		{"dot dot", `["/opt/jobs/../../bin/sh"]`, `{}`, "args[0]", "not a clean absolute path"},
		{"double slash", `["/opt/jobs//x"]`, `{}`, "args[0]", "not a clean absolute path"},
		{"relative path", `["./python3"]`, `{}`, "args[0]", "relative path"},
		{"relative dir path", `["jobs/run.sh"]`, `{}`, "args[0]", "relative path"},
		{"empty program", `[""]`, `{}`, "args[0]", "empty"},
		{"dir type", `["python3"]`, `{"dir": 1}`, "kwargs.dir", "must be a string"},
		{"dir NUL", `["python3"]`, `{"dir": "a\u0000"}`, "kwargs.dir", "NUL"},
		{"env type", `["python3"]`, `{"env": "MODE=full"}`, "kwargs.env", "object of strings"},
		{"env value type", `["python3"]`, `{"env": {"MODE": 1}}`, "kwargs.env.MODE", "must be a string"},
		{"env not allowed", `["python3"]`, `{"env": {"PATH": "/tmp"}}`, "kwargs.env.PATH", "exec.env_allow"},
		{"env NUL", `["python3"]`, `{"env": {"MODE": "a\u0000"}}`, "kwargs.env.MODE", "NUL"},
		{"timeout type", `["python3"]`, `{"timeout": "5s"}`, "kwargs.timeout", "number of seconds"},
		{"timeout zero", `["python3"]`, `{"timeout": 0}`, "kwargs.timeout", "more than 0"},
		{"timeout negative", `["python3"]`, `{"timeout": -1}`, "kwargs.timeout", "more than 0"},
		{"timeout tiny", `["python3"]`, `{"timeout": 1e-12}`, "kwargs.timeout", "more than 0"},
		{"timeout huge", `["python3"]`, `{"timeout": 1e300}`, "kwargs.timeout", "too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := validate(json.RawMessage(tc.args), json.RawMessage(tc.kwargs))
			checkFieldError(t, err, tc.field, tc.reason)
		})
	}
}

// checkFieldError checks that err is nil when field is "", else a
// *sundial.JobError on field whose reason contains reason.
func checkFieldError(t *testing.T, err error, field, reason string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("want valid, got %v", err)
		}
		return
	}
	var je *sundial.JobError
	if !errors.As(err, &je) {
		t.Fatalf("want a *sundial.JobError on %s, got %v", field, err)
	}
	if je.Field != field || !strings.Contains(je.Reason, reason) {
		t.Fatalf("got %s: %s; want %s: …%s…", je.Field, je.Reason, field, reason)
	}
}

func TestExecParseResult(t *testing.T) {
	t.Parallel()
	x := newExecTask(ExecConfig{Allow: []string{"python3"}, EnvAllow: []string{"B", "A"}})
	spec, err := x.parseExec(json.RawMessage(`[]`), json.RawMessage(`{"command": "python3 'a b'", "env": {"B": "2", "A": "1"}, "timeout": 1.5}`))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(spec.argv, []string{"python3", "a b"}) || !slices.Equal(spec.envNames, []string{"A", "B"}) || spec.timeout != 1500*time.Millisecond {
		t.Errorf("spec = %+v", spec)
	}
}
