package sundial

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// AuditEntry records one change made through the server's APIs or console:
// who made it, what it was, when, and from where. The scheduler itself
// writes none; the server appends one per accepted change.
type AuditEntry struct {
	// Seq orders entries; the store assigns it, increasing.
	Seq int64 `json:"seq"`
	// At is when the change was made (the server's clock).
	At time.Time `json:"at"`
	// Actor is the user or token name; "" when the server runs without
	// authentication (loopback only).
	Actor string `json:"actor"`
	// Role is the actor's role: viewer, operator or admin.
	Role string `json:"role,omitempty"`
	// Remote is the client's address.
	Remote string `json:"remote,omitempty"`
	// Action names the change, such as "job.create", "job.pause" or
	// "scheduler.resume".
	Action string `json:"action"`
	// Target is what was changed: a job id, a run id; "" for the
	// scheduler as a whole.
	Target string `json:"target,omitempty"`
	// Detail is a JSON object with the change itself (the fields sent).
	Detail json.RawMessage `json:"detail,omitempty"`
}

// AuditListParams filter AuditLog.AuditList; zero fields do not filter.
type AuditListParams struct {
	Actor  string
	Action string
	Target string
	// From and To bound At: From <= At < To.
	From, To time.Time
	// BeforeSeq pages: only entries with Seq < BeforeSeq; 0 starts at the
	// newest.
	BeforeSeq int64
	// Limit bounds the result; 0 for no bound.
	Limit int
}

// Matches reports whether an entry passes the filters other than BeforeSeq
// and Limit (for stores that filter in Go).
func (p AuditListParams) Matches(e *AuditEntry) bool {
	return (p.Actor == "" || e.Actor == p.Actor) &&
		(p.Action == "" || e.Action == p.Action) &&
		(p.Target == "" || e.Target == p.Target) &&
		(p.From.IsZero() || !e.At.Before(p.From)) &&
		(p.To.IsZero() || e.At.Before(p.To))
}

// AuditLog is implemented by stores that keep the server's audit log next
// to its jobs, so every node of a cluster writes to and reads one log.
type AuditLog interface {
	// AuditAppend records an entry and sets its Seq.
	AuditAppend(ctx context.Context, e *AuditEntry) error
	// AuditList returns matching entries, newest first.
	AuditList(ctx context.Context, p AuditListParams) ([]*AuditEntry, error)
	// AuditPrune deletes entries made before the given time and returns
	// how many.
	AuditPrune(ctx context.Context, before time.Time) (int, error)
}

// Validate refuses an entry no store can keep: one without a time, or
// whose detail is not valid JSON.
func (e *AuditEntry) Validate() error {
	if e.At.IsZero() {
		return errors.New("audit entry has no time")
	}
	if len(e.Detail) > 0 && !json.Valid(e.Detail) {
		return errors.New("audit entry detail is not valid JSON")
	}
	return nil
}
