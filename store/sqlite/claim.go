package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// claimChunk bounds how many jobs one write transaction claims, so other
// processes (and this one's run updates) get the write lock between chunks
// of a large burst. Each job's claim is atomic on its own.
const claimChunk = 256

const (
	// activeCol counts a job's unfinished runs, on every node.
	activeCol = `(SELECT count(*) FROM sundial_runs r WHERE r.job_id = j.id AND r.status IN ('submitted', 'running'))`
	// Jobs that are not paused and have no next fire time, by id.
	qDueUnscheduled = `SELECT ` + jobCols + `, ` + activeCol + ` FROM sundial_jobs j
		WHERE paused = 0 AND next_run_time IS NULL AND id > ?
		ORDER BY id LIMIT ?`
	// Due jobs after the cursor (next_run_time, id), earliest first.
	qDue = `SELECT ` + jobCols + `, ` + activeCol + ` FROM sundial_jobs j
		WHERE paused = 0 AND next_run_time <= ? AND (next_run_time, id) > (?, ?)
		ORDER BY next_run_time, id LIMIT ?`
	qAdvance = `UPDATE sundial_jobs SET next_run_time = ?, version = version + 1 WHERE id = ?`
	qFinish  = `DELETE FROM sundial_jobs WHERE id = ?`
	qPark    = `UPDATE sundial_jobs SET paused = 1, version = version + 1 WHERE id = ?`
)

// claimCursor is where the next fetch of due jobs starts: first the
// unscheduled jobs by id, then the scheduled ones by (next_run_time, id).
type claimCursor struct {
	scheduled bool
	next      int64
	id        string
}

// JobClaimDue claims the due jobs, earliest first (unscheduled ones before
// all), at most p.Limit, in write transactions of up to 256 jobs. Each
// claim advances the job (or deletes a finished one) and records the
// decided runs in the transaction that called Decide for it.
//
// A row that cannot be read (say a trigger another program wrote badly) is
// not claimed: it is paused (paused = 1), so it stops being due without
// being lost, and logged at error level. Fix the row and set paused = 0 and
// next_run_time = NULL to bring it back.
//
// A decided run whose id or fire key is already recorded is not recorded
// again and is left out of the claim's runs (and logged), so it is not
// executed twice.
//
// When a transaction after the first fails, the claims already committed
// are returned with a nil error (and the failure logged): their runs are
// recorded and must be executed. A job is claimed at most once per call,
// even if its new next fire time is due too.
func (s *Store) JobClaimDue(ctx context.Context, p sundial.JobClaimDueParams) ([]sundial.Claim, error) {
	var (
		claims  []sundial.Claim
		cur     = claimCursor{next: math.MinInt64}
		claimed = map[string]bool{} // jobs claimed by this call, which are not claimed again in it
	)
	for {
		want := claimChunk
		if p.Limit > 0 {
			want = min(want, p.Limit-len(claims))
		}
		var (
			batch  []sundial.Claim
			next   claimCursor
			done   bool
			parked []parkedJob
			dups   []*sundial.Run
		)
		err := s.write(ctx, true, func(t *wtx) error {
			batch, next, parked, dups = nil, cur, nil, nil
			var err error
			done, err = s.claimChunk(t, p, want, &next, claimed, &batch, &parked, &dups)
			return err
		})
		if err != nil {
			parked, dups = nil, nil // rolled back
		}
		for _, j := range parked {
			s.log.Error("sqlite store: job cannot be read and was paused instead of claimed; fix its row, then set paused = 0",
				"job", j.id, "err", j.err)
		}
		for _, r := range dups {
			s.log.Warn("sqlite store: a claim decided a run that is already recorded; not recording or running it again",
				"job", r.JobID, "run", r.ID, "scheduled_at", r.ScheduledAt, "attempt", r.Attempt)
		}
		if err != nil {
			if len(claims) > 0 {
				// The earlier chunks are committed: hand them out, or
				// their submitted runs would wait for a reaper that never
				// comes (this node is alive). The next call reports it.
				s.log.Warn("sqlite store: claim stopped after a partial batch", "claimed", len(claims), "err", err)
				return claims, nil
			}
			if errors.Is(err, sundial.ErrLeaseLost) {
				return nil, fmt.Errorf("claim as node %q: %w", p.Node, err)
			}
			return nil, fmt.Errorf("claim due jobs: %w", err)
		}
		for _, c := range batch {
			claimed[c.Job.ID] = true
		}
		claims = append(claims, batch...)
		cur = next
		if done || (p.Limit > 0 && len(claims) >= p.Limit) {
			return claims, nil
		}
	}
}

type parkedJob struct {
	id  string
	err error
}

// claimChunk claims up to want jobs in tx, from cur on. It reports done
// when no due job is left after the cursor.
func (s *Store) claimChunk(t *wtx, p sundial.JobClaimDueParams, want int,
	cur *claimCursor, claimed map[string]bool, batch *[]sundial.Claim, parked *[]parkedJob, dups *[]*sundial.Run,
) (done bool, err error) {
	live, err := liveLease(t, p.Node, time.Now())
	if err != nil {
		return false, err
	}
	if !live {
		return false, sundial.ErrLeaseLost
	}
	now := p.Now.UnixMicro()
	seen := map[string]bool{} // claimed in this chunk
	handled := 0
	for handled < want {
		ask := want - handled
		rows, err := fetchDue(t, cur, now, ask)
		if err != nil {
			return false, err
		}
		for _, d := range rows {
			if d.row.next.Valid {
				cur.next = d.row.next.Int64
			}
			cur.id = d.row.id
			if claimed[d.row.id] || seen[d.row.id] {
				continue // claimed earlier in this call, and due again
			}
			handled++
			job, err := d.row.job(&s.triggers)
			if err != nil {
				if _, err := t.exec(qPark, d.row.id); err != nil {
					return false, err
				}
				*parked = append(*parked, parkedJob{d.row.id, err})
				continue
			}
			c, err := s.apply(t, job, p.Decide(job, d.active), dups)
			if err != nil {
				return false, err
			}
			seen[job.ID] = true
			*batch = append(*batch, c)
		}
		if len(rows) < ask {
			if cur.scheduled {
				return true, nil
			}
			*cur = claimCursor{scheduled: true, next: math.MinInt64}
		}
	}
	return false, nil
}

type dueRow struct {
	row    jobRow
	active int
}

func fetchDue(t *wtx, cur *claimCursor, now int64, limit int) ([]dueRow, error) {
	var rows *sql.Rows
	var err error
	if cur.scheduled {
		rows, err = t.query(qDue, now, cur.next, cur.id, limit)
	} else {
		rows, err = t.query(qDueUnscheduled, cur.id, limit)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dueRow
	for rows.Next() {
		var d dueRow
		if err := d.row.scan(rows, &d.active); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// apply writes one claim decision: the job advances or goes, the runs are
// recorded.
func (s *Store) apply(t *wtx, job *sundial.Job, d sundial.ClaimDecision, dups *[]*sundial.Run) (sundial.Claim, error) {
	var err error
	if d.Finished {
		_, err = t.exec(qFinish, job.ID)
	} else {
		_, err = t.exec(qAdvance, micros(d.NextRunTime), job.ID)
	}
	if err != nil {
		return sundial.Claim{}, err
	}
	runs := d.Runs[:0:0]
	for _, r := range d.Runs {
		ok, err := insertRun(t, r)
		if err != nil {
			return sundial.Claim{}, err
		}
		if !ok {
			*dups = append(*dups, r)
			continue
		}
		runs = append(runs, r)
	}
	return sundial.Claim{Job: job, Runs: runs, Finished: d.Finished}, nil
}
