package chaos

import (
	"fmt"
	"strings"
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
// failover bound bound (lease + poll + 1 s). A fire the lost node had
// claimed (its run id starts with lostPrefix, the node's run id prefix;
// when lostPrefix is empty, any fire due in [lostAt − limit, lostAt +
// bound]) may arrive late, as another node takes it over once the lease
// expires, but by lostAt + bound + limit; every other fire of [from, to)
// arrives within limit of its fire time.
func Failover(deliveries []Delivery, from, to, lostAt time.Time, bound, limit time.Duration, lostPrefix string) FailoverResult {
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
		if lostPrefix != "" {
			around = strings.HasPrefix(d.RunID, lostPrefix) && !d.Scheduled.After(lostAt.Add(bound))
		}
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

// RunPrefix is the run id prefix of a node's claims (run ids are a random
// per-process prefix and a sequence number: "3f9a0c1b2d4e-1k"), read from
// its run records; "" when it recorded none.
func RunPrefix(runs []RunRecord, node string) string {
	for _, r := range runs {
		if r.Node == node {
			if i := strings.LastIndexByte(r.ID, '-'); i > 0 {
				return r.ID[:i+1]
			}
		}
	}
	return ""
}

// NeverStarted lists the runs recorded interrupted that never reached the
// sink: fires a lost node had claimed, recorded as running and not started
// (or started so late before the loss that the request had not arrived),
// then given up instead of taken over.
func NeverStarted(runs []RunRecord, deliveries []Delivery, from, to time.Time) []RunRecord {
	arrived := map[string]bool{}
	for _, d := range deliveries {
		arrived[d.RunID] = true
	}
	var out []RunRecord
	for _, r := range runs {
		if r.Status == StatusInterrupted && !arrived[r.ID] && !r.ScheduledAt.Before(from) && r.ScheduledAt.Before(to) {
			out = append(out, r)
		}
	}
	return out
}
