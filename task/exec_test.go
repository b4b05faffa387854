package task

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// execSetup writes each body as an executable #!/bin/sh script in a fresh
// directory and returns their paths, with a config allowing that
// directory. Call it before t.Parallel: writing an executable while another
// test forks can make its exec fail with "text file busy".
func execSetup(t *testing.T, bodies ...string) (dir string, paths []string, cfg ExecConfig) {
	t.Helper()
	dir = t.TempDir()
	for i, body := range bodies {
		p := filepath.Join(dir, fmt.Sprintf("script%d.sh", i))
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return dir, paths, ExecConfig{Allow: []string{dir + "/*"}, KillGrace: 2 * time.Second}
}

// runContext returns a RunContext for a run of job "job-1".
func runContext(t *testing.T, args, kwargs any) *sundial.RunContext {
	t.Helper()
	enc := func(v any) json.RawMessage {
		if v == nil {
			return nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return &sundial.RunContext{
		JobID: "job-1", RunID: "run-" + strconv.Itoa(int(time.Now().UnixNano()%1e6)),
		ScheduledAt: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), Attempt: 2,
		Args: enc(args), Kwargs: enc(kwargs),
	}
}

func runExec(t *testing.T, ctx context.Context, cfg ExecConfig, args, kwargs any) (string, error) {
	t.Helper()
	// The handler is run plus rc.Output, whose result only the scheduler
	// reads (the examples show it there).
	return newExecTask(cfg).run(ctx, runContext(t, args, kwargs))
}

// waitFor polls cond until it holds, failing the test after 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readPid waits for a script to write a pid to path and returns it.
func readPid(t *testing.T, path string) int {
	t.Helper()
	var pid int
	waitFor(t, "pid file "+path, func() bool {
		b, err := os.ReadFile(path)
		if err != nil || !strings.HasSuffix(string(b), "\n") {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	return pid
}

// processGone reports whether pid no longer runs: it does not exist, or it
// is a zombie (an orphan waits for an init process to reap it, and in a
// container that may never happen).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	// "pid (comm) S ...": the state follows the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("process %d to be gone", pid), func() bool { return processGone(pid) })
}

func TestExecSuccessOutput(t *testing.T) {
	_, paths, cfg := execSetup(t, `echo out; echo err >&2; echo "$@"`)
	t.Parallel()
	out, err := runExec(t, t.Context(), cfg, []string{paths[0], "a b", "$HOME;", "&&", "id"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// stdout and stderr interleaved in order; arguments are inert words.
	if want := "out\nerr\na b $HOME; && id\n"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
}

func TestExecNonZeroExit(t *testing.T) {
	_, paths, cfg := execSetup(t, `echo failing; exit 3`)
	t.Parallel()
	out, err := runExec(t, t.Context(), cfg, []string{paths[0]}, nil)
	if err == nil || !strings.HasSuffix(err.Error(), ": exit status 3") {
		t.Fatalf("err = %v, want exit status 3", err)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("err does not unwrap to an *exec.ExitError with code 3: %#v", err)
	}
	if out != "failing\n" {
		t.Errorf("output %q", out)
	}
}

func TestExecKilledBySignal(t *testing.T) {
	_, paths, cfg := execSetup(t, `kill -KILL $$`)
	t.Parallel()
	_, err := runExec(t, t.Context(), cfg, []string{paths[0]}, nil)
	if err == nil || !strings.Contains(err.Error(), "killed by signal 9 (killed)") {
		t.Fatalf("err = %v, want killed by signal 9", err)
	}
}

func TestExecOutputCap(t *testing.T) {
	_, paths, cfg := execSetup(t, `i=0; while [ $i -lt 100 ]; do printf 0123456789; i=$((i+1)); done`)
	cfg.MaxOutput = 25
	t.Parallel()
	out, err := runExec(t, t.Context(), cfg, []string{paths[0]}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "0123456789012345678901234\n[975 more bytes dropped]"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
}

func TestExecEnvironment(t *testing.T) {
	// Not parallel: it sets a variable in the test process's environment
	// to prove the child does not inherit it.
	t.Setenv("SUNDIAL_TEST_SECRET", "hunter2")
	t.Setenv("LANG", "C.UTF-8")
	_, paths, cfg := execSetup(t, `env`)
	cfg.EnvAllow = []string{"REPORT_MODE", "SUNDIAL_RUN_ID"}
	rc := runContext(t, []string{paths[0]}, map[string]any{"env": map[string]string{
		"REPORT_MODE":    "full",
		"SUNDIAL_RUN_ID": "forged", // allowed by a careless operator, still not honoured
	}})
	out, err := newExecTask(cfg).run(t.Context(), rc)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for line := range strings.Lines(out) {
		k, v, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
		env[k] = v
	}
	want := map[string]string{
		"SUNDIAL_RUN_ID":       rc.RunID,
		"SUNDIAL_JOB_ID":       "job-1",
		"SUNDIAL_SCHEDULED_AT": "2030-01-02T03:04:05Z",
		"SUNDIAL_ATTEMPT":      "2",
		"REPORT_MODE":          "full",
		"LANG":                 "C.UTF-8",
		"PATH":                 os.Getenv("PATH"),
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("child's %s = %q, want %q", k, env[k], v)
		}
	}
	if v, ok := env["SUNDIAL_TEST_SECRET"]; ok {
		t.Errorf("child inherited the server's SUNDIAL_TEST_SECRET=%q", v)
	}
}

func TestExecEnvNotAllowed(t *testing.T) {
	dir, paths, cfg := execSetup(t, `touch "$0.ran"`)
	cfg.EnvAllow = []string{"REPORT_MODE"}
	t.Parallel()
	_, err := runExec(t, t.Context(), cfg, []string{paths[0]}, map[string]any{"env": map[string]string{"LD_PRELOAD": "/tmp/x.so"}})
	var je *sundial.JobError
	if !errors.As(err, &je) || je.Field != "kwargs.env.LD_PRELOAD" || je.JobID != "job-1" {
		t.Fatalf("err = %v, want a JobError on kwargs.env.LD_PRELOAD for job-1", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "script0.sh.ran")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the program ran although its env was refused")
	}
}

func TestExecProgramNotAllowed(t *testing.T) {
	dir, paths, cfg := execSetup(t, `touch "$0.ran"`)
	cfg.Allow = []string{"/opt/jobs/*", "python3"}
	t.Parallel()
	_, validate := Exec(cfg)
	args := json.RawMessage(fmt.Sprintf(`[%q]`, paths[0]))
	err := validate(args, nil)
	var je *sundial.JobError
	if !errors.As(err, &je) || je.Field != "args[0]" || !strings.Contains(je.Reason, "exec.allow") {
		t.Fatalf("validator: %v, want a JobError on args[0] naming exec.allow", err)
	}
	// The handler checks again: a job stored before the configuration
	// changed is refused at run time.
	_, err = runExec(t, t.Context(), cfg, []string{paths[0]}, nil)
	if !errors.As(err, &je) || je.Field != "args[0]" || !errors.Is(err, sundial.ErrInvalidJob) {
		t.Fatalf("handler: %v, want a JobError on args[0]", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "script0.sh.ran")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the program ran although it is not allowed")
	}
}

func TestExecDisabled(t *testing.T) {
	t.Parallel()
	h, validate := Exec(ExecConfig{})
	err := validate(json.RawMessage(`["echo", "hi"]`), nil)
	var je *sundial.JobError
	if !errors.As(err, &je) || je.Field != "task" || !strings.Contains(je.Reason, "exec.allow") {
		t.Fatalf("validator: %v, want a JobError on task naming exec.allow", err)
	}
	// Disabled is the reason whatever else the job gets wrong.
	err = validate(nil, json.RawMessage(`{"shell": true}`))
	if !errors.As(err, &je) || je.Field != "task" {
		t.Fatalf("validator: %v, want a JobError on task", err)
	}
	err = h(t.Context(), runContext(t, []string{"echo", "hi"}, nil))
	if !errors.As(err, &je) || !strings.Contains(err.Error(), "disabled") {
		t.Fatalf("handler: %v, want disabled", err)
	}
}

func TestExecBareNameAndCommandString(t *testing.T) {
	t.Parallel()
	cfg := ExecConfig{Allow: []string{"echo"}}
	out, err := runExec(t, t.Context(), cfg, nil, map[string]any{"command": `echo 'a  b' "c'd"e`})
	if err != nil {
		t.Fatal(err)
	}
	if out != "a  b c'de\n" {
		t.Errorf("output %q", out)
	}
	// The bare name is what the allow-list lists: its absolute path is not.
	echo, err := exec.LookPath("echo")
	if err != nil {
		t.Skip(err)
	}
	if _, err := runExec(t, t.Context(), cfg, []string{echo}, nil); err == nil {
		t.Errorf("%s ran although only the bare name echo is allowed", echo)
	}
}

func TestExecWorkdir(t *testing.T) {
	dir, paths, cfg := execSetup(t, `pwd`)
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg.Workdir = dir
	t.Parallel()
	for _, tc := range []struct {
		dir  any
		want string
	}{
		{nil, dir},
		{"sub", filepath.Join(dir, "sub")},
		{filepath.Join(dir, "sub"), filepath.Join(dir, "sub")},
	} {
		kw := map[string]any{}
		if tc.dir != nil {
			kw["dir"] = tc.dir
		}
		out, err := runExec(t, t.Context(), cfg, []string{paths[0]}, kw)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := filepath.EvalSymlinks(strings.TrimSpace(out)); got != mustEval(t, tc.want) {
			t.Errorf("dir %v: ran in %q, want %q", tc.dir, out, tc.want)
		}
	}
}

func mustEval(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestExecStartFailure(t *testing.T) {
	dir, _, cfg := execSetup(t)
	t.Parallel()
	_, err := runExec(t, t.Context(), cfg, []string{filepath.Join(dir, "missing")}, nil)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "start") {
		t.Fatalf("err = %v, want a start error wrapping ErrNotExist", err)
	}
}

// The script starts a grandchild that holds the output pipe, writes its
// pid and waits. Every way the run ends must leave the grandchild gone.
const waitingScript = `sleep 1000 &
echo $! > "$0.pid"
echo started
wait`

func TestExecTimeoutKillsProcessGroup(t *testing.T) {
	_, paths, cfg := execSetup(t, waitingScript)
	t.Parallel()
	start := time.Now()
	out, err := runExec(t, t.Context(), cfg, []string{paths[0]}, map[string]any{"timeout": 1})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "kwargs.timeout 1s passed") {
		t.Fatalf("err = %v, want the kwargs.timeout deadline", err)
	}
	if !strings.Contains(err.Error(), "killed by signal 15") {
		t.Errorf("err = %v, want the SIGTERM that stopped it", err)
	}
	if out != "started\n" {
		t.Errorf("output %q", out)
	}
	waitGone(t, readPid(t, paths[0]+".pid"))
	if d := time.Since(start); d > 1*time.Second+cfg.KillGrace {
		t.Errorf("took %s; the timeout was 1s and the grace %s", d, cfg.KillGrace)
	}
}

func TestExecCancelKillsProcessGroup(t *testing.T) {
	_, paths, cfg := execSetup(t, waitingScript)
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := runExec(t, ctx, cfg, []string{paths[0]}, nil)
		done <- err
	}()
	pid := readPid(t, paths[0]+".pid")
	cancel() // the scheduler shutting down
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	waitGone(t, pid)
}

func TestExecKillAfterGrace(t *testing.T) {
	// The grandchild ignores SIGTERM: only the SIGKILL after the grace
	// period stops it.
	_, paths, cfg := execSetup(t, `(trap '' TERM; exec sleep 1000) &
echo $! > "$0.pid"
wait`)
	cfg.KillGrace = 200 * time.Millisecond
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := runExec(t, ctx, cfg, []string{paths[0]}, nil)
		done <- err
	}()
	pid := readPid(t, paths[0]+".pid")
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	waitGone(t, pid)
}

func TestExecLeftoverProcessesStopped(t *testing.T) {
	// The program exits at once, leaving a background process that does
	// not even hold the output: the run still leaves nothing running.
	_, paths, cfg := execSetup(t, `sleep 1000 >/dev/null 2>&1 &
echo $! > "$0.pid"
echo done`)
	t.Parallel()
	out, err := runExec(t, t.Context(), cfg, []string{paths[0]}, nil)
	if err != nil || out != "done\n" {
		t.Fatalf("run: %q, %v", out, err)
	}
	waitGone(t, readPid(t, paths[0]+".pid"))
}

func TestExecConfigValidate(t *testing.T) {
	t.Parallel()
	good := ExecConfig{Allow: []string{"/opt/jobs/*", "python3", "/usr/bin/env"}, EnvAllow: []string{"MODE"}}
	if err := good.Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
	for _, bad := range []ExecConfig{
		{Allow: []string{""}},
		{Allow: []string{"./run.sh"}},
		{Allow: []string{"jobs/run.sh"}},
		{Allow: []string{"/opt/jobs/../bin/*"}},
		{Allow: []string{"/opt/jobs/["}},
		{Allow: []string{"py*"}},
		{EnvAllow: []string{"A=B"}},
		{EnvAllow: []string{""}},
		{MaxOutput: -1},
		{KillGrace: -time.Second},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func TestExecBareNameNotInPath(t *testing.T) {
	t.Parallel()
	cfg := ExecConfig{Allow: []string{"sundial-no-such-program"}}
	_, err := runExec(t, t.Context(), cfg, []string{"sundial-no-such-program"}, nil)
	if !errors.Is(err, exec.ErrNotFound) {
		t.Fatalf("err = %v, want exec.ErrNotFound", err)
	}
}
