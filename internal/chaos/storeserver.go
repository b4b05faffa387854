package chaos

import (
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
)

// Variables of scripts/services.sh that stop and start the test servers.
const (
	envPGCtl       = "SUNDIAL_TEST_PG_CTL"
	envMySQLCmd    = "SUNDIAL_TEST_MYSQL_CMD"
	envMySQLPid    = "SUNDIAL_TEST_MYSQL_PIDFILE"
	envRedisCmd    = "SUNDIAL_TEST_REDIS_CMD"
	envRedisPid    = "SUNDIAL_TEST_REDIS_PIDFILE"
	crashStartWait = 60 * time.Second
)

func lookupEnv(k string) string { return os.Getenv(k) }

// NeedRestart skips the test (fails it under CI=true) when the backend's
// server cannot be crashed and restarted from here.
func NeedRestart(t *testing.T, backend string) {
	t.Helper()
	var need []string
	switch backend {
	case Postgres:
		need = []string{envPGCtl}
	case MySQL:
		need = []string{envMySQLCmd, envMySQLPid}
	case Redis:
		need = []string{envRedisCmd, envRedisPid}
	}
	for _, k := range need {
		if getenv(k) == "" {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not set: under CI the store restart must run (scripts/services.sh sets it)", k)
			}
			t.Skipf("%s is not set; run under scripts/services.sh to restart the %s server", k, backend)
		}
	}
}

// Crash stops the backend's server abruptly: PostgreSQL with an immediate
// shutdown (no checkpoint: it recovers from its WAL at start), MariaDB and
// Redis with SIGKILL.
func (s *Store) Crash() error {
	switch s.Backend {
	case Postgres:
		return runQuiet(getenv(envPGCtl), "stop", "-m", "immediate", "-w", "-t", "30")
	case MySQL:
		return killPidfile(getenv(envMySQLPid))
	case Redis:
		return killPidfile(getenv(envRedisPid))
	}
	return fmt.Errorf("unknown backend %q", s.Backend)
}

// Restart starts the server Crash stopped and waits until it answers.
// Redis comes back with the append-only file on (see MakeDurable).
func (s *Store) Restart() error {
	switch s.Backend {
	case Postgres:
		if err := runQuiet(getenv(envPGCtl), "start", "-w", "-t", "60"); err != nil {
			return err
		}
	case MySQL:
		if err := spawnServer(getenv(envMySQLCmd), getenv(envMySQLPid)); err != nil {
			return err
		}
	case Redis:
		if err := spawnServer(getenv(envRedisCmd)+" --appendonly yes --appendfsync always", getenv(envRedisPid)); err != nil {
			return err
		}
	}
	return s.WaitUp(crashStartWait)
}

// runQuiet runs a command in a session of its own, returning its output
// with the error.
func runQuiet(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return nil
}

// killPidfile sends SIGKILL to the process in a pid file and waits until
// it is gone (or a zombie: its sockets are closed then).
func killPidfile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil || pid <= 1 {
		return fmt.Errorf("pid file %s: %q", path, b)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill %d: %w", pid, err)
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); pause(50 * time.Millisecond) {
		if !alive(pid) {
			return nil
		}
	}
	return fmt.Errorf("process %d (%s) still alive 20s after SIGKILL", pid, path)
}

// alive reports whether a process runs (a zombie does not).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// spawnServer starts a server's command line (words separated by single
// spaces, as scripts/services.sh writes it) in a session of its own, with
// its output appended to a file beside its pid file, and reaps it when it
// exits. It outlives the test: scripts/services.sh stops it by its pid file.
func spawnServer(cmdline, pidfile string) error {
	words := strings.Fields(cmdline)
	if len(words) == 0 {
		return errors.New("empty server command line")
	}
	out, err := os.OpenFile(filepath.Join(filepath.Dir(pidfile), "chaos-restart.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(words[0], words[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return err
	}
	go func() {
		_ = cmd.Wait()
		out.Close()
	}()
	return nil
}
