package task

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// process is one run of a program in a process group of its own.
type process struct {
	path      string   // absolute path of the program
	argv      []string // argv[0] as the job gave it
	dir       string
	env       []string
	maxOutput int
	grace     time.Duration // between SIGTERM and SIGKILL
}

// procResult is how a process ended.
type procResult struct {
	output string // stdout and stderr interleaved, bounded, with a drop note
	exit   string // "exit status 0", "killed by signal 15 (terminated)"
	err    error  // nil for exit status 0, else an *exitError
	// stopped: the run's context ended while the program ran, and its
	// group was sent SIGTERM.
	stopped bool
}

// exitError is a program's failure, worded for the run record ("exit
// status 3", "killed by signal 9 (killed)"); it unwraps to the
// *exec.ExitError with the process state.
type exitError struct {
	desc string
	err  *exec.ExitError
}

func (e *exitError) Error() string { return e.desc }
func (e *exitError) Unwrap() error { return e.err }

// run starts the program and waits for it and for everything it left in
// its process group. When ctx ends, the group gets SIGTERM and, after the
// grace period, SIGKILL. When the program exits on its own, processes it
// left behind in its group are stopped the same way: a run owns its group
// and leaves nothing running. The error is for a program that could not be
// started; how it ended is in the result.
func (p *process) run(ctx context.Context) (procResult, error) {
	// One pipe for both streams keeps them interleaved in write order.
	// os/exec gets the *os.File itself, so it starts no copying goroutine
	// that would wait for orphans holding the pipe; ours does, bounded.
	pr, pw, err := os.Pipe()
	if err != nil {
		return procResult{}, fmt.Errorf("create output pipe: %w", err)
	}
	defer pr.Close()
	out := newCapBuffer(p.maxOutput)

	g := &group{grace: p.grace}
	cmd := exec.CommandContext(ctx, p.path, p.argv[1:]...)
	cmd.Args = p.argv
	cmd.Dir = p.dir
	cmd.Env = append([]string{}, p.env...) // never nil: nil would be the server's environment
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return g.terminate(cmd.Process.Pid) }
	cmd.WaitDelay = p.grace // then os/exec kills the leader; reap kills the rest
	err = cmd.Start()
	pw.Close() // the child has its copy; EOF once every holder is gone
	if err != nil {
		return procResult{}, fmt.Errorf("start: %w", err)
	}

	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(out, pr) // out never fails; a read error ends the capture
	}()
	waitErr := cmd.Wait()
	g.reap(cmd.Process.Pid, copied, pr)
	<-copied

	res := procResult{output: out.String(), stopped: g.cancelled()}
	res.exit, res.err = describeExit(cmd.ProcessState, waitErr)
	return res, nil
}

// describeExit words how the program ended.
func describeExit(state *os.ProcessState, waitErr error) (string, error) {
	var desc string
	ws, ok := state.Sys().(syscall.WaitStatus)
	switch {
	case ok && ws.Signaled():
		desc = fmt.Sprintf("killed by signal %d (%s)", int(ws.Signal()), ws.Signal())
	default:
		desc = fmt.Sprintf("exit status %d", state.ExitCode())
	}
	var ee *exec.ExitError
	switch {
	case errors.As(waitErr, &ee):
		return desc, &exitError{desc: desc, err: ee}
	case waitErr != nil && !errors.Is(waitErr, context.Canceled) && !errors.Is(waitErr, context.DeadlineExceeded):
		// Cancel or the WaitDelay kill failed; the exit status alone
		// would hide that.
		return desc, fmt.Errorf("%s: %w", desc, waitErr)
	}
	return desc, nil
}

// group stops a process group: SIGTERM, then SIGKILL once the grace period
// after the SIGTERM has passed.
type group struct {
	grace  time.Duration
	mu     sync.Mutex
	termAt time.Time // when SIGTERM went out; zero before
	cancel bool      // terminate was called: the run's context ended
}

// cancelled reports whether the run's context ended while the program ran.
func (g *group) cancelled() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cancel
}

// terminate sends SIGTERM to the group led by pid (Cmd.Cancel, when the
// run's context ends).
func (g *group) terminate(pid int) error {
	now := time.Now()
	err := syscall.Kill(-pid, syscall.SIGTERM)
	g.mu.Lock()
	g.cancel = g.cancel || err == nil
	if g.termAt.IsZero() {
		g.termAt = now
	}
	g.mu.Unlock()
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

// reap runs once the group's leader has exited and been waited for. The
// group id stays reserved while any member lives, so signalling -pid
// reaches only what the program left behind. Members get SIGTERM (unless
// they had it already), then SIGKILL when the output pipe closes — every
// member holding it is gone — or the grace period ends. A process that
// left the group and still holds the pipe is not waited for beyond one
// more grace period: its output is abandoned.
func (g *group) reap(pid int, copied <-chan struct{}, pr *os.File) {
	g.mu.Lock()
	termAt, sent := g.termAt, !g.termAt.IsZero()
	if !sent {
		termAt = time.Now()
		g.termAt = termAt
	}
	g.mu.Unlock()
	if !sent {
		if err := syscall.Kill(-pid, syscall.SIGTERM); errors.Is(err, syscall.ESRCH) {
			// The group is empty: nothing to stop. (No SIGKILL either:
			// an empty group's id may be reused.)
			g.drain(copied, pr)
			return
		}
	}
	timer := time.NewTimer(time.Until(termAt.Add(g.grace)))
	select {
	case <-copied:
	case <-timer.C:
	}
	timer.Stop()
	_ = syscall.Kill(-pid, syscall.SIGKILL) // ESRCH: all gone already
	g.drain(copied, pr)
}

// drain gives the output reader one grace period to reach EOF, then stops
// it.
func (g *group) drain(copied <-chan struct{}, pr *os.File) {
	select {
	case <-copied:
		return
	default:
	}
	_ = pr.SetReadDeadline(time.Now().Add(g.grace))
}
