package mysql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/triggercache"
)

// jobColumns are the columns of sundial_jobs in the order scanJob reads
// them; jobValues writes them in the same order.
const jobColumns = "id, name, store, task, args, kwargs, `trigger`, next_run_time, paused, executor, " +
	"misfire_grace_time, `coalesce`, max_instances, timeout, retry, recovery, description, tags, " +
	"version, created_at, updated_at"

// jobRow is a sundial_jobs row as scanned, before decoding.
type jobRow struct {
	id, name, store, task string
	args, kwargs, trig    []byte
	next                  sql.NullTime
	paused                bool
	executor              string
	grace                 sql.NullFloat64
	coalesce              bool
	maxInstances          int
	timeout               float64
	retry                 []byte
	recovery, description string
	tags                  []byte
	version               int64
	createdAt, updatedAt  sql.NullTime
}

type scanner interface{ Scan(dest ...any) error }

func scanJobRow(sc scanner) (*jobRow, error) {
	var r jobRow
	err := sc.Scan(&r.id, &r.name, &r.store, &r.task, &r.args, &r.kwargs, &r.trig, &r.next, &r.paused,
		&r.executor, &r.grace, &r.coalesce, &r.maxInstances, &r.timeout, &r.retry, &r.recovery,
		&r.description, &r.tags, &r.version, &r.createdAt, &r.updatedAt)
	return &r, err
}

// job decodes the row. A row that other software wrote with JSON Sundial
// cannot read is an error that names the column (a *sundial.JobError).
func (r *jobRow) job() (*sundial.Job, error) {
	bad := func(field string, err error) error {
		return &sundial.JobError{JobID: r.id, Field: field, Reason: "stored value cannot be read: " + err.Error(), Err: err}
	}
	j := &sundial.Job{
		ID: r.id, Name: r.name, Store: r.store, Task: r.task,
		Args: jsonOr(r.args, "[]"), Kwargs: jsonOr(r.kwargs, "{}"),
		NextRunTime: fromDB(r.next), Paused: r.paused,
		Version: r.version, CreatedAt: fromDB(r.createdAt), UpdatedAt: fromDB(r.updatedAt),
		Options: sundial.Options{
			Executor: r.executor, Coalesce: r.coalesce, MaxInstances: r.maxInstances,
			Timeout: seconds(r.timeout), Recovery: sundial.Recovery(r.recovery), Description: r.description,
		},
	}
	if !json.Valid(j.Args) {
		return nil, bad("args", errors.New("not JSON"))
	}
	if !json.Valid(j.Kwargs) {
		return nil, bad("kwargs", errors.New("not JSON"))
	}
	t, err := triggers.Parse(string(r.trig))
	if err != nil {
		return nil, bad("trigger", err)
	}
	j.Trigger = t
	if r.grace.Valid {
		g := seconds(r.grace.Float64)
		j.MisfireGraceTime = &g
	}
	if err := json.Unmarshal(jsonOr(r.retry, "{}"), &j.Retry); err != nil {
		return nil, bad("retry", err)
	}
	if err := json.Unmarshal(jsonOr(r.tags, "[]"), &j.Tags); err != nil {
		return nil, bad("tags", err)
	}
	return j, nil
}

// jsonOr returns b as JSON, or def when b is empty.
func jsonOr(b []byte, def string) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage(def)
	}
	return json.RawMessage(b)
}

// seconds converts a stored number of seconds to a duration.
func seconds(f float64) time.Duration {
	return time.Duration(math.Round(f * float64(time.Second)))
}

// jobValues returns the column values of a job, in jobColumns order, with
// version as given.
func jobValues(j *sundial.Job, version int64) ([]any, error) {
	if j.Trigger == nil {
		return nil, &sundial.JobError{JobID: j.ID, Field: "trigger", Reason: "is required"}
	}
	trig, err := json.Marshal(j.Trigger)
	if err != nil {
		return nil, &sundial.JobError{JobID: j.ID, Field: "trigger", Reason: err.Error(), Err: err}
	}
	retry, err := json.Marshal(j.Retry)
	if err != nil {
		return nil, err
	}
	tags := []byte("[]")
	if len(j.Tags) > 0 {
		if tags, err = json.Marshal(j.Tags); err != nil {
			return nil, err
		}
	}
	var grace any
	if j.MisfireGraceTime != nil {
		grace = j.MisfireGraceTime.Seconds()
	}
	return []any{
		j.ID, j.Name, j.Store, j.Task, string(jsonOr(j.Args, "[]")), string(jsonOr(j.Kwargs, "{}")), string(trig),
		dbTime(j.NextRunTime), j.Paused, j.Executor, grace, j.Coalesce, j.MaxInstances, j.Timeout.Seconds(),
		string(retry), string(j.Recovery), j.Description, string(tags), version,
		dbTime(j.CreatedAt), dbTime(j.UpdatedAt),
	}, nil
}

// jobSet is the SET list of an UPDATE that writes every column but id and
// version, in jobColumns order.
const jobSet = "name = ?, store = ?, task = ?, args = ?, kwargs = ?, `trigger` = ?, next_run_time = ?, " +
	"paused = ?, executor = ?, misfire_grace_time = ?, `coalesce` = ?, max_instances = ?, timeout = ?, " +
	"retry = ?, recovery = ?, description = ?, tags = ?, created_at = ?, updated_at = ?"

// setValues drops id and version from jobValues for jobSet.
func setValues(vals []any) []any {
	out := slices.Clone(vals[1:18])
	return append(out, vals[19:]...)
}

// JobAdd stores a new job, or replaces one with p.Replace.
func (s *Store) JobAdd(ctx context.Context, p sundial.JobAddParams) error {
	vals, err := jobValues(p.Job, 1)
	if err != nil {
		return err
	}
	insert := "INSERT INTO sundial_jobs (" + jobColumns + ") VALUES (" + placeholders(len(vals)) + ")"
	var version int64
	if !p.Replace {
		err = s.retry(ctx, func() error {
			_, err := s.db.ExecContext(ctx, insert, vals...)
			return err
		})
		version = 1
	} else {
		err = errAddedConcurrently
		for try := 0; try < 3 && errors.Is(err, errAddedConcurrently); try++ {
			err = s.replaceJob(ctx, p.Job.ID, vals, insert, &version)
		}
	}
	if isDuplicate(err) {
		return fmt.Errorf("add job %q: %w", p.Job.ID, sundial.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("add job %q: %w", p.Job.ID, err)
	}
	p.Job.Version = version
	return nil
}

// replaceJob updates job id with vals, or inserts it when there is none,
// and sets version to the stored version.
func (s *Store) replaceJob(ctx context.Context, id string, vals []any, insert string, version *int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE sundial_jobs SET "+jobSet+
			", version = version + 1 WHERE id = ?", append(setValues(vals), id)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				_, err = tx.ExecContext(ctx, insert, vals...)
				*version = 1
			}
			// A duplicate here was added concurrently: the retry
			// replaces it.
			if isDuplicate(err) {
				return errAddedConcurrently
			}
			return err
		}
		// The row is locked by the update: this reads its version.
		return tx.QueryRowContext(ctx, "SELECT version FROM sundial_jobs WHERE id = ?", id).Scan(version)
	})
}

// errAddedConcurrently: a replace found no job, then one was added before
// its insert.
var errAddedConcurrently = errors.New("job added concurrently")

// JobGet returns a job. A row that cannot be decoded is a
// *sundial.JobError naming the column.
func (s *Store) JobGet(ctx context.Context, id string) (*sundial.Job, error) {
	row := s.db.QueryRowContext(ctx, "SELECT "+jobColumns+" FROM sundial_jobs WHERE id = ?", id)
	r, err := scanJobRow(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, sundial.ErrJobNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get job %q: %w", id, err)
	}
	return r.job()
}

// JobList returns the matching jobs by next fire time (paused and
// unscheduled jobs last), then id. Rows that cannot be decoded are left out
// and logged.
func (s *Store) JobList(ctx context.Context, p sundial.JobListParams) ([]*sundial.Job, error) {
	q := "SELECT " + jobColumns + " FROM sundial_jobs WHERE 1 = 1"
	var args []any
	for _, f := range []struct{ col, val string }{{"store", p.Store}, {"executor", p.Executor}, {"task", p.Task}} {
		if f.val != "" {
			q += " AND " + f.col + " = ?"
			args = append(args, f.val)
		}
	}
	if p.Paused != nil {
		q += " AND paused = ?"
		args = append(args, *p.Paused)
	}
	q += " ORDER BY (paused = 0 AND next_run_time IS NOT NULL) DESC, CASE WHEN paused = 0 THEN next_run_time END, id"
	// Tags are matched in Go (a row's tags may not be valid JSON), so a
	// limit with a tag filter applies after it.
	if p.Limit > 0 && p.Tag == "" {
		q += " LIMIT ?"
		args = append(args, p.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	var out []*sundial.Job
	for rows.Next() {
		r, err := scanJobRow(rows)
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		j, err := r.job()
		if err != nil {
			s.log.Warn("job row left out of the list: it cannot be read", "job", r.id, "err", err)
			continue
		}
		if p.Tag != "" && !slices.Contains(j.Tags, p.Tag) {
			continue
		}
		out = append(out, j)
		if p.Limit > 0 && len(out) >= p.Limit {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return out, nil
}

// JobUpdate replaces a job if its version matches the stored one.
func (s *Store) JobUpdate(ctx context.Context, job *sundial.Job) error {
	vals, err := jobValues(job, job.Version)
	if err != nil {
		return err
	}
	var n int64
	err = s.retry(ctx, func() error {
		res, err := s.db.ExecContext(ctx, "UPDATE sundial_jobs SET "+jobSet+
			", version = version + 1 WHERE id = ? AND version = ?", append(setValues(vals), job.ID, job.Version)...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("update job %q: %w", job.ID, err)
	}
	if n == 1 {
		job.Version++
		return nil
	}
	var one int
	err = s.db.QueryRowContext(ctx, "SELECT 1 FROM sundial_jobs WHERE id = ?", job.ID).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return sundial.ErrJobNotFound
	case err != nil:
		return fmt.Errorf("update job %q: %w", job.ID, err)
	}
	return fmt.Errorf("update job %q at version %d: %w", job.ID, job.Version, sundial.ErrStale)
}

// JobRemove deletes a job; its runs stay.
func (s *Store) JobRemove(ctx context.Context, id string) error {
	var n int64
	err := s.retry(ctx, func() error {
		res, err := s.db.ExecContext(ctx, "DELETE FROM sundial_jobs WHERE id = ?", id)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("remove job %q: %w", id, err)
	}
	if n == 0 {
		return sundial.ErrJobNotFound
	}
	return nil
}

// JobRemoveAll deletes every job and returns how many there were.
func (s *Store) JobRemoveAll(ctx context.Context) (int, error) {
	var n int64
	err := s.retry(ctx, func() error {
		res, err := s.db.ExecContext(ctx, "DELETE FROM sundial_jobs")
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("remove all jobs: %w", err)
	}
	return int(n), nil
}

// JobNextFireTime returns the earliest next fire time of the jobs that are
// not paused; a job with none (written by another program) is due at once,
// and makes it the zero time.
func (s *Store) JobNextFireTime(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullTime
	err := s.db.QueryRowContext(ctx,
		"SELECT next_run_time FROM sundial_jobs WHERE paused = 0 ORDER BY next_run_time LIMIT 1").Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next fire time: %w", err)
	}
	return fromDB(next), true, nil
}

// triggers parses stored triggers once per definition: every claim decodes
// the jobs it claims.
var triggers triggercache.Cache
