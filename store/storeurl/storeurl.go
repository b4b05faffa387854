// Package storeurl opens a store named by a URL, the form the server's
// configuration, its flags and the CLI use:
//
//	memory://
//	sqlite://./sundial.db            (relative path; sqlite:///var/lib/sundial.db is absolute)
//	postgres://user:pass@host:5432/db?sslmode=disable   (also postgresql://)
//	mysql://user:pass@host:3306/db   (MySQL or MariaDB; query parameters go to the driver)
//	redis://:pass@host:6379/0?prefix=sundial:
//
// Importing it compiles every backend's driver; programs that want one
// store import that store's package instead.
package storeurl

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/store/mysql"
	"github.com/sundial-scheduler/sundial/store/postgres"
	"github.com/sundial-scheduler/sundial/store/redis"
	"github.com/sundial-scheduler/sundial/store/sqlite"
)

// Store is an opened store: the scheduler's interface plus the schema
// migration and the release of connections.
type Store interface {
	sundial.Store
	// Migrate applies the schema migrations the store does not have yet
	// (stores apply them when opened as well).
	Migrate(ctx context.Context) error
	// Close releases the store's connections.
	Close() error
}

// Options tune the opened store; zero fields take each backend's default.
type Options struct {
	Logger *slog.Logger
	// PollInterval bounds how long a change made elsewhere (another node,
	// SQL written by another program) takes to be noticed where the
	// backend polls for changes (SQLite, MySQL/MariaDB; the fallback of
	// Redis).
	PollInterval time.Duration
}

// Open opens the store raw names.
func Open(ctx context.Context, raw string, opts Options) (Store, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, fmt.Errorf("store %q: want a URL such as sqlite://./sundial.db, postgres://…, mysql://…, redis://… or memory://", Redact(raw))
	}
	switch strings.ToLower(scheme) {
	case "memory":
		return memoryStore{memory.New(memory.Options{})}, nil
	case "sqlite", "sqlite3", "file":
		path := rest
		if path == "" {
			return nil, fmt.Errorf("store %q: the SQLite URL needs a file path, such as sqlite://./sundial.db", raw)
		}
		return sqlite.Open(ctx, path, sqlite.Options{Logger: opts.Logger, PollInterval: opts.PollInterval})
	case "postgres", "postgresql":
		return postgres.Open(ctx, raw, postgres.Options{Logger: opts.Logger})
	case "mysql", "mariadb":
		dsn, err := MySQLDSN(raw)
		if err != nil {
			return nil, err
		}
		return mysql.Open(ctx, dsn, mysql.Options{Logger: opts.Logger, PollInterval: opts.PollInterval})
	case "redis", "rediss":
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("store %q: %w", Redact(raw), err)
		}
		q := u.Query()
		prefix := q.Get("prefix")
		q.Del("prefix")
		u.RawQuery = q.Encode()
		return redis.Open(ctx, u.String(), redis.Options{Logger: opts.Logger, Prefix: prefix, PollInterval: opts.PollInterval})
	}
	return nil, fmt.Errorf("store %q: unknown scheme %q (want sqlite, postgres, mysql, redis or memory)", Redact(raw), scheme)
}

// MySQLDSN turns a mysql:// URL into the driver's DSN, with the settings
// the store needs (parseTime, UTC).
func MySQLDSN(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("store %q: %w", Redact(raw), err)
	}
	var user string
	if u.User != nil {
		user = u.User.Username()
		if pass, ok := u.User.Password(); ok {
			user += ":" + pass
		}
		user += "@"
	}
	host := u.Host
	if u.Port() == "" {
		host = u.Hostname() + ":3306"
	}
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" {
		return "", fmt.Errorf("store %q: the MySQL URL needs a database name, such as mysql://user@host:3306/sundial", Redact(raw))
	}
	dsn := user + "tcp(" + host + ")/" + db
	if u.RawQuery != "" {
		dsn += "?" + u.RawQuery
	}
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("store %q: %w", Redact(raw), err)
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	return cfg.FormatDSN(), nil
}

// Redact hides the password of a store URL, for logs and errors.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// memoryStore gives the memory store the two methods durable stores have.
type memoryStore struct{ *memory.Store }

func (memoryStore) Migrate(context.Context) error { return nil }
func (memoryStore) Close() error                  { return nil }
