package mysql

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"strings"

	"github.com/sundial-scheduler/sundial/internal/sqlq"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one embedded schema change.
type migration struct {
	version int
	name    string
	stmts   []string
}

// migrations returns the embedded migrations in version order.
func migrations() ([]migration, error) {
	files, err := sqlq.Migrations(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	out := make([]migration, len(files))
	for i, f := range files {
		out[i] = migration{version: f.Version, name: f.Name + ".sql", stmts: splitStatements(f.Body)}
	}
	return out, nil
}

// splitStatements splits a migration into statements: each ends with a
// semicolon at the end of a line. Lines that are only a "--" comment are
// dropped.
func splitStatements(body string) []string {
	var stmts []string
	var cur strings.Builder
	for line := range strings.Lines(body) {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		if strings.HasSuffix(trimmed, ";") {
			if st := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"); st != "" {
				stmts = append(stmts, st)
			}
			cur.Reset()
		}
	}
	if st := strings.TrimSpace(cur.String()); st != "" {
		stmts = append(stmts, st)
	}
	return stmts
}

// migrateLockTimeout is how long Migrate waits (in seconds) for another
// process that is migrating the same database.
const migrateLockTimeout = 60

// Migrate applies the embedded migrations that the database lacks, in
// order, and records each in sundial_schema. It is idempotent, and safe when
// several processes migrate the same database at once: they take turns
// under a named lock (GET_LOCK) per database. Each migration's statements
// can run again after a partial failure, as MySQL commits DDL statement by
// statement.
func (s *Store) Migrate(ctx context.Context) error {
	all, err := migrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()

	var got sql.NullInt64
	const lockName = "CONCAT('sundial_migrate:', SHA1(DATABASE()))"
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK("+lockName+", ?)", migrateLockTimeout).Scan(&got); err != nil {
		return fmt.Errorf("migrate: take the migration lock: %w", err)
	}
	if !got.Valid || got.Int64 != 1 {
		return fmt.Errorf("migrate: another process held the migration lock for %ds", migrateLockTimeout)
	}
	defer func() {
		// The lock also ends with the session; release it so the pooled
		// connection is clean.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "DO RELEASE_LOCK("+lockName+")")
	}()

	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS sundial_schema (
		version INT NOT NULL,
		name VARCHAR(255) NOT NULL DEFAULT '',
		applied_at DATETIME(6) NOT NULL,
		PRIMARY KEY (version)
	) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`); err != nil {
		return fmt.Errorf("migrate: create sundial_schema: %w", err)
	}
	applied := map[int]bool{}
	rows, err := conn.QueryContext(ctx, "SELECT version FROM sundial_schema")
	if err != nil {
		return fmt.Errorf("migrate: read sundial_schema: %w", err)
	}
	newest := 0
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("migrate: read sundial_schema: %w", err)
		}
		applied[v] = true
		newest = max(newest, v)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("migrate: read sundial_schema: %w", err)
	}
	if known := all[len(all)-1].version; newest > known {
		s.log.Warn("the database schema is newer than this build knows", "schema", newest, "known", known)
	}
	for _, m := range all {
		if applied[m.version] {
			continue
		}
		for i, st := range m.stmts {
			if _, err := conn.ExecContext(ctx, st); err != nil {
				return fmt.Errorf("migrate: %s, statement %d: %w", m.name, i+1, err)
			}
		}
		if _, err := conn.ExecContext(ctx,
			"INSERT INTO sundial_schema (version, name, applied_at) VALUES (?, ?, UTC_TIMESTAMP(6))",
			m.version, m.name); err != nil {
			return fmt.Errorf("migrate: record %s: %w", m.name, err)
		}
		s.log.Info("applied schema migration", "migration", m.name)
	}
	return nil
}
