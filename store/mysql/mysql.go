// Package mysql is a sundial.Store on MariaDB (10.6 or later) or MySQL (8.0
// or later) through github.com/go-sql-driver/mysql: jobs, run history,
// node leases and the server's audit log (Store implements
// sundial.AuditLog) in InnoDB tables that any number of schedulers may
// share.
//
// # Claims
//
// JobClaimDue locks due job rows with SELECT … FOR UPDATE SKIP LOCKED in
// READ COMMITTED transactions, so concurrent claimers take disjoint jobs
// without waiting on each other, and advances each job (a conditional
// UPDATE on its version) in the same transaction that records the decided
// runs. Counting a job's unfinished runs and recording new ones happens under
// a per-job lock row (sundial_job_locks), which RunInsert takes too, so
// max_instances holds across every node. A UNIQUE index on the fire key
// (job_id, scheduled_at, attempt) backs the "each fire once" promise in the
// database itself.
//
// # Clocks and times
//
// Leases are judged by the database clock, UTC_TIMESTAMP(6). Times are
// stored as DATETIME(6) in UTC (microseconds; finer parts are truncated) and
// returned in UTC. Open forces parseTime and loc=UTC on the connection and
// sets the session time_zone to '+00:00'.
//
// # Transient errors
//
// Deadlocks (1213), lock wait timeouts (1205) and MariaDB's snapshot
// conflicts (1020) roll the transaction back and run it again, a bounded
// number of times with a short jittered backoff.
//
// # Watching
//
// Triggers on sundial_jobs bump a counter row (sundial_changes); Watch polls
// it every Options.PollInterval, so changes made with plain SQL by other
// programs are noticed within about one interval. See SCHEMA.md for the
// tables.
package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/sundial-scheduler/sundial"
)

// Options configure a Store. The zero value is usable.
type Options struct {
	// PollInterval is how often Watch reads the change counter. Default
	// 1s.
	PollInterval time.Duration
	// Logger receives warnings (unreadable job rows, lost connections,
	// the driver's messages). Default slog.Default().
	Logger *slog.Logger
	// MaxOpenConns bounds the connection pool. Default 16.
	MaxOpenConns int
	// ClaimChunk is how many jobs one claim transaction locks at most, so
	// a large batch is claimed in several short transactions. Default 250.
	ClaimChunk int
	// Retries bounds how many times a transaction that hit a deadlock or
	// a lock wait timeout runs again. Default 10.
	Retries int
	// SkipMigrate makes Open leave the schema alone (for deployments that
	// run Migrate, or `sundial migrate`, as a separate step with other
	// privileges).
	SkipMigrate bool
}

func (o *Options) defaults() {
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxOpenConns <= 0 {
		o.MaxOpenConns = 16
	}
	if o.ClaimChunk <= 0 {
		o.ClaimChunk = 250
	}
	if o.Retries <= 0 {
		o.Retries = 10
	}
}

// Store is a sundial.Store in a MariaDB or MySQL database. It is safe for
// concurrent use; several processes may share one database.
type Store struct {
	db     *sql.DB
	opts   Options
	log    *slog.Logger
	closed chan struct{}
}

var (
	_ sundial.Store   = (*Store)(nil)
	_ sundial.Watcher = (*Store)(nil)
)

// Open connects to the database named by dsn, a go-sql-driver DSN such as
// "user:password@tcp(127.0.0.1:3306)/sundial", and applies the embedded
// migrations (unless opts.SkipMigrate). The DSN must name a database.
//
// Open overrides a few connection settings the store relies on:
// parseTime=true, loc=UTC, clientFoundRows=true (an UPDATE reports the rows
// it matched), interpolateParams=true (one round trip per statement), the
// session time_zone '+00:00', and, unless the DSN sets sql_mode, a strict
// sql_mode so that over-long values are errors rather than truncated.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	opts.defaults()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("mysql store: parse dsn: %w", err)
	}
	if cfg.DBName == "" {
		return nil, errors.New("mysql store: the dsn names no database")
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.ClientFoundRows = true
	cfg.InterpolateParams = true
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Logger = driverLogger{opts.Logger}
	cfg.Params["time_zone"] = "'+00:00'"
	if _, ok := cfg.Params["sql_mode"]; !ok {
		cfg.Params["sql_mode"] = "'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'"
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("mysql store: %w", err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(opts.MaxOpenConns)
	db.SetMaxIdleConns(opts.MaxOpenConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, opts: opts, log: opts.Logger, closed: make(chan struct{})}
	if err := s.checkServer(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if !opts.SkipMigrate {
		if err := s.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return s, nil
}

// driverLogger sends the driver's own messages (dropped connections,
// mostly) to the store's logger.
type driverLogger struct{ log *slog.Logger }

func (l driverLogger) Print(v ...any) {
	l.log.Warn("mysql driver: " + strings.TrimSpace(fmt.Sprint(v...)))
}

// checkServer refuses servers without SKIP LOCKED (MariaDB before 10.6,
// MySQL before 8.0).
func (s *Store) checkServer(ctx context.Context) error {
	var version string
	if err := s.db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		return fmt.Errorf("mysql store: connect: %w", err)
	}
	major, minor := parseVersion(version)
	need := [2]int{8, 0}
	if strings.Contains(strings.ToLower(version), "mariadb") {
		need = [2]int{10, 6}
	}
	if major < need[0] || (major == need[0] && minor < need[1]) {
		return fmt.Errorf("mysql store: server %s is too old: claims need SELECT ... SKIP LOCKED (MariaDB 10.6+, MySQL 8.0+)", version)
	}
	return nil
}

// parseVersion reads the major and minor numbers from a version string
// such as "10.11.14-MariaDB-0+deb12u2" or "8.0.36".
func parseVersion(v string) (major, minor int) {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return 0, 0
	}
	major, _ = strconv.Atoi(parts[0])
	minor, _ = strconv.Atoi(strings.TrimLeftFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	return major, minor
}

// Close stops the store's watchers and closes its connections.
func (s *Store) Close() error {
	select {
	case <-s.closed:
		return nil
	default:
		close(s.closed)
	}
	return s.db.Close()
}

// MySQL error numbers the store handles.
const (
	errDupEntry        = 1062 // ER_DUP_ENTRY
	errLockWaitTimeout = 1205 // ER_LOCK_WAIT_TIMEOUT
	errDeadlock        = 1213 // ER_LOCK_DEADLOCK
	errCheckRead       = 1020 // ER_CHECKREAD: MariaDB's snapshot isolation conflict
)

// errNumber returns the server's error number, or 0.
func errNumber(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// transient reports whether a transaction that failed with err may simply
// run again: it was rolled back (or will be) and nothing of it was kept.
func transient(err error) bool {
	switch errNumber(err) {
	case errDeadlock, errLockWaitTimeout, errCheckRead:
		return true
	}
	return false
}

func isDuplicate(err error) bool { return errNumber(err) == errDupEntry }

// inTx runs fn in a READ COMMITTED transaction, committing when it returns
// nil, and runs it again (a bounded number of times) after a deadlock or a
// lock wait timeout. fn must not have side effects outside tx.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.retry(ctx, func() error {
		tx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
		if err != nil {
			return err
		}
		// Rolls back after an error or a panic in fn; a no-op after Commit.
		defer func() { _ = tx.Rollback() }()
		if err := fn(tx); err != nil {
			return err
		}
		return tx.Commit()
	})
}

// retry calls fn again after a deadlock or a lock wait timeout, at most
// Options.Retries times, backing off 1ms, 2ms, 4ms … (at most 100ms),
// jittered so that the transactions that collided do not collide again.
func (s *Store) retry(ctx context.Context, fn func() error) error {
	for attempt := 0; ; attempt++ {
		err := fn()
		if err == nil || !transient(err) {
			return err
		}
		if attempt >= s.opts.Retries {
			return fmt.Errorf("gave up after %d attempts: %w", attempt+1, err)
		}
		d := min(time.Millisecond<<attempt, 100*time.Millisecond)
		t := time.NewTimer(d/2 + rand.N(d/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// execer is what *sql.DB and *sql.Tx have in common.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// dbTime is the value stored for t: NULL for the zero time, otherwise t in
// UTC truncated to the microseconds DATETIME(6) keeps.
func dbTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Truncate(time.Microsecond)
}

// fromDB returns a stored time in UTC, the zero time for NULL.
func fromDB(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// placeholders returns "?, ?, …" with n marks.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
