// Package testenv hands tests the real database servers that scripts/test
// starts: a fresh PostgreSQL or MariaDB database per test, dropped when the
// test ends, or a Redis server with a key prefix of the test's own.
//
// The servers are named by environment variables (SUNDIAL_TEST_POSTGRES_URL,
// SUNDIAL_TEST_MYSQL_URL, SUNDIAL_TEST_REDIS_URL). When one is unset the test is
// skipped, except under CI (CI=true), where a suite that would skip fails
// instead: the CI run must exercise every store.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
)

// Environment variables naming the test servers.
const (
	// PostgresEnv holds an admin URL, such as
	// postgres://sundial@127.0.0.1:55432/postgres?sslmode=disable.
	PostgresEnv = "SUNDIAL_TEST_POSTGRES_URL"
	// MySQLEnv holds an admin URL, such as mysql://root@127.0.0.1:53306/
	// (user, password, host and port; the database part is ignored).
	MySQLEnv = "SUNDIAL_TEST_MYSQL_URL"
	// RedisEnv holds a URL, such as redis://127.0.0.1:56379/0.
	RedisEnv = "SUNDIAL_TEST_REDIS_URL"
)

// need returns the variable's value, or skips (fails under CI) when unset.
func need(t testing.TB, env string) string {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: under CI every store suite must run (scripts/test starts the servers)", env)
		}
		t.Skipf("%s is not set; run scripts/test to start the test servers", env)
	}
	return v
}

// Name returns a lower-case identifier unique to this test run, usable as
// a database name or key prefix.
func Name(t testing.TB) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "t_" + hex.EncodeToString(b[:])
}

// PostgresURL creates a fresh database on the test PostgreSQL server and
// returns its URL; the database is dropped when the test ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin := need(t, PostgresEnv)
	name := Name(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to %s: %v", PostgresEnv, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

// MySQLDSN creates a fresh database on the test MariaDB/MySQL server and
// returns a go-sql-driver DSN for it (parseTime on, UTC); the database is
// dropped when the test ends.
func MySQLDSN(t testing.TB) string {
	t.Helper()
	admin, err := MySQLAdminDSN(need(t, MySQLEnv))
	if err != nil {
		t.Fatalf("%s: %v", MySQLEnv, err)
	}
	cfg, err := mysql.ParseDSN(admin)
	if err != nil {
		t.Fatalf("%s: %v", MySQLEnv, err)
	}
	name := Name(t)
	db, err := sql.Open("mysql", admin)
	if err != nil {
		t.Fatalf("open %s: %v", MySQLEnv, err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("mysql", admin)
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	cfg.DBName = name
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	return cfg.FormatDSN()
}

// MySQLAdminDSN turns mysql://user:pass@host:port/ into the driver's DSN,
// without a database.
func MySQLAdminDSN(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if u.Scheme != "mysql" && u.Scheme != "mariadb" {
		return "", fmt.Errorf("want a mysql:// URL, got %q", raw)
	}
	cfg := mysql.NewConfig()
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	cfg.Net, cfg.Addr = "tcp", u.Host
	if u.Port() == "" {
		cfg.Addr = u.Hostname() + ":3306"
	}
	return cfg.FormatDSN(), nil
}

// MySQLURL is MySQLDSN as the mysql:// URL of the same fresh database (the
// form store URLs take).
func MySQLURL(t testing.TB) string {
	t.Helper()
	cfg, err := mysql.ParseDSN(MySQLDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	u := url.URL{Scheme: "mysql", Host: cfg.Addr, Path: "/" + cfg.DBName}
	if cfg.Passwd != "" {
		u.User = url.UserPassword(cfg.User, cfg.Passwd)
	} else {
		u.User = url.User(cfg.User)
	}
	return u.String()
}

// RedisURL returns the test Redis server's URL and a key prefix unique to
// the test (ending in ":"). Keys under the prefix are not cleaned up: the
// server is thrown away after the run.
func RedisURL(t testing.TB) (string, string) {
	t.Helper()
	u := need(t, RedisEnv)
	return u, strings.ReplaceAll(Name(t), "_", "") + ":"
}

// Describe says which servers are configured, for a test log.
func Describe() string {
	var parts []string
	for _, env := range []string{PostgresEnv, MySQLEnv, RedisEnv} {
		parts = append(parts, fmt.Sprintf("%s=%q", env, os.Getenv(env)))
	}
	return strings.Join(parts, " ")
}
