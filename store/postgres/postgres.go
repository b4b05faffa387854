// Package postgres is the PostgreSQL sundial.Store: the production and
// cluster store. Any number of schedulers (nodes) may share one database;
// each fire of a job is claimed by exactly one of them.
//
// # Claims
//
// JobClaimDue runs one transaction per batch of jobs: it checks the node's
// lease by the database clock (clock_timestamp()), locks the earliest due
// jobs with SELECT … FOR UPDATE SKIP LOCKED (so concurrent claimers take
// disjoint jobs and never wait for each other), counts their unfinished
// runs, asks Decide, and applies every decision with three statements that
// take arrays (advance, delete, record runs) before it commits. The UNIQUE
// constraint on a run's fire key (job_id, scheduled_at, attempt) backs up
// the promise in the database itself.
//
// # Watch
//
// A statement-level trigger on sundial_jobs sends NOTIFY sundial_jobs, so a
// change made by any program, plain SQL included, wakes every scheduler
// that called Watch. Each Watch LISTENs on a dedicated connection and
// reconnects with backoff when the connection is lost.
//
// # Schema
//
// Open applies the embedded migrations (see SCHEMA.md beside this file):
// tables sundial_jobs (a public interface: other programs may insert,
// update and delete rows), sundial_runs, sundial_nodes, sundial_audit (the
// server's audit log: Store implements sundial.AuditLog) and
// sundial_schema.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/sqlq"
	"github.com/sundial-scheduler/sundial/internal/triggercache"
)

// Options tune a Store. The zero value is ready to use. Connection pool
// settings come from the DSN (pool_max_conns, pool_min_conns, … as pgxpool
// reads them).
type Options struct {
	// Logger receives what the store cannot return to a caller: a job row
	// it parks because it cannot decode it, a lost Watch connection.
	// Default slog.Default().
	Logger *slog.Logger
	// ClaimBatch bounds how many jobs one claim transaction locks and
	// advances. JobClaimDue with a larger limit, or none, runs several
	// transactions, each atomic on its own. Default 500.
	ClaimBatch int
	// WatchBackoff is the first wait before Watch reconnects after losing
	// its connection; the wait doubles (with jitter) up to WatchMaxBackoff.
	// Defaults 100ms and 5s.
	WatchBackoff    time.Duration
	WatchMaxBackoff time.Duration
	// WatchPing is how long the Watch connection may stay silent before it
	// is pinged, so that a connection lost without a word (a dead peer, a
	// dropped network path) is noticed and replaced. Default 30s.
	WatchPing time.Duration
}

func (o *Options) fill() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ClaimBatch <= 0 {
		o.ClaimBatch = 500
	}
	if o.WatchBackoff <= 0 {
		o.WatchBackoff = 100 * time.Millisecond
	}
	if o.WatchMaxBackoff <= 0 {
		o.WatchMaxBackoff = 5 * time.Second
	}
	if o.WatchMaxBackoff < o.WatchBackoff {
		o.WatchMaxBackoff = o.WatchBackoff
	}
	if o.WatchPing <= 0 {
		o.WatchPing = 30 * time.Second
	}
}

// Store is a sundial.Store and sundial.Watcher kept in PostgreSQL. It is
// safe for concurrent use.
type Store struct {
	pool     *pgxpool.Pool
	opts     Options
	log      *slog.Logger
	triggers triggercache.Cache

	// closed ends the Watch goroutines when the store is closed before
	// their contexts are done; watchers counts them so Close can wait.
	closed    chan struct{}
	closeOnce sync.Once
	watchers  sync.WaitGroup
}

var (
	_ sundial.Store   = (*Store)(nil)
	_ sundial.Watcher = (*Store)(nil)
)

// Open connects to the database named by dsn, a postgres:// URL or a
// key=value connection string as pgx reads them, and applies the embedded
// migrations. The caller closes the store.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	opts.fill()
	s := &Store{pool: pool, opts: opts, log: opts.Logger, closed: make(chan struct{})}
	if err := s.Migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close stops the store's Watch goroutines and closes its connections.
// Calls after the first do nothing.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.watchers.Wait()
		s.pool.Close()
	})
	return nil
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order. A file is
// named NNNN_name.sql; NNNN is its version.
func migrations() ([]migration, error) {
	files, err := sqlq.Migrations(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	out := make([]migration, len(files))
	for i, f := range files {
		out[i] = migration{version: f.Version, name: f.Name + ".sql", sql: f.Body}
	}
	return out, nil
}

// Migrate applies the embedded migrations that the database lacks, in
// order, in one transaction, and records each in sundial_schema. It is
// idempotent, and safe when several processes migrate the same database at
// once: they queue on a transaction-scoped advisory lock.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	err = s.retry(ctx, func(ctx context.Context) error {
		return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('sundial:migrate', 0))`); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS sundial_schema (
				version    integer PRIMARY KEY,
				name       text NOT NULL,
				applied_at timestamptz NOT NULL DEFAULT clock_timestamp())`); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, `SELECT version FROM sundial_schema`)
			if err != nil {
				return err
			}
			have, err := pgx.CollectRows(rows, pgx.RowTo[int32])
			if err != nil {
				return err
			}
			applied := map[int]bool{}
			newest := 0
			for _, v := range have {
				applied[int(v)] = true
				newest = max(newest, int(v))
			}
			for _, m := range ms {
				if applied[m.version] {
					continue
				}
				if _, err := tx.Exec(ctx, m.sql); err != nil {
					return fmt.Errorf("%s: %w", m.name, err)
				}
				if _, err := tx.Exec(ctx, `INSERT INTO sundial_schema (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
					return err
				}
			}
			if known := ms[len(ms)-1].version; newest > known {
				s.log.Warn("sundial schema is newer than this binary", "schema_version", newest, "known_version", known)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// maxAttempts bounds how often an operation is tried when PostgreSQL
// reports a transient failure.
const maxAttempts = 6

// retry runs fn until it succeeds, fails for good, or has failed
// maxAttempts times with transient errors (serialization failures,
// deadlocks, a connection that broke before anything was sent), waiting a
// few jittered milliseconds between tries.
func (s *Store) retry(ctx context.Context, fn func(context.Context) error) error {
	wait := 2 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil || attempt == maxAttempts || !transient(err) || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(wait + rand.N(wait))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait *= 2
	}
}

// transient reports whether err leaves nothing applied and may pass if the
// operation is tried again.
func transient(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", // serialization_failure
			"40P01": // deadlock_detected
			return true
		}
		return false
	}
	return pgconn.SafeToRetry(err)
}

// isUniqueViolation reports whether err is PostgreSQL's unique_violation.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// ts converts a time for a nullable timestamptz column: the zero time is
// NULL. PostgreSQL keeps microseconds; finer digits are dropped.
func ts(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: t.UTC(), Valid: true}
}

// fromTS converts a timestamptz read back: NULL (and an infinity, which
// Go cannot represent) is the zero time; others are in UTC.
func fromTS(v pgtype.Timestamptz) time.Time {
	if !v.Valid || v.InfinityModifier != pgtype.Finite {
		return time.Time{}
	}
	return v.Time.UTC()
}

// micros is a duration in whole microseconds, the precision of
// PostgreSQL's intervals.
func micros(d time.Duration) int64 { return d.Microseconds() }
