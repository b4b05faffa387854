package redis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sundial-scheduler/sundial"
)

// RunInsert records a run that no claim created and sets its Seq. The
// duplicate checks, the count of the job's unfinished runs against
// maxActive and the insert are one script.
func (s *Store) RunInsert(ctx context.Context, run *sundial.Run, maxActive int) error {
	args := runArgs([]any{strconv.Itoa(maxActive)}, run)
	res, err := s.write(ctx, scRunInsert, args...)
	if err != nil {
		return fmt.Errorf("insert run %s: %w", run.ID, err)
	}
	switch res[0] {
	case "ok":
		seq, err := strconv.ParseInt(res[len(res)-1], 10, 64)
		if err != nil {
			return fmt.Errorf("insert run %s: unexpected reply %q", run.ID, res)
		}
		run.Seq = seq
		return nil
	case "dup":
		return fmt.Errorf("insert run %s of job %s at %s attempt %d: %w", run.ID, run.JobID, run.ScheduledAt, run.Attempt, sundial.ErrDuplicateRun)
	case "max":
		return fmt.Errorf("insert run %s: job %s has %s unfinished runs: %w", run.ID, run.JobID, res[len(res)-1], sundial.ErrMaxInstances)
	}
	return fmt.Errorf("insert run %s: unexpected reply %q", run.ID, res)
}

// RunUpdate stores the new states of runs in one script; each is refused
// on its own (a *sundial.RunError wrapping ErrRunNotFound, ErrLeaseLost or
// ErrLeaseExpired) unless the stored run is unfinished, belongs to
// run.Node and that node's lease is live by the Redis clock. A start
// record is refused (ErrLeaseLost) as well when the run is running with
// another started_at (in µs, as stored): another start came first.
func (s *Store) RunUpdate(ctx context.Context, runs ...*sundial.Run) error {
	if len(runs) == 0 {
		return nil
	}
	args := []any{strconv.Itoa(len(runs))}
	for _, r := range runs {
		f := runStateFields(r)
		// Without a finish time the script dates the run by its stored
		// creation time.
		args = append(args, r.ID, r.Node, encBool(r.Status.Finished()), encTime(r.FinishedAt), strconv.Itoa(len(f)/2))
		args = append(args, f...)
	}
	// No idempotency token: the script itself accepts a repeat (see
	// lua/run_update.lua), which saves a key per update.
	v, err := s.run(ctx, scRunUpdate, "", args...)
	if err != nil {
		return fmt.Errorf("update runs: %w", err)
	}
	res, err := decodeReply(v)
	if err != nil {
		return fmt.Errorf("update runs: %w", err)
	}
	if len(res) != len(runs)+1 {
		return fmt.Errorf("update runs: unexpected reply %q", res)
	}
	var errs []error
	for i, st := range res[1:] {
		switch st {
		case "ok":
		case "notfound":
			errs = append(errs, &sundial.RunError{RunID: runs[i].ID, Err: sundial.ErrRunNotFound})
		case "expired":
			errs = append(errs, &sundial.RunError{RunID: runs[i].ID, Err: sundial.ErrLeaseExpired})
		default:
			errs = append(errs, &sundial.RunError{RunID: runs[i].ID,
				Err: fmt.Errorf("run is finished or not node %s's: %w", runs[i].Node, sundial.ErrLeaseLost)})
		}
	}
	return errors.Join(errs...)
}

// RunGet returns a run, or ErrRunNotFound.
func (s *Store) RunGet(ctx context.Context, id string) (*sundial.Run, error) {
	h, err := s.hashes(ctx, "run:", []string{id})
	if err != nil {
		return nil, fmt.Errorf("get run %s: %w", id, err)
	}
	if len(h[0]) == 0 {
		return nil, fmt.Errorf("get run %s: %w", id, sundial.ErrRunNotFound)
	}
	return decodeRun(h[0])
}

// RunList returns the runs that match p, newest (highest Seq) first. It
// walks the job's run index (or the index of all runs) down from
// p.BeforeSeq, filtering in pages.
func (s *Store) RunList(ctx context.Context, p sundial.RunListParams) ([]*sundial.Run, error) {
	index := s.key("runs")
	if p.JobID != "" {
		index = s.key("jobruns:", p.JobID)
	}
	maxScore := "+inf"
	if p.BeforeSeq > 0 {
		maxScore = "(" + strconv.FormatInt(p.BeforeSeq, 10)
	}
	page := int64(readBatch)
	switch {
	case p.Limit > 0 && !filtered(p):
		page = int64(min(p.Limit, readBatch))
	case p.Limit > 0:
		page = int64(min(max(4*p.Limit, 32), readBatch))
	}
	var out []*sundial.Run
	for {
		var ids []string
		err := s.retry(ctx, func() error {
			var err error
			ids, err = s.rdb.ZRangeArgs(ctx, goredis.ZRangeArgs{
				Key: index, Start: maxScore, Stop: "-inf", ByScore: true, Rev: true, Count: page,
			}).Result()
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		hashes, err := s.hashes(ctx, "run:", ids)
		if err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		for _, h := range hashes {
			if len(h) == 0 {
				continue // pruned meanwhile
			}
			r, err := decodeRun(h)
			if err != nil {
				return nil, fmt.Errorf("list runs: %w", err)
			}
			if p.Matches(r) {
				out = append(out, r)
				if p.Limit > 0 && len(out) == p.Limit {
					return out, nil
				}
			}
		}
		if int64(len(ids)) < page {
			return out, nil
		}
		last := hashes[len(hashes)-1]["seq"]
		if last == "" {
			// The oldest of the page was pruned meanwhile: ask the index.
			score, err := s.rdb.ZScore(ctx, index, ids[len(ids)-1]).Result()
			if err != nil && !errors.Is(err, goredis.Nil) {
				return nil, fmt.Errorf("list runs: %w", err)
			}
			last = strconv.FormatInt(int64(score), 10)
		}
		maxScore = "(" + last
	}
}

// filtered reports whether p filters on more than the index it walks.
func filtered(p sundial.RunListParams) bool {
	return p.Status != "" || p.Node != "" || !p.From.IsZero() || !p.To.IsZero()
}

// RunPrune deletes finished runs beyond p.KeepPerJob per job (by Seq) and
// those finished before p.FinishedBefore, in scripts of bounded size, and
// returns how many it deleted. A finished run without a finish time is
// dated by its creation. Unfinished runs are never deleted.
func (s *Store) RunPrune(ctx context.Context, p sundial.RunPruneParams) (int, error) {
	total := 0
	if p.KeepPerJob > 0 {
		var cursor uint64
		for {
			var jobs []string
			err := s.retry(ctx, func() error {
				var err error
				jobs, cursor, err = s.rdb.SScan(ctx, s.key("runjobs"), cursor, "", 128).Result()
				return err
			})
			if err != nil {
				return total, fmt.Errorf("prune runs: %w", err)
			}
			for chunk := range slices.Chunk(jobs, 64) {
				args := []any{strconv.Itoa(p.KeepPerJob)}
				for _, j := range chunk {
					args = append(args, j)
				}
				n, err := s.runInt(ctx, scRunPruneKeep, args...)
				if err != nil {
					return total, fmt.Errorf("prune runs: %w", err)
				}
				total += n
			}
			if cursor == 0 {
				break
			}
		}
	}
	if !p.FinishedBefore.IsZero() {
		const batch = 500
		for {
			n, err := s.runInt(ctx, scRunPruneAge, encTime(p.FinishedBefore), batch)
			if err != nil {
				return total, fmt.Errorf("prune runs: %w", err)
			}
			total += n
			if n < batch {
				break
			}
		}
	}
	return total, nil
}

// runInt runs a script that replies with an integer. Pruning needs no
// token: a repeated prune deletes nothing more than the first.
func (s *Store) runInt(ctx context.Context, sc *goredis.Script, args ...any) (int, error) {
	v, err := s.run(ctx, sc, "", args...)
	if err != nil {
		return 0, err
	}
	n, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("unexpected script reply %v", v)
	}
	return int(n), nil
}

// RunReap ends the unfinished runs of nodes whose lease expired by the
// Redis clock (or that left, or never registered): submitted and
// recoverable running runs pass to p.Node, the others become interrupted.
// With p.Restarted, the unfinished runs of p.Node itself (an earlier
// process's) go the same way. With p.StaleAfter > 0, runs that other live
// nodes (and, with p.OwnStale, p.Node itself) have held submitted for
// longer than that (P owned) pass to p.Node too. That includes runs a reap handed to a node that never got the
// reply: they are someone else's to take once they have waited that long.
func (s *Store) RunReap(ctx context.Context, p sundial.RunReapParams) (sundial.RunReapResult, error) {
	var out sundial.RunReapResult
	res, err := s.write(ctx, scRunReap, p.Node, encTime(p.Now), strconv.Itoa(max(p.Limit, 0)),
		strconv.FormatInt(max(p.StaleAfter.Microseconds(), 0), 10), encBool(p.Restarted), encBool(p.OwnStale))
	if err != nil {
		return out, fmt.Errorf("reap runs: %w", err)
	}
	if res[0] == "leaselost" {
		return out, fmt.Errorf("reap as node %q: %w", p.Node, sundial.ErrLeaseLost)
	}
	if len(res) < 2 {
		return out, fmt.Errorf("reap runs: unexpected reply %q", res)
	}
	nTaken, err := strconv.Atoi(res[1])
	ids := res[2:]
	if err != nil || nTaken > len(ids) {
		return out, fmt.Errorf("reap runs: unexpected reply %q", res)
	}
	// The reaped runs are now the caller's (taken) or final
	// (interrupted), so reading them after the script sees what it wrote.
	hashes, err := s.hashes(ctx, "run:", ids)
	if err != nil {
		return out, fmt.Errorf("reap runs: read reaped runs: %w", err)
	}
	for i, h := range hashes {
		r, err := decodeRun(h)
		if err != nil {
			return out, fmt.Errorf("reap runs: %w", err)
		}
		if r.ID == "" {
			r.ID = ids[i]
		}
		if i < nTaken {
			out.Taken = append(out.Taken, r)
		} else {
			out.Interrupted = append(out.Interrupted, r)
		}
	}
	return out, nil
}

// RunRelease gives back the listed runs that are still submitted and owned
// by p.Node, in one script: they lose their owner and move to the index
// of unowned runs, so the next reap of any node takes them over. No lease
// is needed. When it released any, the script bumps the change counter and
// publishes it, so that watching nodes reap at once.
func (s *Store) RunRelease(ctx context.Context, p sundial.RunReleaseParams) ([]string, error) {
	if p.Node == "" || len(p.RunIDs) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(p.RunIDs)+1)
	args = append(args, p.Node)
	for _, id := range p.RunIDs {
		args = append(args, id)
	}
	res, err := s.write(ctx, scRunRelease, args...)
	if err != nil {
		return nil, fmt.Errorf("release runs of node %s: %w", p.Node, err)
	}
	if res[0] != "ok" {
		return nil, fmt.Errorf("release runs of node %s: unexpected reply %q", p.Node, res)
	}
	return res[1:], nil
}
