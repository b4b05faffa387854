package mysql

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

const auditColumns = "seq, at, actor, role, remote, action, target, detail"

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
	err := s.retry(ctx, func() error {
		res, err := s.db.ExecContext(ctx, "INSERT INTO sundial_audit (at, actor, role, remote, action, target, detail) "+
			"VALUES (?, ?, ?, ?, ?, ?, ?)", dbTime(e.At), e.Actor, e.Role, e.Remote, e.Action, e.Target, detail)
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
	return sqlq.AuditListQuery(auditColumns, p, func(t time.Time) any { return dbTime(t) }, nil)
}

// AuditList returns the matching entries, newest (highest Seq) first.
func (s *Store) AuditList(ctx context.Context, p sundial.AuditListParams) ([]*sundial.AuditEntry, error) {
	q, args := auditListQuery(p)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	defer rows.Close()
	var out []*sundial.AuditEntry
	for rows.Next() {
		var (
			e      sundial.AuditEntry
			at     sql.NullTime
			detail sql.NullString
		)
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Role, &e.Remote, &e.Action, &e.Target, &detail); err != nil {
			return nil, fmt.Errorf("list audit entries: %w", err)
		}
		e.At = fromDB(at)
		if detail.Valid {
			e.Detail = json.RawMessage(detail.String)
		}
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	return out, nil
}

// AuditPrune deletes the entries made before the given time, oldest first
// in statements of up to 1000 rows, so a large prune never holds many
// locks at once.
func (s *Store) AuditPrune(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		var n int64
		err := s.retry(ctx, func() error {
			res, err := s.db.ExecContext(ctx, "DELETE FROM sundial_audit WHERE at < ? ORDER BY at LIMIT ?",
				dbTime(before), pruneChunk)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("prune audit entries: %w", err)
		}
		total += int(n)
		if n < pruneChunk {
			return total, nil
		}
	}
}
