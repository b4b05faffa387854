package chaos

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/sundial-scheduler/sundial/internal/testenv"
)

// Backend names.
const (
	Postgres = "postgres"
	MySQL    = "mysql"
	Redis    = "redis"
)

// Backends are the cluster stores, in the order the short form rotates
// through them.
var Backends = []string{Postgres, MySQL, Redis}

// Store is a fresh, isolated store of one test on a backend's server: its
// own PostgreSQL or MariaDB database, or its own Redis key prefix.
type Store struct {
	Backend string
	// URL is the store URL straight to the server.
	URL string
	// Addr is the server's host:port, the target of fault proxies.
	Addr string
	// admin is the server's admin URL (from internal/testenv's variables).
	admin string
	// name is the database name (PostgreSQL, MariaDB) or key prefix.
	name string
}

// NewStore makes a fresh store on the backend's test server; it skips the
// test when the server is not configured (fails under CI=true).
func NewStore(t *testing.T, backend string) *Store {
	t.Helper()
	s := &Store{Backend: backend}
	switch backend {
	case Postgres:
		s.URL = testenv.PostgresURL(t)
		s.admin = getenv(testenv.PostgresEnv)
	case MySQL:
		s.URL = testenv.MySQLURL(t)
		s.admin = getenv(testenv.MySQLEnv)
	case Redis:
		u, prefix := testenv.RedisURL(t)
		s.URL = u + "?prefix=" + url.QueryEscape(prefix)
		s.admin = u
		s.name = prefix
	default:
		t.Fatalf("unknown backend %q", backend)
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = u.Host
	if backend != Redis {
		s.name = strings.TrimPrefix(u.Path, "/")
	}
	return s
}

// Via is the store's URL with the server's address replaced by addr (a
// fault proxy's).
func (s *Store) Via(addr string) string {
	u, err := url.Parse(s.URL)
	if err != nil {
		panic(err) // parsed in NewStore
	}
	u.Host = addr
	return u.String()
}

// MakeDurable makes the server keep every acknowledged write across a
// crash of its process, as a production server would: the test servers
// trade durability for speed (scripts/services.sh), and a store that
// forgets a commit could make a scheduler run a fire twice for reasons of
// its own. PostgreSQL: synchronous_commit on for this test's database
// (sessions opened from now on). MariaDB: innodb_flush_log_at_trx_commit=1
// (global, until the server restarts with its option file). Redis: AOF
// with fsync at every write (until the server restarts).
func (s *Store) MakeDurable(ctx context.Context) error {
	switch s.Backend {
	case Postgres:
		conn, err := pgx.Connect(ctx, s.admin)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "ALTER DATABASE "+s.name+" SET synchronous_commit = on")
		return err
	case MySQL:
		db, err := s.mysqlAdmin()
		if err != nil {
			return err
		}
		defer db.Close()
		_, err = db.ExecContext(ctx, "SET GLOBAL innodb_flush_log_at_trx_commit = 1")
		return err
	case Redis:
		rdb, err := s.redisAdmin()
		if err != nil {
			return err
		}
		defer rdb.Close()
		if err := rdb.ConfigSet(ctx, "appendfsync", "always").Err(); err != nil {
			return err
		}
		if err := rdb.ConfigSet(ctx, "appendonly", "yes").Err(); err != nil {
			return err
		}
		// Turning AOF on rewrites the data set into the file in the
		// background; until it is done a crash loses it all.
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); pause(100 * time.Millisecond) {
			info, err := rdb.Info(ctx, "persistence").Result()
			if err != nil {
				return err
			}
			if strings.Contains(info, "aof_enabled:1") && strings.Contains(info, "aof_rewrite_in_progress:0") &&
				!strings.Contains(info, "aof_rewrite_scheduled:1") {
				return nil
			}
		}
		return fmt.Errorf("redis: the AOF rewrite did not finish within 30s")
	}
	return nil
}

func (s *Store) mysqlAdmin() (*sql.DB, error) {
	dsn, err := testenv.MySQLAdminDSN(s.admin)
	if err != nil {
		return nil, err
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	cfg.Timeout = 2 * time.Second
	return sql.Open("mysql", cfg.FormatDSN())
}

func (s *Store) redisAdmin() (*redis.Client, error) {
	opt, err := redis.ParseURL(s.admin)
	if err != nil {
		return nil, err
	}
	opt.DialTimeout, opt.ReadTimeout, opt.MaxRetries = 2*time.Second, 5*time.Second, -1
	return redis.NewClient(opt), nil
}

// Ping reports whether the server answers a query now.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	switch s.Backend {
	case Postgres:
		conn, err := pgx.Connect(ctx, s.admin)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		return conn.Ping(ctx)
	case MySQL:
		db, err := s.mysqlAdmin()
		if err != nil {
			return err
		}
		defer db.Close()
		return db.PingContext(ctx)
	case Redis:
		rdb, err := s.redisAdmin()
		if err != nil {
			return err
		}
		defer rdb.Close()
		return rdb.Ping(ctx).Err()
	}
	return fmt.Errorf("unknown backend %q", s.Backend)
}

// WaitUp polls Ping until the server answers, up to timeout.
func (s *Store) WaitUp(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = s.Ping(context.Background()); err == nil {
			return nil
		}
		pause(100 * time.Millisecond)
	}
	return fmt.Errorf("%s server not answering after %s: %v", s.Backend, timeout, err)
}

func getenv(k string) string { return strings.TrimSpace(lookupEnv(k)) }
