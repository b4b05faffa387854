package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sundial-scheduler/sundial"
)

const (
	// leaseSQL tells whether a node holds a live lease by the database
	// clock. clock_timestamp() (not now()) so a long transaction does not
	// judge with the time it began.
	leaseSQL = `SELECT EXISTS (SELECT 1 FROM sundial_nodes WHERE id = $1 AND lease_until > clock_timestamp())`

	// dueSQL locks the earliest due jobs, those without a next fire time
	// first. SKIP LOCKED: rows another claimer holds are its to claim.
	dueSQL = `SELECT ` + jobColumns + ` FROM sundial_jobs
		WHERE NOT paused AND COALESCE(next_run_time, '-infinity'::timestamptz) <= $1
		ORDER BY COALESCE(next_run_time, '-infinity'::timestamptz), id
		LIMIT $2
		FOR UPDATE SKIP LOCKED`

	// jobLockSQL takes the per-job advisory locks that serialize counting a
	// job's unfinished runs with recording new ones (claims and RunInsert
	// with a max_instances bound), in key order so that claimers never
	// deadlock each other.
	jobLockSQL = `SELECT count(pg_advisory_xact_lock(k)) FROM (
		SELECT hashtextextended('sundial:job:' || id, 0) AS k FROM unnest($1::text[]) AS id ORDER BY 1) AS keys`

	// activeSQL counts the unfinished runs of jobs, across every node.
	activeSQL = `SELECT job_id, count(*) FROM sundial_runs
		WHERE job_id = ANY($1) AND status IN ('submitted', 'running') GROUP BY job_id`

	advanceSQL = `UPDATE sundial_jobs AS j SET next_run_time = u.next, version = j.version + 1
		FROM unnest($1::text[], $2::timestamptz[]) AS u(id, next) WHERE j.id = u.id`
	finishSQL = `DELETE FROM sundial_jobs WHERE id = ANY($1)`
	parkSQL   = `UPDATE sundial_jobs SET paused = true, version = version + 1 WHERE id = ANY($1)`

	// runInsertManySQL records runs from arrays, one per column.
	runInsertManySQL = `INSERT INTO sundial_runs (` + runWriteColumns + `)
		SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::int[], $5::text[], $6::text[],
			$7::bool[], $8::int[], $9::text[], $10::bool[], $11::timestamptz[], $12::timestamptz[],
			$13::timestamptz[], $14::text[], $15::text[])
		RETURNING id, seq`
	// runInsertNewSQL leaves out a run whose id or fire key is already
	// recorded (ON CONFLICT DO NOTHING): that fire was taken before, so it
	// must not run again. It costs more per row than runInsertManySQL, so
	// a claim uses it only after a unique violation.
	runInsertNewSQL = `INSERT INTO sundial_runs (` + runWriteColumns + `)
		SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::int[], $5::text[], $6::text[],
			$7::bool[], $8::int[], $9::text[], $10::bool[], $11::timestamptz[], $12::timestamptz[],
			$13::timestamptz[], $14::text[], $15::text[])
		ON CONFLICT DO NOTHING
		RETURNING id, seq`
)

// JobClaimDue claims the due jobs, earliest first, at most p.Limit (every
// due job when p.Limit <= 0), in transactions of at most
// Options.ClaimBatch jobs; see the package documentation. A job row that
// does not decode (a trigger Sundial rejects, written by another program)
// is parked: it is paused, logged and left out, so it neither blocks the
// jobs behind it nor keeps the scheduler awake.
//
// A decided run whose id or fire key is already recorded is not recorded
// again and is left out of the claim (and logged): that fire was taken.
//
// Once one transaction has committed, a later one that fails does not
// fail the call: the claims made so far are returned (their runs are
// recorded and must be executed) and the error is logged.
func (s *Store) JobClaimDue(ctx context.Context, p sundial.JobClaimDueParams) ([]sundial.Claim, error) {
	var claims []sundial.Claim
	for {
		n := s.opts.ClaimBatch
		if p.Limit > 0 {
			n = min(n, p.Limit-len(claims))
		}
		var (
			batch []sundial.Claim
			full  bool
		)
		err := s.retry(ctx, func(ctx context.Context) error {
			var err error
			batch, full, err = s.claimBatch(ctx, p, n, false)
			if isUniqueViolation(err) {
				// A decided run's fire is recorded already: claim again
				// (Decide may run twice), leaving such runs out.
				batch, full, err = s.claimBatch(ctx, p, n, true)
			}
			return err
		})
		if err != nil {
			if len(claims) > 0 {
				s.log.Warn("sundial: claim stopped after a committed batch", "claimed", len(claims), "err", err)
				return claims, nil
			}
			return nil, fmt.Errorf("claim due jobs as node %q: %w", p.Node, err)
		}
		claims = append(claims, batch...)
		if !full || (p.Limit > 0 && len(claims) >= p.Limit) {
			return claims, nil
		}
	}
}

// claimBatch claims at most n due jobs in one transaction. full reports
// that n due rows were locked, so more may be due. With skipRecorded, a
// decided run whose id or fire key is recorded already is left out rather
// than failing the transaction.
func (s *Store) claimBatch(ctx context.Context, p sundial.JobClaimDueParams, n int, skipRecorded bool) (claims []sundial.Claim, full bool, err error) {
	// Round trip 1: begin, check the lease, lock the due rows.
	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{})
	b.Queue(`SELECT set_config('sundial.notify', 'off', true)`)
	b.Queue(leaseSQL, p.Node)
	b.Queue(dueSQL, pgtype.Timestamptz{Time: p.Now.UTC(), Valid: true}, n)
	br := s.pool.SendBatch(ctx, b)
	tx := br.Tx()
	defer rollback(ctx, tx)
	var (
		live bool
		rows []jobRow
	)
	err = func() error {
		for range 2 { // begin, set_config
			if _, err := br.Exec(); err != nil {
				return err
			}
		}
		if err := br.QueryRow().Scan(&live); err != nil {
			return err
		}
		due, err := br.Query()
		if err != nil {
			return err
		}
		defer due.Close()
		for due.Next() {
			var r jobRow
			if err := due.Scan(r.dest()...); err != nil {
				return err
			}
			rows = append(rows, r)
		}
		return due.Err()
	}()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, false, err
	}
	if !live {
		return nil, false, sundial.ErrLeaseLost
	}
	if len(rows) == 0 {
		return nil, false, nil
	}
	full = len(rows) >= n

	jobs := make([]*sundial.Job, 0, len(rows))
	ids := make([]string, 0, len(rows))
	var parked []string
	for i := range rows {
		j, err := rows[i].job(s.triggers.Parse)
		if err != nil {
			s.log.Error("sundial: job parked (paused): its row does not decode", "job", rows[i].id, "err", err)
			parked = append(parked, rows[i].id)
			continue
		}
		jobs = append(jobs, j)
		ids = append(ids, j.ID)
	}

	// Round trip 2: serialize with other writers of these jobs' runs,
	// then count their unfinished runs (a statement of its own, so its
	// snapshot follows the locks).
	active := map[string]int{}
	if len(ids) > 0 {
		b := &pgx.Batch{}
		b.Queue(jobLockSQL, ids)
		b.Queue(activeSQL, ids)
		br := tx.SendBatch(ctx, b)
		err := func() error {
			if _, err := br.Exec(); err != nil {
				return err
			}
			counts, err := br.Query()
			if err != nil {
				return err
			}
			defer counts.Close()
			for counts.Next() {
				var (
					id string
					n  int64
				)
				if err := counts.Scan(&id, &n); err != nil {
					return err
				}
				active[id] = int(n)
			}
			return counts.Err()
		}()
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, false, err
		}
	}

	// Decide, then round trip 3: apply every decision at once.
	claims = make([]sundial.Claim, 0, len(jobs))
	var (
		advIDs   []string
		advNext  []pgtype.Timestamptz
		finished []string
		runs     runArrays
	)
	for _, j := range jobs {
		d := p.Decide(j, active[j.ID])
		if d.Finished {
			finished = append(finished, j.ID)
		} else {
			advIDs = append(advIDs, j.ID)
			advNext = append(advNext, ts(d.NextRunTime))
		}
		for _, r := range d.Runs {
			runs.add(r)
		}
		claims = append(claims, sundial.Claim{Job: j, Runs: d.Runs, Finished: d.Finished})
	}
	w := &pgx.Batch{}
	if len(advIDs) > 0 {
		w.Queue(advanceSQL, advIDs, advNext)
	}
	if len(finished) > 0 {
		w.Queue(finishSQL, finished)
	}
	if len(parked) > 0 {
		w.Queue(parkSQL, parked)
	}
	seqs := map[string]int64{}
	if runs.len() > 0 {
		q := runInsertManySQL
		if skipRecorded {
			q = runInsertNewSQL
		}
		w.Queue(q, runs.args()...).Query(func(rows pgx.Rows) error {
			var (
				id  string
				seq int64
			)
			_, err := pgx.ForEachRow(rows, []any{&id, &seq}, func() error {
				seqs[id] = seq
				return nil
			})
			return err
		})
	}
	if err := tx.SendBatch(ctx, w).Close(); err != nil {
		return nil, false, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, false, err
	}

	// Hand back the recorded runs with their Seq; a run the fire key
	// refused is not the claimer's to execute.
	for i := range claims {
		c := &claims[i]
		kept := make([]*sundial.Run, 0, len(c.Runs))
		for _, r := range c.Runs {
			seq, ok := seqs[r.ID]
			if !ok {
				s.log.Warn("sundial: decided run not recorded: its id or fire is recorded already",
					"run", r.ID, "job", r.JobID, "scheduled_at", r.ScheduledAt, "attempt", r.Attempt)
				continue
			}
			delete(seqs, r.ID) // a second run with the same id was refused
			r.Seq = seq
			kept = append(kept, r)
		}
		if len(kept) < len(c.Runs) {
			c.Runs = kept
		}
	}
	return claims, full, nil
}

// rollback ends tx if it is still open (a no-op after Commit), with a
// bounded wait even when ctx is already done.
func rollback(ctx context.Context, tx pgx.Tx) {
	if tx == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = tx.Rollback(ctx)
}
