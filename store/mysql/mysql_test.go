package mysql_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/testenv"
	"github.com/sundial-scheduler/sundial/store/mysql"
	"github.com/sundial-scheduler/sundial/trigger"
)

var base = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func at(n int) time.Time { return base.Add(time.Duration(n) * time.Minute) }

// rawDB opens a plain connection pool on dsn, as another program would.
func rawDB(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ParseTime, cfg.Loc = true, time.UTC
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func exec(t testing.TB, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func heartbeat(t testing.TB, st sundial.Store, id string) {
	t.Helper()
	if err := st.NodeHeartbeat(context.Background(), &sundial.Node{ID: id, Host: "test"}, time.Hour); err != nil {
		t.Fatal(err)
	}
}

func newJob(id string, next time.Time, maxInstances int) *sundial.Job {
	return &sundial.Job{
		ID: id, Task: "t", Args: []byte(`[]`), Kwargs: []byte(`{}`),
		Trigger:     trigger.MustParse(`{"type": "interval", "minutes": 1, "start_date": "2024-01-01T00:00:00+00:00"}`),
		NextRunTime: next, Options: sundial.Options{Coalesce: false, MaxInstances: maxInstances},
	}
}

func addJobs(t testing.TB, st sundial.Store, jobs ...*sundial.Job) {
	t.Helper()
	for _, j := range jobs {
		if err := st.JobAdd(context.Background(), sundial.JobAddParams{Job: j}); err != nil {
			t.Fatalf("JobAdd(%s): %v", j.ID, err)
		}
	}
}

// fire records one run for the job's current fire, submitted while the job
// has fewer than max_instances unfinished runs, skipped otherwise, and moves
// the job on by a minute: the scheduler's rule, in small.
func fire(node string) func(job *sundial.Job, active int) sundial.ClaimDecision {
	return func(job *sundial.Job, active int) sundial.ClaimDecision {
		status := sundial.RunSubmitted
		if active >= job.MaxInstances {
			status = sundial.RunSkipped
		}
		return sundial.ClaimDecision{
			NextRunTime: job.NextRunTime.Add(time.Minute),
			Runs: []*sundial.Run{{
				ID: fmt.Sprintf("%s@%d", job.ID, job.NextRunTime.Unix()), JobID: job.ID, ScheduledAt: job.NextRunTime,
				Attempt: 1, Status: status, Node: node, CreatedAt: job.NextRunTime,
			}},
		}
	}
}

// waitSignal waits up to d for a value from ch.
func waitSignal(t testing.TB, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("no Watch signal within %s after %s", d, what)
	}
}

// primeWatch returns once the watcher has read the change counter: it
// starts from the value it finds, so only later changes are signalled. It
// adds jobs (due late) until one is signalled, and drains ch.
func primeWatch(t testing.TB, st sundial.Store, ch <-chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for k := 0; ; k++ {
		addJobs(t, st, newJob(fmt.Sprintf("prime-%d", k), at(100000), 1))
		select {
		case <-ch:
			drain(ch)
			return
		case <-time.After(10 * pollInterval):
		}
		if time.Now().After(deadline) {
			t.Fatal("Watch signalled none of the jobs added")
		}
	}
}

// drain empties ch.
func drain(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	t.Run("Idempotent", func(t *testing.T) {
		t.Parallel()
		dsn := testenv.MySQLDSN(t)
		st := open(t, dsn)
		addJobs(t, st, newJob("a", at(1), 1))
		for range 2 {
			if err := st.Migrate(t.Context()); err != nil {
				t.Fatalf("Migrate again: %v", err)
			}
		}
		open(t, dsn) // a second process opening a migrated database
		wantSchema(t, rawDB(t, dsn))
		if _, err := st.JobGet(t.Context(), "a"); err != nil {
			t.Errorf("job lost by a repeated migration: %v", err)
		}
	})

	t.Run("ConcurrentOpens", func(t *testing.T) {
		t.Parallel()
		dsn := testenv.MySQLDSN(t)
		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				st, err := mysql.Open(t.Context(), dsn, mysql.Options{Logger: quiet})
				if err == nil {
					err = st.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Open %d: %v", i, err)
			}
		}
		wantSchema(t, rawDB(t, dsn))
	})

	t.Run("SkipMigrate", func(t *testing.T) {
		t.Parallel()
		dsn := testenv.MySQLDSN(t)
		st := openWith(t, dsn, mysql.Options{SkipMigrate: true})
		if _, err := st.JobGet(t.Context(), "a"); err == nil || errors.Is(err, sundial.ErrJobNotFound) {
			t.Errorf("JobGet without the schema: err = %v, want a missing table", err)
		}
		if err := st.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		wantSchema(t, rawDB(t, dsn))
	})

	t.Run("NeedsDatabase", func(t *testing.T) {
		t.Parallel()
		cfg, err := gomysql.ParseDSN(testenv.MySQLDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		cfg.DBName = ""
		if _, err := mysql.Open(t.Context(), cfg.FormatDSN(), mysql.Options{Logger: quiet}); err == nil {
			t.Error("Open without a database name succeeded")
		}
	})
}

// wantSchema checks that each migration is recorded once and the tables
// and triggers exist.
func wantSchema(t *testing.T, db *sql.DB) {
	t.Helper()
	var versions []int
	rows, err := db.Query("SELECT version FROM sundial_schema ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	if !slices.Equal(versions, []int{1, 2, 3}) {
		t.Errorf("sundial_schema versions = %v, want [1 2 3]", versions)
	}
	var triggers int
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() " +
		"AND EVENT_OBJECT_TABLE = 'sundial_jobs'").Scan(&triggers); err != nil {
		t.Fatal(err)
	}
	if triggers != 3 {
		t.Errorf("%d triggers on sundial_jobs, want 3", triggers)
	}
}

// A job written with plain SQL, only the columns without defaults, is a
// valid job: Watch notices it, and the first claim computes its first fire
// time.
func TestPlainSQLJob(t *testing.T) {
	t.Parallel()
	dsn := testenv.MySQLDSN(t)
	st := open(t, dsn)
	heartbeat(t, st, "node-1")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ch := st.Watch(ctx)
	primeWatch(t, st, ch)

	db := rawDB(t, dsn)
	exec(t, db, "INSERT INTO sundial_jobs (id, task, `trigger`) VALUES ('plain', 'report', '{\"type\": \"cron\", \"hour\": \"2\"}')")
	waitSignal(t, ch, 5*time.Second, "a plain SQL insert")

	next, ok, err := st.JobNextFireTime(t.Context())
	if err != nil || !ok || !next.IsZero() {
		t.Errorf("JobNextFireTime = %s, %t, %v; want the zero time (due at once)", next, ok, err)
	}
	var seen *sundial.Job
	first := time.Date(2024, 1, 1, 2, 0, 0, 0, time.UTC)
	claims, err := st.JobClaimDue(t.Context(), sundial.JobClaimDueParams{
		Now: at(0), Limit: 10, Node: "node-1",
		Decide: func(job *sundial.Job, active int) sundial.ClaimDecision {
			seen = job.Clone()
			next, ok := job.Trigger.First(at(0))
			if !ok {
				t.Errorf("trigger %v has no first fire", job.Trigger)
			}
			return sundial.ClaimDecision{NextRunTime: next}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(claims) != 1 || claims[0].Job.ID != "plain" || len(claims[0].Runs) != 0 {
		t.Fatalf("claims = %+v, want plain with no run", claims)
	}
	want := sundial.Options{Coalesce: true, MaxInstances: 1}
	if !seen.NextRunTime.IsZero() || seen.Paused || seen.MisfireGraceTime != nil || seen.Coalesce != want.Coalesce ||
		seen.MaxInstances != want.MaxInstances || seen.Timeout != 0 || string(seen.Args) != "[]" ||
		string(seen.Kwargs) != "{}" || seen.Version != 1 || len(seen.Tags) != 0 || seen.Retry != (sundial.RetryPolicy{}) {
		t.Errorf("Decide saw %+v, want Sundial's defaults and a zero NextRunTime", seen)
	}
	got, err := st.JobGet(t.Context(), "plain")
	if err != nil {
		t.Fatal(err)
	}
	if !got.NextRunTime.Equal(first) {
		t.Errorf("next run time after the claim = %s, want %s", got.NextRunTime, first)
	}
}

// A row whose trigger (or other JSON) cannot be read is parked, and claims
// of the other jobs go on.
func TestUnreadableRowParked(t *testing.T) {
	t.Parallel()
	dsn := testenv.MySQLDSN(t)
	logs := &recorder{}
	st := openWith(t, dsn, mysql.Options{Logger: logs.logger()})
	heartbeat(t, st, "node-1")
	db := rawDB(t, dsn)
	exec(t, db, "INSERT INTO sundial_jobs (id, task, `trigger`, next_run_time) VALUES "+
		"('bad-trigger', 't', '{\"type\": \"sometimes\"}', ?), ('bad-args', 't', '{\"type\": \"interval\", \"seconds\": 5}', ?)",
		at(-2), at(-1))
	exec(t, db, "UPDATE sundial_jobs SET args = 'not json' WHERE id = 'bad-args'")
	addJobs(t, st, newJob("good", at(0), 1))

	claims, err := st.JobClaimDue(t.Context(), sundial.JobClaimDueParams{Now: at(0), Limit: 10, Node: "node-1", Decide: fire("node-1")})
	if err != nil {
		t.Fatal(err)
	}
	if len(claims) != 1 || claims[0].Job.ID != "good" {
		t.Errorf("claims = %v, want only good", claims)
	}
	for _, id := range []string{"bad-trigger", "bad-args"} {
		var paused bool
		if err := db.QueryRow("SELECT paused FROM sundial_jobs WHERE id = ?", id).Scan(&paused); err != nil || !paused {
			t.Errorf("%s: paused = %t, %v; want parked (paused)", id, paused, err)
		}
		if !logs.has(id) {
			t.Errorf("nothing logged about %s", id)
		}
		_, err := st.JobGet(t.Context(), id)
		if !errors.Is(err, sundial.ErrInvalidJob) {
			t.Errorf("JobGet(%s): err = %v, want ErrInvalidJob", id, err)
		}
	}
	next, ok, err := st.JobNextFireTime(t.Context())
	if err != nil || !ok || !next.Equal(at(1)) {
		t.Errorf("JobNextFireTime = %s, %t, %v; want %s (parked rows left out)", next, ok, err, at(1))
	}
	jobs, err := st.JobList(t.Context(), sundial.JobListParams{})
	if err != nil || len(jobs) != 1 {
		t.Errorf("JobList = %d jobs, %v; want the readable one", len(jobs), err)
	}
}

// Several stores (separate pools, as separate processes have) with many
// claimers each, and "run now" inserts beside them: every fire is claimed
// once, and max_instances holds across all of them.
func TestManyStoresClaimOnce(t *testing.T) {
	t.Parallel()
	dsn := testenv.MySQLDSN(t)
	const (
		stores, claimersPer, jobs, fires, maxInstances = 3, 4, 30, 6, 2
	)
	var sts []*mysql.Store
	for i := range stores {
		st := open(t, dsn)
		heartbeat(t, st, fmt.Sprintf("node-%d", i))
		sts = append(sts, st)
	}
	for i := range jobs {
		addJobs(t, sts[0], newJob(fmt.Sprintf("j%02d", i), base, maxInstances))
	}
	now := at(fires - 1)
	type fireKey struct {
		job string
		at  time.Time
	}
	var (
		mu      sync.Mutex
		claimed = map[fireKey]int{}
		wg      sync.WaitGroup
		stop    = make(chan struct{})
		manual  sync.WaitGroup
	)
	// Run-now inserts race the claims for the same jobs.
	for i := range stores {
		manual.Go(func() {
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("j%02d", k%jobs)
				r := &sundial.Run{ID: fmt.Sprintf("manual-%d-%d", i, k), JobID: id, ScheduledAt: at(1000).Add(time.Duration(i*100000+k) * time.Millisecond),
					Attempt: 1, Status: sundial.RunSubmitted, Manual: true, Node: fmt.Sprintf("node-%d", i), CreatedAt: base}
				if err := sts[i].RunInsert(t.Context(), r, maxInstances); err != nil && !errors.Is(err, sundial.ErrMaxInstances) {
					t.Errorf("RunInsert: %v", err)
					return
				}
			}
		})
	}
	for i, st := range sts {
		for c := range claimersPer {
			wg.Go(func() {
				node := fmt.Sprintf("node-%d", i)
				for {
					cs, err := st.JobClaimDue(t.Context(), sundial.JobClaimDueParams{Now: now, Limit: 1 + c*3, Node: node, Decide: fire(node)})
					if err != nil {
						t.Errorf("claimer %d/%d: %v", i, c, err)
						return
					}
					if len(cs) == 0 {
						return
					}
					mu.Lock()
					for _, c := range cs {
						claimed[fireKey{c.Job.ID, c.Job.NextRunTime}]++
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	close(stop)
	manual.Wait()
	if len(claimed) != jobs*fires {
		t.Errorf("%d fires claimed, want %d", len(claimed), jobs*fires)
	}
	for f, n := range claimed {
		if n != 1 {
			t.Errorf("fire %s at %s claimed %d times", f.job, f.at, n)
		}
	}
	db := rawDB(t, dsn)
	rows, err := db.Query("SELECT job_id, SUM(status IN ('submitted', 'running')), SUM(NOT manual) FROM sundial_runs GROUP BY job_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var active, fired int
		if err := rows.Scan(&id, &active, &fired); err != nil {
			t.Fatal(err)
		}
		if active > maxInstances {
			t.Errorf("job %s has %d unfinished runs, max_instances %d", id, active, maxInstances)
		}
		if fired != fires {
			t.Errorf("job %s: %d runs of fires recorded, want %d", id, fired, fires)
		}
	}
}

// repeatableRead returns dsn with sessions in REPEATABLE READ, whatever the
// server default: MariaDB before 11.1 names the variable tx_isolation,
// MySQL 8 transaction_isolation.
func repeatableRead(t *testing.T, dsn string) string {
	t.Helper()
	name := "transaction_isolation"
	if err := rawDB(t, dsn).QueryRow("SELECT @@transaction_isolation").Scan(new(string)); err != nil {
		name = "tx_isolation"
	}
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params[name] = "'REPEATABLE-READ'"
	return cfg.FormatDSN()
}

// Under REPEATABLE READ (InnoDB's default), a read-then-write would lose
// updates: a claim advancing a job from a stale snapshot, or a JobUpdate
// based on a read from before a claim. Updaters and claimers in two stores
// race over one job; every write must survive.
func TestNoLostUpdateUnderRepeatableRead(t *testing.T) {
	t.Parallel()
	dsn := repeatableRead(t, testenv.MySQLDSN(t))
	a, b := open(t, dsn), open(t, dsn)
	var level string
	db := rawDB(t, dsn)
	if err := db.QueryRow("SELECT @@SESSION.tx_isolation").Scan(&level); err != nil {
		if err := db.QueryRow("SELECT @@SESSION.transaction_isolation").Scan(&level); err != nil {
			t.Fatal(err)
		}
	}
	if level != "REPEATABLE-READ" {
		t.Fatalf("session isolation %s, want REPEATABLE-READ", level)
	}
	heartbeat(t, a, "node-a")
	heartbeat(t, b, "node-b")
	addJobs(t, a, newJob("a", base, 1000))

	const updaters, updates, claimers, claimsEach = 4, 15, 4, 15
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		tokens []string
		fired  = map[time.Time]int{}
	)
	for u := range updaters {
		st := []*mysql.Store{a, b}[u%2]
		wg.Go(func() {
			for k := range updates {
				token := fmt.Sprintf("u%d-%d", u, k)
				for {
					job, err := st.JobGet(t.Context(), "a")
					if err != nil {
						t.Error(err)
						return
					}
					job.Tags = append(job.Tags, token)
					err = st.JobUpdate(t.Context(), job)
					if errors.Is(err, sundial.ErrStale) {
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					tokens = append(tokens, token)
					mu.Unlock()
					break
				}
			}
		})
	}
	for c := range claimers {
		st, node := a, "node-a"
		if c%2 == 1 {
			st, node = b, "node-b"
		}
		wg.Go(func() {
			for range claimsEach {
				cs, err := st.JobClaimDue(t.Context(), sundial.JobClaimDueParams{Now: at(10000), Limit: 1, Node: node, Decide: fire(node)})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, c := range cs {
					fired[c.Job.NextRunTime]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	job, err := a.JobGet(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(tokens)
	got := slices.Sorted(slices.Values(job.Tags))
	if !slices.Equal(got, tokens) {
		t.Errorf("stored tags %v, want every successful update's token %v", got, tokens)
	}
	claims := 0
	for at, n := range fired {
		claims += n
		if n != 1 {
			t.Errorf("fire %s claimed %d times", at, n)
		}
	}
	if want := int64(1 + len(tokens) + claims); job.Version != want {
		t.Errorf("version %d, want %d (1 + %d updates + %d claims)", job.Version, want, len(tokens), claims)
	}
	if want := base.Add(time.Duration(claims) * time.Minute); !job.NextRunTime.Equal(want) {
		t.Errorf("next run time %s after %d claims, want %s", job.NextRunTime, claims, want)
	}
	var runs int
	if err := db.QueryRow("SELECT COUNT(*) FROM sundial_runs WHERE job_id = 'a'").Scan(&runs); err != nil || runs != claims {
		t.Errorf("%d runs recorded (%v), want %d", runs, err, claims)
	}
}

// A claimed fire whose run is already recorded (same fire key) is not
// recorded or handed out again, and the job still advances.
func TestClaimSkipsRecordedFire(t *testing.T) {
	t.Parallel()
	logs := &recorder{}
	st := openWith(t, testenv.MySQLDSN(t), mysql.Options{Logger: logs.logger()})
	heartbeat(t, st, "node-1")
	addJobs(t, st, newJob("a", at(0), 5), newJob("b", at(0), 5))
	earlier := &sundial.Run{ID: "earlier", JobID: "a", ScheduledAt: at(0), Attempt: 1, Status: sundial.RunSucceeded, Node: "node-1", CreatedAt: at(0)}
	if err := st.RunInsert(t.Context(), earlier, 0); err != nil {
		t.Fatal(err)
	}
	claims, err := st.JobClaimDue(t.Context(), sundial.JobClaimDueParams{Now: at(0), Limit: 10, Node: "node-1", Decide: fire("node-1")})
	if err != nil {
		t.Fatal(err)
	}
	runs := map[string]int{}
	for _, c := range claims {
		runs[c.Job.ID] = len(c.Runs)
		for _, r := range c.Runs {
			if r.Seq == 0 {
				t.Errorf("run %s handed out without a Seq", r.ID)
			}
		}
	}
	if len(claims) != 2 || runs["a"] != 0 || runs["b"] != 1 {
		t.Errorf("claims %v with runs %v; want a (its fire already recorded: no run) and b (one run)", len(claims), runs)
	}
	if !logs.has("already recorded") {
		t.Error("the dropped fire was not logged")
	}
	for _, id := range []string{"a", "b"} {
		job, err := st.JobGet(t.Context(), id)
		if err != nil || !job.NextRunTime.Equal(at(1)) {
			t.Errorf("job %s after the claim: %v, %v; want next at %s", id, job, err, at(1))
		}
	}
}
