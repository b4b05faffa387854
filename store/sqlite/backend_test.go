package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

var base = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// rawDB opens the file as another program would, with plain SQL.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func heartbeat(t testing.TB, s *Store, node string) {
	t.Helper()
	n := &sundial.Node{ID: node, Host: "localhost", PID: 1, StartedAt: base}
	if err := s.NodeHeartbeat(t.Context(), n, time.Hour); err != nil {
		t.Fatal(err)
	}
}

func addJob(t testing.TB, s *Store, id string, next time.Time) {
	t.Helper()
	j := benchJob(id, next)
	if err := s.JobAdd(t.Context(), sundial.JobAddParams{Job: j}); err != nil {
		t.Fatal(err)
	}
}

// fireDecide records one run per claimed fire, submitted while the job has
// fewer than max_instances unfinished runs and skipped beyond, and moves
// the job on by a minute.
func fireDecide(node string) func(*sundial.Job, int) sundial.ClaimDecision {
	return func(job *sundial.Job, active int) sundial.ClaimDecision {
		status := sundial.RunSubmitted
		if active >= job.MaxInstances {
			status = sundial.RunSkipped
		}
		at := job.NextRunTime
		return sundial.ClaimDecision{NextRunTime: at.Add(time.Minute), Runs: []*sundial.Run{{
			ID: fmt.Sprintf("%s@%d", job.ID, at.Unix()), JobID: job.ID, ScheduledAt: at, Attempt: 1,
			Status: status, Node: node, CreatedAt: at,
		}}}
	}
}

// logBuffer is a logger whose lines a test reads.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	for _, tc := range []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{s.w, "journal_mode", "wal"},
		{s.w, "synchronous", "1"}, // NORMAL
		{s.w, "foreign_keys", "0"},
		{s.w, "busy_timeout", "5000"},
		{s.w, "query_only", "0"},
		{s.r, "query_only", "1"},
		{s.r, "busy_timeout", "5000"},
	} {
		var got string
		if err := tc.db.QueryRowContext(t.Context(), "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("PRAGMA %s = %s, want %s", tc.pragma, got, tc.want)
		}
	}
}

// planCase is a query whose plan TestQueryPlans checks.
type planCase struct {
	name string
	q    string
	args []any
}

// auditPlanCase is the plan case of AuditList with p.
func auditPlanCase(name string, p sundial.AuditListParams) planCase {
	q, args := auditListQuery(p)
	return planCase{name, q, args}
}

// TestQueryPlans checks that the queries that run with every claim, run
// update and reap, and the filtered audit listings, use an index rather
// than scan a table.
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	for _, tc := range []planCase{
		{"due unscheduled", qDueUnscheduled, []any{"", 10}},
		{"due", qDue, []any{1, 2, "", 10}},
		{"active", qActive, []any{"a"}},
		{"run update", qRunUpdate, []any{"s", "", 0, 0, nil, nil, "", "", "id", "n", "s", nil, "n", 5}},
		{"live", qLive, []any{"n", 1}},
		{"next fire time", `SELECT
			EXISTS (SELECT 1 FROM sundial_jobs WHERE paused = 0 AND next_run_time IS NULL),
			(SELECT min(next_run_time) FROM sundial_jobs WHERE paused = 0)`, nil},
		{"runs of a job", `SELECT ` + runCols + ` FROM sundial_runs WHERE job_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`, []any{"a", 5, 2}},
		{"reap", `SELECT ` + runCols + ` FROM sundial_runs r INDEXED BY sundial_runs_unfinished
			WHERE ` + unfinished + ` AND NOT EXISTS (SELECT 1 FROM sundial_nodes n WHERE n.id = r.node AND n.lease_until > ?)
			ORDER BY seq LIMIT ?`, []any{1, 2}},
		{"audit prune", qAuditPrune, []any{1, pruneChunk}},
		auditPlanCase("audit of a target", sundial.AuditListParams{Target: "a", BeforeSeq: 9, Limit: 50}),
		auditPlanCase("audit of an actor", sundial.AuditListParams{Actor: "a", From: base, Limit: 50}),
		auditPlanCase("audit of an action", sundial.AuditListParams{Action: "a", BeforeSeq: 9}),
	} {
		rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+tc.q, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, "INDEX") && step != "SCAN CONSTANT ROW" {
				t.Errorf("%s: the plan scans a table:\n%s", tc.name, strings.Join(plan, "\n"))
			}
		}
	}
}

func schemaVersions(t *testing.T, db *sql.DB) []int {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT version FROM sundial_schema ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

func latestVersions(t *testing.T) []int {
	t.Helper()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	var vs []int
	for _, m := range ms {
		vs = append(vs, m.version)
	}
	return vs
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	s, path := setup(t)
	addJob(t, s, "a", base)
	for range 2 {
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate again: %v", err)
		}
	}
	again := openFile(t, path, testOptions())
	if _, err := again.JobGet(t.Context(), "a"); err != nil {
		t.Errorf("job after reopening: %v", err)
	}
	if got, want := schemaVersions(t, s.r), latestVersions(t); !slices.Equal(got, want) {
		t.Errorf("sundial_schema versions = %v, want %v", got, want)
	}
}

func TestConcurrentOpensOfANewFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "new.db")
	const opens = 8
	stores := make([]*Store, opens)
	errs := make([]error, opens)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range opens {
		wg.Go(func() {
			<-start
			// SQLite's own wait is 1ms: the store's retries do the waiting.
			stores[i], errs[i] = Open(t.Context(), path, Options{Logger: quiet, lockWait: time.Millisecond})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
			continue
		}
		defer stores[i].Close()
	}
	if t.Failed() {
		return
	}
	if got, want := schemaVersions(t, stores[0].r), latestVersions(t); !slices.Equal(got, want) {
		t.Errorf("sundial_schema versions = %v, want %v", got, want)
	}
	addJob(t, stores[opens-1], "a", base)
	if _, err := stores[0].JobGet(t.Context(), "a"); err != nil {
		t.Errorf("a job added through one store, read through another: %v", err)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	t.Parallel()
	s, path := setup(t)
	if _, err := rawDB(t, path).ExecContext(t.Context(),
		`INSERT INTO sundial_schema (version, name, applied_at) VALUES (9999, '9999_future', 0)`); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(t.Context()); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Migrate of a database from a newer Sundial: err = %v, want a refusal", err)
	}
	if s2, err := Open(t.Context(), path, testOptions()); err == nil {
		s2.Close()
		t.Error("Open of a database from a newer Sundial succeeded")
	}
}

func TestOpenRejectsBadPaths(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", "a?b.db", "a#b.db"} {
		if s, err := Open(t.Context(), p, Options{}); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
	// A file: URI may carry SQLite's own parameters.
	uri := "file:" + filepath.Join(t.TempDir(), "uri.db") + "?cache=private"
	s := openFile(t, uri, testOptions())
	addJob(t, s, "a", base)
}

// TestPlainSQLJob is the public-interface promise: a row written with plain
// SQL, giving only id, task and trigger, is noticed by Watch, claimed with
// a zero next fire time and Sundial's defaults, and scheduled.
func TestPlainSQLJob(t *testing.T) {
	t.Parallel()
	s, path := setup(t)
	heartbeat(t, s, "n1")
	changed := s.Watch(t.Context())

	db := rawDB(t, path)
	if _, err := db.ExecContext(t.Context(), `INSERT INTO sundial_jobs (id, task, trigger)
		VALUES ('raw', 'report', '{"type": "interval", "minutes": 5, "start_date": "2024-01-01T00:00:00+00:00"}')`); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("Watch did not signal a row inserted by another program")
	}

	next, ok, err := s.JobNextFireTime(t.Context())
	if err != nil || !ok || !next.IsZero() {
		t.Errorf("JobNextFireTime = %s, %t, %v; want the zero time (due at once)", next, ok, err)
	}
	now := base.Add(7 * time.Minute)
	var seen *sundial.Job
	claims, err := s.JobClaimDue(t.Context(), sundial.JobClaimDueParams{Now: now, Node: "n1",
		Decide: func(job *sundial.Job, active int) sundial.ClaimDecision {
			seen = job
			first, _ := job.Trigger.First(now)
			return sundial.ClaimDecision{NextRunTime: first}
		}})
	if err != nil || len(claims) != 1 {
		t.Fatalf("JobClaimDue = %d claims, %v; want the raw job", len(claims), err)
	}
	want := &sundial.Job{
		ID: "raw", Task: "report", Args: []byte(`[]`), Kwargs: []byte(`{}`), Version: 1,
		Trigger: trigger.MustParse(`{"type": "interval", "minutes": 5, "start_date": "2024-01-01T00:00:00+00:00"}`),
		Options: sundial.Options{Coalesce: true, MaxInstances: 1},
	}
	if d := jobDiff(want, seen); d != "" {
		t.Errorf("Decide got a job that differs from the defaults:\n%s", d)
	}
	got, err := s.JobGet(t.Context(), "raw")
	if err != nil {
		t.Fatal(err)
	}
	if wantNext := base.Add(10 * time.Minute); !got.NextRunTime.Equal(wantNext) || got.Version != 2 {
		t.Errorf("after the claim: next %s version %d, want %s and 2", got.NextRunTime, got.Version, wantNext)
	}
	var stored int64
	if err := db.QueryRowContext(t.Context(), `SELECT next_run_time FROM sundial_jobs WHERE id = 'raw'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if want := base.Add(10 * time.Minute).UnixMicro(); stored != want {
		t.Errorf("next_run_time column = %d, want Unix microseconds %d", stored, want)
	}
}

// jobDiff compares the fields a row written by hand sets.
func jobDiff(want, got *sundial.Job) string {
	var d []string
	check := func(name string, w, g any) {
		if fmt.Sprint(w) != fmt.Sprint(g) {
			d = append(d, fmt.Sprintf("  %s: got %v, want %v", name, g, w))
		}
	}
	check("ID", want.ID, got.ID)
	check("Name", want.Name, got.Name)
	check("Store", want.Store, got.Store)
	check("Task", want.Task, got.Task)
	check("Args", string(want.Args), string(got.Args))
	check("Kwargs", string(want.Kwargs), string(got.Kwargs))
	check("Trigger", want.Trigger.Describe(), got.Trigger.Describe())
	check("NextRunTime", want.NextRunTime.IsZero(), got.NextRunTime.IsZero())
	check("Paused", want.Paused, got.Paused)
	check("Executor", want.Executor, got.Executor)
	check("MisfireGraceTime", want.MisfireGraceTime, got.MisfireGraceTime)
	check("Coalesce", want.Coalesce, got.Coalesce)
	check("MaxInstances", want.MaxInstances, got.MaxInstances)
	check("Timeout", want.Timeout, got.Timeout)
	check("Retry", want.Retry, got.Retry)
	check("Recovery", want.Recovery, got.Recovery)
	check("Tags", len(want.Tags), len(got.Tags))
	check("Version", want.Version, got.Version)
	check("CreatedAt", want.CreatedAt.IsZero(), got.CreatedAt.IsZero())
	return strings.Join(d, "\n")
}

// TestNextRunTimeIsMicroseconds: a hand-written next_run_time is Unix
// microseconds; a time written as text is refused by the table.
func TestNextRunTimeIsMicroseconds(t *testing.T) {
	t.Parallel()
	s, path := setup(t)
	heartbeat(t, s, "n1")
	db := rawDB(t, path)
	at := base.Add(90 * time.Second)
	if _, err := db.ExecContext(t.Context(), `INSERT INTO sundial_jobs (id, task, trigger, next_run_time)
		VALUES ('a', 'report', '{"type": "interval", "minutes": 1}', ?)`, at.UnixMicro()); err != nil {
		t.Fatal(err)
	}
	if next, ok, err := s.JobNextFireTime(t.Context()); err != nil || !ok || !next.Equal(at) {
		t.Errorf("JobNextFireTime = %s, %t, %v; want %s", next, ok, err, at)
	}
	if _, err := db.ExecContext(t.Context(), `INSERT INTO sundial_jobs (id, task, trigger, next_run_time)
		VALUES ('b', 'report', '{"type": "interval", "minutes": 1}', '2024-01-01T00:00:00Z')`); err == nil {
		t.Error("a next_run_time written as text was accepted")
	}
	if c := claimAll(t, s, "n1", at.Add(-time.Microsecond)); len(c) != 0 {
		t.Errorf("claimed %d jobs a microsecond early", len(c))
	}
	if c := claimAll(t, s, "n1", at); len(c) != 1 {
		t.Errorf("claimed %d jobs when due, want 1", len(c))
	}
}

func claimAll(t testing.TB, s *Store, node string, now time.Time) []sundial.Claim {
	t.Helper()
	claims, err := s.JobClaimDue(t.Context(), sundial.JobClaimDueParams{Now: now, Node: node, Decide: fireDecide(node)})
	if err != nil {
		t.Fatal(err)
	}
	return claims
}

// TestBadRowIsParked: a row whose trigger (or other JSON) cannot be read
// does not stop claims of other jobs; it is paused and logged.
func TestBadRowIsParked(t *testing.T) {
	t.Parallel()
	var log logBuffer
	opts := testOptions()
	opts.Logger = slog.New(slog.NewTextHandler(&log, nil))
	path := filepath.Join(t.TempDir(), "sundial.db")
	s := openFile(t, path, opts)
	heartbeat(t, s, "n1")
	addJob(t, s, "good-1", base)
	addJob(t, s, "good-2", base.Add(time.Second))
	db := rawDB(t, path)
	for _, q := range []string{
		`INSERT INTO sundial_jobs (id, task, trigger) VALUES ('bad-trigger', 'report', '{"type": "cron", "hour": "25"}')`,
		`INSERT INTO sundial_jobs (id, task, trigger, next_run_time) VALUES ('bad-json', 'report', 'not json', 0)`,
		`INSERT INTO sundial_jobs (id, task, trigger, args, next_run_time) VALUES ('bad-args', 'report', '{"type": "interval", "minutes": 1}', '[1,', 0)`,
	} {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	claims, err := s.JobClaimDue(t.Context(), sundial.JobClaimDueParams{Now: base.Add(time.Minute), Limit: 2, Node: "n1", Decide: fireDecide("n1")})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range claims {
		ids = append(ids, c.Job.ID)
	}
	if !slices.Equal(ids, []string{"good-1", "good-2"}) {
		t.Errorf("claimed %v, want [good-1 good-2] (the bad rows skipped)", ids)
	}
	for _, id := range []string{"bad-trigger", "bad-json", "bad-args"} {
		var paused int
		if err := db.QueryRowContext(t.Context(), `SELECT paused FROM sundial_jobs WHERE id = ?`, id).Scan(&paused); err != nil {
			t.Fatal(err)
		}
		if paused != 1 {
			t.Errorf("%s: paused = %d after the claim, want 1 (parked)", id, paused)
		}
		if !strings.Contains(log.String(), "job="+id) {
			t.Errorf("%s: not logged; log:\n%s", id, log.String())
		}
		if _, err := s.JobGet(t.Context(), id); !errors.Is(err, sundial.ErrInvalidJob) {
			t.Errorf("JobGet(%s): err = %v, want ErrInvalidJob", id, err)
		}
	}
	var je *sundial.JobError
	if _, err := s.JobGet(t.Context(), "bad-trigger"); !errors.As(err, &je) || je.Field != "trigger" {
		t.Errorf("JobGet(bad-trigger): err = %v, want a JobError naming the trigger", err)
	}
	jobs, err := s.JobList(t.Context(), sundial.JobListParams{})
	if err != nil || len(jobs) != 2 {
		t.Errorf("JobList = %d jobs, %v; want the 2 good ones", len(jobs), err)
	}
	if next, ok, err := s.JobNextFireTime(t.Context()); err != nil || !ok || !next.Equal(base.Add(time.Minute)) {
		t.Errorf("JobNextFireTime = %s, %t, %v; want the good jobs' next fire", next, ok, err)
	}
	// Fixed by hand, the job is claimed again.
	if _, err := db.ExecContext(t.Context(), `UPDATE sundial_jobs
		SET trigger = '{"type": "cron", "hour": "23"}', paused = 0, next_run_time = NULL WHERE id = 'bad-trigger'`); err != nil {
		t.Fatal(err)
	}
	claims, err = s.JobClaimDue(t.Context(), sundial.JobClaimDueParams{Now: base, Limit: 1, Node: "n1",
		Decide: func(job *sundial.Job, _ int) sundial.ClaimDecision {
			next, _ := job.Trigger.First(base)
			return sundial.ClaimDecision{NextRunTime: next}
		}})
	if err != nil || len(claims) != 1 || claims[0].Job.ID != "bad-trigger" {
		t.Errorf("claim after the fix = %v, %v; want bad-trigger", claims, err)
	}
}

// TestWatchReportsOthersNotSelf checks, poll by poll, that Watch reports
// changes made by other stores and programs, and not the store's own.
func TestWatchReportsOthersNotSelf(t *testing.T) {
	t.Parallel()
	s, path := setup(t)
	other := openFile(t, path, testOptions())
	heartbeat(t, s, "n1")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s.Watch(ctx)
	var w *watcher
	s.watchMu.Lock()
	for x := range s.watchers {
		w = x
	}
	s.watchMu.Unlock()
	// Drain whatever the background poll may already have sent.
	drain := func() bool {
		select {
		case <-w.ch:
			return true
		default:
			return false
		}
	}
	pollSignals := func() bool {
		t.Helper()
		drain()
		if err := s.poll(t.Context(), w, true); err != nil {
			t.Fatal(err)
		}
		return drain()
	}
	pollSignals()

	db := rawDB(t, path)
	for _, tc := range []struct {
		name   string
		change func()
		want   bool
	}{
		{"own JobAdd", func() { addJob(t, s, "a", base) }, false},
		{"own claim", func() { claimAll(t, s, "n1", base) }, false},
		{"own JobRemove", func() { s.JobRemove(t.Context(), "a") }, false},
		{"other store's JobAdd", func() { addJob(t, other, "b", base) }, true},
		{"nothing", func() {}, false},
		{"plain SQL update", func() {
			db.ExecContext(t.Context(), `UPDATE sundial_jobs SET paused = 1 WHERE id = 'b'`)
		}, true},
		{"plain SQL delete", func() { db.ExecContext(t.Context(), `DELETE FROM sundial_jobs`) }, true},
		{"run and node writes", func() {
			heartbeat(t, other, "n2")
			other.RunInsert(t.Context(), &sundial.Run{ID: "r", JobID: "b", ScheduledAt: base, Attempt: 1, Status: sundial.RunSubmitted, Node: "n2"}, 0)
		}, false},
	} {
		tc.change()
		if got := pollSignals(); got != tc.want {
			t.Errorf("%s: Watch signalled %t, want %t", tc.name, got, tc.want)
		}
	}
}

// TestWatchSurvivesFailures breaks the change counter under a running
// Watch: it logs, keeps polling, and signals once it can read again.
func TestWatchSurvivesFailures(t *testing.T) {
	t.Parallel()
	var log logBuffer
	opts := testOptions()
	opts.Logger = slog.New(slog.NewTextHandler(&log, nil))
	path := filepath.Join(t.TempDir(), "sundial.db")
	s := openFile(t, path, opts)
	changed := s.Watch(t.Context())
	db := rawDB(t, path)
	exec := func(q string) {
		t.Helper()
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	exec(`ALTER TABLE sundial_changes RENAME TO sundial_changes_away`)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(log.String(), "read change counter") {
		if time.Now().After(deadline) {
			t.Fatal("no failed poll was logged")
		}
		time.Sleep(5 * time.Millisecond) // the watch goroutine polls every 20ms
	}
	for len(changed) > 0 {
		<-changed
	}
	exec(`ALTER TABLE sundial_changes_away RENAME TO sundial_changes`)
	select {
	case <-changed:
	case <-time.After(15 * time.Second):
		t.Fatalf("Watch did not signal after the counter came back; log:\n%s", log.String())
	}
}

func TestWatchEnds(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	s.Watch(ctx)
	s.Watch(t.Context())
	count := func() int {
		s.watchMu.Lock()
		defer s.watchMu.Unlock()
		return len(s.watchers)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d watchers, want 2", n)
	}
	cancel()
	waitFor(t, func() bool { return count() == 1 }, "the cancelled watcher to end")
	s.Close()
	waitFor(t, func() bool { return count() == 0 }, "the watcher to end with Close")
	// Watch on a closed store neither panics nor lingers.
	s.Watch(t.Context())
	waitFor(t, func() bool { return count() == 0 }, "a watcher of a closed store to end")
}

// waitFor polls cond until it holds: for background goroutines only.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// unreadable is a trigger whose JSON does not parse back.
type unreadable struct{ trigger.Trigger }

func (unreadable) MarshalJSON() ([]byte, error) { return []byte(`{"type": "bogus"}`), nil }

// TestTriggerMustReadBack: JobAdd and JobUpdate refuse a trigger whose
// JSON would not parse back, instead of storing a row claims must park.
func TestTriggerMustReadBack(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	j := benchJob("a", base)
	j.Trigger = unreadable{j.Trigger}
	var je *sundial.JobError
	if err := s.JobAdd(t.Context(), sundial.JobAddParams{Job: j}); !errors.As(err, &je) || je.Field != "trigger" {
		t.Errorf("JobAdd with an unreadable trigger: err = %v, want a JobError naming the trigger", err)
	}
	addJob(t, s, "b", base)
	b, err := s.JobGet(t.Context(), "b")
	if err != nil {
		t.Fatal(err)
	}
	b.Trigger = unreadable{b.Trigger}
	if err := s.JobUpdate(t.Context(), b); !errors.Is(err, sundial.ErrInvalidJob) {
		t.Errorf("JobUpdate with an unreadable trigger: err = %v, want ErrInvalidJob", err)
	}
}

// TestDecidePanics: a panic in Decide reaches the caller, and the store
// stays usable (its one write connection is not left in a transaction).
func TestDecidePanics(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	heartbeat(t, s, "n1")
	addJob(t, s, "a", base)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic in Decide did not reach the caller")
			}
		}()
		s.JobClaimDue(t.Context(), sundial.JobClaimDueParams{Now: base, Node: "n1",
			Decide: func(*sundial.Job, int) sundial.ClaimDecision { panic("boom") }})
	}()
	if c := claimAll(t, s, "n1", base); len(c) != 1 {
		t.Errorf("claim after the panic took %d jobs, want 1 (the panicked claim was rolled back)", len(c))
	}
}
