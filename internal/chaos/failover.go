package chaos

import (
	"fmt"
	"time"
)

// FailoverResult is what Failover found.
type FailoverResult struct {
	// Late are the fires of the window that arrived more than the late
	// limit after their fire time.
	Late int
	// TakenOver are those of them due around the loss, which arrived by
	// the bound: the lost node's fires, taken over.
	TakenOver int
	// LastArrival is how long after the loss the latest of those arrived.
	LastArrival time.Duration
	// Violations describe late fires outside the allowance (up to 5).
	Violations []string
	violations int
}

// Count is the number of late fires outside the allowance.
func (f FailoverResult) Count() int { return f.violations }

// Failover checks lateness around the loss of a node at lostAt, with the
// failover bound bound (lease + poll + 1 s): a fire due in [lostAt − limit,
// lostAt + bound] may arrive late (the lost node had claimed it, and
// another takes it over once the lease expires) but by lostAt + bound +
// limit; every other fire of [from, to) arrives within limit of its fire
// time.
func Failover(deliveries []Delivery, from, to, lostAt time.Time, bound, limit time.Duration) FailoverResult {
	var r FailoverResult
	seen := map[fireKey]bool{}
	for _, d := range deliveries {
		k := keyOf(d.JobID, d.Scheduled)
		if d.Bad != "" || seen[k] || d.Scheduled.Before(from) || !d.Scheduled.Before(to) {
			continue
		}
		seen[k] = true
		if d.Lateness() <= limit {
			continue
		}
		r.Late++
		around := !d.Scheduled.Before(lostAt.Add(-limit)) && !d.Scheduled.After(lostAt.Add(bound))
		if around && !d.Arrived.After(lostAt.Add(bound+limit)) {
			r.TakenOver++
			r.LastArrival = max(r.LastArrival, d.Arrived.Sub(lostAt))
			continue
		}
		r.violations++
		if len(r.Violations) < 5 {
			r.Violations = append(r.Violations, fmt.Sprintf("%s fire %s arrived %s late, %s after the loss at %s",
				d.JobID, stamp(d.Scheduled), round(d.Lateness()), round(d.Arrived.Sub(lostAt)), clock(lostAt)))
		}
	}
	return r
}
