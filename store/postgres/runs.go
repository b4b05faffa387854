package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/sqlq"
)

// runWriteColumns are the columns of a recorded run, in the order of
// runArrays.args and runRow.dest (after seq).
const runWriteColumns = `id, job_id, scheduled_at, attempt, status, reason, manual, coalesced, node, recoverable,
	created_at, started_at, finished_at, output, error`

const runSelectColumns = `seq, ` + runWriteColumns

// unfinished is the SQL condition of a run that counts against
// max_instances and may be reaped.
const unfinished = `status IN ('submitted', 'running')`

// runTypedParams are the parameters of one run for runWriteColumns, typed
// so that they also work in an INSERT … SELECT.
const runTypedParams = `$1::text, $2::text, $3::timestamptz, $4::int, $5::text, $6::text, $7::bool, $8::int,
	$9::text, $10::bool, $11::timestamptz, $12::timestamptz, $13::timestamptz, $14::text, $15::text`

const (
	runInsertSQL = `INSERT INTO sundial_runs (` + runWriteColumns + `) VALUES (` + runTypedParams + `) RETURNING seq`
	// runInsertBoundedSQL records the run only while the job has fewer
	// than $16 unfinished runs; the caller holds the job's advisory lock.
	runInsertBoundedSQL = `INSERT INTO sundial_runs (` + runWriteColumns + `)
		SELECT ` + runTypedParams + `
		WHERE (SELECT count(*) FROM sundial_runs WHERE job_id = $2 AND ` + unfinished + `) < $16
		RETURNING seq`
	jobLockOneSQL = `SELECT pg_advisory_xact_lock(hashtextextended('sundial:job:' || $1, 0))`

	// runStartFence lets an update u of run r through only when it is not
	// a start record, or r is submitted, or r started at the very time u
	// says (a repeat of the same start).
	runStartFence = `(u.status <> 'running' OR r.status = 'submitted' OR r.started_at IS NOT DISTINCT FROM u.started_at)`

	// runUpdateSQL applies a batch of run updates, each only while the
	// stored run is unfinished and owned by the updating node, whose lease
	// is live by the database clock, and (a start record) not started by
	// another start; it reports for every id whether it was applied,
	// whether the run exists and whether it is still the node's,
	// unfinished and not fenced off by another start (so refused for the
	// lease alone).
	runUpdateSQL = `WITH u AS (
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bool[],
				$7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[])
				AS u(id, node, status, reason, coalesced, recoverable, started_at, finished_at, output, error)),
		applied AS (
			UPDATE sundial_runs AS r SET status = u.status, reason = u.reason, coalesced = u.coalesced,
				recoverable = u.recoverable, started_at = u.started_at, finished_at = u.finished_at,
				output = u.output, error = u.error
			FROM u
			WHERE r.id = u.id AND r.node = u.node AND r.` + unfinished + ` AND ` + runStartFence + `
				AND EXISTS (SELECT 1 FROM sundial_nodes AS n WHERE n.id = r.node AND n.lease_until > clock_timestamp())
			RETURNING r.id)
		SELECT u.id, EXISTS (SELECT 1 FROM applied AS a WHERE a.id = u.id),
			EXISTS (SELECT 1 FROM sundial_runs AS r WHERE r.id = u.id),
			EXISTS (SELECT 1 FROM sundial_runs AS r WHERE r.id = u.id AND r.node = u.node AND r.` + unfinished + `
				AND ` + runStartFence + `)
		FROM u`

	// runReapSQL ends the unfinished runs of nodes without a live lease
	// (and, when $5, those of an earlier process with $1's id): a run that
	// never started, or that may run again, passes to $1 as submitted;
	// every other one is interrupted at $2. With $4 > 0 it also takes the
	// runs other live nodes (and, when $6, $1 itself) left submitted for
	// longer than $4 µs.
	runReapSQL = `WITH lost AS (
			SELECT r.seq FROM sundial_runs AS r
			WHERE r.` + unfinished + `
				AND (NOT EXISTS (SELECT 1 FROM sundial_nodes AS n WHERE n.id = r.node AND n.lease_until > clock_timestamp())
					OR ($4::bigint > 0 AND r.status = 'submitted' AND (r.node <> $1 OR $6::boolean)
						AND r.owned_at < clock_timestamp() - $4::bigint * interval '1 microsecond')
					OR ($5::boolean AND r.node = $1))
			ORDER BY r.seq
			LIMIT $3::bigint
			FOR UPDATE OF r SKIP LOCKED)
		UPDATE sundial_runs AS r SET
			node = CASE WHEN r.status = 'submitted' OR r.recoverable THEN $1 ELSE r.node END,
			status = CASE WHEN r.status = 'submitted' OR r.recoverable THEN 'submitted' ELSE 'interrupted' END,
			started_at = CASE WHEN r.status = 'submitted' OR r.recoverable THEN NULL ELSE r.started_at END,
			finished_at = CASE WHEN r.status = 'submitted' OR r.recoverable THEN r.finished_at ELSE $2 END,
			reason = CASE WHEN r.status = 'submitted' OR r.recoverable THEN r.reason
				WHEN $5::boolean AND r.node = $1 THEN 'node ' || r.node || ' restarted while the run was running'
				ELSE 'node ' || r.node || ' lost its lease while the run was running' END,
			recoverable = false,
			owned_at = CASE WHEN r.status = 'submitted' OR r.recoverable THEN clock_timestamp() ELSE r.owned_at END
		FROM lost WHERE r.seq = lost.seq
		RETURNING ` + `r.seq, r.id, r.job_id, r.scheduled_at, r.attempt, r.status, r.reason, r.manual, r.coalesced,
			r.node, r.recoverable, r.created_at, r.started_at, r.finished_at, r.output, r.error`
)

// clean makes s storable in a PostgreSQL text column, which holds neither
// NUL bytes nor invalid UTF-8: both become U+FFFD. Task output may hold
// either.
func clean(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// runValues are one run's values for runWriteColumns.
func runValues(r *sundial.Run) []any {
	return []any{r.ID, r.JobID, pgtype.Timestamptz{Time: r.ScheduledAt.UTC(), Valid: true}, r.Attempt,
		string(r.Status), clean(r.Reason), r.Manual, r.Coalesced, r.Node, r.Recoverable,
		ts(r.CreatedAt), ts(r.StartedAt), ts(r.FinishedAt), clean(r.Output), clean(r.Error)}
}

// runArrays holds runs column by column, for an INSERT from unnest.
type runArrays struct {
	id, jobID, status, reason, node, output, errText []string
	scheduled, created, started, finished            []pgtype.Timestamptz
	attempt, coalesced                               []int32
	manual, recoverable                              []bool
}

func (a *runArrays) add(r *sundial.Run) {
	a.id = append(a.id, r.ID)
	a.jobID = append(a.jobID, r.JobID)
	a.scheduled = append(a.scheduled, pgtype.Timestamptz{Time: r.ScheduledAt.UTC(), Valid: true})
	a.attempt = append(a.attempt, int32(r.Attempt))
	a.status = append(a.status, string(r.Status))
	a.reason = append(a.reason, clean(r.Reason))
	a.manual = append(a.manual, r.Manual)
	a.coalesced = append(a.coalesced, int32(r.Coalesced))
	a.node = append(a.node, r.Node)
	a.recoverable = append(a.recoverable, r.Recoverable)
	a.created = append(a.created, ts(r.CreatedAt))
	a.started = append(a.started, ts(r.StartedAt))
	a.finished = append(a.finished, ts(r.FinishedAt))
	a.output = append(a.output, clean(r.Output))
	a.errText = append(a.errText, clean(r.Error))
}

func (a *runArrays) len() int { return len(a.id) }

// args are the arrays in the order of runWriteColumns.
func (a *runArrays) args() []any {
	return []any{a.id, a.jobID, a.scheduled, a.attempt, a.status, a.reason, a.manual, a.coalesced,
		a.node, a.recoverable, a.created, a.started, a.finished, a.output, a.errText}
}

// runRow is one row of sundial_runs as scanned.
type runRow struct {
	seq                        int64
	id, jobID                  string
	scheduled                  pgtype.Timestamptz
	attempt, coalesced         int32
	status, reason, node       string
	manual, recoverable        bool
	created, started, finished pgtype.Timestamptz
	output, errText            string
}

func (r *runRow) dest() []any {
	return []any{&r.seq, &r.id, &r.jobID, &r.scheduled, &r.attempt, &r.status, &r.reason, &r.manual,
		&r.coalesced, &r.node, &r.recoverable, &r.created, &r.started, &r.finished, &r.output, &r.errText}
}

func (r *runRow) run() *sundial.Run {
	return &sundial.Run{
		ID: r.id, JobID: r.jobID, Seq: r.seq, ScheduledAt: fromTS(r.scheduled), Attempt: int(r.attempt),
		Status: sundial.RunStatus(r.status), Reason: r.reason, Manual: r.manual, Coalesced: int(r.coalesced),
		Node: r.node, Recoverable: r.recoverable, CreatedAt: fromTS(r.created), StartedAt: fromTS(r.started),
		FinishedAt: fromTS(r.finished), Output: r.output, Error: r.errText,
	}
}

// collectRuns reads every row of rows.
func collectRuns(rows pgx.Rows) ([]*sundial.Run, error) {
	defer rows.Close()
	var out []*sundial.Run
	var r runRow
	for rows.Next() {
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, err
		}
		out = append(out, r.run())
	}
	return out, rows.Err()
}

// RunInsert records a run and sets its Seq. With maxActive > 0 it first
// takes the job's advisory lock (as claims do), so the count of the job's
// unfinished runs and the insert are one step across every node.
func (s *Store) RunInsert(ctx context.Context, run *sundial.Run, maxActive int) error {
	vals := runValues(run)
	var seq int64
	err := s.retry(ctx, func(ctx context.Context) error {
		if maxActive <= 0 {
			return s.pool.QueryRow(ctx, runInsertSQL, vals...).Scan(&seq)
		}
		// One round trip, one implicit transaction: the lock is held until
		// the insert's end, and the insert's snapshot is taken after it.
		b := &pgx.Batch{}
		b.Queue(jobLockOneSQL, run.JobID)
		b.Queue(runInsertBoundedSQL, append(vals, maxActive)...)
		br := s.pool.SendBatch(ctx, b)
		_, err := br.Exec()
		if err == nil {
			err = br.QueryRow().Scan(&seq)
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		return err
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("record run %s: job %s has %d unfinished runs: %w", run.ID, run.JobID, maxActive, sundial.ErrMaxInstances)
	case isUniqueViolation(err):
		return fmt.Errorf("record run %s of job %s at %s attempt %d: %w",
			run.ID, run.JobID, run.ScheduledAt, run.Attempt, sundial.ErrDuplicateRun)
	case err != nil:
		return fmt.Errorf("record run %s: %w", run.ID, err)
	}
	run.Seq = seq
	return nil
}

// RunUpdate stores new states of runs, in one statement per round of
// distinct ids (a run given twice is updated twice, in order), all in one
// transaction; see sundial.Store.
func (s *Store) RunUpdate(ctx context.Context, runs ...*sundial.Run) error {
	if len(runs) == 0 {
		return nil
	}
	// Split into rounds in which every id appears once, keeping order.
	var rounds [][]int
	seen := map[string]int{}
	for i, r := range runs {
		k := seen[r.ID]
		seen[r.ID] = k + 1
		if k == len(rounds) {
			rounds = append(rounds, nil)
		}
		rounds[k] = append(rounds[k], i)
	}
	refused := make([]error, len(runs))
	err := s.retry(ctx, func(ctx context.Context) error {
		clear(refused)
		if len(rounds) == 1 {
			return s.updateRound(ctx, s.pool, runs, rounds[0], refused)
		}
		return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			for _, round := range rounds {
				if err := s.updateRound(ctx, tx, runs, round, refused); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("update runs: %w", err)
	}
	var errs []error
	for i, e := range refused {
		if e != nil {
			errs = append(errs, &sundial.RunError{RunID: runs[i].ID, Err: e})
		}
	}
	return errors.Join(errs...)
}

// querier runs a query on the pool or in a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// updateRound applies runs[idx] (distinct ids) and notes the refused ones.
func (s *Store) updateRound(ctx context.Context, q querier, runs []*sundial.Run, idx []int, refused []error) error {
	n := len(idx)
	var (
		ids, nodes, statuses, reasons, outputs, errTexts = make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		coalesced         = make([]int32, n)
		recoverable       = make([]bool, n)
		started, finished = make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
		pos               = make(map[string]int, n)
	)
	for k, i := range idx {
		r := runs[i]
		ids[k], nodes[k], statuses[k], reasons[k] = r.ID, r.Node, string(r.Status), clean(r.Reason)
		coalesced[k], recoverable[k] = int32(r.Coalesced), r.Recoverable
		started[k], finished[k] = ts(r.StartedAt), ts(r.FinishedAt)
		outputs[k], errTexts[k] = clean(r.Output), clean(r.Error)
		pos[r.ID] = i
	}
	rows, err := q.Query(ctx, runUpdateSQL, ids, nodes, statuses, reasons, coalesced, recoverable,
		started, finished, outputs, errTexts)
	if err != nil {
		return err
	}
	var (
		id                    string
		applied, found, owned bool
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &applied, &found, &owned}, func() error {
		switch {
		case applied:
		case owned: // refused for the lease alone
			refused[pos[id]] = sundial.ErrLeaseExpired
		case found:
			refused[pos[id]] = sundial.ErrLeaseLost
		default:
			refused[pos[id]] = sundial.ErrRunNotFound
		}
		return nil
	})
	return err
}

// RunGet returns a run.
func (s *Store) RunGet(ctx context.Context, id string) (*sundial.Run, error) {
	var r runRow
	err := s.retry(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT `+runSelectColumns+` FROM sundial_runs WHERE id = $1`, id).Scan(r.dest()...)
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, sundial.ErrRunNotFound
	case err != nil:
		return nil, fmt.Errorf("get run %s: %w", id, err)
	}
	return r.run(), nil
}

// RunList returns the matching runs, newest (highest Seq) first.
func (s *Store) RunList(ctx context.Context, p sundial.RunListParams) ([]*sundial.Run, error) {
	q, args := sqlq.RunListQuery(runSelectColumns, p, func(t time.Time) any { return t.UTC() })
	q = sqlq.Dollar(q)
	var out []*sundial.Run
	err := s.retry(ctx, func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		out, err = collectRuns(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}

// RunPrune deletes finished runs by the retention policy, in one
// transaction. A run finished before p.FinishedBefore goes; a missed or
// skipped run, which never starts or finishes, is judged by when it was
// recorded.
func (s *Store) RunPrune(ctx context.Context, p sundial.RunPruneParams) (int, error) {
	b := &pgx.Batch{}
	if !p.FinishedBefore.IsZero() {
		b.Queue(`DELETE FROM sundial_runs WHERE NOT `+unfinished+`
			AND COALESCE(finished_at, created_at, '-infinity'::timestamptz) < $1`, p.FinishedBefore.UTC())
	}
	if p.KeepPerJob > 0 {
		b.Queue(`DELETE FROM sundial_runs WHERE seq IN (
			SELECT seq FROM (
				SELECT seq, row_number() OVER (PARTITION BY job_id ORDER BY seq DESC) AS n
				FROM sundial_runs WHERE NOT `+unfinished+`) AS f
			WHERE n > $1)`, p.KeepPerJob)
	}
	if b.Len() == 0 {
		return 0, nil
	}
	var n int64
	err := s.retry(ctx, func(ctx context.Context) error {
		n = 0
		br := s.pool.SendBatch(ctx, b)
		for range b.Len() {
			tag, err := br.Exec()
			if err != nil {
				br.Close()
				return err
			}
			n += tag.RowsAffected()
		}
		return br.Close()
	})
	if err != nil {
		return 0, fmt.Errorf("prune runs: %w", err)
	}
	return int(n), nil
}

// RunReap ends the unfinished runs of nodes whose lease has expired by the
// database clock, that left, or that never registered, and takes over the
// runs other live nodes (and, with p.OwnStale, p.Node itself) left
// submitted (owned_at) for longer than p.StaleAfter; with p.Restarted,
// those an earlier process with p.Node's id left too; see sundial.Store.
// Concurrent reapers take disjoint runs (SKIP LOCKED).
func (s *Store) RunReap(ctx context.Context, p sundial.RunReapParams) (sundial.RunReapResult, error) {
	var res sundial.RunReapResult
	var limit *int64
	if p.Limit > 0 {
		l := int64(p.Limit)
		limit = &l
	}
	err := s.retry(ctx, func(ctx context.Context) error {
		res = sundial.RunReapResult{}
		b := &pgx.Batch{}
		b.BeginTx(pgx.TxOptions{})
		b.Queue(leaseSQL, p.Node)
		br := s.pool.SendBatch(ctx, b)
		tx := br.Tx()
		defer rollback(ctx, tx)
		var live bool
		_, err := br.Exec()
		if err == nil {
			err = br.QueryRow().Scan(&live)
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		if !live {
			return sundial.ErrLeaseLost
		}
		rows, err := tx.Query(ctx, runReapSQL, p.Node, p.Now.UTC(), limit, max(p.StaleAfter.Microseconds(), 0),
			p.Restarted, p.OwnStale)
		if err != nil {
			return err
		}
		runs, err := collectRuns(rows)
		if err != nil {
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return err
		}
		slices.SortFunc(runs, func(a, b *sundial.Run) int { return cmp.Compare(a.Seq, b.Seq) })
		for _, r := range runs {
			if r.Status == sundial.RunSubmitted {
				res.Taken = append(res.Taken, r)
			} else {
				res.Interrupted = append(res.Interrupted, r)
			}
		}
		return nil
	})
	if err != nil {
		return sundial.RunReapResult{}, fmt.Errorf("reap runs as node %q: %w", p.Node, err)
	}
	return res, nil
}

// runReleaseSQL gives back the listed runs that are still submitted and
// owned by $1. Row locks order it with a concurrent reap: a run the reap
// locked first is checked again once the reap commits (and is no longer
// $1's); one this update locked first is skipped by the reap.
const runReleaseSQL = `UPDATE sundial_runs SET node = '', started_at = NULL, owned_at = clock_timestamp()
	WHERE id = ANY($2::text[]) AND node = $1 AND status = 'submitted'
	RETURNING id`

// RunRelease gives back the listed runs that are still submitted and owned
// by p.Node: they lose their owner, so the next reap of any node takes
// them over. No lease is needed. When it released any, it notifies the
// watch channel, so that other nodes reap at once.
func (s *Store) RunRelease(ctx context.Context, p sundial.RunReleaseParams) ([]string, error) {
	if p.Node == "" || len(p.RunIDs) == 0 {
		return nil, nil
	}
	var out []string
	err := s.retry(ctx, func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, runReleaseSQL, p.Node, p.RunIDs)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("release runs of node %s: %w", p.Node, err)
	}
	if len(out) > 0 {
		// A wake-up only: the release stands without it, and the others
		// reap within their reap interval anyway.
		if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1, '')`, watchChannel); err != nil {
			s.log.Warn("sundial: notify other nodes of released runs", "err", err)
		}
	}
	return out, nil
}
