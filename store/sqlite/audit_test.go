package sqlite

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/sundial-scheduler/sundial"
)

// A file made by a Sundial without the audit log (schema 1) gains it when
// a newer one opens it, and keeps its jobs.
func TestMigrateAddsAuditLog(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "v1.db")
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	for _, q := range []string{
		ms[0].sql,
		`CREATE TABLE sundial_schema (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
		`INSERT INTO sundial_schema (version, name, applied_at) VALUES (1, '0001_init', 0)`,
		`INSERT INTO sundial_jobs (id, task, "trigger") VALUES ('plain', 'report', '{"type": "cron", "hour": "2"}')`,
	} {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	s := openFile(t, path, testOptions())
	if got, want := schemaVersions(t, s.r), latestVersions(t); !slices.Equal(got, want) {
		t.Errorf("sundial_schema versions = %v, want %v", got, want)
	}
	if _, err := s.JobGet(t.Context(), "plain"); err != nil {
		t.Errorf("the job of schema 1: %v", err)
	}
	e := &sundial.AuditEntry{At: base, Actor: "alice", Action: "job.pause", Target: "plain"}
	if err := s.AuditAppend(t.Context(), e); err != nil {
		t.Fatalf("AuditAppend after the migration: %v", err)
	}
	got, err := s.AuditList(t.Context(), sundial.AuditListParams{Target: "plain"})
	if err != nil || len(got) != 1 || got[0].Seq != e.Seq {
		t.Errorf("AuditList = %v, %v; want the one entry", got, err)
	}
}
