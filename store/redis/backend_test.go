package redis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

var base = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

var everyMinute = trigger.MustParse(`{"type": "interval", "minutes": 1, "start_date": "2024-01-01T00:00:00+00:00"}`)

func newJob(id string, next time.Time) *sundial.Job {
	return &sundial.Job{
		ID: id, Task: "t", Args: []byte(`[]`), Kwargs: []byte(`{}`), Trigger: everyMinute,
		NextRunTime: next, Options: sundial.Options{Coalesce: true, MaxInstances: 1},
	}
}

func addJobs(t *testing.T, s *Store, jobs ...*sundial.Job) {
	t.Helper()
	for _, j := range jobs {
		if err := s.JobAdd(t.Context(), sundial.JobAddParams{Job: j}); err != nil {
			t.Fatalf("JobAdd(%s): %v", j.ID, err)
		}
	}
}

func heartbeat(t *testing.T, s *Store, id string, ttl time.Duration) *sundial.Node {
	t.Helper()
	n := &sundial.Node{ID: id, Host: "h", PID: 1, Version: "test", StartedAt: base}
	if err := s.NodeHeartbeat(t.Context(), n, ttl); err != nil {
		t.Fatal(err)
	}
	return n
}

// submitOrSkip decides like the scheduler: one run for the job's current
// fire, submitted while the job has fewer than max_instances unfinished
// runs, skipped otherwise; the next fire is a minute later.
func submitOrSkip(node string) func(*sundial.Job, int) sundial.ClaimDecision {
	return func(job *sundial.Job, active int) sundial.ClaimDecision {
		if job.NextRunTime.IsZero() {
			return sundial.ClaimDecision{NextRunTime: base}
		}
		status := sundial.RunSubmitted
		if active >= job.MaxInstances {
			status = sundial.RunSkipped
		}
		r := &sundial.Run{
			ID: fmt.Sprintf("%s@%d", job.ID, job.NextRunTime.Unix()), JobID: job.ID, ScheduledAt: job.NextRunTime,
			Attempt: 1, Status: status, Node: node, CreatedAt: job.NextRunTime,
		}
		return sundial.ClaimDecision{NextRunTime: job.NextRunTime.Add(time.Minute), Runs: []*sundial.Run{r}}
	}
}

func claim(t *testing.T, s *Store, now time.Time, node string, decide func(*sundial.Job, int) sundial.ClaimDecision) []sundial.Claim {
	t.Helper()
	claims, err := s.JobClaimDue(t.Context(), sundial.JobClaimDueParams{Now: now, Node: node, Decide: decide})
	if err != nil {
		t.Fatalf("JobClaimDue: %v", err)
	}
	return claims
}

// raw returns a plain client of the test server, for writing keys as
// another program would.
func raw(t *testing.T) *goredis.Client {
	t.Helper()
	o, err := goredis.ParseURL(testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

// waitSignal waits up to d for a signal from a Watch channel.
func waitSignal(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("no Watch signal within %s after %s", d, what)
	}
}

// drain empties a Watch channel.
func drain(ch <-chan struct{}) {
	select {
	case <-ch:
	default:
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	t.Run("Idempotent", func(t *testing.T) {
		t.Parallel()
		s := setup(t, testPrefix(t))
		for range 2 {
			n, err := s.migrate(t.Context())
			if err != nil || n != 0 {
				t.Errorf("migrate on a migrated prefix = %d, %v; want 0, nil", n, err)
			}
		}
		v, err := s.rdb.HGet(t.Context(), s.key("schema"), "version").Int()
		if err != nil || v != schemaVersion {
			t.Errorf("schema version = %d, %v; want %d", v, err, schemaVersion)
		}
	})

	t.Run("ConcurrentOpens", func(t *testing.T) {
		t.Parallel()
		opts := testPrefix(t)
		const openers = 6
		stores := make([]*Store, openers)
		var wg sync.WaitGroup
		errs := make([]error, openers)
		for i := range openers {
			wg.Go(func() {
				o, err := goredis.ParseURL(testURL(t))
				if err != nil {
					errs[i] = err
					return
				}
				o.MaxRetries = -1
				s := &Store{rdb: goredis.NewClient(o), opts: opts, log: opts.Logger, id: fmt.Sprint("m", i)}
				s.ctx, s.cancel = context.WithCancel(context.Background())
				stores[i] = s
				_, errs[i] = s.migrate(t.Context())
			})
		}
		wg.Wait()
		for i, s := range stores {
			if s != nil {
				defer s.Close()
			}
			if errs[i] != nil {
				t.Errorf("opener %d: %v", i, errs[i])
			}
		}
		h, err := raw(t).HGetAll(t.Context(), opts.Prefix+"schema").Result()
		if err != nil {
			t.Fatal(err)
		}
		if h["version"] != fmt.Sprint(schemaVersion) || h["applied_1"] == "" {
			t.Errorf("schema after concurrent opens = %v", h)
		}
		if n, err := raw(t).Exists(t.Context(), opts.Prefix+"schema:lock").Result(); err != nil || n != 0 {
			t.Errorf("lock key left behind: exists = %d, %v", n, err)
		}
	})

	// Unfinished runs recorded before migration 2 are listed in P owned,
	// so a reap can take over the ones a live node left submitted.
	t.Run("OwnedListsEarlierRuns", func(t *testing.T) {
		t.Parallel()
		s := setup(t, testPrefix(t))
		heartbeat(t, s, "n1", time.Hour)
		heartbeat(t, s, "n2", time.Hour)
		runs := []*sundial.Run{
			{ID: "sub", JobID: "a", ScheduledAt: base, Attempt: 1, Status: sundial.RunSubmitted, Node: "n1", CreatedAt: base},
			{ID: "run", JobID: "a", ScheduledAt: base.Add(time.Minute), Attempt: 1, Status: sundial.RunRunning, Node: "n1", CreatedAt: base},
			{ID: "done", JobID: "a", ScheduledAt: base.Add(2 * time.Minute), Attempt: 1, Status: sundial.RunSucceeded, Node: "n1", CreatedAt: base},
		}
		for _, r := range runs {
			if err := s.RunInsert(t.Context(), r, 0); err != nil {
				t.Fatal(err)
			}
		}
		// Back to schema 1: what migration 2 made is gone.
		rdb := raw(t)
		if err := rdb.Del(t.Context(), s.key("owned")).Err(); err != nil {
			t.Fatal(err)
		}
		if err := rdb.HSet(t.Context(), s.key("schema"), "version", 1).Err(); err != nil {
			t.Fatal(err)
		}
		if n, err := s.migrate(t.Context()); err != nil || n != schemaVersion-1 {
			t.Fatalf("migrate from schema 1 = %d, %v; want %d, nil", n, err, schemaVersion-1)
		}
		got, err := rdb.ZRange(t.Context(), s.key("owned"), 0, -1).Result()
		if slices.Sort(got); err != nil || !slices.Equal(got, []string{"run", "sub"}) {
			t.Errorf("P owned after the migration = %v, %v; want [run sub]", got, err)
		}
		// Listed with the migration's time: stale once the bound (1µs) has
		// passed since, for another node.
		res, err := s.RunReap(t.Context(), sundial.RunReapParams{Node: "n2", Now: base, StaleAfter: time.Microsecond})
		if err != nil || len(res.Taken) != 1 || res.Taken[0].ID != "sub" {
			t.Errorf("reap by n2 after the migration = %+v, %v; want sub taken", res, err)
		}
	})

	t.Run("NewerSchemaRefused", func(t *testing.T) {
		t.Parallel()
		opts := testPrefix(t)
		if err := raw(t).HSet(t.Context(), opts.Prefix+"schema", "version", schemaVersion+1).Err(); err != nil {
			t.Fatal(err)
		}
		s, err := Open(t.Context(), testURL(t), opts)
		if err == nil {
			s.Close()
			t.Fatal("Open of a prefix with a newer schema succeeded")
		}
		if !strings.Contains(err.Error(), "newer") {
			t.Errorf("Open: %v, want an error about a newer schema", err)
		}
	})

	// A server that lost its data must not pass for an empty store.
	t.Run("WipedIsNoticed", func(t *testing.T) {
		t.Parallel()
		s := setup(t, testPrefix(t))
		heartbeat(t, s, "n1", time.Hour)
		if err := s.rdb.Del(t.Context(), s.key("schema")).Err(); err != nil {
			t.Fatal(err)
		}
		_, err := s.JobClaimDue(t.Context(), sundial.JobClaimDueParams{Now: base, Node: "n1", Decide: submitOrSkip("n1")})
		if !errors.Is(err, ErrNoSchema) {
			t.Errorf("claim on a wiped store: err = %v, want ErrNoSchema", err)
		}
		if err := s.JobAdd(t.Context(), sundial.JobAddParams{Job: newJob("a", base)}); !errors.Is(err, ErrNoSchema) {
			t.Errorf("JobAdd on a wiped store: err = %v, want ErrNoSchema", err)
		}
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		addJobs(t, s, newJob("a", base))
		if c := claim(t, s, base, "n1", submitOrSkip("n1")); len(c) != 1 {
			t.Errorf("claims after Migrate = %d, want 1", len(c))
		}
	})
}

// A job written with plain Redis commands, with only id, task and trigger,
// is noticed by Watch through the change counter, claimed first with the
// zero time, and gets its first fire time.
func TestExternalWrite(t *testing.T) {
	t.Parallel()
	opts := testPrefix(t)
	opts.PollInterval = 50 * time.Millisecond
	s := setup(t, opts)
	heartbeat(t, s, "n1", time.Hour)
	subscribed := hookSubscribed(s)
	ch := s.Watch(t.Context())
	c := raw(t)
	P := opts.Prefix
	<-subscribed // the watcher has read the counter: the write comes after
	_, err := c.TxPipelined(t.Context(), func(p goredis.Pipeliner) error {
		p.HSet(t.Context(), P+"job:ext", "id", "ext", "task", "report", "trigger", `{"type":"cron","hour":"2"}`)
		p.SAdd(t.Context(), P+"jobs", "ext")
		p.SAdd(t.Context(), P+"unsched", "ext")
		p.Incr(t.Context(), P+"changes") // no PUBLISH: the poll must see it
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	waitSignal(t, ch, 10*opts.PollInterval+time.Second, "an external write that bumped the counter")

	next, ok, err := s.JobNextFireTime(t.Context())
	if err != nil || !ok || !next.IsZero() {
		t.Errorf("JobNextFireTime = %s, %t, %v; want the zero time, true", next, ok, err)
	}
	now := base.Add(30 * time.Minute)
	var seen []*sundial.Job
	claims := claim(t, s, now, "n1", func(job *sundial.Job, active int) sundial.ClaimDecision {
		seen = append(seen, job)
		first, _ := job.Trigger.First(now)
		return sundial.ClaimDecision{NextRunTime: first}
	})
	if len(claims) != 1 || len(seen) != 1 || !seen[0].NextRunTime.IsZero() || len(claims[0].Runs) != 0 {
		t.Fatalf("claims = %+v, decided %+v; want one claim of ext with the zero time and no run", claims, seen)
	}
	j := seen[0]
	if j.ID != "ext" || !j.Coalesce || j.MaxInstances != 1 || j.MisfireGraceTime != nil || string(j.Args) != "[]" ||
		string(j.Kwargs) != "{}" || j.Version != 1 || j.Paused {
		t.Errorf("defaults of an external job: %+v", j)
	}
	got, err := s.JobGet(t.Context(), "ext")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2024, 1, 1, 2, 0, 0, 0, time.UTC); !got.NextRunTime.Equal(want) || got.Version != 2 {
		t.Errorf("after the claim: next %s version %d, want %s, 2", got.NextRunTime, got.Version, want)
	}
	if next, ok, _ := s.JobNextFireTime(t.Context()); !ok || !next.Equal(got.NextRunTime) {
		t.Errorf("JobNextFireTime = %s, %t; want %s", next, ok, got.NextRunTime)
	}
}

// hookSubscribed returns a channel that receives the connection name each
// time one of s's watchers listens on a new connection. Call it before
// Watch.
func hookSubscribed(s *Store) <-chan string {
	ch := make(chan string, 16)
	s.hookSubscribed = func(name string) { ch <- name }
	return ch
}

// A job whose stored fields do not decode is skipped by claims (and
// parked, so it does not hold up the due set), left out of JobList, an
// error for JobGet, and claimed again once it is written correctly.
func TestUndecodableJob(t *testing.T) {
	t.Parallel()
	opts := testPrefix(t)
	s := setup(t, opts)
	heartbeat(t, s, "n1", time.Hour)
	c := raw(t)
	P := opts.Prefix
	addJobs(t, s, newJob("good", base.Add(time.Minute)))
	for _, bad := range []struct{ id, field, value string }{
		{"badtrigger", "trigger", `{"type":"cron","hour":"25"}`},
		{"badjson", "trigger", `{not json`},
		{"badnext", "next_run_time", "yesterday"},
		{"badbool", "coalesce", "maybe"},
	} {
		_, err := c.TxPipelined(t.Context(), func(p goredis.Pipeliner) error {
			p.HSet(t.Context(), P+"job:"+bad.id, "id", bad.id, "task", "report", "trigger", `{"type":"cron","hour":"2"}`, "next_run_time", base.UnixMicro())
			p.HSet(t.Context(), P+"job:"+bad.id, bad.field, bad.value)
			p.SAdd(t.Context(), P+"jobs", bad.id)
			if bad.field == "next_run_time" {
				p.SAdd(t.Context(), P+"unsched", bad.id)
			} else {
				p.ZAdd(t.Context(), P+"due", goredis.Z{Score: float64(base.UnixMicro()), Member: bad.id})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.JobGet(t.Context(), bad.id); !errors.Is(err, sundial.ErrInvalidJob) {
			t.Errorf("JobGet(%s): err = %v, want a JobError", bad.id, err)
		}
	}
	claims := claim(t, s, base.Add(time.Minute), "n1", submitOrSkip("n1"))
	if len(claims) != 1 || claims[0].Job.ID != "good" {
		t.Errorf("claimed %d jobs, want only good", len(claims))
	}
	if next, ok, err := s.JobNextFireTime(t.Context()); err != nil || !ok || !next.Equal(base.Add(2*time.Minute)) {
		t.Errorf("JobNextFireTime = %s, %t, %v; want good's next fire %s (the bad jobs parked)", next, ok, err, base.Add(2*time.Minute))
	}
	jobs, err := s.JobList(t.Context(), sundial.JobListParams{})
	if err != nil || len(jobs) != 1 {
		t.Errorf("JobList = %d jobs, %v; want only good", len(jobs), err)
	}
	if n, err := c.SCard(t.Context(), P+"broken").Result(); err != nil || n != 4 {
		t.Errorf("broken set has %d, %v; want 4", n, err)
	}
	// Another program repairs one and re-indexes it, as SCHEMA.md says.
	_, err = c.TxPipelined(t.Context(), func(p goredis.Pipeliner) error {
		p.HSet(t.Context(), P+"job:badtrigger", "trigger", `{"type":"cron","hour":"2"}`)
		p.HIncrBy(t.Context(), P+"job:badtrigger", "version", 1)
		p.SRem(t.Context(), P+"broken", "badtrigger")
		p.ZAdd(t.Context(), P+"due", goredis.Z{Score: float64(base.UnixMicro()), Member: "badtrigger"})
		p.Incr(t.Context(), P+"changes")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	claims = claim(t, s, base, "n1", submitOrSkip("n1"))
	if len(claims) != 1 || claims[0].Job.ID != "badtrigger" {
		t.Errorf("after the repair claimed %v, want badtrigger", claims)
	}
}

// Several Store instances (separate pools, as separate processes would
// have) and many goroutines claim a backlog of fires: each fire is claimed
// once and max_instances holds across all of them.
func TestClaimAcrossInstances(t *testing.T) {
	t.Parallel()
	opts := testPrefix(t)
	const (
		instances = 4
		perStore  = 3
		jobs      = 30
		fires     = 5
	)
	stores := make([]*Store, instances)
	for i := range stores {
		stores[i] = setup(t, opts)
	}
	for i := range jobs {
		j := newJob(fmt.Sprintf("j%02d", i), base)
		j.MaxInstances = 1 + i%2
		addJobs(t, stores[0], j)
	}
	now := base.Add((fires - 1) * time.Minute)
	type fire struct {
		job string
		at  time.Time
	}
	var (
		mu     sync.Mutex
		claims = map[fire]int{}
		wg     sync.WaitGroup
		start  = make(chan struct{})
	)
	for i, s := range stores {
		for g := range perStore {
			node := fmt.Sprintf("node-%d-%d", i, g)
			heartbeat(t, s, node, time.Hour)
			wg.Go(func() {
				<-start
				for {
					cs, err := s.JobClaimDue(t.Context(), sundial.JobClaimDueParams{Now: now, Limit: 3, Node: node, Decide: submitOrSkip(node)})
					if err != nil {
						t.Errorf("%s: %v", node, err)
						return
					}
					if len(cs) == 0 {
						return
					}
					mu.Lock()
					for _, c := range cs {
						claims[fire{c.Job.ID, c.Job.NextRunTime}]++
					}
					mu.Unlock()
				}
			})
		}
	}
	close(start)
	wg.Wait()
	if len(claims) != jobs*fires {
		t.Errorf("%d distinct fires claimed, want %d", len(claims), jobs*fires)
	}
	for f, n := range claims {
		if n != 1 {
			t.Errorf("fire %s at %s claimed %d times", f.job, f.at, n)
		}
	}
	for i := range jobs {
		id := fmt.Sprintf("j%02d", i)
		runs, err := stores[1].RunList(t.Context(), sundial.RunListParams{JobID: id})
		if err != nil {
			t.Fatal(err)
		}
		submitted := 0
		for _, r := range runs {
			if r.Status == sundial.RunSubmitted {
				submitted++
			}
		}
		if want := 1 + i%2; len(runs) != fires || submitted != want {
			t.Errorf("job %s: %d runs, %d submitted; want %d runs, %d submitted (max_instances)", id, len(runs), submitted, fires, want)
		}
	}
}

// A job changed between claim_read and claim_apply (its version, or its
// unfinished runs) is read and decided again, never applied from the
// stale read.
func TestClaimRedecidesChangedJob(t *testing.T) {
	t.Parallel()
	s := setup(t, testPrefix(t))
	heartbeat(t, s, "n1", time.Hour)
	addJobs(t, s, newJob("renamed", base), newJob("busy", base))
	var calls []string
	claims := claim(t, s, base, "n1", func(job *sundial.Job, active int) sundial.ClaimDecision {
		calls = append(calls, fmt.Sprintf("%s/%s/%d", job.ID, job.Name, active))
		if len(calls) <= 2 {
			// Another node changes both jobs while this one decides.
			switch job.ID {
			case "renamed":
				j, err := s.JobGet(t.Context(), "renamed")
				if err != nil {
					t.Fatal(err)
				}
				j.Name = "new name"
				if err := s.JobUpdate(t.Context(), j); err != nil {
					t.Fatal(err)
				}
			case "busy":
				r := &sundial.Run{ID: "manual", JobID: "busy", ScheduledAt: base.Add(-time.Hour), Attempt: 1, Status: sundial.RunRunning, Node: "n1"}
				if err := s.RunInsert(t.Context(), r, 0); err != nil {
					t.Fatal(err)
				}
			}
		}
		return submitOrSkip("n1")(job, active)
	})
	if len(calls) != 4 {
		t.Fatalf("Decide calls = %v, want each job decided twice", calls)
	}
	got := map[string]sundial.Claim{}
	for _, c := range claims {
		got[c.Job.ID] = c
	}
	if c := got["renamed"]; c.Job == nil || c.Job.Name != "new name" || c.Job.Version != 2 {
		t.Errorf("claim of renamed = %+v, want the job as updated (version 2)", c.Job)
	}
	if c := got["busy"]; len(c.Runs) != 1 || c.Runs[0].Status != sundial.RunSkipped {
		t.Errorf("claim of busy = %+v, want its run skipped (max_instances 1, one running)", c.Runs)
	}
	if j, err := s.JobGet(t.Context(), "renamed"); err != nil || j.Version != 3 || j.Name != "new name" {
		t.Errorf("renamed after the claim = %+v, %v; want version 3 with the new name", j, err)
	}
}

// Leases are judged by the Redis clock (TIME), not by the now the
// scheduler passes: a far-future or far-past now changes nothing.
func TestLeasesUseRedisTime(t *testing.T) {
	t.Parallel()
	s := setup(t, testPrefix(t))
	before, err := s.rdb.Time(t.Context()).Result()
	if err != nil {
		t.Fatal(err)
	}
	n := heartbeat(t, s, "n1", time.Minute)
	after, err := s.rdb.Time(t.Context()).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n.HeartbeatAt.Before(before.Truncate(time.Microsecond)) || n.HeartbeatAt.After(after) {
		t.Errorf("HeartbeatAt %s not between the server's TIME %s and %s", n.HeartbeatAt, before, after)
	}
	heartbeat(t, s, "dead", -time.Second)
	addJobs(t, s, newJob("a", base))
	future := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
	later := func(*sundial.Job, int) sundial.ClaimDecision {
		return sundial.ClaimDecision{NextRunTime: future.Add(time.Minute)}
	}
	if c := claim(t, s, future, "n1", later); len(c) != 1 {
		t.Errorf("claim with a far-future now by a live node: %d claims, want 1", len(c))
	}
	if _, err := s.JobClaimDue(t.Context(), sundial.JobClaimDueParams{Now: base, Node: "dead", Decide: submitOrSkip("dead")}); !errors.Is(err, sundial.ErrLeaseLost) {
		t.Errorf("claim by an expired node with a past now: err = %v, want ErrLeaseLost", err)
	}
	r := &sundial.Run{ID: "r", JobID: "a", ScheduledAt: base, Attempt: 1, Status: sundial.RunRunning, Node: "dead"}
	if err := s.RunInsert(t.Context(), r, 0); err != nil {
		t.Fatal(err)
	}
	past := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	res, err := s.RunReap(t.Context(), sundial.RunReapParams{Node: "n1", Now: past})
	if err != nil || len(res.Interrupted) != 1 || !res.Interrupted[0].FinishedAt.Equal(past) {
		t.Errorf("reap with a past now = %+v, %v; want r interrupted at %s", res, err, past)
	}
}

// A write retried with the same idempotency token (after a reply lost with
// its connection) is answered from the first run, not applied twice.
func TestWriteRetryIsIdempotent(t *testing.T) {
	t.Parallel()
	s := setup(t, testPrefix(t))
	run := &sundial.Run{ID: "r1", JobID: "a", ScheduledAt: base, Attempt: 1, Status: sundial.RunSubmitted, Node: "n1"}
	args := runArgs([]any{"1"}, run)
	tok := s.token()
	var replies []string
	for range 2 {
		v, err := s.run(t.Context(), scRunInsert, tok, args...)
		if err != nil {
			t.Fatal(err)
		}
		replies = append(replies, fmt.Sprint(v))
	}
	if replies[0] != replies[1] || !strings.HasPrefix(replies[0], `["ok"`) {
		t.Errorf("replies to a repeated insert = %q, want the same ok twice", replies)
	}
	// Without the token the repeat is a duplicate.
	v, err := s.run(t.Context(), scRunInsert, s.token(), args...)
	if err != nil || !strings.Contains(fmt.Sprint(v), "dup") {
		t.Errorf("insert under a new token = %v, %v; want dup", v, err)
	}

	// RunUpdate takes no token: a repeat of an update that finished the run
	// is accepted as such, a different one is refused.
	heartbeat(t, s, "n1", time.Hour)
	run.Status, run.FinishedAt, run.Output = sundial.RunSucceeded, base.Add(time.Minute), "done"
	for i := range 2 {
		if err := s.RunUpdate(t.Context(), run); err != nil {
			t.Errorf("update %d finishing the run: %v", i, err)
		}
	}
	run.Output = "other"
	if err := s.RunUpdate(t.Context(), run); !errors.Is(err, sundial.ErrLeaseLost) {
		t.Errorf("a different update of the finished run: err = %v, want ErrLeaseLost", err)
	}
}

// A connection killed while a write waits on it (a restart, a proxy
// dropping it) costs a retry, not an error, and the write is applied once.
func TestRetriesAfterKilledConnection(t *testing.T) {
	t.Parallel()
	s := setup(t, testPrefix(t))
	c := raw(t)
	heartbeat(t, s, "n1", time.Hour)
	// Hold writes on the server so the store's script waits on its
	// connection, then kill that connection.
	if err := c.Do(t.Context(), "CLIENT", "PAUSE", "300", "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.JobAdd(t.Context(), sundial.JobAddParams{Job: newJob("a", base)}) }()
	killed := 0
	for deadline := time.Now().Add(5 * time.Second); killed == 0 && time.Now().Before(deadline); {
		if waitingOn(t, c, "sundial-"+s.id, "evalsha") {
			killed = killClients(t, c, "sundial-"+s.id)
		} else {
			time.Sleep(time.Millisecond) // the server state we wait for is another process's
		}
	}
	if killed == 0 {
		t.Fatal("the store's write never waited on the paused server")
	}
	if err := <-done; err != nil {
		t.Fatalf("JobAdd across a killed connection: %v", err)
	}
	if j, err := s.JobGet(t.Context(), "a"); err != nil || j.Version != 1 {
		t.Errorf("job after the retried add = %+v, %v; want version 1", j, err)
	}
}

// waitingOn reports whether a connection named name is blocked in cmd.
func waitingOn(t *testing.T, c *goredis.Client, name, cmd string) bool {
	t.Helper()
	list, err := c.ClientList(t.Context()).Result()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(list) {
		if strings.Contains(line, " name="+name+" ") && strings.Contains(line, " cmd="+cmd+" ") && strings.Contains(line, " flags=b") {
			return true
		}
	}
	return false
}

// killClients kills the server's connections named name and returns how
// many.
func killClients(t *testing.T, c *goredis.Client, name string) int {
	t.Helper()
	list, err := c.ClientList(t.Context()).Result()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for line := range strings.Lines(list) {
		var id string
		named := false
		for f := range strings.FieldsSeq(line) {
			if v, ok := strings.CutPrefix(f, "id="); ok {
				id = v
			}
			if f == "name="+name {
				named = true
			}
		}
		if named {
			if err := c.Do(t.Context(), "CLIENT", "KILL", "ID", id).Err(); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	return n
}

// Watch hears another instance's change through pub/sub (the poll is
// slow here), and again after its subscriber connection is killed.
func TestWatchReconnects(t *testing.T) {
	t.Parallel()
	opts := testPrefix(t)
	opts.PollInterval = time.Hour // only pub/sub can deliver in time
	s := setup(t, opts)
	other := setup(t, opts)
	subscribed := hookSubscribed(s)
	ch := s.Watch(t.Context())
	c := raw(t)
	for round := range 3 {
		var watcher string
		select {
		case watcher = <-subscribed:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: the watcher did not (re)subscribe", round)
		}
		drain(ch)
		addJobs(t, other, newJob(fmt.Sprint("j", round), base))
		waitSignal(t, ch, 5*time.Second, fmt.Sprintf("round %d: another instance added a job", round))
		if killClients(t, c, watcher) != 1 {
			t.Fatalf("round %d: the subscriber %s was not killed", round, watcher)
		}
	}
}

// Watch's goroutine ends with its context and with Close.
func TestWatchStops(t *testing.T) {
	t.Parallel()
	s := setup(t, testPrefix(t))
	ctx, cancel := context.WithCancel(t.Context())
	s.Watch(ctx)
	s.Watch(t.Context())
	cancel()
	done := make(chan struct{})
	go func() {
		s.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return with watchers running")
	}
	s.Watch(t.Context()) // after Close: nothing starts
}

// Decisions that record many runs (a long backlog recorded as missed) are
// applied in several script calls, each job whole in one.
func TestClaimLargeDecisions(t *testing.T) {
	t.Parallel()
	s := setup(t, testPrefix(t))
	heartbeat(t, s, "n1", time.Hour)
	const jobs, runs = 3, 1000
	for i := range jobs {
		addJobs(t, s, newJob(fmt.Sprint("j", i), base))
	}
	claims := claim(t, s, base, "n1", func(job *sundial.Job, _ int) sundial.ClaimDecision {
		d := sundial.ClaimDecision{NextRunTime: base.Add(time.Hour)}
		for k := range runs {
			at := base.Add(-time.Duration(k) * time.Minute)
			d.Runs = append(d.Runs, &sundial.Run{
				ID: fmt.Sprintf("%s@%d", job.ID, k), JobID: job.ID, ScheduledAt: at, Attempt: 1,
				Status: sundial.RunMissed, Node: "n1", CreatedAt: base, FinishedAt: base,
			})
		}
		return d
	})
	if len(claims) != jobs {
		t.Fatalf("%d claims, want %d", len(claims), jobs)
	}
	for _, c := range claims {
		if len(c.Runs) != runs || c.Runs[runs-1].Seq == 0 {
			t.Errorf("claim of %s: %d runs recorded, want %d with seqs", c.Job.ID, len(c.Runs), runs)
		}
	}
	all, err := s.RunList(t.Context(), sundial.RunListParams{})
	if err != nil || len(all) != jobs*runs {
		t.Errorf("RunList = %d runs, %v; want %d", len(all), err, jobs*runs)
	}
}
