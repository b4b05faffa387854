package mysql_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/testenv"
)

// running reports whether a session of database dbName runs a statement
// that starts with prefix.
func running(t *testing.T, db *sql.DB, dbName, prefix string) bool {
	t.Helper()
	var n int
	err := db.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST "+
		"WHERE DB = ? AND COMMAND = 'Query' AND INFO LIKE CONCAT(?, '%')", dbName, prefix).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// lockTimeouts returns the server's count of lock wait timeouts.
func lockTimeouts(t *testing.T, db *sql.DB) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow("SELECT `COUNT` FROM information_schema.INNODB_METRICS WHERE NAME = 'lock_timeouts'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// awaitRunning polls (the server decides when) until a session of dbName
// runs a statement that starts with prefix: one that waits for a lock, in
// the tests below.
func awaitRunning(t *testing.T, db *sql.DB, dbName, prefix string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !running(t, db, dbName, prefix) {
		if time.Now().After(deadline) {
			t.Fatalf("no statement %q... started", prefix)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A lock wait timeout (1205) is retried, not returned.
func TestLockWaitTimeoutRetried(t *testing.T) {
	t.Parallel()
	dsn := testenv.MySQLDSN(t)
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Params = map[string]string{"innodb_lock_wait_timeout": "1"}
	st := open(t, cfg.FormatDSN())
	addJobs(t, st, newJob("a", at(1), 1))
	job, err := st.JobGet(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}

	db := rawDB(t, dsn)
	timeouts := lockTimeouts(t, db)
	tx, err := db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("SELECT id FROM sundial_jobs WHERE id = 'a' FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		job.Name = "renamed"
		done <- st.JobUpdate(context.Background(), job)
	}()
	// The update waits, times out after a second and waits again: then
	// let it through.
	awaitRunning(t, db, cfg.DBName, "UPDATE sundial_jobs")
	deadline := time.Now().Add(20 * time.Second)
	for lockTimeouts(t, db) <= timeouts {
		if time.Now().After(deadline) {
			t.Fatal("the update's lock wait never timed out")
		}
		time.Sleep(50 * time.Millisecond)
	}
	awaitRunning(t, db, cfg.DBName, "UPDATE sundial_jobs")
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("JobUpdate after a lock wait timeout: %v", err)
	}
	if got, err := st.JobGet(t.Context(), "a"); err != nil || got.Name != "renamed" {
		t.Errorf("job after the update = %+v, %v", got, err)
	}
}

// A claim chosen as a deadlock victim (1213) runs again and succeeds.
func TestDeadlockRetried(t *testing.T) {
	t.Parallel()
	dsn := testenv.MySQLDSN(t)
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	st := open(t, dsn)
	heartbeat(t, st, "node-1")
	addJobs(t, st, newJob("a", at(0), 1))
	db := rawDB(t, dsn)
	exec(t, db, "CREATE TABLE ballast (n INT NOT NULL) ENGINE = InnoDB")

	// The other transaction holds the job's lock row and is made heavier
	// than the claim, so InnoDB rolls the claim back.
	other, err := db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback()
	if _, err := other.Exec("INSERT INTO ballast (n) SELECT seq FROM seq_1_to_500"); err != nil {
		// seq_1_to_500 is MariaDB's sequence engine; build rows by hand elsewhere.
		for i := range 500 {
			if _, err := other.Exec("INSERT INTO ballast (n) VALUES (?)", i); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := other.Exec("INSERT INTO sundial_job_locks (job_id) VALUES ('a')"); err != nil {
		t.Fatal(err)
	}
	type result struct {
		claims []sundial.Claim
		err    error
	}
	done := make(chan result, 1)
	go func() {
		cs, err := st.JobClaimDue(context.Background(), sundial.JobClaimDueParams{Now: at(0), Limit: 10, Node: "node-1", Decide: fire("node-1")})
		done <- result{cs, err}
	}()
	// The claim has locked job a and waits for its lock row; taking job
	// a's row now closes the cycle.
	awaitRunning(t, db, cfg.DBName, "INSERT INTO sundial_job_locks")
	if _, err := other.Exec("SELECT id FROM sundial_jobs WHERE id = 'a' FOR UPDATE"); err != nil {
		t.Fatalf("the test's transaction was the deadlock victim (%v); the claim should have been", err)
	}
	if err := other.Commit(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("claim after a deadlock: %v", r.err)
	}
	if len(r.claims) != 1 || r.claims[0].Job.ID != "a" || len(r.claims[0].Runs) != 1 {
		t.Errorf("claims = %+v, want job a with its run", r.claims)
	}
}
