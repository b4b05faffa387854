package metrics

import (
	"context"
	"io"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// migrator and closer are the extras of the stores opened by
// store/storeurl.
type (
	migrator interface {
		Migrate(ctx context.Context) error
	}
	closer = io.Closer
)

type migrateFunc func(ctx context.Context) error

func (f migrateFunc) Migrate(ctx context.Context) error { return f(ctx) }

type closeFunc func() error

func (f closeFunc) Close() error { return f() }

// timedAuditLog times the operations of a store's audit log.
type timedAuditLog struct {
	s *store
	a sundial.AuditLog
}

func (t *timedAuditLog) AuditAppend(ctx context.Context, e *sundial.AuditEntry) (err error) {
	defer t.s.observe(opAuditAppend, time.Now(), &err)
	return t.a.AuditAppend(ctx, e)
}

func (t *timedAuditLog) AuditList(ctx context.Context, p sundial.AuditListParams) (_ []*sundial.AuditEntry, err error) {
	defer t.s.observe(opAuditList, time.Now(), &err)
	return t.a.AuditList(ctx, p)
}

func (t *timedAuditLog) AuditPrune(ctx context.Context, before time.Time) (_ int, err error) {
	defer t.s.observe(opAuditPrune, time.Now(), &err)
	return t.a.AuditPrune(ctx, before)
}

// baseStore is what every combined store has: the Store interface and an
// answer to InProcess.
type baseStore interface {
	sundial.Store
	sundial.InProcessStore
}

// Bits of the optional capabilities a combined store has.
const (
	hasWatcher = 1 << iota
	hasAuditLog
	hasMigrate
	hasClose
)

// combine returns a store with st's methods plus the methods of each
// capability given (not nil), and no others, so that type assertions on
// the result answer as they would on the store it stands for. Go cannot
// add methods to a value at run time, so each of the 16 combinations is a
// struct type of its own, embedding the parts it has.
//
// Every result also has InProcess (sundial.InProcessStore), which the base
// store answers: a wrapper says what the store it wraps says.
func combine(st baseStore, w sundial.Watcher, a sundial.AuditLog, m migrator, c closer) sundial.Store {
	var caps int
	if w != nil {
		caps |= hasWatcher
	}
	if a != nil {
		caps |= hasAuditLog
	}
	if m != nil {
		caps |= hasMigrate
	}
	if c != nil {
		caps |= hasClose
	}
	type (
		S = baseStore
		W = sundial.Watcher
		A = sundial.AuditLog
		M = migrator
		C = closer
	)
	switch caps {
	case 0:
		return struct{ S }{st}
	case hasWatcher:
		return struct {
			S
			W
		}{st, w}
	case hasAuditLog:
		return struct {
			S
			A
		}{st, a}
	case hasWatcher | hasAuditLog:
		return struct {
			S
			W
			A
		}{st, w, a}
	case hasMigrate:
		return struct {
			S
			M
		}{st, m}
	case hasWatcher | hasMigrate:
		return struct {
			S
			W
			M
		}{st, w, m}
	case hasAuditLog | hasMigrate:
		return struct {
			S
			A
			M
		}{st, a, m}
	case hasWatcher | hasAuditLog | hasMigrate:
		return struct {
			S
			W
			A
			M
		}{st, w, a, m}
	case hasClose:
		return struct {
			S
			C
		}{st, c}
	case hasWatcher | hasClose:
		return struct {
			S
			W
			C
		}{st, w, c}
	case hasAuditLog | hasClose:
		return struct {
			S
			A
			C
		}{st, a, c}
	case hasWatcher | hasAuditLog | hasClose:
		return struct {
			S
			W
			A
			C
		}{st, w, a, c}
	case hasMigrate | hasClose:
		return struct {
			S
			M
			C
		}{st, m, c}
	case hasWatcher | hasMigrate | hasClose:
		return struct {
			S
			W
			M
			C
		}{st, w, m, c}
	case hasAuditLog | hasMigrate | hasClose:
		return struct {
			S
			A
			M
			C
		}{st, a, m, c}
	default: // all four
		return struct {
			S
			W
			A
			M
			C
		}{st, w, a, m, c}
	}
}
