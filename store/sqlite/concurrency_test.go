package sqlite

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// fireKey names one fire of one job.
type fireKey struct {
	job string
	at  int64
}

// checkFires checks that every fire of jobs jobs × fires fires was claimed
// exactly once, and that max_instances (1, with no run ever finishing) held
// across every claimer: one submitted run per job, the rest skipped.
func checkFires(t *testing.T, s *Store, claimed map[fireKey]int, jobs, fires int) {
	t.Helper()
	if len(claimed) != jobs*fires {
		t.Errorf("%d distinct fires claimed, want %d", len(claimed), jobs*fires)
	}
	for f, n := range claimed {
		if n != 1 {
			t.Errorf("fire %s at %s claimed %d times", f.job, time.Unix(f.at, 0).UTC(), n)
		}
	}
	for i := range jobs {
		id := fmt.Sprintf("job-%03d", i)
		runs, err := s.RunList(t.Context(), sundial.RunListParams{JobID: id})
		if err != nil {
			t.Fatal(err)
		}
		submitted := 0
		for _, r := range runs {
			if r.Status == sundial.RunSubmitted {
				submitted++
			}
		}
		if len(runs) != fires || submitted != 1 {
			t.Errorf("job %s: %d runs, %d submitted; want %d runs, 1 submitted (max_instances 1)", id, len(runs), submitted, fires)
		}
	}
}

// TestClaimsAcrossStores has several Stores on one file, as separate
// processes would have, each with several goroutines claiming the same due
// jobs. Half the stores leave SQLite's own busy wait at 1ms, so lock waits
// go through the store's retries.
func TestClaimsAcrossStores(t *testing.T) {
	t.Parallel()
	const stores, claimers, jobs, fires = 4, 4, 40, 5
	path := filepath.Join(t.TempDir(), "shared.db")
	var ss []*Store
	for i := range stores {
		opts := testOptions()
		if i%2 == 1 {
			opts.lockWait = time.Millisecond
		}
		s := openFile(t, path, opts)
		heartbeat(t, s, fmt.Sprintf("node-%d", i))
		ss = append(ss, s)
	}
	for i := range jobs {
		addJob(t, ss[i%stores], fmt.Sprintf("job-%03d", i), base)
	}
	now := base.Add((fires - 1) * time.Minute)
	var (
		mu      sync.Mutex
		claimed = map[fireKey]int{}
		wg      sync.WaitGroup
		start   = make(chan struct{})
	)
	for i, s := range ss {
		node := fmt.Sprintf("node-%d", i)
		for range claimers {
			wg.Go(func() {
				<-start
				for {
					cs, err := s.JobClaimDue(t.Context(), sundial.JobClaimDueParams{Now: now, Limit: 3, Node: node, Decide: fireDecide(node)})
					if err != nil {
						t.Errorf("%s: %v", node, err)
						return
					}
					if len(cs) == 0 {
						return
					}
					mu.Lock()
					for _, c := range cs {
						claimed[fireKey{c.Job.ID, c.Job.NextRunTime.Unix()}]++
					}
					mu.Unlock()
				}
			})
		}
	}
	close(start)
	wg.Wait()
	checkFires(t, ss[0], claimed, jobs, fires)
}

// TestLockedNeverSurfaces has several Stores on one file, with SQLite's own
// busy wait cut to 1ms, write at once in every way a scheduler does: no
// call may fail with "database is locked", and the store's retries must
// have been needed.
func TestLockedNeverSurfaces(t *testing.T) {
	t.Parallel()
	const stores, writers, ops = 4, 4, 40
	path := filepath.Join(t.TempDir(), "shared.db")
	var ss []*Store
	for i := range stores {
		opts := testOptions()
		opts.lockWait = time.Millisecond
		s := openFile(t, path, opts)
		heartbeat(t, s, fmt.Sprintf("node-%d", i))
		ss = append(ss, s)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, s := range ss {
		node := fmt.Sprintf("node-%d", i)
		for w := range writers {
			wg.Go(func() {
				<-start
				ctx := t.Context()
				for k := range ops {
					id := fmt.Sprintf("%s-%d-%d", node, w, k)
					var err error
					switch k % 5 {
					case 0:
						err = s.JobAdd(ctx, sundial.JobAddParams{Job: benchJob(id, base)})
					case 1:
						var j *sundial.Job
						if j, err = s.JobGet(ctx, fmt.Sprintf("%s-%d-%d", node, w, k-1)); err == nil {
							j.Name = "updated"
							err = s.JobUpdate(ctx, j)
						}
					case 2:
						r := &sundial.Run{ID: id, JobID: id, ScheduledAt: base, Attempt: 1, Status: sundial.RunSubmitted, Node: node}
						if err = s.RunInsert(ctx, r, 2); err == nil {
							r.Status = sundial.RunSucceeded
							err = s.RunUpdate(ctx, r)
						}
					case 3:
						_, err = s.JobClaimDue(ctx, sundial.JobClaimDueParams{Now: base, Limit: 5, Node: node, Decide: fireDecide(node)})
					case 4:
						err = s.NodeHeartbeat(ctx, &sundial.Node{ID: node}, time.Hour)
						if err == nil {
							_, _, err = s.JobNextFireTime(ctx)
						}
					}
					if err != nil && !errors.Is(err, sundial.ErrStale) {
						t.Errorf("%s op %d: %v", id, k%5, err)
					}
				}
			})
		}
	}
	close(start)
	wg.Wait()
	var retries int64
	for _, s := range ss {
		retries += s.retries.Load()
	}
	t.Logf("%d calls were retried because another Store held the lock", retries)
	if retries == 0 {
		t.Error("no call was retried: the test did not exercise lock contention")
	}
}

// Environment of the child process of TestProcessesShareFile.
const (
	childFileEnv = "SUNDIAL_SQLITE_CHILD_FILE"
	childNodeEnv = "SUNDIAL_SQLITE_CHILD_NODE"
	childNowEnv  = "SUNDIAL_SQLITE_CHILD_NOW"
)

// TestChildClaimer is the child process of TestProcessesShareFile; on its
// own it is skipped. It opens the shared file, says READY, waits for GO on
// its standard input, then claims until nothing is due, printing each
// claimed fire.
func TestChildClaimer(t *testing.T) {
	path := os.Getenv(childFileEnv)
	if path == "" {
		t.Skip("the child process of TestProcessesShareFile")
	}
	node := os.Getenv(childNodeEnv)
	now, err := strconv.ParseInt(os.Getenv(childNowEnv), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	s := openFile(t, path, Options{Logger: quiet})
	heartbeat(t, s, node)
	fmt.Println("READY")
	if line, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil || line != "GO\n" {
		t.Fatalf("waiting for GO: %q, %v", line, err)
	}
	for {
		cs, err := s.JobClaimDue(t.Context(), sundial.JobClaimDueParams{Now: time.Unix(now, 0), Limit: 3, Node: node, Decide: fireDecide(node)})
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 {
			return
		}
		for _, c := range cs {
			fmt.Printf("CLAIM %s %d\n", c.Job.ID, c.Job.NextRunTime.Unix())
		}
	}
}

// TestProcessesShareFile runs two more OS processes (this test binary
// again, as TestChildClaimer) that claim from the same file as this one, all
// at once: every fire is claimed exactly once across the processes.
func TestProcessesShareFile(t *testing.T) {
	if os.Getenv(childFileEnv) != "" {
		t.Skip("in the child process")
	}
	t.Parallel()
	const children, jobs, fires = 2, 60, 5
	path := filepath.Join(t.TempDir(), "shared.db")
	s := openFile(t, path, testOptions())
	heartbeat(t, s, "parent")
	for i := range jobs {
		addJob(t, s, fmt.Sprintf("job-%03d", i), base)
	}
	now := base.Add((fires - 1) * time.Minute)

	var (
		mu      sync.Mutex
		claimed = map[fireKey]int{}
		wg      sync.WaitGroup
	)
	record := func(job string, at int64) {
		mu.Lock()
		claimed[fireKey{job, at}]++
		mu.Unlock()
	}
	var gos []io.WriteCloser
	for i := range children {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestChildClaimer$", "-test.count=1")
		cmd.Env = append(os.Environ(), childFileEnv+"="+path, fmt.Sprintf("%s=child-%d", childNodeEnv, i),
			fmt.Sprintf("%s=%d", childNowEnv, now.Unix()))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(stdout)
		for lines.Scan() && lines.Text() != "READY" {
		}
		gos = append(gos, stdin)
		wg.Go(func() {
			var out strings.Builder
			for lines.Scan() {
				var job string
				var at int64
				if _, err := fmt.Sscanf(lines.Text(), "CLAIM %s %d", &job, &at); err == nil {
					record(job, at)
				} else {
					out.WriteString(lines.Text() + "\n")
				}
			}
			if err := cmd.Wait(); err != nil {
				t.Errorf("child %d: %v\n%s%s", i, err, out.String(), stderr.String())
			}
		})
	}
	for _, w := range gos {
		io.WriteString(w, "GO\n")
		w.Close()
	}
	for {
		cs, err := s.JobClaimDue(t.Context(), sundial.JobClaimDueParams{Now: now, Limit: 3, Node: "parent", Decide: fireDecide("parent")})
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 {
			break
		}
		for _, c := range cs {
			record(c.Job.ID, c.Job.NextRunTime.Unix())
		}
	}
	wg.Wait()
	checkFires(t, s, claimed, jobs, fires)
	runs, err := s.RunList(t.Context(), sundial.RunListParams{})
	if err != nil {
		t.Fatal(err)
	}
	byNode := map[string]int{}
	for _, r := range runs {
		byNode[r.Node]++
	}
	t.Logf("fires claimed by process: %v", byNode)
}
