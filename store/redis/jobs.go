package redis

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sundial-scheduler/sundial"
)

// JobAdd stores a new job, or replaces one when p.Replace is set, and
// writes the stored version back into p.Job.
func (s *Store) JobAdd(ctx context.Context, p sundial.JobAddParams) error {
	fields, err := jobFields(p.Job)
	if err != nil {
		return fmt.Errorf("add job: %w", err)
	}
	args := append([]any{p.Job.ID, encBool(p.Replace)}, fields...)
	res, err := s.write(ctx, scJobAdd, args...)
	if err != nil {
		return fmt.Errorf("add job %s: %w", p.Job.ID, err)
	}
	switch res[0] {
	case "ok":
		return setVersion(p.Job, res)
	case "conflict":
		return fmt.Errorf("add job %s: %w", p.Job.ID, sundial.ErrConflict)
	case "noschema":
		return fmt.Errorf("add job %s: %w", p.Job.ID, ErrNoSchema)
	}
	return fmt.Errorf("add job %s: unexpected reply %q", p.Job.ID, res)
}

// setVersion writes the version of an ["ok", version] reply into job.
func setVersion(job *sundial.Job, res []string) error {
	if len(res) < 2 {
		return fmt.Errorf("job %s: unexpected reply %q", job.ID, res)
	}
	v, err := strconv.ParseInt(res[1], 10, 64)
	if err != nil {
		return fmt.Errorf("job %s: unexpected version %q", job.ID, res[1])
	}
	job.Version = v
	return nil
}

// JobGet returns a job, or ErrJobNotFound. A job whose stored fields do not
// decode (written by another program) is a *sundial.JobError naming the
// field.
func (s *Store) JobGet(ctx context.Context, id string) (*sundial.Job, error) {
	var h map[string]string
	err := s.retry(ctx, func() error {
		var err error
		h, err = s.rdb.HGetAll(ctx, s.key("job:", id)).Result()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get job %s: %w", id, err)
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("get job %s: %w", id, sundial.ErrJobNotFound)
	}
	return decodeJob(id, h)
}

// readBatch bounds the keys read in one pipeline.
const readBatch = 512

// JobList returns the jobs that match p, by next fire time (paused last),
// then id. Jobs whose stored fields do not decode are left out and logged.
func (s *Store) JobList(ctx context.Context, p sundial.JobListParams) ([]*sundial.Job, error) {
	var ids []string
	err := s.retry(ctx, func() error {
		var err error
		ids, err = s.rdb.SMembers(ctx, s.key("jobs")).Result()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	var out []*sundial.Job
	for chunk := range slices.Chunk(ids, readBatch) {
		hashes, err := s.hashes(ctx, "job:", chunk)
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		for i, h := range hashes {
			if len(h) == 0 {
				continue // removed meanwhile
			}
			j, err := decodeJob(chunk[i], h)
			if err != nil {
				s.log.Warn("redis store: job left out of the list: its stored fields do not decode", "job", chunk[i], "err", err)
				continue
			}
			if p.Matches(j) {
				out = append(out, j)
			}
		}
	}
	slices.SortFunc(out, sundial.CompareJobs)
	if p.Limit > 0 && len(out) > p.Limit {
		out = out[:p.Limit]
	}
	return out, nil
}

// hashes reads the hashes prefix+id for ids in one pipeline.
func (s *Store) hashes(ctx context.Context, prefix string, ids []string) ([]map[string]string, error) {
	out := make([]map[string]string, len(ids))
	err := s.retry(ctx, func() error {
		cmds := make([]*goredis.MapStringStringCmd, len(ids))
		_, err := s.rdb.Pipelined(ctx, func(pipe goredis.Pipeliner) error {
			for i, id := range ids {
				cmds[i] = pipe.HGetAll(ctx, s.key(prefix, id))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i, c := range cmds {
			out[i] = c.Val()
		}
		return nil
	})
	return out, err
}

// JobUpdate replaces a job if job.Version is the stored version
// (ErrStale otherwise) and writes the new version back.
func (s *Store) JobUpdate(ctx context.Context, job *sundial.Job) error {
	fields, err := jobFields(job)
	if err != nil {
		return fmt.Errorf("update job: %w", err)
	}
	args := append([]any{job.ID, strconv.FormatInt(job.Version, 10)}, fields...)
	res, err := s.write(ctx, scJobUpdate, args...)
	if err != nil {
		return fmt.Errorf("update job %s: %w", job.ID, err)
	}
	switch res[0] {
	case "ok":
		return setVersion(job, res)
	case "notfound":
		return fmt.Errorf("update job %s: %w", job.ID, sundial.ErrJobNotFound)
	case "stale":
		return fmt.Errorf("update job %s at version %d: %w", job.ID, job.Version, sundial.ErrStale)
	}
	return fmt.Errorf("update job %s: unexpected reply %q", job.ID, res)
}

// JobRemove deletes a job; its runs stay.
func (s *Store) JobRemove(ctx context.Context, id string) error {
	res, err := s.write(ctx, scJobRemove, id)
	if err != nil {
		return fmt.Errorf("remove job %s: %w", id, err)
	}
	if res[0] == "notfound" {
		return fmt.Errorf("remove job %s: %w", id, sundial.ErrJobNotFound)
	}
	return nil
}

// JobRemoveAll deletes every job and returns how many there were.
func (s *Store) JobRemoveAll(ctx context.Context) (int, error) {
	res, err := s.write(ctx, scJobRemoveAll)
	if err != nil {
		return 0, fmt.Errorf("remove all jobs: %w", err)
	}
	if len(res) < 2 {
		return 0, fmt.Errorf("remove all jobs: unexpected reply %q", res)
	}
	n, err := strconv.Atoi(res[1])
	if err != nil {
		return 0, fmt.Errorf("remove all jobs: unexpected reply %q", res)
	}
	return n, nil
}

// JobNextFireTime returns the earliest next fire time of the jobs that are
// not paused; the zero time (with ok) when one waits for its first fire
// time to be computed.
func (s *Store) JobNextFireTime(ctx context.Context) (time.Time, bool, error) {
	v, err := s.run(ctx, scJobNext, "")
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next fire time: %w", err)
	}
	res, err := strs(v)
	if err != nil || len(res) == 0 {
		return time.Time{}, false, fmt.Errorf("next fire time: unexpected reply %v", v)
	}
	switch res[0] {
	case "unsched":
		return time.Time{}, true, nil
	case "due":
		if len(res) == 2 {
			if t, err := decTime(res[1]); err == nil {
				return t, true, nil
			}
			if f, err := strconv.ParseFloat(res[1], 64); err == nil {
				return time.UnixMicro(int64(f)).UTC(), true, nil
			}
		}
	case "none":
		return time.Time{}, false, nil
	}
	return time.Time{}, false, fmt.Errorf("next fire time: unexpected reply %q", res)
}

// park takes a job whose fields do not decode out of the due indexes, so
// it cannot hold up claims, and logs why. A later write of the job (JobAdd
// with Replace, JobUpdate, or another program following SCHEMA.md) puts it
// back.
func (s *Store) park(ctx context.Context, id, version string, cause error) {
	v, err := s.run(ctx, scJobPark, "", id, version)
	if err != nil {
		s.log.Error("redis store: job cannot be claimed: its stored fields do not decode", "job", id, "err", cause, "park_err", err)
		return
	}
	if n, _ := v.(int64); n == 1 {
		s.log.Error("redis store: job parked: its stored fields do not decode; it is not claimed until it is written again",
			"job", id, "err", cause)
	}
}
