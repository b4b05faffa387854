package sqlite

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/sundial-scheduler/sundial/internal/sqlq"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one embedded schema change, migrations/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the embedded migrations in version order.
func migrations() ([]migration, error) {
	files, err := sqlq.Migrations(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	ms := make([]migration, len(files))
	for i, f := range files {
		ms[i] = migration{version: f.Version, name: f.Name, sql: f.Body}
	}
	return ms, nil
}

// Migrate applies the embedded schema migrations that the database lacks,
// in version order, each recorded in the sundial_schema table in the same
// transaction. It is idempotent, and safe when several processes open the
// same new file at once: the migration runs under the write lock (BEGIN
// IMMEDIATE), so they take turns and the later ones find nothing to do.
// Open calls it, and so does `sundial migrate`. A database
// migrated by a newer Sundial than this one is refused.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	latest := ms[len(ms)-1].version
	return s.write(ctx, false, func(t *wtx) error {
		if _, err := t.exec(`CREATE TABLE IF NOT EXISTS sundial_schema (
			version    INTEGER NOT NULL PRIMARY KEY,
			name       TEXT    NOT NULL,
			applied_at INTEGER NOT NULL
		)`); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		var current int
		if err := t.scanRow(`SELECT coalesce(max(version), 0) FROM sundial_schema`, nil, &current); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if current > latest {
			return fmt.Errorf("migrate: the database has schema version %d, newer than this build's %d", current, latest)
		}
		for _, m := range ms {
			if m.version <= current {
				continue
			}
			if _, err := t.exec(m.sql); err != nil {
				return fmt.Errorf("migrate: %s: %w", m.name, err)
			}
			if _, err := t.exec(`INSERT INTO sundial_schema (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, time.Now().UnixMicro()); err != nil {
				return fmt.Errorf("migrate: %s: %w", m.name, err)
			}
		}
		return nil
	})
}
