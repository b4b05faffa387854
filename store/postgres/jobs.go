package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/trigger"
)

// jobColumns are the columns of sundial_jobs in the order jobRow scans
// them.
const jobColumns = `id, name, store, task, args, kwargs, trigger, next_run_time, paused, executor,
	misfire_grace_time, "coalesce", max_instances, timeout, retry, recovery, description, tags,
	version, created_at, updated_at`

// jobWriteColumns are the columns a job write sets, in the order of
// jobValues; version is the store's.
const jobWriteColumns = `id, name, store, task, args, kwargs, trigger, next_run_time, paused, executor,
	misfire_grace_time, "coalesce", max_instances, timeout, retry, recovery, description, tags,
	created_at, updated_at`

// jobRow is one row of sundial_jobs as scanned, before decoding.
type jobRow struct {
	id, name, store, task string
	args, kwargs, trig    string
	next                  pgtype.Timestamptz
	paused                bool
	executor              string
	grace                 *float64
	coalesce              bool
	maxInstances          int32
	timeout               float64
	retry, recovery       string
	description, tags     string
	version               int64
	createdAt, updatedAt  pgtype.Timestamptz
}

func (r *jobRow) dest() []any {
	return []any{&r.id, &r.name, &r.store, &r.task, &r.args, &r.kwargs, &r.trig, &r.next, &r.paused,
		&r.executor, &r.grace, &r.coalesce, &r.maxInstances, &r.timeout, &r.retry, &r.recovery,
		&r.description, &r.tags, &r.version, &r.createdAt, &r.updatedAt}
}

// job decodes the row, parsing its trigger with parse. A row written by
// another program may not decode (a trigger definition Sundial rejects,
// say); the error is a *sundial.JobError naming the column.
func (r *jobRow) job(parse func(string) (trigger.Trigger, error)) (*sundial.Job, error) {
	bad := func(field string, err error) error {
		return &sundial.JobError{JobID: r.id, Field: field, Reason: err.Error(), Err: err}
	}
	j := &sundial.Job{
		ID: r.id, Name: r.name, Store: r.store, Task: r.task,
		Args: json.RawMessage(r.args), Kwargs: json.RawMessage(r.kwargs),
		NextRunTime: fromTS(r.next), Paused: r.paused, Version: r.version,
		CreatedAt: fromTS(r.createdAt), UpdatedAt: fromTS(r.updatedAt),
	}
	if r.next.Valid && r.next.InfinityModifier != pgtype.Finite {
		return nil, bad("next_run_time", errors.New("is infinite"))
	}
	t, err := parse(r.trig)
	if err != nil {
		return nil, bad("trigger", err)
	}
	j.Trigger = t
	j.Executor = r.executor
	if r.grace != nil {
		g, err := seconds(*r.grace)
		if err != nil {
			return nil, bad("misfire_grace_time", err)
		}
		j.MisfireGraceTime = &g
	}
	j.Coalesce = r.coalesce
	j.MaxInstances = int(r.maxInstances)
	if j.Timeout, err = seconds(r.timeout); err != nil {
		return nil, bad("timeout", err)
	}
	if err := json.Unmarshal([]byte(r.retry), &j.Retry); err != nil {
		return nil, bad("retry", err)
	}
	j.Recovery = sundial.Recovery(r.recovery)
	j.Description = r.description
	if err := json.Unmarshal([]byte(r.tags), &j.Tags); err != nil {
		return nil, bad("tags", err)
	}
	if len(j.Tags) == 0 {
		j.Tags = nil
	}
	return j, nil
}

// seconds converts a column of seconds to a duration, rounded to the
// nanosecond.
func seconds(v float64) (time.Duration, error) {
	if math.IsNaN(v) || math.Abs(v) > math.MaxInt64/float64(time.Second) {
		return 0, fmt.Errorf("%v seconds is out of range", v)
	}
	return time.Duration(math.Round(v * float64(time.Second))), nil
}

// jobValues encodes a job for jobWriteColumns, refusing what would not
// read back: JSON columns that are not JSON of the right shape, a missing
// trigger.
func jobValues(j *sundial.Job) ([]any, error) {
	bad := func(field, reason string) error {
		return &sundial.JobError{JobID: j.ID, Field: field, Reason: reason}
	}
	args, err := jsonText(j.Args, '[', "[]")
	if err != nil {
		return nil, bad("args", err.Error())
	}
	kwargs, err := jsonText(j.Kwargs, '{', "{}")
	if err != nil {
		return nil, bad("kwargs", err.Error())
	}
	if j.Trigger == nil {
		return nil, bad("trigger", "is required")
	}
	trig, err := json.Marshal(j.Trigger)
	if err != nil {
		return nil, &sundial.JobError{JobID: j.ID, Field: "trigger", Reason: err.Error(), Err: err}
	}
	retry, err := json.Marshal(j.Retry)
	if err != nil {
		return nil, bad("retry", err.Error())
	}
	tags := []byte("[]")
	if len(j.Tags) > 0 {
		if tags, err = json.Marshal(j.Tags); err != nil {
			return nil, bad("tags", err.Error())
		}
	}
	var grace *float64
	if j.MisfireGraceTime != nil {
		g := j.MisfireGraceTime.Seconds()
		grace = &g
	}
	return []any{
		j.ID, j.Name, j.Store, j.Task, args, kwargs, string(trig), ts(j.NextRunTime), j.Paused, j.Executor,
		grace, j.Coalesce, j.MaxInstances, j.Timeout.Seconds(), string(retry), string(j.Recovery), j.Description,
		string(tags), ts(j.CreatedAt), ts(j.UpdatedAt),
	}, nil
}

// jsonText returns raw as the text of a JSON column whose value must open
// with open (an array or an object); empty and null are empty.
func jsonText(raw json.RawMessage, open byte, empty string) (string, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return empty, nil
	}
	if s[0] != open || !json.Valid(raw) {
		kind := "array"
		if open == '{' {
			kind = "object"
		}
		return "", fmt.Errorf("is not a JSON %s", kind)
	}
	return string(raw), nil
}

// placeholders returns "$from, $from+1, …" for n parameters.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(from + i))
	}
	return b.String()
}

var (
	jobInsertSQL = `INSERT INTO sundial_jobs (` + jobWriteColumns + `) VALUES (` + placeholders(1, 20) + `)
		ON CONFLICT (id) DO NOTHING RETURNING version`
	jobReplaceSQL = `INSERT INTO sundial_jobs (` + jobWriteColumns + `) VALUES (` + placeholders(1, 20) + `)
		ON CONFLICT (id) DO UPDATE SET ` + assignments(jobWriteColumns, "EXCLUDED") + `,
		version = sundial_jobs.version + 1 RETURNING version`
	jobUpdateSQL = `WITH u AS (
			UPDATE sundial_jobs SET ` + assignments(jobWriteColumns, "") + `, version = version + 1
			WHERE id = $1 AND version = $21 RETURNING version)
		SELECT (SELECT version FROM u), EXISTS (SELECT 1 FROM sundial_jobs WHERE id = $1)`
)

// assignments returns "col = from.col, …" for every column but id, or
// "col = $n" with the column's place in cols when from is empty.
func assignments(cols, from string) string {
	var out []string
	for i, c := range strings.Split(cols, ",") {
		c = strings.TrimSpace(c)
		if c == "id" {
			continue
		}
		if from == "" {
			out = append(out, c+" = $"+strconv.Itoa(i+1))
		} else {
			out = append(out, c+" = "+from+"."+c)
		}
	}
	return strings.Join(out, ", ")
}

// JobAdd stores a new job, or replaces one with p.Replace, and writes the
// stored version back into p.Job.
func (s *Store) JobAdd(ctx context.Context, p sundial.JobAddParams) error {
	vals, err := jobValues(p.Job)
	if err != nil {
		return err
	}
	q := jobInsertSQL
	if p.Replace {
		q = jobReplaceSQL
	}
	var version int64
	err = s.retry(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, q, vals...).Scan(&version)
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("add job %q: %w", p.Job.ID, sundial.ErrConflict)
	case err != nil:
		return fmt.Errorf("add job %q: %w", p.Job.ID, err)
	}
	p.Job.Version = version
	return nil
}

// JobGet returns a job. A row that does not decode is an error that
// matches sundial.ErrInvalidJob.
func (s *Store) JobGet(ctx context.Context, id string) (*sundial.Job, error) {
	var r jobRow
	err := s.retry(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT `+jobColumns+` FROM sundial_jobs WHERE id = $1`, id).Scan(r.dest()...)
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, sundial.ErrJobNotFound
	case err != nil:
		return nil, fmt.Errorf("get job %q: %w", id, err)
	}
	return r.job(s.triggers.Parse)
}

// JobList returns the matching jobs by next fire time (paused and
// unscheduled jobs last), then id. Rows that do not decode are left out
// and logged.
func (s *Store) JobList(ctx context.Context, p sundial.JobListParams) ([]*sundial.Job, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if p.Store != "" {
		add("store = ?", p.Store)
	}
	if p.Executor != "" {
		add("executor = ?", p.Executor)
	}
	if p.Task != "" {
		add("task = ?", p.Task)
	}
	if p.Paused != nil {
		add("paused = ?", *p.Paused)
	}
	if p.Tag != "" {
		add("EXISTS (SELECT 1 FROM json_array_elements_text(tags::json) AS t(tag) WHERE t.tag = ?)", p.Tag)
	}
	q := `SELECT ` + jobColumns + ` FROM sundial_jobs`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY (paused OR next_run_time IS NULL), CASE WHEN paused THEN NULL ELSE next_run_time END, id`
	var out []*sundial.Job
	err := s.retry(ctx, func(ctx context.Context) error {
		out = out[:0]
		rows, err := s.pool.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var r jobRow
		for rows.Next() {
			if err := rows.Scan(r.dest()...); err != nil {
				return err
			}
			j, err := r.job(s.triggers.Parse)
			if err != nil {
				s.log.Warn("sundial: job row left out: it does not decode", "job", r.id, "err", err)
				continue
			}
			out = append(out, j)
			if p.Limit > 0 && len(out) >= p.Limit {
				break
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return out, nil
}

// JobUpdate replaces a job if its version matches the stored one and
// writes the new version back into job.
func (s *Store) JobUpdate(ctx context.Context, job *sundial.Job) error {
	vals, err := jobValues(job)
	if err != nil {
		return err
	}
	vals = append(vals, job.Version)
	var (
		version *int64
		exists  bool
	)
	err = s.retry(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, jobUpdateSQL, vals...).Scan(&version, &exists)
	})
	switch {
	case err != nil:
		return fmt.Errorf("update job %q: %w", job.ID, err)
	case version != nil:
		job.Version = *version
		return nil
	case exists:
		return fmt.Errorf("update job %q at version %d: %w", job.ID, job.Version, sundial.ErrStale)
	default:
		return sundial.ErrJobNotFound
	}
}

// JobRemove deletes a job; its runs stay.
func (s *Store) JobRemove(ctx context.Context, id string) error {
	var n int64
	err := s.retry(ctx, func(ctx context.Context) error {
		tag, err := s.pool.Exec(ctx, `DELETE FROM sundial_jobs WHERE id = $1`, id)
		n = tag.RowsAffected()
		return err
	})
	switch {
	case err != nil:
		return fmt.Errorf("remove job %q: %w", id, err)
	case n == 0:
		return sundial.ErrJobNotFound
	}
	return nil
}

// JobRemoveAll deletes every job and returns how many there were.
func (s *Store) JobRemoveAll(ctx context.Context) (int, error) {
	var n int64
	err := s.retry(ctx, func(ctx context.Context) error {
		tag, err := s.pool.Exec(ctx, `DELETE FROM sundial_jobs`)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("remove all jobs: %w", err)
	}
	return int(n), nil
}

// JobNextFireTime returns the earliest next fire time of the jobs that are
// not paused; a job without one (next_run_time NULL) makes it the zero
// time.
func (s *Store) JobNextFireTime(ctx context.Context) (time.Time, bool, error) {
	var next pgtype.Timestamptz
	err := s.retry(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT next_run_time FROM sundial_jobs WHERE NOT paused
			ORDER BY COALESCE(next_run_time, '-infinity'::timestamptz), id LIMIT 1`).Scan(&next)
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return time.Time{}, false, nil
	case err != nil:
		return time.Time{}, false, fmt.Errorf("next fire time: %w", err)
	case next.InfinityModifier == pgtype.Infinity:
		// Sorted last, so every job left waits forever.
		return time.Time{}, false, nil
	}
	return fromTS(next), true, nil
}
