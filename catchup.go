package sundial

import (
	"time"

	"github.com/sundial-scheduler/sundial/trigger"
)

// CatchUp is what one wake-up of the scheduler does with one job: which of
// its due fire times run, which are missed, and the job's next fire time. It
// is APScheduler 3.x's rule, exactly (testdata/conformance/catchup.jsonl):
//
//  1. If nextRun is after now nothing is due.
//  2. The due times are nextRun and then each following fire time of the
//     trigger while it is not after now.
//  3. With coalesce only the last due time is kept; the earlier ones are
//     folded into it (counted in Coalesced, neither run nor missed).
//  4. A kept time later than now by strictly more than the grace time is
//     missed; a nil grace never misses.
//  5. The next fire time follows the last kept time; none means the
//     trigger is finished.
type CatchUp struct {
	// Run are the due fire times to run, oldest first.
	Run []time.Time
	// Missed are the due fire times too late to run, oldest first.
	Missed []time.Time
	// Coalesced counts the due times folded into the last one.
	Coalesced int
	// Next is the job's next fire time; valid only when HasNext.
	Next    time.Time
	HasNext bool
}

// maxBacklog bounds the due times CatchUp lists when a job does not
// coalesce; further ones are counted as coalesced instead of listed, so a
// long outage of a frequent job cannot exhaust memory.
const maxBacklog = 10_000

// ComputeCatchUp applies the catch-up rule to a job whose stored next fire
// time is nextRun, at time now. grace nil means no misfire limit.
func ComputeCatchUp(t trigger.Trigger, coalesce bool, grace *time.Duration, nextRun, now time.Time) CatchUp {
	if nextRun.After(now) {
		return CatchUp{Next: nextRun, HasNext: true}
	}
	var due []time.Time
	last, dueCount := nextRun, 1
	if !coalesce {
		due = append(due, nextRun)
	}
	next, ok := t.Next(nextRun)
	for ok && !next.After(now) {
		last = next
		dueCount++
		if !coalesce && len(due) < maxBacklog {
			due = append(due, next)
		}
		next, ok = t.Next(next)
	}
	var c CatchUp
	if coalesce {
		due = []time.Time{last}
		c.Coalesced = dueCount - 1
	} else {
		c.Coalesced = dueCount - len(due)
	}
	for _, d := range due {
		if grace != nil && now.Sub(d) > *grace {
			c.Missed = append(c.Missed, d)
		} else {
			c.Run = append(c.Run, d)
		}
	}
	c.Next, c.HasNext = next, ok
	return c
}
