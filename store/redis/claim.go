package redis

import (
	"context"
	"fmt"
	"strconv"

	"github.com/sundial-scheduler/sundial"
)

// Claim tuning: jobs read and applied per script call (bounding how long
// one script holds the server), times a job that changed between read and
// apply is decided again within one batch, and reads in a row that claim
// nothing because other claimers won every job before giving up.
const (
	claimChunk     = 256
	claimRedecides = 3
	claimIdleReads = 16
)

// dueJob is a due job as claim_read found it.
type dueJob struct {
	job     *sundial.Job
	active  int
	version string // the raw fields the apply step compares
	next    string
	paused  string
}

// JobClaimDue claims the jobs due at p.Now, earliest first (jobs waiting
// for their first fire time before all), at most p.Limit of them (no bound
// when Limit <= 0).
//
// Each job is claimed by two scripts with Decide in between: claim_read
// returns a batch of due jobs with their unfinished-run counts, and
// claim_apply advances (or deletes) each job and records its decided runs
// only if the job is still as read; otherwise the job is read and decided
// again. Both scripts check p.Node's lease by the Redis clock. A job whose
// stored fields do not decode is skipped, logged and parked (taken out of
// the due indexes until it is written again).
//
// If an error ends the call after some jobs were claimed, it is logged and
// those claims are returned with a nil error: their runs are recorded, so
// the caller must execute them.
func (s *Store) JobClaimDue(ctx context.Context, p sundial.JobClaimDueParams) ([]sundial.Claim, error) {
	var claims []sundial.Claim
	idle, skip := 0, 0
	for p.Limit <= 0 || len(claims) < p.Limit {
		n := claimChunk
		if p.Limit > 0 {
			n = min(n, p.Limit-len(claims))
		}
		due, err := s.claimRead(ctx, p, n, skip)
		if err != nil {
			return s.claimFailed(claims, err)
		}
		if len(due) == 0 {
			if skip > 0 {
				skip = 0 // nothing past the others' share: look at the head again
				continue
			}
			break
		}
		got, lost, err := s.claimBatch(ctx, p, due)
		claims = append(claims, got...)
		if err != nil {
			return s.claimFailed(claims, err)
		}
		// Jobs lost to other claimers mark the part of the due set they are
		// working through: pass over as many next time instead of racing
		// them for the same jobs again.
		skip += lost
		if len(got) == 0 && lost > 0 {
			if idle++; idle >= claimIdleReads {
				break
			}
		} else {
			idle = 0
		}
	}
	return claims, nil
}

// claimFailed ends a claim that failed after claims were made: they are
// recorded, so they are returned and the error only logged.
func (s *Store) claimFailed(claims []sundial.Claim, err error) ([]sundial.Claim, error) {
	if len(claims) == 0 {
		return nil, err
	}
	s.log.Warn("redis store: claim ended early; returning the jobs claimed so far", "claimed", len(claims), "err", err)
	return claims, nil
}

// claimRead reads up to n due jobs, passing over the earliest skip.
func (s *Store) claimRead(ctx context.Context, p sundial.JobClaimDueParams, n, skip int) ([]dueJob, error) {
	v, err := s.run(ctx, scClaimRead, "", p.Node, encTime(p.Now), n, skip)
	if err != nil {
		return nil, fmt.Errorf("claim due jobs: %w", err)
	}
	return s.decodeDue(ctx, v, p.Node)
}

// decodeDue decodes the reply of claim_read or claim_reread, parking the
// jobs that do not decode.
func (s *Store) decodeDue(ctx context.Context, v any, node string) ([]dueJob, error) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return nil, fmt.Errorf("claim due jobs: unexpected reply %v", v)
	}
	switch arr[0] {
	case "ok":
	case "leaselost":
		return nil, fmt.Errorf("claim as node %q: %w", node, sundial.ErrLeaseLost)
	case "noschema":
		return nil, fmt.Errorf("claim due jobs: %w", ErrNoSchema)
	default:
		return nil, fmt.Errorf("claim due jobs: unexpected reply %v", arr[0])
	}
	arr = arr[1:]
	if len(arr)%3 != 0 {
		return nil, fmt.Errorf("claim due jobs: reply of %d elements", len(arr))
	}
	due := make([]dueJob, 0, len(arr)/3)
	for i := 0; i < len(arr); i += 3 {
		id, _ := arr[i].(string)
		active, _ := arr[i+1].(int64)
		h, err := fieldMap(arr[i+2])
		if err != nil {
			return nil, fmt.Errorf("claim due jobs: job %s: %w", id, err)
		}
		job, err := decodeJob(id, h)
		if err != nil {
			s.park(ctx, id, h["version"], err)
			continue
		}
		due = append(due, dueJob{job: job, active: int(active), version: strconv.FormatInt(job.Version, 10), next: h["next_run_time"], paused: h["paused"]})
	}
	return due, nil
}

// claimApplyArgs bounds the arguments of one claim_apply call: a batch
// whose decisions record many runs (a backlog recorded as missed) is
// applied in several calls, each job whole in one of them.
const claimApplyArgs = 32 << 10

// claimBatch decides and applies a batch of due jobs, deciding again (up to
// claimRedecides times) those that changed since they were read. lost
// counts the jobs given up because they changed (claimed by others, most
// likely); jobs deleted meanwhile are not counted.
func (s *Store) claimBatch(ctx context.Context, p sundial.JobClaimDueParams, due []dueJob) (claims []sundial.Claim, lost int, err error) {
	for round := 1; len(due) > 0; round++ {
		var again []any
		for len(due) > 0 {
			// Decide jobs until the arguments fill one call.
			decisions := make([]sundial.ClaimDecision, 0, len(due))
			var jobArgs []any
			n := 0
			for n < len(due) && (n == 0 || len(jobArgs) < claimApplyArgs) {
				d := due[n]
				dec := p.Decide(d.job, d.active)
				decisions = append(decisions, dec)
				jobArgs = append(jobArgs, d.job.ID, d.version, strconv.Itoa(d.active), d.next, d.paused,
					encBool(dec.Finished), encTime(dec.NextRunTime), strconv.Itoa(len(dec.Runs)))
				for _, r := range dec.Runs {
					jobArgs = runArgs(jobArgs, r)
				}
				n++
			}
			got, conflicts, err := s.claimApply(ctx, p.Node, due[:n], decisions, jobArgs)
			claims = append(claims, got...)
			if err != nil {
				return claims, lost, err
			}
			again = append(again, conflicts...)
			due = due[n:]
		}
		if len(again) == 0 {
			break
		}
		if round == claimRedecides {
			lost += len(again)
			break
		}
		v, err := s.run(ctx, scClaimReread, "", append([]any{encTime(p.Now)}, again...)...)
		if err != nil {
			return claims, lost, fmt.Errorf("claim due jobs: %w", err)
		}
		if due, err = s.decodeDue(ctx, v, p.Node); err != nil {
			return claims, lost, err
		}
		lost += len(again) - len(due)
	}
	return claims, lost, nil
}

// claimApply applies the decisions for due in one claim_apply call and
// returns the claims made and the ids of the jobs that changed since they
// were read.
func (s *Store) claimApply(ctx context.Context, node string, due []dueJob, decisions []sundial.ClaimDecision, jobArgs []any) (claims []sundial.Claim, conflicts []any, err error) {
	res, err := s.write(ctx, scClaimApply, append([]any{node, strconv.Itoa(len(due))}, jobArgs...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("claim due jobs: %w", err)
	}
	if res[0] == "leaselost" {
		return nil, nil, fmt.Errorf("claim as node %q: %w", node, sundial.ErrLeaseLost)
	}
	rest := res[1:]
	for i, d := range due {
		if len(rest) < 3 || rest[0] != d.job.ID {
			return claims, conflicts, fmt.Errorf("claim due jobs: unexpected reply %q", res)
		}
		status := rest[1]
		n, _ := strconv.Atoi(rest[2])
		if len(rest) < 3+n {
			return claims, conflicts, fmt.Errorf("claim due jobs: unexpected reply %q", res)
		}
		seqs := rest[3 : 3+n]
		rest = rest[3+n:]
		switch status {
		case "ok":
			dec := decisions[i]
			if n != len(dec.Runs) {
				return claims, conflicts, fmt.Errorf("claim due jobs: reply for job %s has %d runs, want %d", d.job.ID, n, len(dec.Runs))
			}
			runs := dec.Runs[:0:0]
			for k, r := range dec.Runs {
				seq, _ := strconv.ParseInt(seqs[k], 10, 64)
				if seq == 0 {
					s.log.Warn("redis store: a claim decided a run that is already recorded; not recorded again",
						"job", d.job.ID, "run", r.ID, "scheduled_at", r.ScheduledAt, "attempt", r.Attempt)
					continue
				}
				r.Seq = seq
				runs = append(runs, r)
			}
			claims = append(claims, sundial.Claim{Job: d.job, Runs: runs, Finished: dec.Finished})
		case "conflict":
			conflicts = append(conflicts, d.job.ID)
		}
		// gone: deleted meanwhile
	}
	return claims, conflicts, nil
}
