package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/sqlq"
)

// runColumns are the columns of sundial_runs in the order scanRun reads
// them.
const runColumns = "seq, id, job_id, scheduled_at, attempt, status, reason, manual, coalesced, node, " +
	"recoverable, created_at, started_at, finished_at, output, error"

// runInsertColumns are the columns a new run writes (all but seq), in the
// order of runValues, then owned_at, which runInsertRow sets to the
// database clock.
const runInsertColumns = "id, job_id, scheduled_at, attempt, status, reason, manual, coalesced, node, " +
	"recoverable, created_at, started_at, finished_at, output, error, owned_at"

const runInsertCount = 15

// runInsertRow is the VALUES row of one new run.
var runInsertRow = "(" + placeholders(runInsertCount) + ", UTC_TIMESTAMP(6))"

// unfinished is the SQL list of the statuses of runs that are not
// finished: they count against max_instances and are never pruned.
const unfinished = "('submitted', 'running')"

// startFence, given the new status and started_at, lets a start record
// through only while the run is submitted or already started at that very
// time (a repeat of the same record); other statuses pass. <=> is NULL-safe.
const startFence = "(? <> 'running' OR status = 'submitted' OR started_at <=> ?)"

func scanRun(sc scanner) (*sundial.Run, error) {
	var r sundial.Run
	var status string
	var created, started, finished sql.NullTime
	err := sc.Scan(&r.Seq, &r.ID, &r.JobID, &r.ScheduledAt, &r.Attempt, &status, &r.Reason, &r.Manual,
		&r.Coalesced, &r.Node, &r.Recoverable, &created, &started, &finished, &r.Output, &r.Error)
	if err != nil {
		return nil, err
	}
	r.Status = sundial.RunStatus(status)
	r.ScheduledAt = r.ScheduledAt.UTC()
	r.CreatedAt, r.StartedAt, r.FinishedAt = fromDB(created), fromDB(started), fromDB(finished)
	return &r, nil
}

// runValues appends the values of a new run, in runInsertColumns order.
func runValues(args []any, r *sundial.Run) ([]any, error) {
	if r.ScheduledAt.IsZero() {
		return nil, fmt.Errorf("run %s has no scheduled time", r.ID)
	}
	return append(args, r.ID, r.JobID, dbTime(r.ScheduledAt), r.Attempt, string(r.Status), r.Reason, r.Manual,
		r.Coalesced, r.Node, r.Recoverable, dbTime(r.CreatedAt), dbTime(r.StartedAt), dbTime(r.FinishedAt),
		r.Output, r.Error), nil
}

// runInsertRows bounds how many runs one INSERT statement writes.
const runInsertRows = 200

// insertRuns records new runs and sets their Seq. A duplicate id or fire
// key fails the statement with error 1062.
func insertRuns(ctx context.Context, q execer, runs []*sundial.Run) error {
	if len(runs) == 1 {
		args, err := runValues(nil, runs[0])
		if err != nil {
			return err
		}
		res, err := q.ExecContext(ctx, "INSERT INTO sundial_runs ("+runInsertColumns+") VALUES "+runInsertRow, args...)
		if err != nil {
			return err
		}
		runs[0].Seq, err = res.LastInsertId()
		return err
	}
	row := runInsertRow
	for chunk := range slices.Chunk(runs, runInsertRows) {
		args := make([]any, 0, len(chunk)*runInsertCount)
		ids := make([]any, 0, len(chunk))
		byID := make(map[string]*sundial.Run, len(chunk))
		for _, r := range chunk {
			var err error
			if args, err = runValues(args, r); err != nil {
				return err
			}
			ids = append(ids, r.ID)
			byID[r.ID] = r
		}
		if _, err := q.ExecContext(ctx, "INSERT INTO sundial_runs ("+runInsertColumns+") VALUES "+
			strings.Repeat(row+", ", len(chunk)-1)+row, args...); err != nil {
			return err
		}
		// The ids of one multi-row insert need not be consecutive (auto
		// increment settings, Galera), so read them back.
		rows, err := q.QueryContext(ctx, "SELECT id, seq FROM sundial_runs WHERE id IN ("+placeholders(len(ids))+")", ids...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var seq int64
			if err := rows.Scan(&id, &seq); err != nil {
				rows.Close()
				return err
			}
			if r := byID[id]; r != nil {
				r.Seq = seq
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	return nil
}

// lockJobs takes the per-job lock rows of ids (sorted, so that two
// transactions never wait on each other in a cycle), creating missing ones.
func lockJobs(ctx context.Context, tx *sql.Tx, ids []string) error {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO sundial_job_locks (job_id) VALUES "+
		strings.Repeat("(?), ", len(ids)-1)+"(?) ON DUPLICATE KEY UPDATE job_id = job_id", args...)
	return err
}

// activeRuns counts the unfinished runs of each of the jobs.
func activeRuns(ctx context.Context, q execer, ids []string) (map[string]int, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := q.QueryContext(ctx, "SELECT job_id, COUNT(*) FROM sundial_runs WHERE job_id IN ("+
		placeholders(len(ids))+") AND status IN "+unfinished+" GROUP BY job_id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	active := make(map[string]int, len(ids))
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		active[id] = n
	}
	return active, rows.Err()
}

// RunInsert records a run that no claim created. With maxActive > 0 the
// count of the job's unfinished runs and the insert are one step under the
// job's lock row.
func (s *Store) RunInsert(ctx context.Context, run *sundial.Run, maxActive int) error {
	var err error
	if maxActive <= 0 {
		err = s.retry(ctx, func() error { return insertRuns(ctx, s.db, []*sundial.Run{run}) })
	} else {
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			if err := lockJobs(ctx, tx, []string{run.JobID}); err != nil {
				return err
			}
			active, err := activeRuns(ctx, tx, []string{run.JobID})
			if err != nil {
				return err
			}
			if n := active[run.JobID]; n >= maxActive {
				return fmt.Errorf("job %s has %d unfinished runs: %w", run.JobID, n, sundial.ErrMaxInstances)
			}
			return insertRuns(ctx, tx, []*sundial.Run{run})
		})
	}
	if isDuplicate(err) {
		return fmt.Errorf("run %s (job %s at %s attempt %d): %w", run.ID, run.JobID, run.ScheduledAt, run.Attempt, sundial.ErrDuplicateRun)
	}
	if err != nil && !errors.Is(err, sundial.ErrMaxInstances) {
		return fmt.Errorf("insert run %s: %w", run.ID, err)
	}
	return err
}

// RunUpdate stores new states of runs, each on its own: one statement per
// run, in autocommit, so the common update (a worker's previous outcome
// and next start) costs two round trips rather than a transaction's five.
// Each run is written only while the stored one is unfinished and belongs
// to run.Node, whose lease is live by the database clock, and a start
// record only while the run is submitted or started at the same
// microsecond (a repeat); the others are refused, each with a
// *sundial.RunError.
func (s *Store) RunUpdate(ctx context.Context, runs ...*sundial.Run) error {
	var refused []error
	for _, r := range runs {
		var n int64
		started := dbTime(r.StartedAt)
		err := s.retry(ctx, func() error {
			res, err := s.db.ExecContext(ctx, "UPDATE sundial_runs SET status = ?, reason = ?, coalesced = ?, "+
				"recoverable = ?, started_at = ?, finished_at = ?, output = ?, error = ? "+
				"WHERE id = ? AND node = ? AND status IN "+unfinished+" AND "+startFence+
				" AND EXISTS (SELECT 1 FROM sundial_nodes WHERE id = ? AND lease_until > UTC_TIMESTAMP(6))",
				string(r.Status), r.Reason, r.Coalesced, r.Recoverable, started, dbTime(r.FinishedAt),
				r.Output, r.Error, r.ID, r.Node, string(r.Status), started, r.Node)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return fmt.Errorf("update run %s: %w", r.ID, err)
		}
		if n == 1 {
			continue
		}
		// Refused: say why. A run still unfinished, the node's and not
		// started by another start record was refused for the lease alone.
		var owned bool
		err = s.db.QueryRowContext(ctx, "SELECT node = ? AND status IN "+unfinished+" AND "+startFence+
			" FROM sundial_runs WHERE id = ?", r.Node, string(r.Status), started, r.ID).Scan(&owned)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			refused = append(refused, &sundial.RunError{RunID: r.ID, Err: sundial.ErrRunNotFound})
		case err != nil:
			return fmt.Errorf("update run %s: %w", r.ID, err)
		case owned:
			refused = append(refused, &sundial.RunError{RunID: r.ID, Err: sundial.ErrLeaseExpired})
		default:
			refused = append(refused, &sundial.RunError{RunID: r.ID, Err: sundial.ErrLeaseLost})
		}
	}
	return errors.Join(refused...)
}

// RunGet returns a run.
func (s *Store) RunGet(ctx context.Context, id string) (*sundial.Run, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, "SELECT "+runColumns+" FROM sundial_runs WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, sundial.ErrRunNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get run %s: %w", id, err)
	}
	return r, nil
}

// RunList returns the matching runs, newest (highest Seq) first.
func (s *Store) RunList(ctx context.Context, p sundial.RunListParams) ([]*sundial.Run, error) {
	q, args := sqlq.RunListQuery(runColumns, p, func(t time.Time) any { return dbTime(t) })
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []*sundial.Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}

// pruneChunk bounds how many runs one DELETE removes, so pruning a long
// history never holds many locks at once.
const pruneChunk = 1000

// RunPrune deletes finished runs by the retention policy: those that
// finished before p.FinishedBefore (a finished run with no finish time, such
// as a missed or skipped one, by its creation time), then all but the newest
// p.KeepPerJob finished runs of each job. Unfinished runs are never deleted.
// It also drops the lock rows of jobs that are gone and have no unfinished
// runs.
func (s *Store) RunPrune(ctx context.Context, p sundial.RunPruneParams) (int, error) {
	total := 0
	if !p.FinishedBefore.IsZero() {
		before := dbTime(p.FinishedBefore)
		for {
			var n int64
			err := s.retry(ctx, func() error {
				res, err := s.db.ExecContext(ctx, "DELETE FROM sundial_runs WHERE status NOT IN "+unfinished+
					" AND (finished_at < ? OR (finished_at IS NULL AND created_at < ?)) LIMIT ?", before, before, pruneChunk)
				if err != nil {
					return err
				}
				n, err = res.RowsAffected()
				return err
			})
			if err != nil {
				return total, fmt.Errorf("prune runs: %w", err)
			}
			total += int(n)
			if n < pruneChunk {
				break
			}
		}
	}
	if p.KeepPerJob > 0 {
		for {
			n, err := s.pruneExtra(ctx, p.KeepPerJob)
			total += n
			if err != nil {
				return total, fmt.Errorf("prune runs: %w", err)
			}
			if n < pruneChunk {
				break
			}
		}
	}
	err := s.retry(ctx, func() error {
		_, err := s.db.ExecContext(ctx, "DELETE FROM sundial_job_locks WHERE "+
			"NOT EXISTS (SELECT 1 FROM sundial_jobs j WHERE j.id = sundial_job_locks.job_id) AND "+
			"NOT EXISTS (SELECT 1 FROM sundial_runs r WHERE r.job_id = sundial_job_locks.job_id AND r.status IN "+unfinished+")")
		return err
	})
	if err != nil {
		return total, fmt.Errorf("prune job locks: %w", err)
	}
	return total, nil
}

// pruneExtra deletes up to pruneChunk finished runs beyond the newest keep
// of their job.
func (s *Store) pruneExtra(ctx context.Context, keep int) (int, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT seq FROM (SELECT seq, ROW_NUMBER() OVER "+
		"(PARTITION BY job_id ORDER BY seq DESC) AS n FROM sundial_runs WHERE status NOT IN "+unfinished+
		") ranked WHERE n > ? LIMIT ?", keep, pruneChunk)
	if err != nil {
		return 0, err
	}
	var seqs []any
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			rows.Close()
			return 0, err
		}
		seqs = append(seqs, seq)
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	if len(seqs) == 0 {
		return 0, nil
	}
	var n int64
	err = s.retry(ctx, func() error {
		// Newer runs may have been recorded since: these stay beyond the
		// newest keep, so they may still go.
		res, err := s.db.ExecContext(ctx, "DELETE FROM sundial_runs WHERE seq IN ("+placeholders(len(seqs))+
			") AND status NOT IN "+unfinished, seqs...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// RunReap ends the unfinished runs of nodes whose lease has expired by the
// database clock, that left, or that never registered: submitted and
// recoverable runs are taken over by p.Node, the others interrupted. With
// p.Restarted, the unfinished runs of p.Node itself (an earlier
// process's) go the same way. With p.StaleAfter > 0 it also takes over
// the runs of other live nodes (and, with p.OwnStale, p.Node's own)
// submitted (owned_at) longer ago than that.
func (s *Store) RunReap(ctx context.Context, p sundial.RunReapParams) (sundial.RunReapResult, error) {
	var res sundial.RunReapResult
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res = sundial.RunReapResult{}
		if err := checkLease(ctx, tx, p.Node); err != nil {
			return err
		}
		q := "SELECT " + runColumns + " FROM sundial_runs r WHERE status IN " + unfinished +
			" AND (NOT EXISTS (SELECT 1 FROM sundial_nodes n WHERE n.id = r.node AND n.lease_until > UTC_TIMESTAMP(6))" +
			" OR (? > 0 AND status = 'submitted' AND (node <> ? OR ?) AND owned_at < UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND)" +
			" OR (? AND node = ?))" +
			" ORDER BY seq"
		stale := max(p.StaleAfter.Microseconds(), 0)
		args := []any{stale, p.Node, p.OwnStale, stale, p.Restarted, p.Node}
		if p.Limit > 0 {
			q += " LIMIT ?"
			args = append(args, p.Limit)
		}
		rows, err := tx.QueryContext(ctx, q+" FOR UPDATE SKIP LOCKED", args...)
		if err != nil {
			return err
		}
		var lost []*sundial.Run
		for rows.Next() {
			r, err := scanRun(rows)
			if err != nil {
				rows.Close()
				return err
			}
			lost = append(lost, r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		var taken, interrupted []any
		for _, r := range lost {
			if r.Status == sundial.RunSubmitted || r.Recoverable {
				r.Node, r.Status, r.Recoverable, r.StartedAt = p.Node, sundial.RunSubmitted, false, time.Time{}
				res.Taken = append(res.Taken, r)
				taken = append(taken, r.ID)
				continue
			}
			r.Status, r.FinishedAt = sundial.RunInterrupted, p.Now.UTC().Truncate(time.Microsecond)
			r.Reason = fmt.Sprintf("node %s lost its lease while the run was %s", r.Node, sundial.RunRunning)
			if p.Restarted && r.Node == p.Node {
				r.Reason = fmt.Sprintf("node %s restarted while the run was %s", r.Node, sundial.RunRunning)
			}
			res.Interrupted = append(res.Interrupted, r)
			interrupted = append(interrupted, r.ID)
		}
		if len(taken) > 0 {
			if _, err := tx.ExecContext(ctx, "UPDATE sundial_runs SET node = ?, status = 'submitted', recoverable = 0, "+
				"started_at = NULL, owned_at = UTC_TIMESTAMP(6) WHERE id IN ("+placeholders(len(taken))+")", append([]any{p.Node}, taken...)...); err != nil {
				return err
			}
		}
		if len(interrupted) > 0 {
			if _, err := tx.ExecContext(ctx, "UPDATE sundial_runs SET status = 'interrupted', finished_at = ?, "+
				"reason = CONCAT('node ', node, IF(? AND node = ?, ' restarted', ' lost its lease'), ' while the run was running')"+
				" WHERE id IN ("+placeholders(len(interrupted))+")",
				append([]any{dbTime(p.Now), p.Restarted, p.Node}, interrupted...)...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return sundial.RunReapResult{}, fmt.Errorf("reap runs as node %q: %w", p.Node, err)
	}
	return res, nil
}

// releaseChunk bounds how many ids one statement of RunRelease lists.
const releaseChunk = 500

// RunRelease gives back the listed runs that are still submitted and owned
// by p.Node, in one transaction: they lose their owner, so the next reap
// of any node takes them over. No lease is needed. The runs are locked
// first (FOR UPDATE), so that the ids returned are the ones updated: a run
// a concurrent reap holds is read again once the reap commits (and is no
// longer p.Node's), and one this transaction holds is skipped by the reap
// (SKIP LOCKED). Other nodes notice at their next reap (no wake-up:
// Watch polls the jobs' change counter only).
func (s *Store) RunRelease(ctx context.Context, p sundial.RunReleaseParams) ([]string, error) {
	if p.Node == "" || len(p.RunIDs) == 0 {
		return nil, nil
	}
	var out []string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		for chunk := range slices.Chunk(p.RunIDs, releaseChunk) {
			args := make([]any, 0, len(chunk)+1)
			args = append(args, p.Node)
			for _, id := range chunk {
				args = append(args, id)
			}
			rows, err := tx.QueryContext(ctx, "SELECT id FROM sundial_runs WHERE node = ? AND status = 'submitted' AND id IN ("+
				placeholders(len(chunk))+") FOR UPDATE", args...)
			if err != nil {
				return err
			}
			ids := []any{p.Node}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, id)
			}
			if err := errors.Join(rows.Err(), rows.Close()); err != nil {
				return err
			}
			if len(ids) == 1 {
				continue
			}
			if _, err := tx.ExecContext(ctx, "UPDATE sundial_runs SET node = '', started_at = NULL, owned_at = UTC_TIMESTAMP(6) "+
				"WHERE node = ? AND status = 'submitted' AND id IN ("+placeholders(len(ids)-1)+")", ids...); err != nil {
				return err
			}
			for _, id := range ids[1:] {
				out = append(out, id.(string))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("release runs of node %s: %w", p.Node, err)
	}
	return out, nil
}
