package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The peer scenarios run each measurement in a child process: the parent
// re-executes its own binary as
//
//	bench -child -peer robfig -scenario burst -n 100000 -dur 20s -cap 60s
//
// and the child prints exactly one line "RESULT {json}" on stdout. One
// process per peer and size keeps heaps, goroutines, timers and RSS from
// leaking between measurements. The child never shuts its scheduler down:
// it prints its result and exits.

// childFlag is the first argument that makes the binary a child.
const childFlag = "-child"

// resultPrefix starts the line of stdout that carries a child's result.
const resultPrefix = "RESULT "

// childEnv is what one child measurement is asked to do.
type childEnv struct {
	scenario string
	peer     string
	n        int
	dur      time.Duration // measurement window of the timed scenarios
	cap      time.Duration // bound on adding jobs (the add scenario and every setup)

	// store, when set, is the URL of the store Sundial runs on (the stores
	// scenario; peer is then sundial), with run history on and claimBatch
	// as Config.ClaimBatch (0: the default).
	store      string
	claimBatch int

	cpuprofile   string // written over the measurement window
	memprofile   string // heap profile written at the end
	mutexprofile string // mutex contention profile written at the end
	prof         *os.File
}

// childResult is one peer's figures for one scenario and size.
type childResult struct {
	Scenario string   `json:"scenario"`
	Peer     string   `json:"peer"`
	N        int      `json:"n"`
	Metrics  []metric `json:"metrics,omitempty"`
	// NA says why the peer could not be measured here (it cannot express
	// the scenario, or setting it up exceeded the bound); Err is a failure
	// of the run itself (crash, timeout).
	NA    string   `json:"na,omitempty"`
	Err   string   `json:"err,omitempty"`
	Notes []string `json:"notes,omitempty"`
}

// metric is one figure of a child result.
type metric struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	// Bound is ">" when Value is a lower bound (the run was capped).
	Bound string `json:"bound,omitempty"`
}

func (r *childResult) add(name string, v float64, unit string) {
	r.Metrics = append(r.Metrics, metric{Name: name, Value: v, Unit: unit})
}

func (r *childResult) addBound(name string, v float64, unit string) {
	r.Metrics = append(r.Metrics, metric{Name: name, Value: v, Unit: unit, Bound: ">"})
}

func (r *childResult) notef(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// metric returns the named figure.
func (r *childResult) metric(name string) (metric, bool) {
	if r == nil {
		return metric{}, false
	}
	i := slices.IndexFunc(r.Metrics, func(m metric) bool { return m.Name == name })
	if i < 0 {
		return metric{}, false
	}
	return r.Metrics[i], true
}

// errNA marks a scenario a peer cannot be measured on; its text goes into
// the result's NA field.
type errNA struct{ reason string }

func (e *errNA) Error() string { return e.reason }

func notAvailable(format string, args ...any) error {
	return &errNA{reason: fmt.Sprintf(format, args...)}
}

// childScenarios are the workloads a child can run, by the name the parent
// passes in -scenario.
var childScenarios = map[string]func(ctx context.Context, c *childEnv) (*childResult, error){
	"add/before-start": func(ctx context.Context, c *childEnv) (*childResult, error) { return childAdd(ctx, c, false) },
	"add/running":      func(ctx context.Context, c *childEnv) (*childResult, error) { return childAdd(ctx, c, true) },
	"burst":            childBurst,
	"steady":           childSteady,
	"spread":           childSpread,
	"sparse":           childSparse,
	"idle":             childIdle,
}

// childMain runs one measurement and prints its result line; args are the
// arguments after -child.
func childMain(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench -child", flag.ContinueOnError)
	c := &childEnv{}
	fs.StringVar(&c.scenario, "scenario", "", "workload to run")
	fs.StringVar(&c.peer, "peer", "", "scheduler to measure: "+strings.Join(peerNames, ", "))
	fs.IntVar(&c.n, "n", 0, "number of jobs")
	fs.DurationVar(&c.dur, "dur", 20*time.Second, "measurement window")
	fs.DurationVar(&c.cap, "cap", time.Minute, "bound on adding jobs")
	fs.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of the measurement window to `file`")
	fs.StringVar(&c.memprofile, "memprofile", "", "write a heap profile at the end to `file`")
	fs.StringVar(&c.mutexprofile, "mutexprofile", "", "write a mutex contention profile of the whole run to `file`")
	fs.StringVar(&c.store, "store", "", "run Sundial on the store at `url` (storeurl form), with run history on")
	fs.IntVar(&c.claimBatch, "claim-batch", 0, "Config.ClaimBatch of a -store run (0: the default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fn, ok := childScenarios[c.scenario]
	if !ok {
		return fmt.Errorf("unknown child scenario %q", c.scenario)
	}
	if !slices.Contains(peerNames, c.peer) {
		return fmt.Errorf("unknown peer %q; known: %s", c.peer, strings.Join(peerNames, ", "))
	}
	if c.n < 1 {
		return fmt.Errorf("-n must be at least 1, got %d", c.n)
	}
	if c.store != "" && c.peer != "sundial" {
		return fmt.Errorf("-store runs Sundial: want -peer sundial, got %q", c.peer)
	}
	if c.mutexprofile != "" {
		runtime.SetMutexProfileFraction(5)
	}
	res, err := fn(ctx, c)
	c.profStop()
	var na *errNA
	switch {
	case errors.As(err, &na):
		res = &childResult{NA: na.reason}
	case err != nil:
		return err
	}
	res.Scenario, res.Peer, res.N = c.scenario, c.peer, c.n
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s%s\n", resultPrefix, b)
	return err
}

// profStart starts the CPU profile, if one was asked for, at the start of
// the measurement window.
func (c *childEnv) profStart() error {
	if c.cpuprofile == "" || c.prof != nil {
		return nil
	}
	f, err := os.Create(c.cpuprofile)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return err
	}
	c.prof = f
	return nil
}

// profStop ends the CPU profile at the end of the window; it is idempotent.
func (c *childEnv) profStop() {
	if c.prof == nil {
		return
	}
	pprof.StopCPUProfile()
	c.prof.Close()
	c.prof = nil
}

// heapProfile writes the heap and mutex profiles, if they were asked for;
// scenarios call it at the end while their scheduler is still alive.
func (c *childEnv) heapProfile() error {
	if c.mutexprofile != "" {
		if err := writeProfile("mutex", c.mutexprofile); err != nil {
			return err
		}
	}
	if c.memprofile == "" {
		return nil
	}
	runtime.GC()
	return writeProfile("heap", c.memprofile)
}

func writeProfile(name, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// cpuTime is the CPU time the process has used, user plus system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatus returns the resident set size now and at its peak, in bytes,
// from /proc/self/status (zero where it cannot be read).
func procStatus() (rss, peak int64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *int64
		switch k {
		case "VmRSS":
			dst = &rss
		case "VmHWM":
			dst = &peak
		default:
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err == nil {
			*dst = kb << 10
		}
	}
	return rss, peak
}

// heapAlloc returns the live heap after a full collection.
func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

const mib = 1 << 20

// sleepUntil waits for t or ctx.
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// window measures CPU time, wall time and fires over a measurement window.
type window struct {
	cpu   time.Duration
	wall  time.Time
	fires int64
}

func openWindow(rec *recorder) window {
	return window{cpu: cpuTime(), wall: time.Now(), fires: rec.fires.Load()}
}

// close returns CPU seconds, wall seconds and fires since w was opened.
func (w window) close(rec *recorder) (cpu, wall float64, fires int64) {
	return (cpuTime() - w.cpu).Seconds(), time.Since(w.wall).Seconds(), rec.fires.Load() - w.fires
}
