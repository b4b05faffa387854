package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/sqlq"
)

const (
	runCols = `seq, id, job_id, scheduled_at, attempt, status, reason, manual, coalesced, node, recoverable,
		created_at, started_at, finished_at, output, error`
	// unfinished is the condition of the partial index sundial_runs_unfinished.
	unfinished = `status IN ('submitted', 'running')`

	qRunInsert = `INSERT INTO sundial_runs (id, job_id, scheduled_at, attempt, status, reason, manual, coalesced,
			node, recoverable, created_at, started_at, finished_at, output, error, owned_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`
	// startFence, given the new status and started_at, lets a start record
	// through only while the run is submitted or already started at that
	// very time (a repeat); other statuses pass.
	startFence = `(? <> 'running' OR status = 'submitted' OR started_at IS ?)`
	qRunUpdate = `UPDATE sundial_runs SET status = ?, reason = ?, coalesced = ?, recoverable = ?,
			started_at = ?, finished_at = ?, output = ?, error = ?
		WHERE id = ? AND ` + unfinished + ` AND node = ? AND ` + startFence + `
			AND EXISTS (SELECT 1 FROM sundial_nodes WHERE id = ? AND lease_until > ?)`
	qActive = `SELECT count(*) FROM sundial_runs WHERE job_id = ? AND ` + unfinished
	// qRunOwned tells a refused update's run apart: 0 rows if it does not
	// exist, else whether it is still unfinished, the node's and not
	// fenced off by another start (so refused for the lease alone).
	qRunOwned = `SELECT node = ? AND ` + unfinished + ` AND ` + startFence + ` FROM sundial_runs WHERE id = ?`
)

// insertRun records a run and sets its Seq; ok is false when its id or
// fire key is already recorded. The run's owned_at is the host clock now.
func insertRun(t *wtx, r *sundial.Run) (ok bool, err error) {
	res, err := t.exec(qRunInsert, r.ID, r.JobID, r.ScheduledAt.UnixMicro(), r.Attempt, string(r.Status),
		r.Reason, r.Manual, r.Coalesced, r.Node, r.Recoverable, micros(r.CreatedAt), micros(r.StartedAt),
		micros(r.FinishedAt), r.Output, r.Error, time.Now().UnixMicro())
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	r.Seq, err = res.LastInsertId()
	return err == nil, err
}

// runRow is one row of runCols as scanned.
type runRow struct {
	r                          sundial.Run
	status                     string
	scheduled                  int64
	manual, recoverable        int64
	created, started, finished sql.NullInt64
}

// dest lists where the columns of runCols go.
func (x *runRow) dest() []any {
	r := &x.r
	return []any{&r.Seq, &r.ID, &r.JobID, &x.scheduled, &r.Attempt, &x.status, &r.Reason, &x.manual, &r.Coalesced,
		&r.Node, &x.recoverable, &x.created, &x.started, &x.finished, &r.Output, &r.Error}
}

// run builds the run.
func (x *runRow) run() *sundial.Run {
	r := x.r
	r.Status = sundial.RunStatus(x.status)
	r.ScheduledAt = time.UnixMicro(x.scheduled).UTC()
	r.Manual, r.Recoverable = x.manual != 0, x.recoverable != 0
	r.CreatedAt, r.StartedAt, r.FinishedAt = fromMicros(x.created), fromMicros(x.started), fromMicros(x.finished)
	return &r
}

// scanRun reads a row of runCols.
func scanRun(sc scanner) (*sundial.Run, error) {
	var x runRow
	if err := sc.Scan(x.dest()...); err != nil {
		return nil, err
	}
	return x.run(), nil
}

// RunInsert records a run that no claim created and sets its Seq. With
// maxActive > 0 it first counts the job's unfinished runs, in the same
// write transaction.
func (s *Store) RunInsert(ctx context.Context, run *sundial.Run, maxActive int) error {
	err := s.write(ctx, false, func(t *wtx) error {
		if maxActive > 0 {
			var n int
			if err := t.scanRow(qActive, []any{run.JobID}, &n); err != nil {
				return err
			}
			if n >= maxActive {
				var dup int
				if err := t.scanRow(`SELECT count(*) FROM sundial_runs
					WHERE id = ? OR (job_id = ? AND scheduled_at = ? AND attempt = ?)`,
					[]any{run.ID, run.JobID, run.ScheduledAt.UnixMicro(), run.Attempt}, &dup); err != nil {
					return err
				}
				if dup > 0 {
					return sundial.ErrDuplicateRun
				}
				return fmt.Errorf("job %s has %d unfinished runs: %w", run.JobID, n, sundial.ErrMaxInstances)
			}
		}
		ok, err := insertRun(t, run)
		if err == nil && !ok {
			err = sundial.ErrDuplicateRun
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("insert run %s: %w", run.ID, err)
	}
	return nil
}

// RunUpdate stores the runs' new states in one transaction, each only
// while it is unfinished, owned by run.Node and that node's lease is live
// by the host clock; a start record only while the run is submitted or
// started at the same microsecond (a repeat).
func (s *Store) RunUpdate(ctx context.Context, runs ...*sundial.Run) error {
	if len(runs) == 0 {
		return nil
	}
	var refused []error
	err := s.write(ctx, false, func(t *wtx) error {
		refused = refused[:0]
		now := time.Now().UnixMicro()
		for _, r := range runs {
			started := micros(r.StartedAt)
			res, err := t.exec(qRunUpdate, string(r.Status), r.Reason, r.Coalesced, r.Recoverable,
				started, micros(r.FinishedAt), r.Output, r.Error, r.ID, r.Node, string(r.Status), started,
				r.Node, now)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n > 0 {
				if err != nil {
					return err
				}
				continue
			}
			var owned bool
			reason := sundial.ErrLeaseLost
			switch err := t.scanRow(qRunOwned, []any{r.Node, string(r.Status), started, r.ID}, &owned); {
			case errors.Is(err, sql.ErrNoRows):
				reason = sundial.ErrRunNotFound
			case err != nil:
				return err
			case owned: // refused for the lease alone
				reason = sundial.ErrLeaseExpired
			}
			refused = append(refused, &sundial.RunError{RunID: r.ID, Err: reason})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update runs: %w", err)
	}
	return errors.Join(refused...)
}

// RunGet returns the run, or ErrRunNotFound.
func (s *Store) RunGet(ctx context.Context, id string) (*sundial.Run, error) {
	var r runRow
	err := s.readRow(ctx, `SELECT `+runCols+` FROM sundial_runs WHERE id = ?`, []any{id}, r.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, sundial.ErrRunNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get run %s: %w", id, err)
	}
	return r.run(), nil
}

// RunList returns the matching runs, newest (highest seq) first.
func (s *Store) RunList(ctx context.Context, p sundial.RunListParams) ([]*sundial.Run, error) {
	q, args := sqlq.RunListQuery(runCols, p, func(t time.Time) any { return t.UnixMicro() })
	var out []*sundial.Run
	err := s.read(ctx, func(db *sql.DB) error {
		out = out[:0]
		rows, err := db.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRun(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}

// pruneChunk bounds how many runs one write transaction of RunPrune
// deletes.
const pruneChunk = 1000

// RunPrune deletes finished runs by the policy: those that finished before
// p.FinishedBefore (those recorded final without a finish time count from
// their creation), and those beyond the newest
// p.KeepPerJob finished runs of their job. It picks the runs first, by one
// read, then deletes them in transactions of up to 1000 so that a large
// prune does not hold the write lock for long.
func (s *Store) RunPrune(ctx context.Context, p sundial.RunPruneParams) (int, error) {
	if p.FinishedBefore.IsZero() && p.KeepPerJob <= 0 {
		return 0, nil
	}
	var before any
	if !p.FinishedBefore.IsZero() {
		before = p.FinishedBefore.UnixMicro()
	}
	// A run recorded final without a finish time counts from its creation.
	const old = `(finished_at < ?1 OR (finished_at IS NULL AND (created_at IS NULL OR created_at < ?1)))`
	q := `SELECT seq FROM sundial_runs WHERE NOT ` + unfinished + ` AND ` + old
	args := []any{before}
	if p.KeepPerJob > 0 {
		q = `SELECT seq FROM (
				SELECT seq, finished_at, created_at, row_number() OVER (PARTITION BY job_id ORDER BY seq DESC) AS n
				FROM sundial_runs WHERE NOT ` + unfinished + `)
			WHERE (?1 IS NOT NULL AND ` + old + `) OR n > ?2`
		args = []any{before, p.KeepPerJob}
	}
	var seqs []int64
	err := s.read(ctx, func(db *sql.DB) error {
		seqs = seqs[:0]
		rows, err := db.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var seq int64
			if err := rows.Scan(&seq); err != nil {
				return err
			}
			seqs = append(seqs, seq)
		}
		return rows.Err()
	})
	if err != nil {
		return 0, fmt.Errorf("prune runs: %w", err)
	}
	deleted := 0
	for len(seqs) > 0 {
		chunk := seqs[:min(len(seqs), pruneChunk)]
		seqs = seqs[len(chunk):]
		q := `DELETE FROM sundial_runs WHERE NOT ` + unfinished + ` AND seq IN (?` + strings.Repeat(", ?", len(chunk)-1) + `)`
		args := make([]any, len(chunk))
		for i, seq := range chunk {
			args[i] = seq
		}
		var n int64
		err := s.write(ctx, false, func(t *wtx) error {
			res, err := t.exec(q, args...)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return deleted, fmt.Errorf("prune runs: %w", err)
		}
		deleted += int(n)
	}
	return deleted, nil
}

// RunReap ends the unfinished runs of nodes without a live lease (by the
// host clock): submitted runs and recoverable running ones are taken over
// by p.Node, the others are interrupted at p.Now. With p.Restarted, the
// unfinished runs of p.Node itself (an earlier process's) go the same way.
// With p.StaleAfter > 0 it also takes over the runs of other live nodes
// (and, with p.OwnStale, p.Node's own) submitted (owned_at) more than that
// long ago.
func (s *Store) RunReap(ctx context.Context, p sundial.RunReapParams) (sundial.RunReapResult, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = -1 // no limit in SQLite
	}
	stale := p.StaleAfter > 0
	var res sundial.RunReapResult
	err := s.write(ctx, false, func(t *wtx) error {
		res = sundial.RunReapResult{}
		now := time.Now()
		live, err := liveLease(t, p.Node, now)
		if err != nil {
			return err
		}
		if !live {
			return sundial.ErrLeaseLost
		}
		rows, err := t.query(`SELECT `+runCols+` FROM sundial_runs r INDEXED BY sundial_runs_unfinished
			WHERE `+unfinished+` AND (NOT EXISTS (SELECT 1 FROM sundial_nodes n WHERE n.id = r.node AND n.lease_until > ?)
				OR (? AND status = 'submitted' AND (node <> ? OR ?) AND owned_at < ?)
				OR (? AND node = ?))
			ORDER BY seq LIMIT ?`, now.UnixMicro(), stale, p.Node, p.OwnStale, now.Add(-p.StaleAfter).UnixMicro(),
			p.Restarted, p.Node, limit)
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
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range lost {
			if r.Status == sundial.RunSubmitted || r.Recoverable {
				r.Node, r.Status, r.Recoverable, r.StartedAt = p.Node, sundial.RunSubmitted, false, time.Time{}
				if _, err := t.exec(`UPDATE sundial_runs SET node = ?, status = 'submitted', recoverable = 0,
					started_at = NULL, owned_at = ? WHERE seq = ?`, p.Node, now.UnixMicro(), r.Seq); err != nil {
					return err
				}
				res.Taken = append(res.Taken, r)
				continue
			}
			r.Status, r.FinishedAt = sundial.RunInterrupted, p.Now
			r.Reason = fmt.Sprintf("node %s lost its lease while the run was %s", r.Node, sundial.RunRunning)
			if p.Restarted && r.Node == p.Node {
				r.Reason = fmt.Sprintf("node %s restarted while the run was %s", r.Node, sundial.RunRunning)
			}
			if _, err := t.exec(`UPDATE sundial_runs SET status = ?, finished_at = ?, reason = ? WHERE seq = ?`,
				string(r.Status), micros(r.FinishedAt), r.Reason, r.Seq); err != nil {
				return err
			}
			res.Interrupted = append(res.Interrupted, r)
		}
		return nil
	})
	if errors.Is(err, sundial.ErrLeaseLost) {
		return sundial.RunReapResult{}, fmt.Errorf("reap as node %q: %w", p.Node, err)
	}
	if err != nil {
		return sundial.RunReapResult{}, fmt.Errorf("reap runs: %w", err)
	}
	return res, nil
}

// qRunRelease gives back the listed runs (a JSON array of ids) that are
// still submitted and owned by the node.
const qRunRelease = `UPDATE sundial_runs SET node = '', started_at = NULL, owned_at = ?
	WHERE id IN (SELECT value FROM json_each(?)) AND node = ? AND status = 'submitted'
	RETURNING id`

// RunRelease gives back the listed runs that are still submitted and owned
// by p.Node, in one write transaction: they lose their owner, so the next
// reap of any node takes them over. No lease is needed. Other processes
// notice at their next reap (no wake-up: Watch follows jobs only).
func (s *Store) RunRelease(ctx context.Context, p sundial.RunReleaseParams) ([]string, error) {
	if p.Node == "" || len(p.RunIDs) == 0 {
		return nil, nil
	}
	ids, err := json.Marshal(p.RunIDs)
	if err != nil {
		return nil, fmt.Errorf("release runs: %w", err)
	}
	var out []string
	err = s.write(ctx, false, func(t *wtx) error {
		out = out[:0]
		rows, err := t.query(qRunRelease, time.Now().UnixMicro(), string(ids), p.Node)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			out = append(out, id)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("release runs of node %s: %w", p.Node, err)
	}
	return out, nil
}
