// Package sqlite is a sundial.Store kept in one SQLite file, through the
// pure-Go driver modernc.org/sqlite (no cgo). It is the embedded default of
// `sundial serve`.
//
// # Connections and locking
//
// The file is opened in WAL mode with synchronous=NORMAL, so readers never
// wait for the writer. Each Store writes through one connection, every write
// transaction starting with BEGIN IMMEDIATE, and reads through a small pool.
// Several processes on one host may share the file: SQLite's file locks let
// one writer at a time in, the others wait (busy_timeout), and a transaction
// that still finds the file locked is retried whole, with backoff, for up to
// Options.BusyTimeout. "database is locked" is never returned while that
// bound holds. The file must be on a local disk: SQLite's locks do not work
// over network file systems.
//
// # Clock
//
// Leases (NodeHeartbeat, RunUpdate, RunReap, JobClaimDue) are judged by the
// host clock, time.Now, read while the write lock is held. Every process
// sharing the file runs on the same host, so they share that clock.
//
// # Times
//
// Every time is stored as INTEGER Unix microseconds (UTC); NULL means "no
// time". Programs writing sundial_jobs by hand set next_run_time to
// microseconds (strftime('%s','now') * 1000000 in SQL), or leave it NULL for
// the scheduler to compute from the trigger. SCHEMA.md describes every
// table and column.
//
// # Changes made elsewhere
//
// Triggers on sundial_jobs bump a counter in sundial_changes; Watch polls it
// every Options.PollInterval, so a row written by another process or program
// is noticed within about one interval.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/triggercache"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Options tune a Store. The zero value gives the documented defaults.
type Options struct {
	// PollInterval is how often Watch reads the change counter, and so the
	// longest a change made by another process waits to be noticed.
	// Default 1s.
	PollInterval time.Duration
	// BusyTimeout bounds how long one call waits, in all, for other
	// processes holding the file's write lock before it gives up with an
	// error. Default 30s.
	BusyTimeout time.Duration
	// ReadConns is the number of connections reads may use at once.
	// Default 4. (An in-memory database has one connection for all.)
	ReadConns int
	// Logger receives the store's warnings: jobs whose rows cannot be read,
	// Watch failures. Default slog.Default().
	Logger *slog.Logger

	// lockWait is SQLite's own busy_timeout for one statement; the store's
	// retries take over after it. Tests shorten it to exercise them.
	lockWait time.Duration
}

func (o Options) withDefaults() Options {
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 30 * time.Second
	}
	if o.ReadConns <= 0 {
		o.ReadConns = 4
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.lockWait <= 0 {
		o.lockWait = min(5*time.Second, o.BusyTimeout)
	}
	return o
}

// Store is a sundial.Store in a SQLite file. It is safe for concurrent use,
// and several Stores, in one process or several, may share one file.
type Store struct {
	opts Options
	log  *slog.Logger
	w    *sql.DB // one connection; every transaction on it is BEGIN IMMEDIATE
	r    *sql.DB // reads

	closed    chan struct{}
	closeOnce sync.Once

	watchMu  sync.Mutex
	watchers map[*watcher]struct{}

	triggers triggercache.Cache

	stmtMu sync.Mutex
	stmts  map[stmtKey]*sql.Stmt

	retries atomic.Int64 // calls retried because the file was locked
}

// stmtKey names a prepared statement: its query on the write connection or
// on the read pool.
type stmtKey struct {
	query string
	read  bool
}

var (
	_ sundial.Store   = (*Store)(nil)
	_ sundial.Watcher = (*Store)(nil)
)

// Open opens (creating it if needed) the SQLite database at path and
// applies the schema migrations it lacks. path is a file path, or a SQLite
// URI starting with "file:"; ":memory:" gives a private in-memory database
// (one connection, nothing shared). Close the Store when done.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	wdsn, rdsn, memory, err := dsns(path, opts)
	if err != nil {
		return nil, err
	}
	w, err := sql.Open("sqlite", wdsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{
		opts: opts, log: opts.Logger, w: w, r: w,
		closed: make(chan struct{}), watchers: map[*watcher]struct{}{},
		stmts: map[stmtKey]*sql.Stmt{},
	}
	if !memory {
		r, err := sql.Open("sqlite", rdsn)
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
		}
		r.SetMaxOpenConns(opts.ReadConns)
		r.SetMaxIdleConns(opts.ReadConns)
		s.r = r
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	if err := s.prepareWrites(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	return s, nil
}

// dsns builds the driver names of the write connection and of the read
// pool from the user's path.
func dsns(path string, o Options) (write, read string, memory bool, err error) {
	if path == "" {
		return "", "", false, errors.New("open sqlite store: empty path")
	}
	sep := "?"
	if strings.HasPrefix(path, "file:") {
		if strings.Contains(path, "?") {
			sep = "&"
		}
		memory = strings.Contains(path, "mode=memory")
	} else if strings.ContainsAny(path, "?#") {
		return "", "", false, fmt.Errorf("open sqlite store %q: a path with ? or # must be written as a file: URI", path)
	}
	memory = memory || path == ":memory:"
	busy := fmt.Sprintf("_pragma=busy_timeout(%d)", o.lockWait.Milliseconds())
	write = path + sep + busy + "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(0)&_pragma=temp_store(MEMORY)&_txlock=immediate"
	read = path + sep + busy + "&_pragma=synchronous(NORMAL)&_pragma=query_only(1)"
	return write, read, memory, nil
}

// Close stops Watch goroutines and closes the database. It is safe to call
// more than once.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closed)
		s.stmtMu.Lock()
		for _, st := range s.stmts {
			st.Close()
		}
		s.stmts = nil
		s.stmtMu.Unlock()
		err = s.w.Close()
		if s.r != s.w {
			err = errors.Join(err, s.r.Close())
		}
	})
	return err
}

// transient reports whether err is SQLite saying that another connection
// holds a lock, which passes.
func transient(err error) bool {
	var e *msqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_PROTOCOL:
		return true
	}
	return false
}

// retry runs fn until it returns something other than a transient lock
// error, backing off between tries, for at most Options.BusyTimeout.
func (s *Store) retry(ctx context.Context, fn func() error) error {
	start := time.Now()
	wait := time.Millisecond
	for tries := 1; ; tries++ {
		err := fn()
		if err == nil || !transient(err) {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("sqlite store: gave up waiting for a lock: %w", ctx.Err())
		}
		s.retries.Add(1)
		if time.Since(start) >= s.opts.BusyTimeout {
			return fmt.Errorf("sqlite store: the file stayed locked by another connection for %s (%d tries): %w",
				s.opts.BusyTimeout, tries, err)
		}
		d := wait/2 + rand.N(wait/2+1)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("sqlite store: gave up waiting for a lock: %w", ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// wtx is a write transaction with the store's prepared statements.
type wtx struct {
	tx    *sql.Tx
	ctx   context.Context
	s     *Store
	stmts map[string]*sql.Stmt
}

// stmt returns the prepared statement of query q in the transaction, or
// nil when q is not one of writeQueries.
func (t *wtx) stmt(q string) *sql.Stmt {
	if st, ok := t.stmts[q]; ok {
		return st
	}
	t.s.stmtMu.Lock()
	st := t.s.stmts[stmtKey{q, false}]
	t.s.stmtMu.Unlock()
	if st == nil {
		return nil
	}
	st = t.tx.StmtContext(t.ctx, st)
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[q] = st
	return st
}

// exec runs statement q.
func (t *wtx) exec(q string, args ...any) (sql.Result, error) {
	if st := t.stmt(q); st != nil {
		return st.ExecContext(t.ctx, args...)
	}
	return t.tx.ExecContext(t.ctx, q, args...)
}

// query runs query q.
func (t *wtx) query(q string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(q); st != nil {
		return st.QueryContext(t.ctx, args...)
	}
	return t.tx.QueryContext(t.ctx, q, args...)
}

// scanRow runs query q for one row and scans it into dest; sql.ErrNoRows
// when there is none.
func (t *wtx) scanRow(q string, args []any, dest ...any) error {
	if st := t.stmt(q); st != nil {
		return st.QueryRowContext(t.ctx, args...).Scan(dest...)
	}
	return t.tx.QueryRowContext(t.ctx, q, args...).Scan(dest...)
}

// writeQueries are prepared on the write connection when the Store opens:
// the statements of claims, run inserts and updates. (They cannot be
// prepared later, from inside a transaction holding the one connection.)
var writeQueries = []string{
	qChanges, qLive, qDueUnscheduled, qDue, qAdvance, qFinish, qPark,
	qRunInsert, qRunUpdate, qActive, qRunOwned,
	qJobInsert, qJobUpsert, qJobUpdate, qJobExists, qHeartbeat,
}

// prepareWrites prepares writeQueries.
func (s *Store) prepareWrites(ctx context.Context) error {
	for _, q := range writeQueries {
		var st *sql.Stmt
		err := s.retry(ctx, func() error {
			var err error
			st, err = s.w.PrepareContext(ctx, q)
			return err
		})
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		s.stmtMu.Lock()
		s.stmts[stmtKey{q, false}] = st
		s.stmtMu.Unlock()
	}
	return nil
}

// prepared returns the Store's prepared statement of q on the read pool,
// preparing it the first time.
func (s *Store) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	k := stmtKey{q, true}
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if s.stmts == nil {
		return nil, errClosed
	}
	if st, ok := s.stmts[k]; ok {
		return st, nil
	}
	st, err := s.r.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	s.stmts[k] = st
	return st, nil
}

var errClosed = errors.New("sqlite store is closed")

// write runs fn in a write transaction (BEGIN IMMEDIATE on the write
// connection), retried whole while the file is locked, so fn must be safe
// to run again. jobs says fn may change sundial_jobs: the store then notes
// its own changes of the change counter, which Watch does not report.
func (s *Store) write(ctx context.Context, jobs bool, fn func(t *wtx) error) error {
	return s.retry(ctx, func() error {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer func() {
			// A panic in fn (Decide is the caller's code) must not leave
			// the one write connection inside a transaction.
			if p := recover(); p != nil {
				tx.Rollback()
				panic(p)
			}
		}()
		t := &wtx{tx: tx, ctx: ctx, s: s}
		var n0, n1 int64
		if jobs {
			if err := t.scanRow(qChanges, nil, &n0); err != nil {
				tx.Rollback()
				return err
			}
		}
		if err := fn(t); err != nil {
			tx.Rollback()
			return err
		}
		if jobs {
			if err := t.scanRow(qChanges, nil, &n1); err != nil {
				tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		if n1 != n0 {
			s.ownChange(n0, n1)
		}
		return nil
	})
}

// read runs fn with the read pool, retrying it while the file is locked.
func (s *Store) read(ctx context.Context, fn func(db *sql.DB) error) error {
	return s.retry(ctx, func() error { return fn(s.r) })
}

// readRow runs a constant query q on the read pool, prepared once per
// Store, and scans its one row into dest; sql.ErrNoRows when there is none.
func (s *Store) readRow(ctx context.Context, q string, args []any, dest ...any) error {
	return s.retry(ctx, func() error {
		st, err := s.prepared(ctx, q)
		if err != nil {
			return err
		}
		return st.QueryRowContext(ctx, args...).Scan(dest...)
	})
}

// micros converts a time to the stored form: Unix microseconds, or NULL
// for the zero time.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// fromMicros converts a stored time back; NULL is the zero time.
func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

const qLive = `SELECT count(*) FROM sundial_nodes WHERE id = ? AND lease_until > ?`

// liveLease reports whether node holds a lease at now (host clock).
func liveLease(t *wtx, node string, now time.Time) (bool, error) {
	var n int
	err := t.scanRow(qLive, []any{node, now.UnixMicro()}, &n)
	return n > 0, err
}
