package mysql_test

import (
	"testing"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/testenv"
)

// A database at schema 1, from a Sundial without the audit log, gains it
// when a newer one opens it, and keeps its jobs.
func TestMigrateAddsAuditLog(t *testing.T) {
	t.Parallel()
	dsn := testenv.MySQLDSN(t)
	addJobs(t, open(t, dsn), newJob("a", at(1), 1))
	// Back to schema 1: what migration 2 made is gone.
	db := rawDB(t, dsn)
	exec(t, db, "DROP TABLE sundial_audit")
	exec(t, db, "DELETE FROM sundial_schema WHERE version > 1")

	st := open(t, dsn)
	wantSchema(t, db)
	if _, err := st.JobGet(t.Context(), "a"); err != nil {
		t.Errorf("the job of schema 1: %v", err)
	}
	e := &sundial.AuditEntry{At: base, Actor: "alice", Action: "job.pause", Target: "a"}
	if err := st.AuditAppend(t.Context(), e); err != nil {
		t.Fatalf("AuditAppend after the migration: %v", err)
	}
	got, err := st.AuditList(t.Context(), sundial.AuditListParams{Target: "a"})
	if err != nil || len(got) != 1 || got[0].Seq != e.Seq {
		t.Errorf("AuditList = %v, %v; want the one entry", got, err)
	}
}
