package postgres_test

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/store/postgres"
)

// A database made by a Sundial without the audit log (schema 1) gains it
// when a newer one opens it, and keeps its jobs.
func TestMigrateAddsAuditLog(t *testing.T) {
	t.Parallel()
	url := setup(t)
	v1, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	conn := connect(t, url)
	for _, q := range []string{
		string(v1),
		`CREATE TABLE sundial_schema (version integer PRIMARY KEY, name text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
		`INSERT INTO sundial_schema (version, name) VALUES (1, '0001_init.sql')`,
		`INSERT INTO sundial_jobs (id, task, trigger) VALUES ('plain', 'report', '{"type": "cron", "hour": "2"}')`,
	} {
		if _, err := conn.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	s := open(t, url, postgres.Options{})
	if got := schemaVersions(t, url); !slices.Equal(got, []int32{1, 2, 3}) {
		t.Errorf("sundial_schema versions = %v, want [1 2 3]", got)
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

// Audit text that PostgreSQL cannot hold (NUL bytes, invalid UTF-8) is
// stored with U+FFFD in its place instead of failing the append, and a
// filter written the same way finds it.
func TestAuditTextIsMadeStorable(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	e := &sundial.AuditEntry{At: base, Actor: "a\x00b", Action: "job.update", Target: "bad \xff id",
		Detail: json.RawMessage("{\"name\":\"bad \xff name\"}")}
	if err := s.AuditAppend(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	got, err := s.AuditList(t.Context(), sundial.AuditListParams{Actor: "a\x00b", Target: "bad \xff id"})
	if err != nil || len(got) != 1 {
		t.Fatalf("AuditList = %v, %v; want the one entry", got, err)
	}
	if g := got[0]; g.Actor != "a\uFFFDb" || g.Target != "bad \uFFFD id" || string(g.Detail) != `{"name":"bad `+"\uFFFD"+` name"}` {
		t.Errorf("stored actor %q, target %q, detail %s", g.Actor, g.Target, g.Detail)
	}
}
