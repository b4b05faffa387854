package sundial

import (
	"errors"
	"sync/atomic"
	"time"
)

// doubt remembers that a store call which records runs under this node's
// id (a claim, a reap on a store that takes runs in the call, a retry's or
// a run-now's insert) got no answer: the store may have applied it, and
// left runs submitted to this node that it never learnt of. No other node
// takes them while this one is live, unless it has live peers (see
// staleAfter); alone, it would hold them for good, and their jobs'
// max_instances with them. While in doubt, this node's reaps also take its
// own runs left submitted longer than staleAfter (RunReapParams.OwnStale).
// A run it does hold may be taken too; then the copy that records its start
// first runs, and the store refuses the other's start (Store.RunUpdate
// fences starts), so a run still starts once.
type doubt struct {
	// at is when (this node's clock, Unix ns) the last such call ended
	// without an answer; 0 when none is pending.
	at atomic.Int64
}

// noteDoubt records that a call which may have recorded runs under this
// node's id failed with err without a definite answer. Refusals that
// change nothing (a lapsed lease, a duplicate, max_instances) are not
// doubt.
func (s *Scheduler) noteDoubt(err error) {
	if err == nil || errors.Is(err, ErrLeaseLost) || errors.Is(err, ErrDuplicateRun) ||
		errors.Is(err, ErrMaxInstances) || errors.Is(err, ErrJobNotFound) {
		return
	}
	s.doubt.at.Store(s.clock.Now().UnixNano())
}

// doubtSince returns the time of the pending doubt (0 if none), for a reap
// that then takes this node's own stale runs too.
func (s *Scheduler) doubtSince() int64 { return s.doubt.at.Load() }

// settleDoubt ends the doubt noted at since, if no newer one was noted,
// once a reap that began at began took every own stale run: one that began
// at least staleAfter (plus a store call's bound, the latest a doubtful
// call could have been applied) after the doubt, and reached every store.
func (s *Scheduler) settleDoubt(since int64, began time.Time) {
	if since == 0 || began.UnixNano() < since+int64(s.staleAfter()+s.cfg.StoreTimeout) {
		return
	}
	if s.doubt.at.CompareAndSwap(since, 0) {
		s.log.Info("runs this node may have left submitted are all taken back")
	}
}
