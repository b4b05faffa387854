package redis

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
)

func appendAudit(t *testing.T, s *Store, e *sundial.AuditEntry) {
	t.Helper()
	if err := s.AuditAppend(t.Context(), e); err != nil {
		t.Fatalf("AuditAppend: %v", err)
	}
}

// Filters the index does not answer are applied page by page: a listing
// that must read several pages of the index to fill its limit finds the
// same entries as one that reads them all.
func TestAuditListReadsSeveralPages(t *testing.T) {
	t.Parallel()
	s := setup(t, testPrefix(t))
	var all []*sundial.AuditEntry
	for i := range 200 {
		action := []string{"job.create", "job.update", "job.pause", "job.resume"}[i%4]
		if i%40 == 1 {
			action = "job.remove" // rare: 1 and 121 by u1
		}
		e := &sundial.AuditEntry{At: base.Add(time.Duration(i) * time.Minute), Actor: fmt.Sprint("u", i%3),
			Action: action, Target: fmt.Sprint("j", i%2)}
		appendAudit(t, s, e)
		all = append(all, e)
	}
	for _, p := range []sundial.AuditListParams{
		// The actor index (pages of 32), filtered by action: two matches,
		// fewer than the limit, so every page is read.
		{Actor: "u1", Action: "job.remove", Limit: 3},
		// The target index (pages of 80), filtered by actor: one match in
		// six.
		{Target: "j0", Actor: "u2", Limit: 20},
		// Every entry, filtered by time: the oldest, six pages down.
		{To: base.Add(40 * time.Minute), Limit: 5},
		{Action: "job.pause", From: base.Add(150 * time.Minute), Limit: 2},
		{Actor: "u0", Action: "job.create", Target: "j0"}, // no limit
	} {
		var want []int64
		for _, e := range slices.Backward(all) {
			if p.Matches(e) && (p.Limit == 0 || len(want) < p.Limit) {
				want = append(want, e.Seq)
			}
		}
		got, err := s.AuditList(t.Context(), p)
		if err != nil {
			t.Fatalf("AuditList(%+v): %v", p, err)
		}
		var seqs []int64
		for _, e := range got {
			seqs = append(seqs, e.Seq)
		}
		if len(want) == 0 || !slices.Equal(seqs, want) {
			t.Errorf("AuditList(%+v) = %v, want %v", p, seqs, want)
		}
	}
}

// A prune leaves no key of the entries it deleted behind, indexes
// included; only the seq counter stays.
func TestAuditPruneLeavesNoKeys(t *testing.T) {
	t.Parallel()
	s := setup(t, testPrefix(t))
	for i := range 30 {
		appendAudit(t, s, &sundial.AuditEntry{At: base.Add(time.Duration(i) * time.Second), Actor: fmt.Sprint("u", i%4),
			Action: "job.update", Target: fmt.Sprint("j", i%7), Detail: []byte(`{"i":1}`)})
	}
	appendAudit(t, s, &sundial.AuditEntry{At: base, Action: "scheduler.pause"}) // nothing to index but the action
	if n, err := s.AuditPrune(t.Context(), base.Add(time.Hour)); err != nil || n != 31 {
		t.Fatalf("AuditPrune = %d, %v; want 31", n, err)
	}
	keys, err := s.rdb.Keys(t.Context(), s.key("audit*")).Result()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys, []string{s.key("auditseq")}) {
		t.Errorf("keys after pruning every entry: %s, want only %sauditseq", strings.Join(keys, " "), s.opts.Prefix)
	}
}

// An append retried with the same idempotency token (after a reply lost
// with its connection) is recorded once.
func TestAuditAppendRetryIsIdempotent(t *testing.T) {
	t.Parallel()
	s := setup(t, testPrefix(t))
	tok := s.token()
	var replies []string
	for range 2 {
		v, err := s.run(t.Context(), scAuditAppend, tok, encTime(base), "alice", "admin", "", "job.pause", "a", "")
		if err != nil {
			t.Fatal(err)
		}
		replies = append(replies, fmt.Sprint(v))
	}
	if replies[0] != replies[1] {
		t.Errorf("replies to a repeated append = %q, want the same twice", replies)
	}
	got, err := s.AuditList(t.Context(), sundial.AuditListParams{})
	if err != nil || len(got) != 1 {
		t.Errorf("AuditList after a repeated append = %d entries, %v; want 1", len(got), err)
	}
}
