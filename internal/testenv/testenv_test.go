package testenv_test

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/sundial-scheduler/sundial/internal/testenv"
)

// These tests prove that the servers scripts/test starts work: each gets a
// fresh database (or key prefix), writes a value and reads it back. Under CI
// they fail when a server is missing.

func ctx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestName(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^t_[0-9a-f]{12}$`)
	a, b := testenv.Name(t), testenv.Name(t)
	if !re.MatchString(a) || !re.MatchString(b) {
		t.Fatalf("Name() = %q, %q; want t_ and 12 hex digits", a, b)
	}
	if a == b {
		t.Fatalf("Name() returned %q twice", a)
	}
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	ctx := ctx(t)

	var name string
	t.Run("database", func(t *testing.T) {
		u := testenv.PostgresURL(t)
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		defer conn.Close(ctx)

		if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		if want := strings.TrimPrefix(mustParseURL(t, u).Path, "/"); name != want {
			t.Fatalf("connected to database %q, want %q", name, want)
		}
		if _, err := conn.Exec(ctx, "CREATE TABLE kv (k text PRIMARY KEY, v jsonb NOT NULL, at timestamptz NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2024, 3, 31, 1, 30, 0, 123456000, time.UTC)
		if _, err := conn.Exec(ctx, "INSERT INTO kv VALUES ($1, $2, $3)", "k", `{"n": 1}`, at); err != nil {
			t.Fatal(err)
		}
		var v string
		var got time.Time
		if err := conn.QueryRow(ctx, "SELECT v::text, at FROM kv WHERE k = $1", "k").Scan(&v, &got); err != nil {
			t.Fatal(err)
		}
		if v != `{"n": 1}` || !got.Equal(at) {
			t.Fatalf("read back (%s, %v), want ({\"n\": 1}, %v)", v, got, at)
		}
	})
	if name == "" {
		t.Skip("no database: the subtest failed or skipped")
	}

	// The subtest's cleanup dropped its database.
	conn, err := pgx.Connect(ctx, mustEnv(t, testenv.PostgresEnv))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("database %s still exists after the test", name)
	}
}

func TestMySQL(t *testing.T) {
	t.Parallel()
	ctx := ctx(t)

	var name string
	t.Run("database", func(t *testing.T) {
		dsn := testenv.MySQLDSN(t)
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatalf("MySQLDSN() = %q: %v", dsn, err)
		}
		if !cfg.ParseTime || cfg.Loc != time.UTC {
			t.Fatalf("MySQLDSN() = %q: want parseTime and UTC", dsn)
		}
		db, err := sql.Open("mysql", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()

		if err := db.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		if name != cfg.DBName {
			t.Fatalf("connected to database %q, want %q", name, cfg.DBName)
		}
		if _, err := db.ExecContext(ctx, "CREATE TABLE kv (k VARCHAR(64) PRIMARY KEY, v TEXT NOT NULL, at DATETIME(6) NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		// utf8mb4 (four-byte characters) and a binary collation ("K" ≠ "k").
		at := time.Date(2024, 3, 31, 1, 30, 0, 123456000, time.UTC)
		for _, k := range []string{"k", "K"} {
			if _, err := db.ExecContext(ctx, "INSERT INTO kv VALUES (?, ?, ?)", k, "⏰ "+k, at); err != nil {
				t.Fatal(err)
			}
		}
		var v string
		var got time.Time
		if err := db.QueryRowContext(ctx, "SELECT v, at FROM kv WHERE k = ?", "k").Scan(&v, &got); err != nil {
			t.Fatal(err)
		}
		if v != "⏰ k" || !got.Equal(at) {
			t.Fatalf("read back (%q, %v), want (%q, %v)", v, got, "⏰ k", at)
		}
	})
	if name == "" {
		t.Skip("no database: the subtest failed or skipped")
	}

	// The subtest's cleanup dropped its database.
	admin, err := testenv.MySQLAdminDSN(mustEnv(t, testenv.MySQLEnv))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("database %s still exists after the test", name)
	}
}

func TestRedis(t *testing.T) {
	t.Parallel()
	ctx := ctx(t)

	u, prefix := testenv.RedisURL(t)
	_, prefix2 := testenv.RedisURL(t)
	if !strings.HasSuffix(prefix, ":") || prefix == prefix2 {
		t.Fatalf("RedisURL() prefixes %q, %q: want distinct, ending in a colon", prefix, prefix2)
	}
	opt, err := redis.ParseURL(u)
	if err != nil {
		t.Fatalf("RedisURL() = %q: %v", u, err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()

	key := prefix + "k"
	if err := rdb.Set(ctx, key, "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := rdb.Get(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if got != "v" {
		t.Fatalf("GET %s = %q, want %q", key, got, "v")
	}
	if n, err := rdb.Exists(ctx, prefix2+"k").Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS %sk = %d, %v; want 0", prefix2, n, err)
	}
}

func mustEnv(t *testing.T, env string) string {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		t.Fatalf("%s is not set", env)
	}
	return v
}

func mustParseURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
