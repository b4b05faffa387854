package chaos

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// NodeConfig is what a node's YAML configuration file says (see
// internal/serve/config.go for the keys).
type NodeConfig struct {
	ID              string
	Store           string // the store URL, normally through a fault proxy
	LeaseTTL        time.Duration
	PollInterval    time.Duration
	ShutdownTimeout time.Duration
	// StoreTimeout is written only when the server knows the key
	// (StoreTimeoutKnown).
	StoreTimeout time.Duration
	Workers      int
	// Env is added to the process's environment ("KEY=value").
	Env []string
}

// yaml renders the configuration file.
func (c NodeConfig) yaml(storeTimeoutKey bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "listen: 127.0.0.1:0\n")
	fmt.Fprintf(&b, "store: %q\n", c.Store)
	fmt.Fprintf(&b, "node_id: %s\n", c.ID)
	fmt.Fprintf(&b, "lease_ttl: %s\n", c.LeaseTTL)
	fmt.Fprintf(&b, "poll_interval: %s\n", c.PollInterval)
	fmt.Fprintf(&b, "shutdown_timeout: %s\n", c.ShutdownTimeout)
	if storeTimeoutKey && c.StoreTimeout > 0 {
		fmt.Fprintf(&b, "store_timeout: %s\n", c.StoreTimeout)
	}
	if c.Workers > 0 {
		fmt.Fprintf(&b, "executors: {default: {workers: %d}}\n", c.Workers)
	}
	b.WriteString("http: {allow_private: true}\n")
	b.WriteString("log: {format: json, level: info}\n")
	return b.String()
}

// Node is one "sundial serve" process, in a process group of its own. A
// node can be started again after it exited (Start), with the same
// configuration and log file; its URL changes then.
type Node struct {
	ID      string
	cfg     NodeConfig
	bin     string
	dir     string // config and log files
	logPath string
	stKey   bool

	mu      sync.Mutex
	cmd     *exec.Cmd
	url     string
	exited  chan struct{} // closed when the current process has exited
	exitErr error
	stopped bool // SIGSTOP sent and no SIGCONT since
	// told is set when the harness sent a signal that ends the process.
	told   bool
	starts int
}

// servingRE matches the line a node prints once it listens.
var servingRE = regexp.MustCompile(`^sundial: serving on (https?://\S+)`)

// newNode prepares a node; it starts nothing.
func newNode(bin, dir string, cfg NodeConfig, storeTimeoutKey bool) (*Node, error) {
	n := &Node{ID: cfg.ID, cfg: cfg, bin: bin, dir: dir, logPath: filepath.Join(dir, cfg.ID+".log"), stKey: storeTimeoutKey}
	if err := os.WriteFile(n.configPath(), []byte(cfg.yaml(storeTimeoutKey)), 0o600); err != nil {
		return nil, err
	}
	return n, nil
}

func (n *Node) configPath() string { return filepath.Join(n.dir, n.ID+".yaml") }

// LogPath is the node's log file: its JSON log (standard error) and
// standard output, across its starts.
func (n *Node) LogPath() string { return n.logPath }

// URL is the node's base URL, such as http://127.0.0.1:40123.
func (n *Node) URL() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.url
}

// Start runs the node and waits until it prints where it serves (up to
// timeout). The node must not be running.
func (n *Node) Start(timeout time.Duration) error {
	n.mu.Lock()
	if n.cmd != nil && !n.exitedLocked() {
		n.mu.Unlock()
		return fmt.Errorf("node %s is already running", n.ID)
	}
	n.starts++
	n.mu.Unlock()

	logf, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "{\"chaos\":\"start %d of %s at %s\"}\n", n.starts, n.ID, time.Now().UTC().Format(time.RFC3339Nano))
	cmd := exec.Command(n.bin, "serve", "--config", n.configPath())
	cmd.Env = append(cleanEnv(), n.cfg.Env...)
	cmd.Stderr = logf
	// A group of its own, for signals to reach its children too; killed
	// with the test process if that dies without cleaning up (a timeout).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start node %s: %w", n.ID, err)
	}
	exited := make(chan struct{})
	urlCh := make(chan string, 1)
	n.mu.Lock()
	n.cmd, n.exited, n.url, n.stopped, n.exitErr, n.told = cmd, exited, "", false, nil, false
	n.mu.Unlock()
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if m := servingRE.FindStringSubmatch(line); m != nil {
				select {
				case urlCh <- m[1]:
				default:
				}
			}
			fmt.Fprintln(logf, line)
		}
		_, _ = io.Copy(logf, out)
		err := cmd.Wait()
		n.mu.Lock()
		n.exitErr = err
		n.mu.Unlock()
		close(exited)
		logf.Close()
	}()
	select {
	case u := <-urlCh:
		n.mu.Lock()
		n.url = u
		n.mu.Unlock()
		return nil
	case <-exited:
		return fmt.Errorf("node %s exited before serving: %v; log:\n%s", n.ID, n.ExitErr(), n.LogTail(20))
	case <-time.After(timeout):
		_ = n.Signal(syscall.SIGKILL)
		return fmt.Errorf("node %s did not serve within %s; log:\n%s", n.ID, timeout, n.LogTail(20))
	}
}

// cleanEnv is the test's environment without SUNDIAL_* settings that
// would override a node's configuration file (SUNDIAL_STORE, say).
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SUNDIAL_") && !strings.HasPrefix(kv, "SUNDIAL_TEST_") {
			continue
		}
		if strings.HasPrefix(kv, "SUNDIAL_TEST_CLOCK_OFFSET=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func (n *Node) exitedLocked() bool {
	select {
	case <-n.exited:
		return true
	default:
		return false
	}
}

// Running reports whether the current process has not exited (a stopped
// process is running).
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cmd != nil && !n.exitedLocked()
}

// ExitErr is the exit status of the last process, once it exited.
func (n *Node) ExitErr() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.exitErr
}

// Signal sends sig to the node's process group. Signalling a node that has
// exited is not an error.
func (n *Node) Signal(sig syscall.Signal) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil || n.exitedLocked() {
		return nil
	}
	switch sig {
	case syscall.SIGSTOP:
		n.stopped = true
	case syscall.SIGCONT:
		n.stopped = false
	case syscall.SIGKILL, syscall.SIGTERM, syscall.SIGINT:
		n.told = true
	}
	err := syscall.Kill(-n.cmd.Process.Pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// Crashed describes how the node ended when it exited without being told
// to (a panic, say); "" while it runs or when the harness ended it.
func (n *Node) Crashed() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil || !n.exitedLocked() || n.told {
		return ""
	}
	return fmt.Sprintf("%s exited on its own (%v)%s", n.ID, n.exitErr, panicExcerpt(n.logPath))
}

// panicExcerpt is the first panic in a node's log with a few lines of its
// stack, or "".
func panicExcerpt(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "fatal error:") {
			return ":\n" + strings.Join(lines[i:min(len(lines), i+12)], "\n")
		}
	}
	return ""
}

// DumpGoroutines ends the node with SIGQUIT, which makes the Go runtime
// print every goroutine's stack to its log, and returns the stacks that
// are in Sundial's code (for a node that stopped working without saying
// why). The node is gone afterwards.
func (n *Node) DumpGoroutines() string {
	n.mu.Lock()
	running := n.cmd != nil && !n.exitedLocked()
	n.mu.Unlock()
	if !running {
		return ""
	}
	before, _ := os.Stat(n.logPath)
	if err := n.Signal(syscall.SIGQUIT); err != nil {
		return err.Error()
	}
	n.mu.Lock()
	n.told = true
	n.mu.Unlock()
	_ = n.Wait(10 * time.Second)
	b, err := os.ReadFile(n.logPath)
	if err != nil {
		return err.Error()
	}
	if before != nil && int(before.Size()) <= len(b) {
		b = b[before.Size():]
	}
	// Keep the goroutines that have a frame of the module (not the
	// runtime's and the libraries' idle ones).
	var out []string
	for _, g := range strings.Split(string(b), "\n\n") {
		if strings.HasPrefix(g, "goroutine ") && strings.Contains(g, "sundial-scheduler/sundial") &&
			!strings.Contains(g, "[select, ") && !strings.Contains(g, "net/http.(*conn).serve") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}

// Wait waits up to timeout for the process to exit and returns its exit
// status; an error if it is still running then.
func (n *Node) Wait(timeout time.Duration) error {
	n.mu.Lock()
	ch := n.exited
	n.mu.Unlock()
	if ch == nil {
		return nil
	}
	select {
	case <-ch:
		return n.ExitErr()
	case <-time.After(timeout):
		return fmt.Errorf("node %s still running after %s", n.ID, timeout)
	}
}

// Kill sends SIGKILL and waits for the process to be gone.
func (n *Node) Kill() error {
	if err := n.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	if err := n.Wait(10 * time.Second); err != nil && n.Running() {
		return err
	}
	return nil
}

// Term sends SIGTERM (a graceful stop) and waits up to timeout for the
// process to exit; it returns the exit status.
func (n *Node) Term(timeout time.Duration) error {
	if err := n.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	return n.Wait(timeout)
}

// cleanup kills whatever is left of the node (a stopped one too).
func (n *Node) cleanup() {
	n.mu.Lock()
	stopped := n.stopped
	n.mu.Unlock()
	if stopped {
		_ = n.Signal(syscall.SIGCONT)
	}
	_ = n.Kill()
}

// client is the HTTP client for the nodes' APIs.
var client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}

// Probe asks path (such as /healthz) with a deadline and returns the
// status code and how long the answer took; an error when there was no
// answer in time.
func (n *Node) Probe(path string, timeout time.Duration) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", n.URL()+path, nil)
	if err != nil {
		return 0, 0, err
	}
	began := time.Now()
	resp, err := client.Do(req)
	took := time.Since(began)
	if err != nil {
		return 0, took, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, took, nil
}

// WaitReady polls /readyz until it answers 200, up to timeout.
func (n *Node) WaitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		if !n.Running() {
			return fmt.Errorf("node %s exited: %v", n.ID, n.ExitErr())
		}
		code, _, err := n.Probe("/readyz", 2*time.Second)
		if err == nil && code == http.StatusOK {
			return nil
		}
		last = fmt.Sprintf("%d %v", code, err)
		pause(100 * time.Millisecond)
	}
	return fmt.Errorf("node %s not ready within %s (last /readyz: %s)", n.ID, timeout, last)
}

// LogTail is the end of the node's log file.
func (n *Node) LogTail(lines int) string {
	b, err := os.ReadFile(n.logPath)
	if err != nil {
		return err.Error()
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}

// pause is the poll interval of the harness's waits for conditions.
func pause(d time.Duration) { time.Sleep(d) }
