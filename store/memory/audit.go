package memory

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sundial-scheduler/sundial"
)

var _ sundial.AuditLog = (*Store)(nil)

// auditLog is the store's audit log: every entry, in Seq order, until
// AuditPrune removes it. It has a lock of its own, so the server's
// appends never wait for claims.
type auditLog struct {
	mu      sync.Mutex
	entries []*sundial.AuditEntry // the store's own copies, Seq ascending
	seq     int64                 // last Seq handed out
}

// checkAudit refuses an entry that the SQL stores could not keep either:
// one without a time, or whose detail is not JSON.
func checkAudit(e *sundial.AuditEntry) error {
	if e.At.IsZero() {
		return errors.New("audit entry has no time")
	}
	if len(e.Detail) > 0 && !json.Valid(e.Detail) {
		return errors.New("audit entry detail is not valid JSON")
	}
	return nil
}

// copyAudit returns a copy of e that shares no bytes with it.
func copyAudit(e *sundial.AuditEntry) *sundial.AuditEntry {
	cp := *e
	cp.Detail = slices.Clip(slices.Clone(e.Detail))
	return &cp
}

// AuditAppend records a copy of the entry and sets e.Seq.
func (s *Store) AuditAppend(ctx context.Context, e *sundial.AuditEntry) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	if err := checkAudit(e); err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	cp := copyAudit(e)
	a := &s.audit
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seq++
	cp.Seq = a.seq
	a.entries = append(a.entries, cp)
	e.Seq = cp.Seq
	return nil
}

// AuditList returns copies of the matching entries, newest first.
func (s *Store) AuditList(ctx context.Context, p sundial.AuditListParams) ([]*sundial.AuditEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	a := &s.audit
	a.mu.Lock()
	defer a.mu.Unlock()
	end := len(a.entries)
	if p.BeforeSeq > 0 {
		end, _ = slices.BinarySearchFunc(a.entries, p.BeforeSeq, func(e *sundial.AuditEntry, seq int64) int {
			return cmp.Compare(e.Seq, seq)
		})
	}
	var out []*sundial.AuditEntry
	for i := end - 1; i >= 0 && (p.Limit <= 0 || len(out) < p.Limit); i-- {
		if e := a.entries[i]; p.Matches(e) {
			out = append(out, copyAudit(e))
		}
	}
	return out, nil
}

// AuditPrune deletes the entries made before the given time.
func (s *Store) AuditPrune(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("prune audit entries: %w", err)
	}
	a := &s.audit
	a.mu.Lock()
	defer a.mu.Unlock()
	n := len(a.entries)
	a.entries = slices.DeleteFunc(a.entries, func(e *sundial.AuditEntry) bool { return e.At.Before(before) })
	return n - len(a.entries), nil
}
