package main

import (
	"slices"
	"sync/atomic"
	"time"
)

// recorder is what every peer's job handler calls, at the same cost for
// all: it reads the clock, counts the fire and stores its lateness (actual
// start minus scheduled time) in a preallocated slot, with atomics only.
//
// Sundial hands its handler the scheduled time (RunContext.ScheduledAt).
// The peers do not, so for them the scheduled time is inferred from the
// job's plan: the one fire time of a one-shot, the whole second of a
// job firing every second, today's time of a daily job. Inferred times
// assume a fire is less than one period late.
type recorder struct {
	// infer returns the scheduled time of a fire of job i that started at
	// now, for peers that do not say it.
	infer func(i int, now time.Time) time.Time

	fires atomic.Int64
	late  []atomic.Int64 // nanoseconds, in order of arrival
	next  atomic.Int64   // next free index in late

	// Per job and per whole second counts (the steady scenario): slot k of
	// job i counts the fires scheduled at t0 + k seconds.
	t0     time.Time
	nslots int
	counts []atomic.Uint32
}

// newRecorder returns a recorder with room for the lateness of capacity
// fires; later ones are counted but not stored.
func newRecorder(capacity int, infer func(i int, now time.Time) time.Time) *recorder {
	return &recorder{infer: infer, late: make([]atomic.Int64, capacity)}
}

// withSlots makes the recorder count fires per job and second: n jobs,
// nslots seconds from t0. Fires scheduled outside those seconds are
// counted in fires only.
func (r *recorder) withSlots(n, nslots int, t0 time.Time) *recorder {
	r.t0, r.nslots = t0, nslots
	r.counts = make([]atomic.Uint32, n*nslots)
	return r
}

// hit records a fire of job i; sched is its scheduled time, or zero to
// infer it.
func (r *recorder) hit(i int, sched time.Time) {
	now := time.Now()
	if sched.IsZero() {
		sched = r.infer(i, now)
	}
	r.fires.Add(1)
	if r.nslots > 0 {
		k := r.slot(sched)
		if k < 0 || k >= r.nslots || i < 0 || i*r.nslots >= len(r.counts) {
			return
		}
		r.counts[i*r.nslots+k].Add(1)
	}
	if j := r.next.Add(1) - 1; j < int64(len(r.late)) {
		r.late[j].Store(int64(now.Sub(sched)))
	}
}

// slot returns the whole second after t0 that sched falls in (-1 before
// t0).
func (r *recorder) slot(sched time.Time) int {
	d := sched.Sub(r.t0)
	if d < 0 {
		return -1
	}
	return int(d / time.Second)
}

// everySecondSched is the inferred schedule of a job firing every whole
// second from t0: the whole second the fire started in.
func everySecondSched(t0 time.Time) func(int, time.Time) time.Time {
	return func(_ int, now time.Time) time.Time {
		d := now.Sub(t0)
		if d < 0 {
			return t0
		}
		return t0.Add(d.Truncate(time.Second))
	}
}

// lateness returns the stored lateness values, sorted.
func (r *recorder) lateness() []time.Duration {
	n := min(r.next.Load(), int64(len(r.late)))
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(r.late[i].Load())
	}
	slices.Sort(out)
	return out
}

// slotCounts returns, over every job and slot, how many were never fired
// and how many extra fires there were.
func (r *recorder) slotCounts() (missed, duplicated int64) {
	for i := range r.counts {
		switch c := r.counts[i].Load(); {
		case c == 0:
			missed++
		case c > 1:
			duplicated += int64(c - 1)
		}
	}
	return missed, duplicated
}

// quantile returns the q-quantile of sorted durations (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
