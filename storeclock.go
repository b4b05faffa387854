package sundial

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// StoreClockMode says whether a scheduler follows its stores' clocks
// (Config.StoreClock).
//
// Nodes sharing a store need not agree on the time: the store's clock is
// the cluster's. Leases were always judged by it; with the store clock
// followed, due-ness is too. Each heartbeat measures the offset of a
// store's clock from the scheduler's Clock, and then every time the
// scheduler compares with or writes into a store is that store's time,
// Clock plus the offset:
//
//   - the now of claims (JobClaimDue), and so of catch-up, misfire
//     lateness and max_instances decisions;
//   - the run times it records (CreatedAt, StartedAt, FinishedAt), a run
//     now's fire time, a job's CreatedAt, UpdatedAt and first fire time,
//     RunReap's Now and the retention cut-off;
//   - fire times read back from a store (JobNextFireTime) and the start
//     times of jittered and retried runs, which become timers on this
//     node's clock by subtracting the offset again.
//
// Scheduler.Now, events and this node's StartedAt stay on Clock.
type StoreClockMode int

const (
	// StoreClockAuto follows the stores' clocks when Config.Clock is nil
	// (the system clock) and not when a Clock is injected.
	StoreClockAuto StoreClockMode = iota
	// StoreClockOn follows the stores' clocks whatever the Clock.
	StoreClockOn
	// StoreClockOff judges everything by Clock alone, as if every
	// store's clock agreed with it.
	StoreClockOff
)

const (
	// clockBounds is how many heartbeats' measurements a store's clock
	// estimate keeps: about 80 s of them with the default lease.
	clockBounds = 8
	// maxClockRTT drops heartbeats slower than this: their measurement is
	// too loose to improve on the one kept.
	maxClockRTT = time.Second
	// clockSlack is the precision of the times stores report (microseconds
	// at worst, with room to spare).
	clockSlack = time.Millisecond
	// clockWarn is the offset from which the scheduler warns that this
	// node's clock (or the store's) is off.
	clockWarn = time.Second
	// maxClockOffset bounds the offset the scheduler follows. A larger one
	// more likely comes from a store reporting times in the wrong zone
	// than from a clock that is wrong by so much; it is logged as an
	// error and not followed.
	maxClockOffset = time.Hour
)

// clockBound is what one heartbeat tells of a store's clock: the store read
// its now (storeNow) while the call lasted, between this node's before and
// after, so its offset (store minus node) lies within [lo, hi].
type clockBound struct{ lo, hi time.Duration }

func boundOf(before, storeNow, after time.Time) clockBound {
	return clockBound{lo: storeNow.Sub(after), hi: storeNow.Sub(before)}
}

// width is the heartbeat's round trip: the measurement's uncertainty.
func (b clockBound) width() time.Duration { return b.hi - b.lo }

// overlaps reports whether two measurements can both hold (up to the
// stores' precision).
func (b clockBound) overlaps(o clockBound) bool {
	return b.lo <= o.hi+clockSlack && o.lo <= b.hi+clockSlack
}

// clockEstimate keeps the recent measurements of one store's clock and
// estimates its offset from them: the narrowest of the last clockBounds
// measurements wins, and a measurement that contradicts it (no overlap)
// means a clock was stepped, so the older ones are dropped. The estimate is
// the low end of the winner, never above the store's true offset, so a
// fire is never claimed before the store's clock reaches it (it may be late
// by up to one round trip). A measurement that contains zero means the
// clocks agree as closely as can be measured (a store on this host, the
// memory store): the estimate is then exactly zero.
type clockEstimate struct {
	bounds []clockBound // oldest first
}

// add records one measurement; ill-formed and slow ones are ignored.
func (e *clockEstimate) add(b clockBound) {
	if w := b.width(); w < 0 || w > maxClockRTT {
		return
	}
	if best, ok := e.best(); ok && !best.overlaps(b) {
		e.bounds = e.bounds[:0]
	}
	if len(e.bounds) == clockBounds {
		e.bounds = append(e.bounds[:0], e.bounds[1:]...)
	}
	e.bounds = append(e.bounds, b)
}

// best is the narrowest measurement kept, the newest of equals.
func (e *clockEstimate) best() (clockBound, bool) {
	if len(e.bounds) == 0 {
		return clockBound{}, false
	}
	best := e.bounds[0]
	for _, b := range e.bounds[1:] {
		if b.width() <= best.width() {
			best = b
		}
	}
	return best, true
}

// offset is the estimated offset of the store's clock; zero without a
// measurement.
func (e *clockEstimate) offset() time.Duration {
	b, ok := e.best()
	if !ok || (b.lo-clockSlack <= 0 && b.hi+clockSlack >= 0) {
		return 0
	}
	return b.lo
}

// storeClock is the scheduler's view of one store's clock.
type storeClock struct {
	off atomic.Int64 // the offset followed, in nanoseconds

	mu       sync.Mutex
	est      clockEstimate
	reported time.Duration // the estimate last logged (0: none, or agreed)
}

func (c *storeClock) offset() time.Duration { return time.Duration(c.off.Load()) }

// newStoreClocks returns one storeClock per store, or nil when cfg does
// not follow the stores' clocks.
func newStoreClocks(cfg Config, names []string) map[string]*storeClock {
	if cfg.StoreClock != StoreClockOn {
		return nil
	}
	m := make(map[string]*storeClock, len(names))
	for _, name := range names {
		m[name] = new(storeClock)
	}
	return m
}

// clockOf is the clock of the named store; unknown names are the default
// store (as for jobs, see storeKey); nil when store clocks are not
// followed.
func (s *Scheduler) clockOf(name string) *storeClock {
	if s.clocks == nil {
		return nil
	}
	if c, ok := s.clocks[name]; ok {
		return c
	}
	return s.clocks[DefaultStore]
}

// toStore converts a time of this node's Clock into the named store's time.
func (s *Scheduler) toStore(name string, t time.Time) time.Time {
	if c := s.clockOf(name); c != nil {
		return t.Add(c.offset())
	}
	return t
}

// toLocal converts a time of the named store (a fire time, a delayed
// start) into this node's Clock, for timers. The zero time stays zero.
func (s *Scheduler) toLocal(name string, t time.Time) time.Time {
	if c := s.clockOf(name); c != nil && !t.IsZero() {
		return t.Add(-c.offset())
	}
	return t
}

// storeNow is the named store's time now, as this node estimates it.
func (s *Scheduler) storeNow(name string) time.Time { return s.toStore(name, s.clock.Now()) }

// StoreNow returns the time by the named store's clock (the default
// store's for an unknown name) as the scheduler goes by it: Now plus the
// store's offset (see StoreClockMode), or Now when the scheduler does not
// follow the stores' clocks. Fire times of jobs in that store count from it.
func (s *Scheduler) StoreNow(name string) time.Time { return s.storeNow(name) }

// StoreClockOffset returns how far the named store's clock is ahead of the
// scheduler's Clock (negative: behind) as the scheduler follows it: zero
// when it does not follow the stores' clocks (Config.StoreClock), before
// the first heartbeat, and for an unknown store name.
func (s *Scheduler) StoreClockOffset(name string) time.Duration {
	if _, ok := s.stores[name]; !ok {
		return 0
	}
	if c := s.clockOf(name); c != nil {
		return c.offset()
	}
	return 0
}

// observeClock takes one heartbeat's measurement of a store's clock: the
// store reported storeNow for a call made between before and after (read
// from Clock). It updates the offset followed and logs when it crosses
// clockWarn or maxClockOffset, once per change.
func (s *Scheduler) observeClock(name string, before, storeNow, after time.Time) {
	c := s.clockOf(name)
	if c == nil || storeNow.IsZero() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.est.add(boundOf(before, storeNow, after))
	off := c.est.offset()
	follow := off
	if off.Abs() > maxClockOffset {
		follow = 0
	}
	c.off.Store(int64(follow))
	prev := c.reported
	switch {
	case off.Abs() > clockWarn && (off-prev).Abs() > clockWarn:
		level, msg := slog.LevelWarn, "node clock differs from the store's: following the store's"
		if follow != off {
			level, msg = slog.LevelError, "node clock differs from the store's by more than can be followed: check both clocks and the store's time zone"
		}
		s.log.Log(context.Background(), level, msg, "store", name, "node", s.cfg.NodeID,
			"store_ahead_by", off.Round(time.Millisecond), "bound", maxClockOffset)
		c.reported = off
	case off.Abs() <= clockWarn && prev != 0:
		s.log.Info("node clock agrees with the store's again", "store", name, "node", s.cfg.NodeID,
			"store_ahead_by", off.Round(time.Millisecond))
		c.reported = 0
	}
}
