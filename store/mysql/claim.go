package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// JobClaimDue claims the jobs due at p.Now, earliest first (jobs without a
// next fire time before all), at most p.Limit, in transactions of at most
// Options.ClaimChunk jobs. Each transaction checks p.Node's lease, locks
// due rows with FOR UPDATE SKIP LOCKED (so concurrent claimers take other
// jobs instead of waiting), locks the jobs' run counts, calls p.Decide, and
// advances or deletes the jobs and records the decided runs before it
// commits. After a deadlock it runs again, calling Decide again.
//
// A row that cannot be decoded (say a trigger written by another program
// that does not parse) is parked: paused in the same transaction, so it
// neither blocks the jobs behind it nor keeps the scheduler awake, and
// logged at error level. Fix the row and set paused = 0 to resume it.
//
// A decided run whose fire key (or id) is already recorded is not recorded
// again: it is dropped from the claim, logged, and the job still advances.
func (s *Store) JobClaimDue(ctx context.Context, p sundial.JobClaimDueParams) ([]sundial.Claim, error) {
	var claims []sundial.Claim
	for {
		n := s.opts.ClaimChunk
		if p.Limit > 0 {
			n = min(n, p.Limit-len(claims))
		}
		if n <= 0 {
			return claims, nil
		}
		var (
			chunk    []sundial.Claim
			selected int
			careful  bool
			err      error
		)
		for {
			err = s.inTx(ctx, func(tx *sql.Tx) error {
				var err error
				chunk, selected, err = s.claimChunk(ctx, tx, p, n, careful)
				return err
			})
			if isDuplicate(err) && !careful {
				// A decided run was recorded before: claim again, this
				// time leaving out runs that are already there.
				careful = true
				continue
			}
			break
		}
		if err != nil {
			if len(claims) > 0 {
				// The earlier chunks are committed: hand them out, or
				// their submitted runs would never run. The next call
				// meets the error again if it lasts.
				s.log.Warn("claim stopped early", "node", p.Node, "claimed", len(claims), "err", err)
				return claims, nil
			}
			return nil, fmt.Errorf("claim due jobs: %w", err)
		}
		claims = append(claims, chunk...)
		if selected < n {
			return claims, nil
		}
	}
}

// claimChunk claims up to n due jobs in tx. selected counts the rows it
// locked, claimed or parked.
func (s *Store) claimChunk(ctx context.Context, tx *sql.Tx, p sundial.JobClaimDueParams, n int, careful bool) (claims []sundial.Claim, selected int, err error) {
	if err := checkLease(ctx, tx, p.Node); err != nil {
		return nil, 0, err
	}
	rows, err := tx.QueryContext(ctx, "SELECT "+jobColumns+" FROM sundial_jobs "+
		"WHERE paused = 0 AND (next_run_time IS NULL OR next_run_time <= ?) "+
		"ORDER BY next_run_time, id LIMIT ? FOR UPDATE SKIP LOCKED", dbTime(p.Now), n)
	if err != nil {
		return nil, 0, err
	}
	var jobs []*sundial.Job
	var broken []any
	for rows.Next() {
		selected++
		r, err := scanJobRow(rows)
		if err != nil {
			rows.Close()
			return nil, 0, err
		}
		j, err := r.job()
		if err != nil {
			s.log.Error("job parked (paused): its row cannot be read; fix it and set paused = 0", "job", r.id, "err", err)
			broken = append(broken, r.id)
			continue
		}
		jobs = append(jobs, j)
	}
	if err := rows.Close(); err != nil {
		return nil, 0, err
	}
	if len(broken) > 0 {
		if _, err := tx.ExecContext(ctx, "UPDATE sundial_jobs SET paused = 1, version = version + 1 WHERE id IN ("+
			placeholders(len(broken))+")", broken...); err != nil {
			return nil, 0, err
		}
	}
	if len(jobs) == 0 {
		return nil, selected, nil
	}

	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	if err := lockJobs(ctx, tx, ids); err != nil {
		return nil, 0, err
	}
	active, err := activeRuns(ctx, tx, ids)
	if err != nil {
		return nil, 0, err
	}

	claims = make([]sundial.Claim, 0, len(jobs))
	var runs []*sundial.Run
	var done []any
	var next strings.Builder
	var nextArgs, nextIDs []any
	for _, j := range jobs {
		d := p.Decide(j, active[j.ID])
		claims = append(claims, sundial.Claim{Job: j, Runs: d.Runs, Finished: d.Finished})
		runs = append(runs, d.Runs...)
		if d.Finished {
			done = append(done, j.ID)
			continue
		}
		next.WriteString(" WHEN ? THEN ?")
		nextArgs = append(nextArgs, j.ID, dbTime(d.NextRunTime))
		nextIDs = append(nextIDs, j.ID)
	}
	// The rows are locked by this transaction since the SELECT, so one
	// statement advances them all; the count check guards that promise.
	if len(nextIDs) > 0 {
		res, err := tx.ExecContext(ctx, "UPDATE sundial_jobs SET next_run_time = CASE id"+next.String()+
			" END, version = version + 1 WHERE id IN ("+placeholders(len(nextIDs))+")", append(nextArgs, nextIDs...)...)
		if err := expectRows(res, err, len(nextIDs)); err != nil {
			return nil, 0, fmt.Errorf("advance claimed jobs: %w", err)
		}
	}
	if len(done) > 0 {
		res, err := tx.ExecContext(ctx, "DELETE FROM sundial_jobs WHERE id IN ("+placeholders(len(done))+")", done...)
		if err := expectRows(res, err, len(done)); err != nil {
			return nil, 0, fmt.Errorf("remove finished jobs: %w", err)
		}
	}
	if careful {
		if runs, err = s.dropRecorded(ctx, tx, claims, runs); err != nil {
			return nil, 0, err
		}
	}
	if len(runs) > 0 {
		if err := insertRuns(ctx, tx, runs); err != nil {
			return nil, 0, err
		}
	}
	return claims, selected, nil
}

// expectRows checks that a statement matched want rows.
func expectRows(res sql.Result, err error, want int) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != int64(want) {
		return fmt.Errorf("%d of %d locked rows matched", n, want)
	}
	return nil
}

// dropRecorded removes from the claims (and returns runs without) the
// decided runs whose id or fire key is already recorded.
func (s *Store) dropRecorded(ctx context.Context, tx *sql.Tx, claims []sundial.Claim, runs []*sundial.Run) ([]*sundial.Run, error) {
	if len(runs) == 0 {
		return runs, nil
	}
	type fireKey struct {
		job     string
		at      time.Time
		attempt int
	}
	var args []any
	for _, r := range runs {
		args = append(args, r.ID)
	}
	for _, r := range runs {
		args = append(args, r.JobID, dbTime(r.ScheduledAt), r.Attempt)
	}
	rows, err := tx.QueryContext(ctx, "SELECT id, job_id, scheduled_at, attempt FROM sundial_runs WHERE id IN ("+
		placeholders(len(runs))+") OR (job_id, scheduled_at, attempt) IN ("+
		strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(runs)), ", ")+")", args...)
	if err != nil {
		return nil, err
	}
	ids, keys := map[string]bool{}, map[fireKey]bool{}
	for rows.Next() {
		var id string
		var k fireKey
		if err := rows.Scan(&id, &k.job, &k.at, &k.attempt); err != nil {
			rows.Close()
			return nil, err
		}
		k.at = k.at.UTC()
		ids[id], keys[k] = true, true
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	recorded := func(r *sundial.Run) bool {
		k := fireKey{r.JobID, r.ScheduledAt.UTC().Truncate(time.Microsecond), r.Attempt}
		if ids[r.ID] || keys[k] {
			s.log.Warn("claimed fire already recorded: not recorded or run again", "job", r.JobID, "run", r.ID,
				"scheduled_at", r.ScheduledAt, "attempt", r.Attempt)
			return true
		}
		// A decision may hold the same fire twice; keep the first.
		ids[r.ID], keys[k] = true, true
		return false
	}
	var kept []*sundial.Run
	for i := range claims {
		var mine []*sundial.Run
		for _, r := range claims[i].Runs {
			if !recorded(r) {
				mine = append(mine, r)
				kept = append(kept, r)
			}
		}
		claims[i].Runs = mine
	}
	return kept, nil
}
