package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/sqlq"
)

var _ sundial.AuditLog = (*Store)(nil)

const (
	auditCols    = `seq, at, actor, role, remote, action, target, detail`
	qAuditInsert = `INSERT INTO sundial_audit (at, actor, role, remote, action, target, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
	// qAuditPrune deletes up to ?2 entries made before ?1, oldest first.
	qAuditPrune = `DELETE FROM sundial_audit WHERE seq IN (
		SELECT seq FROM sundial_audit WHERE at < ?1 ORDER BY at LIMIT ?2)`
)

// AuditAppend records the entry in sundial_audit and sets e.Seq.
func (s *Store) AuditAppend(ctx context.Context, e *sundial.AuditEntry) error {
	if err := e.Validate(); err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	var detail any // NULL without one
	if len(e.Detail) > 0 {
		detail = string(e.Detail)
	}
	var seq int64
	err := s.write(ctx, false, func(t *wtx) error {
		res, err := t.exec(qAuditInsert, e.At.UnixMicro(), e.Actor, e.Role, e.Remote, e.Action, e.Target, detail)
		if err != nil {
			return err
		}
		seq, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	e.Seq = seq
	return nil
}

// auditListQuery is the query of AuditList: the filters of p, newest
// first, with a LIMIT when p has one.
func auditListQuery(p sundial.AuditListParams) (string, []any) {
	return sqlq.AuditListQuery(auditCols, p, func(t time.Time) any { return t.UnixMicro() }, nil)
}

// AuditList returns the matching entries, newest (highest Seq) first.
func (s *Store) AuditList(ctx context.Context, p sundial.AuditListParams) ([]*sundial.AuditEntry, error) {
	q, args := auditListQuery(p)
	var out []*sundial.AuditEntry
	err := s.read(ctx, func(db *sql.DB) error {
		out = out[:0]
		rows, err := db.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				e      sundial.AuditEntry
				at     int64
				detail sql.NullString
			)
			if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Role, &e.Remote, &e.Action, &e.Target, &detail); err != nil {
				return err
			}
			e.At = time.UnixMicro(at).UTC()
			if detail.Valid {
				e.Detail = json.RawMessage(detail.String)
			}
			out = append(out, &e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	return out, nil
}

// AuditPrune deletes the entries made before the given time, in write
// transactions of up to 1000 rows so that a large prune does not hold the
// write lock for long.
func (s *Store) AuditPrune(ctx context.Context, before time.Time) (int, error) {
	deleted := 0
	for {
		var n int64
		err := s.write(ctx, false, func(t *wtx) error {
			res, err := t.exec(qAuditPrune, before.UnixMicro(), pruneChunk)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return deleted, fmt.Errorf("prune audit entries: %w", err)
		}
		deleted += int(n)
		if n < pruneChunk {
			return deleted, nil
		}
	}
}
