package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sundial-scheduler/sundial"
)

var _ sundial.AuditLog = (*Store)(nil)

// AuditAppend records the entry and sets e.Seq: one script takes the next
// seq from P auditseq, writes the entry's hash and indexes it.
func (s *Store) AuditAppend(ctx context.Context, e *sundial.AuditEntry) error {
	if err := e.Validate(); err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	res, err := s.write(ctx, scAuditAppend, encTime(e.At), e.Actor, e.Role, e.Remote, e.Action, e.Target, string(e.Detail))
	if err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	if len(res) != 2 || res[0] != "ok" {
		return fmt.Errorf("append audit entry: unexpected reply %q", res)
	}
	seq, err := strconv.ParseInt(res[1], 10, 64)
	if err != nil {
		return fmt.Errorf("append audit entry: unexpected reply %q", res)
	}
	e.Seq = seq
	return nil
}

// auditIndex returns the sorted set of seqs AuditList walks for p: that of
// the entries with p's target, actor or action (in that order of
// preference, the likeliest to be selective first), or of every entry.
func (s *Store) auditIndex(p sundial.AuditListParams) string {
	switch {
	case p.Target != "":
		return s.key("audittarget:", p.Target)
	case p.Actor != "":
		return s.key("auditactor:", p.Actor)
	case p.Action != "":
		return s.key("auditaction:", p.Action)
	}
	return s.key("audit")
}

// AuditList returns the matching entries, newest (highest Seq) first. It
// walks the most selective index down from p.BeforeSeq, filtering in pages.
func (s *Store) AuditList(ctx context.Context, p sundial.AuditListParams) ([]*sundial.AuditEntry, error) {
	index := s.auditIndex(p)
	maxScore := "+inf"
	if p.BeforeSeq > 0 {
		maxScore = "(" + strconv.FormatInt(p.BeforeSeq, 10)
	}
	// Without filters beyond the one of the index, a page of Limit is the
	// answer.
	named := 0
	for _, v := range []string{p.Target, p.Actor, p.Action} {
		if v != "" {
			named++
		}
	}
	exact := named <= 1 && p.From.IsZero() && p.To.IsZero()
	page := int64(readBatch)
	switch {
	case p.Limit > 0 && exact:
		page = int64(min(p.Limit, readBatch))
	case p.Limit > 0:
		page = int64(min(max(4*p.Limit, 32), readBatch))
	}
	var out []*sundial.AuditEntry
	for {
		var seqs []string
		err := s.retry(ctx, func() error {
			var err error
			seqs, err = s.rdb.ZRangeArgs(ctx, goredis.ZRangeArgs{
				Key: index, Start: maxScore, Stop: "-inf", ByScore: true, Rev: true, Count: page,
			}).Result()
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("list audit entries: %w", err)
		}
		hashes, err := s.hashes(ctx, "audit:", seqs)
		if err != nil {
			return nil, fmt.Errorf("list audit entries: %w", err)
		}
		for i, h := range hashes {
			if len(h) == 0 {
				continue // pruned meanwhile
			}
			e, err := decodeAudit(h)
			if err != nil {
				return nil, fmt.Errorf("list audit entries: entry %s: %w", seqs[i], err)
			}
			if p.Matches(e) {
				out = append(out, e)
				if p.Limit > 0 && len(out) == p.Limit {
					return out, nil
				}
			}
		}
		if int64(len(seqs)) < page {
			return out, nil
		}
		maxScore = "(" + seqs[len(seqs)-1]
	}
}

// decodeAudit decodes an entry's hash.
func decodeAudit(h map[string]string) (*sundial.AuditEntry, error) {
	seq, err := strconv.ParseInt(h["seq"], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("seq %q is not an integer", h["seq"])
	}
	at, err := decTime(h["at"])
	if err != nil {
		return nil, err
	}
	e := &sundial.AuditEntry{Seq: seq, At: at, Actor: h["actor"], Role: h["role"], Remote: h["remote"],
		Action: h["action"], Target: h["target"]}
	if d := h["detail"]; d != "" {
		e.Detail = json.RawMessage(d)
	}
	return e, nil
}

// AuditPrune deletes the entries made before the given time, oldest first,
// in scripts of at most 500 entries so the server is never held long.
func (s *Store) AuditPrune(ctx context.Context, before time.Time) (int, error) {
	const batch = 500
	total := 0
	for {
		n, err := s.runInt(ctx, scAuditPrune, encTime(before), batch)
		if err != nil {
			return total, fmt.Errorf("prune audit entries: %w", err)
		}
		total += n
		if n < batch {
			return total, nil
		}
	}
}
