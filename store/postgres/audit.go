package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/sqlq"
)

var _ sundial.AuditLog = (*Store)(nil)

const (
	auditColumns   = `seq, at, actor, role, remote, action, target, detail`
	auditInsertSQL = `INSERT INTO sundial_audit (at, actor, role, remote, action, target, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7::json) RETURNING seq`
)

// AuditAppend records the entry in sundial_audit and sets e.Seq. Text
// PostgreSQL cannot hold (NUL bytes, invalid UTF-8) is stored as U+FFFD.
func (s *Store) AuditAppend(ctx context.Context, e *sundial.AuditEntry) error {
	if err := e.Validate(); err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	var detail *string // NULL without one
	if len(e.Detail) > 0 {
		d := strings.ToValidUTF8(string(e.Detail), "\uFFFD")
		detail = &d
	}
	var seq int64
	err := s.retry(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, auditInsertSQL, ts(e.At), clean(e.Actor), clean(e.Role), clean(e.Remote),
			clean(e.Action), clean(e.Target), detail).Scan(&seq)
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
	q, args := sqlq.AuditListQuery(auditColumns, p, func(t time.Time) any { return ts(t) }, func(v string) any { return clean(v) })
	return sqlq.Dollar(q), args
}

// AuditList returns the matching entries, newest (highest Seq) first.
func (s *Store) AuditList(ctx context.Context, p sundial.AuditListParams) ([]*sundial.AuditEntry, error) {
	q, args := auditListQuery(p)
	var out []*sundial.AuditEntry
	err := s.retry(ctx, func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*sundial.AuditEntry, error) {
			var (
				e      sundial.AuditEntry
				at     pgtype.Timestamptz
				detail []byte
			)
			if err := row.Scan(&e.Seq, &at, &e.Actor, &e.Role, &e.Remote, &e.Action, &e.Target, &detail); err != nil {
				return nil, err
			}
			e.At = fromTS(at)
			if detail != nil {
				e.Detail = json.RawMessage(detail)
			}
			return &e, nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	return out, nil
}

// AuditPrune deletes the entries made before the given time, in one
// statement.
func (s *Store) AuditPrune(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.retry(ctx, func(ctx context.Context) error {
		tag, err := s.pool.Exec(ctx, `DELETE FROM sundial_audit WHERE at < $1`, ts(before))
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune audit entries: %w", err)
	}
	return int(n), nil
}
