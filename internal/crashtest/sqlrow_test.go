package crashtest

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/sqlq"
	"github.com/sundial-scheduler/sundial/internal/testenv"
	"github.com/sundial-scheduler/sundial/store/storeurl"
)

// The jobs table is a public interface: a row written with plain SQL by
// another program, with only id, task and trigger, is scheduled with the
// defaults and run; changing it with SQL changes the schedule; deleting it
// stops it.
func TestPlainSQLJobRows(t *testing.T) {
	for _, b := range []struct {
		name   string
		open   func(t *testing.T) (storeURL, driver, dsn string)
		dollar bool // placeholders are $1, $2, … (PostgreSQL)
	}{
		{"sqlite", func(t *testing.T) (string, string, string) {
			path := filepath.Join(t.TempDir(), "sundial.db")
			// Another program writing the file waits for the scheduler's
			// write transactions, as any SQLite client must.
			return "sqlite://" + path, "sqlite", "file:" + path + "?_pragma=busy_timeout(10000)"
		}, false},
		{"postgres", func(t *testing.T) (string, string, string) {
			u := testenv.PostgresURL(t)
			return u, "pgx", u
		}, true},
		{"mysql", func(t *testing.T) (string, string, string) {
			u := testenv.MySQLURL(t)
			dsn, err := storeurl.MySQLDSN(u)
			if err != nil {
				t.Fatal(err)
			}
			return u, "mysql", dsn
		}, false},
	} {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			storeURL, driver, dsn := b.open(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			st, err := storeurl.Open(ctx, storeURL, storeurl.Options{PollInterval: 50 * time.Millisecond, Logger: testLog(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			ran := make(chan string, 100)
			reg := sundial.NewRegistry()
			reg.Register("ext:work", func(_ context.Context, rc *sundial.RunContext) error {
				ran <- rc.JobID + " " + string(rc.Kwargs)
				return nil
			})
			s, err := sundial.New(sundial.Config{Store: st, Tasks: reg, Logger: testLog(t), MaxSleep: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer s.Stop()

			db, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			q := func(query string, args ...any) {
				t.Helper()
				if b.dollar {
					query = sqlq.Dollar(query)
				}
				if _, err := db.ExecContext(ctx, query, args...); err != nil {
					t.Fatalf("%s: %v", query, err)
				}
			}

			// trigger is a reserved word in MySQL and MariaDB.
			trig := "trigger"
			if b.name == "mysql" {
				trig = "`trigger`"
			}
			q(`INSERT INTO sundial_jobs (id, task, `+trig+`) VALUES (?, ?, ?)`,
				"ext", "ext:work", `{"type": "interval", "seconds": 1}`)
			first := waitFor(t, ran, "ext {}", 5*time.Second)
			job, err := s.GetJob(ctx, "ext")
			if err != nil {
				t.Fatal(err)
			}
			if !job.Coalesce || job.MaxInstances != 1 || job.MisfireGraceTime != nil || job.NextRunTime.IsZero() {
				t.Errorf("row written by SQL: coalesce %t, max_instances %d, grace %v, next %s; want the defaults and a next fire time",
					job.Coalesce, job.MaxInstances, job.MisfireGraceTime, job.NextRunTime)
			}
			t.Logf("first run %q", first)

			q(`UPDATE sundial_jobs SET kwargs = ? WHERE id = ?`, `{"v": 2}`, "ext")
			waitFor(t, ran, `ext {"v": 2}`, 5*time.Second)

			q(`DELETE FROM sundial_jobs WHERE id = ?`, "ext")
			deadline := time.After(3 * time.Second)
			quiet := time.NewTimer(1500 * time.Millisecond)
			for done := false; !done; {
				select {
				case <-ran:
					quiet.Reset(1500 * time.Millisecond)
				case <-quiet.C:
					done = true
				case <-deadline:
					t.Fatal("the job kept running after its row was deleted")
				}
			}
		})
	}
}

// waitFor reads runs until one reads want (spaces in JSON ignored).
func waitFor(t *testing.T, ran chan string, want string, d time.Duration) string {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case got := <-ran:
			if strings.ReplaceAll(got, " ", "") == strings.ReplaceAll(want, " ", "") {
				return got
			}
		case <-deadline:
			t.Fatalf("no run %q within %s", want, d)
		}
	}
}

// testLog returns a logger writing to a file that the test prints if it
// fails.
func testLog(t *testing.T) *slog.Logger {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(f.Name())
			t.Logf("log:\n%s", tail(string(b), 60))
		}
		f.Close()
	})
	return newLogger(f)
}
