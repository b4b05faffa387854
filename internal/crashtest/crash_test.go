// Package crashtest kills real scheduler processes (kill -9) in the middle
// of their work and starts them again on the same durable store, to show
// what survives a crash: every job with its next fire time, the fires
// missed while down handled by the misfire rules and visible in history,
// nothing run twice, and the runs the dead process left behind taken over
// or marked interrupted.
package crashtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/testenv"
	"github.com/sundial-scheduler/sundial/store/storeurl"
	"github.com/sundial-scheduler/sundial/trigger"
)

// The child process's settings, passed in its environment.
const (
	envChild = "SUNDIAL_CRASH_CHILD" // the node id; set only in children
	envStore = "SUNDIAL_CRASH_STORE"
	envAdd   = "SUNDIAL_CRASH_ADD" // the first fire time (Unix seconds) of the jobs to add
)

// leaseTTL is short so that the second process takes over quickly.
const leaseTTL = 2 * time.Second

func TestMain(m *testing.M) {
	if node := os.Getenv(envChild); node != "" {
		os.Exit(child(node))
	}
	os.Exit(m.Run())
}

// child runs a scheduler until SIGTERM, adding the test's jobs first when
// asked to. It prints READY once the scheduler runs.
func child(node string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	log := newLogger(os.Stderr)
	st, err := storeurl.Open(ctx, os.Getenv(envStore), storeurl.Options{Logger: log, PollInterval: 100 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open store:", err)
		return 2
	}
	defer st.Close()
	reg := sundial.NewRegistry()
	sundial.RegisterFunc(reg, "crash:work", func(ctx context.Context, rc *sundial.RunContext, args struct {
		SleepMS int `json:"sleep_ms"`
	}) error {
		select {
		case <-time.After(time.Duration(args.SleepMS) * time.Millisecond):
			rc.Output("done by " + node)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	s, err := sundial.New(sundial.Config{Store: st, Tasks: reg, NodeID: node, LeaseTTL: leaseTTL,
		Logger: log, MaxSleep: 200 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, "new scheduler:", err)
		return 2
	}
	if err := s.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "start:", err)
		return 2
	}
	if first := os.Getenv(envAdd); first != "" {
		var sec int64
		fmt.Sscan(first, &sec)
		if err := addJobs(ctx, s, time.Unix(sec, 0)); err != nil {
			fmt.Fprintln(os.Stderr, "add jobs:", err)
			return 2
		}
	}
	fmt.Println("READY")
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(sctx); err != nil {
		fmt.Fprintln(os.Stderr, "shutdown:", err)
		return 1
	}
	return 0
}

// The jobs, each firing every second from the same first time:
//
//	all      coalesce off, no misfire limit: every missed fire runs later
//	coalesce coalesce on: the fires missed while down run once
//	strict   coalesce off, 0.5 s grace: the fires missed while down are missed
//	recover  each run takes 1.5 s and the job asks for recovery: the run
//	         cut by the crash is run again, by the next process
func addJobs(ctx context.Context, s *sundial.Scheduler, first time.Time) error {
	every, err := trigger.NewInterval(time.Second, first, time.UTC)
	if err != nil {
		return err
	}
	half := 500 * time.Millisecond
	unlimited := time.Duration(-1)
	for _, spec := range []sundial.JobSpec{
		{ID: "all", Coalesce: sundial.Ptr(false), MisfireGraceTime: &unlimited, MaxInstances: 20, Kwargs: map[string]int{"sleep_ms": 100}},
		{ID: "coalesce", Coalesce: sundial.Ptr(true), MisfireGraceTime: &unlimited, Kwargs: map[string]int{"sleep_ms": 100}},
		{ID: "strict", Coalesce: sundial.Ptr(false), MisfireGraceTime: &half, MaxInstances: 20, Kwargs: map[string]int{"sleep_ms": 100}},
		{ID: "recover", Recovery: sundial.RecoveryRetry, Kwargs: map[string]int{"sleep_ms": 1500}},
	} {
		spec.Task, spec.Trigger, spec.ReplaceExisting = "crash:work", every, true
		if _, err := s.AddJob(ctx, spec); err != nil {
			return fmt.Errorf("job %s: %w", spec.ID, err)
		}
	}
	return nil
}

// process is a running child.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has exited
	err    error         // its exit status, once exited is closed
}

// wait waits for the process to exit and returns its status.
func (p *process) wait() error {
	<-p.exited
	return p.err
}

func start(t *testing.T, storeURL, node string, extra ...string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+node, envStore+"="+storeURL)
	cmd.Env = append(cmd.Env, extra...)
	logFile, err := os.Create(filepath.Join(t.TempDir(), node+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logFile
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "READY" {
				close(ready)
			}
		}
		_, _ = io.Copy(io.Discard, out)
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = p.wait()
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			t.Logf("log of %s:\n%s", node, tail(string(b), 40))
		}
	})
	select {
	case <-ready:
	case <-p.exited:
		t.Fatalf("%s exited before it was ready: %v", node, p.err)
	case <-time.After(30 * time.Second):
		t.Fatalf("%s was not ready within 30s", node)
	}
	return p
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// backends are the durable stores, each with the URL of a fresh store.
var backends = []struct {
	name string
	url  func(t *testing.T) string
}{
	{"sqlite", func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "sundial.db") }},
	{"postgres", func(t *testing.T) string { return testenv.PostgresURL(t) }},
	{"mysql", func(t *testing.T) string { return testenv.MySQLURL(t) }},
	{"redis", func(t *testing.T) string {
		u, prefix := testenv.RedisURL(t)
		return u + "?prefix=" + url.QueryEscape(prefix)
	}},
}

func TestKillAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes for about 20 s")
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			killAndRestart(t, b.url(t))
		})
	}
}

func killAndRestart(t *testing.T, storeURL string) {
	first := time.Now().Truncate(time.Second).Add(2 * time.Second)
	p1 := start(t, storeURL, "crash-1", fmt.Sprintf("%s=%d", envAdd, first.Unix()))
	// Kill 0.3 s into a run of recover (each takes 1.5 s; a fire every
	// second, one at a time: runs start at first, +2 s, +4 s).
	time.Sleep(time.Until(first.Add(4300 * time.Millisecond)))
	killedAt := time.Now()
	if err := p1.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p1.wait()
	time.Sleep(3 * time.Second) // down: about three fires of each job pass
	restartedAt := time.Now()
	p2 := start(t, storeURL, "crash-2")
	// Wait for the lease of crash-1 to run out, its recoverable run to be
	// taken and run again (1.5 s), and a few more fires.
	time.Sleep(leaseTTL + 5*time.Second)
	stoppedAt := time.Now()
	if err := p2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p2.wait(); err != nil {
		t.Fatalf("crash-2 did not shut down cleanly: %v", err)
	}

	ctx := context.Background()
	st, err := storeurl.Open(ctx, storeURL, storeurl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	for _, id := range []string{"all", "coalesce", "strict", "recover"} {
		job, err := st.JobGet(ctx, id)
		if err != nil {
			t.Errorf("job %s after the crash and restart: %v", id, err)
			continue
		}
		if !job.NextRunTime.After(restartedAt) {
			t.Errorf("job %s: next run time %s, want after the restart at %s", id, job.NextRunTime, restartedAt)
		}
	}
	runs := map[string][]*sundial.Run{}
	all, err := st.RunList(ctx, sundial.RunListParams{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		runs[r.JobID] = append(runs[r.JobID], r)
		if !r.Status.Finished() {
			t.Errorf("run %s of %s at %s left %s after a clean shutdown", r.ID, r.JobID, r.ScheduledAt, r.Status)
		}
	}
	for id, rs := range runs {
		seen := map[int64]string{}
		for _, r := range rs {
			k := r.ScheduledAt.UnixMilli()*10 + int64(r.Attempt)
			if prev, dup := seen[k]; dup && !r.Manual {
				t.Errorf("job %s: fire %s attempt %d recorded twice (runs %s and %s)", id, r.ScheduledAt, r.Attempt, prev, r.ID)
			}
			seen[k] = r.ID
		}
	}

	// all: every fire from the first to the last before the shutdown has
	// exactly one record, succeeded (or interrupted if the crash cut it).
	bySec := map[int64]*sundial.Run{}
	for _, r := range runs["all"] {
		bySec[r.ScheduledAt.Unix()] = r
	}
	for sec := first.Unix(); sec < stoppedAt.Add(-time.Second).Unix(); sec++ {
		r := bySec[sec]
		switch {
		case r == nil:
			t.Errorf("all: no record of the fire at %s (crash at %s, restart at %s)", time.Unix(sec, 0).UTC(), killedAt.UTC(), restartedAt.UTC())
		case r.Status != sundial.RunSucceeded && r.Status != sundial.RunInterrupted:
			t.Errorf("all: the fire at %s is %s (%s), want succeeded", r.ScheduledAt, r.Status, r.Reason)
		}
	}

	// coalesce: the fires missed while down ran once, folded together.
	folded := false
	for _, r := range runs["coalesce"] {
		if r.Coalesced > 0 && r.ScheduledAt.After(killedAt) && r.Status == sundial.RunSucceeded {
			folded = true
		}
		if r.Status == sundial.RunMissed {
			t.Errorf("coalesce: fire %s missed, want folded into one run", r.ScheduledAt)
		}
	}
	if !folded {
		t.Errorf("coalesce: no run folding the fires missed while down: %v", describe(runs["coalesce"]))
	}

	// strict: the fires of the downtime are missed, with the reason.
	missed := 0
	for _, r := range runs["strict"] {
		if r.Status == sundial.RunMissed {
			missed++
			if r.ScheduledAt.Before(killedAt.Add(-time.Second)) || r.ScheduledAt.After(restartedAt.Add(2*time.Second)) || r.Reason == "" {
				t.Errorf("strict: missed fire %s (%q) is not one of the downtime %s–%s", r.ScheduledAt, r.Reason, killedAt, restartedAt)
			}
		}
	}
	if missed < 2 {
		t.Errorf("strict: %d missed fires, want the 2 or more of the 3 s down: %v", missed, describe(runs["strict"]))
	}

	// recover: the run the crash cut was run again by crash-2 under its
	// id, and none of its runs is interrupted.
	retaken := false
	for _, r := range runs["recover"] {
		if r.Status == sundial.RunInterrupted {
			t.Errorf("recover: run %s at %s interrupted (%s), want run again", r.ID, r.ScheduledAt, r.Reason)
		}
		if r.Node == "crash-2" && r.CreatedAt.Before(killedAt) && r.Status == sundial.RunSucceeded {
			retaken = true
		}
	}
	if !retaken {
		t.Errorf("recover: no run of crash-1 was taken over and finished by crash-2: %v", describe(runs["recover"]))
	}
}

func describe(runs []*sundial.Run) string {
	var b strings.Builder
	for _, r := range runs {
		fmt.Fprintf(&b, "\n  %s %s %s node=%s coalesced=%d %s", r.ID, r.ScheduledAt.UTC().Format("15:04:05.000"), r.Status, r.Node, r.Coalesced, r.Reason)
	}
	return b.String()
}
