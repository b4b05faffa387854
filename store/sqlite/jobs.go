package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/internal/triggercache"
)

// jobCols are the columns of sundial_jobs in the order jobRow scans them.
const jobCols = `id, name, store, task, args, kwargs, "trigger", next_run_time, paused, executor,
	misfire_grace_time, "coalesce", max_instances, timeout, retry, recovery, description, tags,
	version, created_at, updated_at`

// jobSetCols are the columns a write sets, in the order jobValues lists
// them (every column but version).
const jobSetCols = `id, name, store, task, args, kwargs, "trigger", next_run_time, paused, executor,
	misfire_grace_time, "coalesce", max_instances, timeout, retry, recovery, description, tags,
	created_at, updated_at`

const jobPlaceholders = `?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`

const (
	qJobInsert = `INSERT INTO sundial_jobs (` + jobSetCols + `, version) VALUES (` + jobPlaceholders + `, 1)
		ON CONFLICT (id) DO NOTHING RETURNING version`
	qJobUpsert = `INSERT INTO sundial_jobs (` + jobSetCols + `, version) VALUES (` + jobPlaceholders + `, 1)
		ON CONFLICT (id) DO UPDATE SET
			name = excluded.name, store = excluded.store, task = excluded.task, args = excluded.args,
			kwargs = excluded.kwargs, "trigger" = excluded."trigger", next_run_time = excluded.next_run_time,
			paused = excluded.paused, executor = excluded.executor, misfire_grace_time = excluded.misfire_grace_time,
			"coalesce" = excluded."coalesce", max_instances = excluded.max_instances, timeout = excluded.timeout,
			retry = excluded.retry, recovery = excluded.recovery, description = excluded.description,
			tags = excluded.tags, created_at = excluded.created_at, updated_at = excluded.updated_at,
			version = sundial_jobs.version + 1
		RETURNING version`
	qJobUpdate = `UPDATE sundial_jobs SET
			id = ?, name = ?, store = ?, task = ?, args = ?, kwargs = ?, "trigger" = ?, next_run_time = ?,
			paused = ?, executor = ?, misfire_grace_time = ?, "coalesce" = ?, max_instances = ?, timeout = ?,
			retry = ?, recovery = ?, description = ?, tags = ?, created_at = ?, updated_at = ?,
			version = version + 1
		WHERE id = ? AND version = ?
		RETURNING version`
	qChanges   = `SELECT n FROM sundial_changes WHERE id = 1`
	qJobExists = `SELECT count(*) FROM sundial_jobs WHERE id = ?`
)

// jobValues lists a job's values for jobSetCols. A trigger whose JSON
// would not parse back is refused now, rather than parked at its first
// claim.
func (s *Store) jobValues(j *sundial.Job) ([]any, error) {
	trig, err := json.Marshal(j.Trigger)
	if err == nil {
		_, err = s.triggers.Parse(string(trig))
	}
	if err != nil {
		return nil, &sundial.JobError{JobID: j.ID, Field: "trigger", Reason: "cannot be stored as JSON that reads back: " + err.Error(), Err: err}
	}
	retry, err := json.Marshal(j.Retry)
	if err != nil {
		return nil, fmt.Errorf("job %s: encode retry: %w", j.ID, err)
	}
	tags := "[]"
	if len(j.Tags) > 0 {
		b, err := json.Marshal(j.Tags)
		if err != nil {
			return nil, fmt.Errorf("job %s: encode tags: %w", j.ID, err)
		}
		tags = string(b)
	}
	var grace any
	if j.MisfireGraceTime != nil {
		grace = j.MisfireGraceTime.Seconds()
	}
	return []any{
		j.ID, j.Name, j.Store, j.Task, orDefault(j.Args, "[]"), orDefault(j.Kwargs, "{}"), string(trig),
		micros(j.NextRunTime), j.Paused, j.Executor, grace, j.Coalesce, j.MaxInstances, j.Timeout.Seconds(),
		string(retry), string(j.Recovery), j.Description, tags, micros(j.CreatedAt), micros(j.UpdatedAt),
	}, nil
}

func orDefault(b []byte, def string) string {
	if len(b) == 0 {
		return def
	}
	return string(b)
}

// jobRow is one row of sundial_jobs as scanned, before it is checked.
type jobRow struct {
	id, name, store, task string
	args, kwargs, trig    string
	next                  sql.NullInt64
	paused                int64
	executor              string
	grace                 sql.NullFloat64
	coalesce              int64
	maxInstances          int64
	timeout               float64
	retry, recovery       string
	description, tags     string
	version               int64
	created, updated      sql.NullInt64
}

type scanner interface{ Scan(dest ...any) error }

// scan reads the columns of jobCols, then extra.
func (r *jobRow) scan(sc scanner, extra ...any) error {
	return sc.Scan(r.dest(extra...)...)
}

// dest lists where the columns of jobCols go, then extra.
func (r *jobRow) dest(extra ...any) []any {
	return append([]any{&r.id, &r.name, &r.store, &r.task, &r.args, &r.kwargs, &r.trig, &r.next,
		&r.paused, &r.executor, &r.grace, &r.coalesce, &r.maxInstances, &r.timeout, &r.retry, &r.recovery,
		&r.description, &r.tags, &r.version, &r.created, &r.updated}, extra...)
}

// job checks the row and builds the job. A row another program wrote badly
// is a *sundial.JobError naming the column.
func (r *jobRow) job(tc *triggercache.Cache) (*sundial.Job, error) {
	bad := func(field string, err error) error {
		return &sundial.JobError{JobID: r.id, Field: field, Reason: "stored value cannot be read: " + err.Error(), Err: err}
	}
	trig, err := tc.Parse(r.trig)
	if err != nil {
		return nil, bad("trigger", err)
	}
	j := &sundial.Job{
		ID: r.id, Name: r.name, Store: r.store, Task: r.task, Trigger: trig,
		NextRunTime: fromMicros(r.next), Paused: r.paused != 0, Version: r.version,
		CreatedAt: fromMicros(r.created), UpdatedAt: fromMicros(r.updated),
		Options: sundial.Options{
			Executor: r.executor, Coalesce: r.coalesce != 0, MaxInstances: int(r.maxInstances),
			Timeout: seconds(r.timeout), Recovery: sundial.Recovery(r.recovery), Description: r.description,
		},
	}
	if j.Args, err = jsonValue(r.args, "[]"); err != nil {
		return nil, bad("args", err)
	}
	if j.Kwargs, err = jsonValue(r.kwargs, "{}"); err != nil {
		return nil, bad("kwargs", err)
	}
	if r.grace.Valid {
		if r.grace.Float64 < 0 || math.IsNaN(r.grace.Float64) {
			return nil, bad("misfire_grace_time", fmt.Errorf("%v seconds", r.grace.Float64))
		}
		g := seconds(r.grace.Float64)
		j.MisfireGraceTime = &g
	}
	if s := strings.TrimSpace(r.retry); s != "" {
		if err := json.Unmarshal([]byte(s), &j.Retry); err != nil {
			return nil, bad("retry", err)
		}
	}
	if s := strings.TrimSpace(r.tags); s != "" {
		if err := json.Unmarshal([]byte(s), &j.Tags); err != nil {
			return nil, bad("tags", err)
		}
		if len(j.Tags) == 0 {
			j.Tags = nil
		}
	}
	return j, nil
}

func seconds(f float64) time.Duration {
	return time.Duration(math.Round(f * float64(time.Second)))
}

// jsonValue checks a JSON column; blank is its default.
func jsonValue(s, def string) (json.RawMessage, error) {
	if strings.TrimSpace(s) == "" {
		s = def
	}
	if !json.Valid([]byte(s)) {
		return nil, errors.New("not valid JSON")
	}
	return json.RawMessage(s), nil
}

// JobAdd stores a new job, or replaces one with p.Replace, and writes the
// stored version back into p.Job.
func (s *Store) JobAdd(ctx context.Context, p sundial.JobAddParams) error {
	vals, err := s.jobValues(p.Job)
	if err != nil {
		return err
	}
	q := qJobInsert
	if p.Replace {
		q = qJobUpsert
	}
	var version int64
	err = s.write(ctx, true, func(t *wtx) error {
		return t.scanRow(q, vals, &version)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("add job %s: %w", p.Job.ID, sundial.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("add job %s: %w", p.Job.ID, err)
	}
	p.Job.Version = version
	return nil
}

// JobGet returns the job, or ErrJobNotFound. A row that cannot be read is
// a *sundial.JobError (errors.Is ErrInvalidJob) naming the column.
func (s *Store) JobGet(ctx context.Context, id string) (*sundial.Job, error) {
	var r jobRow
	err := s.readRow(ctx, `SELECT `+jobCols+` FROM sundial_jobs WHERE id = ?`, []any{id}, r.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, sundial.ErrJobNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get job %s: %w", id, err)
	}
	return r.job(&s.triggers)
}

// JobList returns the matching jobs by next fire time, paused and
// unscheduled jobs last, then by id. Rows that cannot be read are left out
// and logged.
func (s *Store) JobList(ctx context.Context, p sundial.JobListParams) ([]*sundial.Job, error) {
	var where []string
	var args []any
	for _, f := range []struct{ col, v string }{{"store", p.Store}, {"executor", p.Executor}, {"task", p.Task}} {
		if f.v != "" {
			where = append(where, f.col+" = ?")
			args = append(args, f.v)
		}
	}
	if p.Paused != nil {
		where = append(where, "paused = ?")
		args = append(args, *p.Paused)
	}
	q := `SELECT ` + jobCols + ` FROM sundial_jobs`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	// The order needs a sort of every matching row anyway, so the limit is
	// applied while reading: rows that cannot be read, and tags (JSON that
	// other programs write, filtered here so a bad row cannot fail the
	// query), do not count against it.
	q += ` ORDER BY (paused = 0 AND next_run_time IS NOT NULL) DESC, CASE WHEN paused = 0 THEN next_run_time END, id`
	var out []*sundial.Job
	err := s.read(ctx, func(db *sql.DB) error {
		out = out[:0]
		rows, err := db.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r jobRow
			if err := r.scan(rows); err != nil {
				return err
			}
			j, err := r.job(&s.triggers)
			if err != nil {
				s.log.Warn("sqlite store: job left out of the list", "job", r.id, "err", err)
				continue
			}
			if p.Matches(j) {
				out = append(out, j)
				if p.Limit > 0 && len(out) >= p.Limit {
					break
				}
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return out, nil
}

// JobUpdate replaces the job if job.Version is the stored version, and
// writes the new version back into job.
func (s *Store) JobUpdate(ctx context.Context, job *sundial.Job) error {
	vals, err := s.jobValues(job)
	if err != nil {
		return err
	}
	vals = append(vals, job.ID, job.Version)
	var version int64
	err = s.write(ctx, true, func(t *wtx) error {
		err := t.scanRow(qJobUpdate, vals, &version)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var n int
		if err := t.scanRow(qJobExists, []any{job.ID}, &n); err != nil {
			return err
		}
		if n == 0 {
			return sundial.ErrJobNotFound
		}
		return sundial.ErrStale
	})
	if err != nil {
		return fmt.Errorf("update job %s: %w", job.ID, err)
	}
	job.Version = version
	return nil
}

// JobRemove deletes the job (its runs stay), or returns ErrJobNotFound.
func (s *Store) JobRemove(ctx context.Context, id string) error {
	err := s.write(ctx, true, func(t *wtx) error {
		res, err := t.exec(qFinish, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, sundial.ErrJobNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove job %s: %w", id, err)
	}
	return nil
}

// cmpErr returns err, or def when err is nil.
func cmpErr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

// JobRemoveAll deletes every job and returns how many there were.
func (s *Store) JobRemoveAll(ctx context.Context) (int, error) {
	var n int64
	err := s.write(ctx, true, func(t *wtx) error {
		res, err := t.exec(`DELETE FROM sundial_jobs`)
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
// not paused; the zero time when one of them has none yet (NULL).
func (s *Store) JobNextFireTime(ctx context.Context) (time.Time, bool, error) {
	var unscheduled bool
	var next sql.NullInt64
	err := s.readRow(ctx, `SELECT
			EXISTS (SELECT 1 FROM sundial_jobs WHERE paused = 0 AND next_run_time IS NULL),
			(SELECT min(next_run_time) FROM sundial_jobs WHERE paused = 0)`, nil, &unscheduled, &next)
	switch {
	case err != nil:
		return time.Time{}, false, fmt.Errorf("next fire time: %w", err)
	case unscheduled:
		return time.Time{}, true, nil
	case !next.Valid:
		return time.Time{}, false, nil
	}
	return fromMicros(next), true, nil
}
