package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"

	"github.com/sundial-scheduler/sundial/store/storeurl"
)

// A storeServer is where the stores scenario finds one store: nothing for
// memory and SQLite, a server named by environment variables (as
// scripts/services.sh exports them for the tests) for the others. Every
// child run gets a fresh place of its own on it: a temporary file, a
// database made for it and dropped after, or a random key prefix.
type storeServer struct {
	name  string // as in -stores and the peer "sundial-<name>"
	title string
	// envs are the variables naming the server, the current name first,
	// then older ones; none for stores that need no server.
	envs []string
	// fresh makes a fresh place on the server named by the value of an
	// env variable (v, from variable env) and returns the store URL for
	// it and a function that removes it.
	fresh func(ctx context.Context, env, v string) (storeURL string, drop func(context.Context) error, err error)
}

// storeServers are the stores measured, in the tables' order: memory
// first, the reference.
var storeServers = []storeServer{
	{name: "memory", title: "memory", fresh: func(context.Context, string, string) (string, func(context.Context) error, error) {
		return "memory://", func(context.Context) error { return nil }, nil
	}},
	{name: "sqlite", title: "SQLite", fresh: freshSQLite},
	{name: "postgres", title: "PostgreSQL", envs: []string{"SUNDIAL_TEST_POSTGRES_URL", "SUNDIAL_TEST_POSTGRES"}, fresh: freshPostgres},
	{name: "mysql", title: "MySQL/MariaDB", envs: []string{"SUNDIAL_TEST_MYSQL_URL", "SUNDIAL_TEST_MYSQL"}, fresh: freshMySQL},
	{name: "redis", title: "Redis", envs: []string{"SUNDIAL_TEST_REDIS_URL", "SUNDIAL_TEST_REDIS"}, fresh: freshRedis},
}

func storeServerNames() []string {
	names := make([]string, len(storeServers))
	for i, s := range storeServers {
		names[i] = s.name
	}
	return names
}

// lookup returns the first of the server's variables that is set, and its
// value; ok is true for stores that need no server.
func (s storeServer) lookup() (env, v string, ok bool) {
	if len(s.envs) == 0 {
		return "", "", true
	}
	for _, env := range s.envs {
		if v := os.Getenv(env); v != "" {
			return env, v, true
		}
	}
	return "", "", false
}

// provisionTimeout bounds creating or dropping one fresh database.
const provisionTimeout = 30 * time.Second

// freshName returns a new lower-case name for a database or key prefix.
func freshName() string {
	var b [6]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return "bench_" + hex.EncodeToString(b[:])
}

// freshSQLite makes a temporary directory for the database file, removed
// with its -wal and -shm files afterwards.
func freshSQLite(context.Context, string, string) (string, func(context.Context) error, error) {
	dir, err := os.MkdirTemp("", "sundial-bench-")
	if err != nil {
		return "", nil, fmt.Errorf("sqlite temp dir: %w", err)
	}
	return "sqlite://" + filepath.Join(dir, "sundial.db"), func(context.Context) error { return os.RemoveAll(dir) }, nil
}

// freshPostgres creates a database on the server of the admin URL v
// (postgres://user@host:port/postgres?sslmode=disable), dropped afterwards.
func freshPostgres(ctx context.Context, env, v string) (string, func(context.Context) error, error) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, fmt.Errorf("%s: want a postgres:// URL, got %q", env, storeurl.Redact(v))
	}
	name := freshName()
	exec := func(ctx context.Context, stmt string) error {
		ctx, cancel := context.WithTimeout(ctx, provisionTimeout)
		defer cancel()
		conn, err := pgx.Connect(ctx, v)
		if err != nil {
			return fmt.Errorf("connect to %s: %w", env, err)
		}
		defer conn.Close(context.Background())
		_, err = conn.Exec(ctx, stmt)
		return err
	}
	if err := exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	u.Path = "/" + name
	return u.String(), func(ctx context.Context) error {
		if err := exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}, nil
}

// freshMySQL creates a database on the server of v, dropped afterwards.
// v is a mysql:// URL (SUNDIAL_TEST_MYSQL_URL; its database part is
// ignored) or, from the older SUNDIAL_TEST_MYSQL, a go-sql-driver DSN such
// as root@tcp(127.0.0.1:3306)/.
func freshMySQL(ctx context.Context, env, v string) (string, func(context.Context) error, error) {
	u, err := mysqlServerURL(v)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", env, err)
	}
	name := freshName()
	u.Path = "/" + name
	storeURL := u.String()
	// The store's own DSN (parseTime, UTC, the URL's parameters) without
	// the database: the connection that creates and drops it.
	dsn, err := storeurl.MySQLDSN(storeURL)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", env, err)
	}
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", env, err)
	}
	cfg.DBName = ""
	admin := cfg.FormatDSN()
	exec := func(ctx context.Context, stmt string) error {
		ctx, cancel := context.WithTimeout(ctx, provisionTimeout)
		defer cancel()
		db, err := sql.Open("mysql", admin)
		if err != nil {
			return fmt.Errorf("open %s: %w", env, err)
		}
		defer db.Close()
		_, err = db.ExecContext(ctx, stmt)
		return err
	}
	if err := exec(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	return storeURL, func(ctx context.Context) error {
		if err := exec(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}, nil
}

// mysqlServerURL reads a MySQL server as a mysql:// (or mariadb://) URL,
// or as a go-sql-driver DSN over TCP, which it turns into one.
func mysqlServerURL(v string) (*url.URL, error) {
	if strings.Contains(v, "://") {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "mysql" && u.Scheme != "mariadb") {
			return nil, fmt.Errorf("want a mysql:// URL or a DSN such as root@tcp(127.0.0.1:3306)/, got %q", storeurl.Redact(v))
		}
		return u, nil
	}
	cfg, err := gomysql.ParseDSN(v)
	if err != nil {
		return nil, fmt.Errorf("want a mysql:// URL or a DSN such as root@tcp(127.0.0.1:3306)/: %w", err)
	}
	if cfg.Net != "tcp" {
		return nil, fmt.Errorf("a DSN over %q: only tcp can be written as a mysql:// URL", cfg.Net)
	}
	u := &url.URL{Scheme: "mysql", Host: cfg.Addr, Path: "/"}
	switch {
	case cfg.Passwd != "":
		u.User = url.UserPassword(cfg.User, cfg.Passwd)
	case cfg.User != "":
		u.User = url.User(cfg.User)
	}
	return u, nil
}

// freshRedis picks a random key prefix on the server of v
// (redis://host:port/db); its keys are deleted afterwards.
func freshRedis(ctx context.Context, env, v string) (string, func(context.Context) error, error) {
	opts, err := goredis.ParseURL(v)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", env, err)
	}
	u, err := url.Parse(v)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", env, err)
	}
	prefix := strings.ReplaceAll(freshName(), "_", "") + ":"
	q := u.Query()
	q.Set("prefix", prefix)
	u.RawQuery = q.Encode()
	return u.String(), func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, provisionTimeout)
		defer cancel()
		rdb := goredis.NewClient(opts)
		defer rdb.Close()
		var errs []error
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var keys []string
		flush := func() {
			if len(keys) > 0 {
				errs = append(errs, rdb.Unlink(ctx, keys...).Err())
				keys = keys[:0]
			}
		}
		for iter.Next(ctx) {
			if keys = append(keys, iter.Val()); len(keys) == 1000 {
				flush()
			}
		}
		flush()
		errs = append(errs, iter.Err())
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("delete keys %s*: %w", prefix, err)
		}
		return nil
	}, nil
}
