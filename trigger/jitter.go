package trigger

import (
	"math/rand/v2"
	"time"
)

// ApplyJitter returns fire delayed by a random amount drawn from r, uniform
// in [0, t.Jitter()), for the scheduler to use as the run's start time. The
// delay is capped so the jittered time stays strictly before the trigger's
// following fire time (APScheduler 4's rule) and, for triggers with an end
// date, not after it. Triggers stay pure: the caller owns r, so a seeded
// source gives reproducible schedules.
func ApplyJitter(t Trigger, fire time.Time, r *rand.Rand) time.Time {
	j := t.Jitter()
	if j <= 0 || r == nil {
		return fire
	}
	limit := j
	if next, ok := t.Next(fire); ok {
		if gap := next.Sub(fire) - time.Microsecond; gap < limit {
			limit = gap
		}
	}
	var end time.Time
	switch t := t.(type) {
	case *CronTrigger:
		end = t.end
	case *IntervalTrigger:
		end = t.end
	}
	if !end.IsZero() {
		if gap := end.Sub(fire); gap < limit {
			limit = gap
		}
	}
	if limit <= 0 {
		return fire
	}
	return fire.Add(time.Duration(r.Int64N(int64(limit))))
}
