package storetest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// audit runs a subtest against the store's sundial.AuditLog, skipping it
// when the store does not keep one (the capability is optional).
func (s suite) audit(t *testing.T, name string, fn func(t *testing.T, al sundial.AuditLog)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		st := s.newStore(t)
		al, ok := st.(sundial.AuditLog)
		if !ok {
			t.Skipf("%T does not implement sundial.AuditLog", st)
		}
		fn(t, al)
	})
}

// newAudit returns an entry made at at(n) with every field set.
func newAudit(n int, actor, action, target string) *sundial.AuditEntry {
	return &sundial.AuditEntry{
		At: at(n), Actor: actor, Role: "operator", Remote: "192.0.2.7:51234", Action: action, Target: target,
		Detail: json.RawMessage(fmt.Sprintf(`{"n":%d,"target":%q}`, n, target)),
	}
}

// appendAudit appends the entries in order and checks that each got a
// Seq.
func appendAudit(t *testing.T, al sundial.AuditLog, entries ...*sundial.AuditEntry) {
	t.Helper()
	for _, e := range entries {
		if err := al.AuditAppend(t.Context(), e); err != nil {
			t.Fatalf("AuditAppend(%s %s): %v", e.Action, e.Target, err)
		}
		if e.Seq <= 0 {
			t.Fatalf("AuditAppend(%s %s) set Seq %d, want a positive one", e.Action, e.Target, e.Seq)
		}
	}
}

func listAudit(t *testing.T, al sundial.AuditLog, p sundial.AuditListParams) []*sundial.AuditEntry {
	t.Helper()
	got, err := al.AuditList(t.Context(), p)
	if err != nil {
		t.Fatalf("AuditList(%+v): %v", p, err)
	}
	return got
}

func auditSeqs(entries []*sundial.AuditEntry) []int64 {
	var seqs []int64
	for _, e := range entries {
		seqs = append(seqs, e.Seq)
	}
	return seqs
}

// wantAudit checks that AuditList(p) returns exactly want, in that order,
// each entry as it was appended.
func wantAudit(t *testing.T, al sundial.AuditLog, p sundial.AuditListParams, want ...*sundial.AuditEntry) {
	t.Helper()
	got := listAudit(t, al, p)
	if !slices.Equal(auditSeqs(got), auditSeqs(want)) {
		t.Errorf("AuditList(%+v) seqs = %v, want %v", p, auditSeqs(got), auditSeqs(want))
		return
	}
	for i := range got {
		if d := diff(want[i], got[i]); d != "" {
			t.Errorf("AuditList(%+v): entry %d differs:\n%s", p, want[i].Seq, d)
		}
	}
}

// reversed returns the entries newest first, as AuditList orders them.
func reversed(entries ...*sundial.AuditEntry) []*sundial.AuditEntry {
	out := slices.Clone(entries)
	slices.Reverse(out)
	return out
}

// testAudit covers the optional sundial.AuditLog: the server's record of
// who changed what, shared by every node through the store.
func testAudit(s suite, t *testing.T) {
	s.audit(t, "SeqIncreasesAndIsWrittenBack", func(t *testing.T, al sundial.AuditLog) {
		var entries []*sundial.AuditEntry
		var last int64
		for i := range 5 {
			e := newAudit(i, "alice", "job.create", fmt.Sprintf("j%d", i))
			appendAudit(t, al, e)
			if e.Seq <= last {
				t.Fatalf("entry %d: Seq = %d after %d, want increasing", i, e.Seq, last)
			}
			last = e.Seq
			entries = append(entries, e)
		}
		wantAudit(t, al, sundial.AuditListParams{}, reversed(entries...)...)
	})

	s.audit(t, "Empty", func(t *testing.T, al sundial.AuditLog) {
		if got := listAudit(t, al, sundial.AuditListParams{}); len(got) != 0 {
			t.Errorf("AuditList of an empty log = %v, want nothing", auditSeqs(got))
		}
		if n, err := al.AuditPrune(t.Context(), at(100)); err != nil || n != 0 {
			t.Errorf("AuditPrune of an empty log = %d, %v; want 0", n, err)
		}
	})

	s.audit(t, "NewestFirstBySeqNotTime", func(t *testing.T, al sundial.AuditLog) {
		// At is the server's clock: nodes' clocks differ, so a later entry
		// may carry an earlier time. The order is the store's.
		var entries []*sundial.AuditEntry
		for _, n := range []int{3, 0, 5, 1, 4, 2} {
			entries = append(entries, newAudit(n, "alice", "job.update", "j"))
		}
		appendAudit(t, al, entries...)
		wantAudit(t, al, sundial.AuditListParams{}, reversed(entries...)...)
	})

	s.audit(t, "RoundTrip", func(t *testing.T, al sundial.AuditLog) {
		full := newAudit(1, "alice", "job.create", "nightly-report")
		full.Role, full.Remote = "admin", "[2001:db8::1]:443"
		// No authentication: no actor, role or remote; the scheduler as a
		// whole: no target; no detail.
		bare := &sundial.AuditEntry{At: at(2), Action: "scheduler.pause"}
		appendAudit(t, al, full, bare)
		wantAudit(t, al, sundial.AuditListParams{}, bare, full)
	})

	s.audit(t, "DetailRoundTrips", func(t *testing.T, al sundial.AuditLog) {
		details := []string{
			`{"name":"nightly","args":[1,"two",{"k":null}],"n":1.5,"big":12345678901234567,"ok":true}`,
			"{ \"spaced\" : [ 1 , 2 ] ,\n\t\"b\": {\"z\": 1, \"a\": 2} }",
			`{"text":"Zoë — 日本語 🚀","escapes":"quote\" backslash\\ \u00e9 \n \u0000 \u2028"}`,
			`{}`,
			`{"deep":{"a":{"b":{"c":[[[]],{}]}}}}`,
		}
		var entries []*sundial.AuditEntry
		for i, d := range details {
			e := newAudit(i, "alice", "job.update", "j")
			e.Detail = json.RawMessage(d)
			entries = append(entries, e)
		}
		appendAudit(t, al, entries...)
		got := listAudit(t, al, sundial.AuditListParams{})
		if len(got) != len(details) {
			t.Fatalf("AuditList = %d entries, want %d", len(got), len(details))
		}
		for i, e := range reversed(entries...) {
			// diff compares JSON by value: a store may normalise it.
			if d := diff(e, got[i]); d != "" {
				t.Errorf("entry with detail %s differs:\n%s", e.Detail, d)
			}
			if !json.Valid(got[i].Detail) {
				t.Errorf("listed detail %q is not valid JSON", got[i].Detail)
			}
		}
	})

	s.audit(t, "Unicode", func(t *testing.T, al sundial.AuditLog) {
		e := newAudit(1, "Zoë 日本", "job.create", "job/ünï-🚀")
		other := newAudit(2, "zoe", "job.create", "job/uni-🚀")
		appendAudit(t, al, e, other)
		wantAudit(t, al, sundial.AuditListParams{Actor: "Zoë 日本"}, e)
		wantAudit(t, al, sundial.AuditListParams{Target: "job/ünï-🚀"}, e)
		// Filters compare exactly: no case folding, no accent folding.
		wantAudit(t, al, sundial.AuditListParams{Actor: "zoë 日本"})
		wantAudit(t, al, sundial.AuditListParams{Actor: "Zoe 日本"})
		wantAudit(t, al, sundial.AuditListParams{Target: "JOB/ÜNÏ-🚀"})
	})

	s.audit(t, "Filters", func(t *testing.T, al sundial.AuditLog) {
		e := []*sundial.AuditEntry{
			newAudit(0, "alice", "job.create", "a"),
			newAudit(1, "bob", "job.pause", "a"),
			newAudit(2, "alice", "job.pause", "b"),
			newAudit(3, "", "scheduler.resume", ""),
			newAudit(4, "bob", "job.create", "b"),
			newAudit(5, "alice", "job.create", "a"),
		}
		appendAudit(t, al, e...)
		for _, tc := range []struct {
			name string
			p    sundial.AuditListParams
			want []*sundial.AuditEntry
		}{
			{"None", sundial.AuditListParams{}, reversed(e...)},
			{"Actor", sundial.AuditListParams{Actor: "alice"}, []*sundial.AuditEntry{e[5], e[2], e[0]}},
			{"Action", sundial.AuditListParams{Action: "job.pause"}, []*sundial.AuditEntry{e[2], e[1]}},
			{"Target", sundial.AuditListParams{Target: "a"}, []*sundial.AuditEntry{e[5], e[1], e[0]}},
			{"ActorAndAction", sundial.AuditListParams{Actor: "alice", Action: "job.create"}, []*sundial.AuditEntry{e[5], e[0]}},
			{"ActorAndTarget", sundial.AuditListParams{Actor: "bob", Target: "b"}, []*sundial.AuditEntry{e[4]}},
			{"All", sundial.AuditListParams{Actor: "alice", Action: "job.create", Target: "a"}, []*sundial.AuditEntry{e[5], e[0]}},
			{"TargetAndLimit", sundial.AuditListParams{Target: "b", Limit: 1}, []*sundial.AuditEntry{e[4]}},
			{"ActionAndFrom", sundial.AuditListParams{Action: "job.create", From: at(1)}, []*sundial.AuditEntry{e[5], e[4]}},
			{"UnknownActor", sundial.AuditListParams{Actor: "carol"}, nil},
			{"UnknownAction", sundial.AuditListParams{Action: "job.remove"}, nil},
			{"NoMatch", sundial.AuditListParams{Actor: "bob", Action: "scheduler.resume"}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) { wantAudit(t, al, tc.p, tc.want...) })
		}
	})

	s.audit(t, "FromTo", func(t *testing.T, al sundial.AuditLog) {
		// Appended out of time order: the bounds are on At, not on Seq.
		by := map[int]*sundial.AuditEntry{}
		for _, n := range []int{3, 0, 5, 1, 4, 2} {
			by[n] = newAudit(n, "alice", "job.update", "j")
			appendAudit(t, al, by[n])
		}
		// pick lists the entries made at the given minutes, newest (by
		// Seq) first.
		pick := func(ns ...int) []*sundial.AuditEntry {
			var out []*sundial.AuditEntry
			for _, n := range ns {
				out = append(out, by[n])
			}
			slices.SortFunc(out, func(a, b *sundial.AuditEntry) int { return cmp.Compare(b.Seq, a.Seq) })
			return out
		}
		for _, tc := range []struct {
			name string
			p    sundial.AuditListParams
			want []*sundial.AuditEntry
		}{
			{"FromIsInclusive", sundial.AuditListParams{From: at(3)}, pick(3, 4, 5)},
			{"ToIsExclusive", sundial.AuditListParams{To: at(2)}, pick(0, 1)},
			{"Both", sundial.AuditListParams{From: at(1), To: at(4)}, pick(1, 2, 3)},
			{"BetweenEntries", sundial.AuditListParams{From: at(1).Add(time.Second), To: at(3).Add(-time.Second)}, pick(2)},
			{"Empty", sundial.AuditListParams{From: at(2), To: at(2)}, nil},
			{"AfterAll", sundial.AuditListParams{From: at(6)}, nil},
			{"BeforeAll", sundial.AuditListParams{To: at(0)}, nil},
			{"InAnotherZone", sundial.AuditListParams{From: at(4).In(time.FixedZone("UTC+5", 5*3600))}, pick(4, 5)},
			{"FromAndLimit", sundial.AuditListParams{From: at(1), Limit: 2}, pick(1, 2, 3, 4, 5)[:2]},
		} {
			t.Run(tc.name, func(t *testing.T) { wantAudit(t, al, tc.p, tc.want...) })
		}
	})

	s.audit(t, "Limit", func(t *testing.T, al sundial.AuditLog) {
		var e []*sundial.AuditEntry
		for i := range 5 {
			e = append(e, newAudit(i, "alice", "job.create", fmt.Sprintf("j%d", i)))
		}
		appendAudit(t, al, e...)
		wantAudit(t, al, sundial.AuditListParams{Limit: 1}, e[4])
		wantAudit(t, al, sundial.AuditListParams{Limit: 2}, e[4], e[3])
		wantAudit(t, al, sundial.AuditListParams{Limit: 5}, reversed(e...)...)
		wantAudit(t, al, sundial.AuditListParams{Limit: 50}, reversed(e...)...)
		wantAudit(t, al, sundial.AuditListParams{Limit: 0}, reversed(e...)...)
		wantAudit(t, al, sundial.AuditListParams{Limit: 2, BeforeSeq: e[2].Seq}, e[1], e[0])
	})

	s.audit(t, "PagesWalkEveryEntryOnce", func(t *testing.T, al sundial.AuditLog) {
		var all, bob []*sundial.AuditEntry
		for i := range 11 {
			actor := []string{"alice", "bob"}[i%2]
			e := newAudit(i, actor, "job.update", fmt.Sprintf("j%d", i))
			appendAudit(t, al, e)
			all = append(all, e)
			if actor == "bob" {
				bob = append(bob, e)
			}
		}
		for _, tc := range []struct {
			name string
			p    sundial.AuditListParams
			want []*sundial.AuditEntry
		}{
			{"All", sundial.AuditListParams{Limit: 3}, reversed(all...)},
			{"PageOfOne", sundial.AuditListParams{Limit: 1}, reversed(all...)},
			{"Filtered", sundial.AuditListParams{Actor: "bob", Limit: 2}, reversed(bob...)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var got []int64
				p := tc.p
				for range len(tc.want) + 2 {
					page := listAudit(t, al, p)
					if len(page) > p.Limit {
						t.Fatalf("page of %d entries with Limit %d", len(page), p.Limit)
					}
					if len(page) == 0 {
						break
					}
					got = append(got, auditSeqs(page)...)
					p.BeforeSeq = page[len(page)-1].Seq
				}
				if want := auditSeqs(tc.want); !slices.Equal(got, want) {
					t.Errorf("pages = %v, want %v", got, want)
				}
			})
		}
		// A BeforeSeq between and beyond the stored ones.
		wantAudit(t, al, sundial.AuditListParams{BeforeSeq: all[0].Seq})
		wantAudit(t, al, sundial.AuditListParams{BeforeSeq: all[1].Seq}, all[0])
		wantAudit(t, al, sundial.AuditListParams{BeforeSeq: all[10].Seq + 1000}, reversed(all...)...)
	})

	s.audit(t, "Prune", func(t *testing.T, al sundial.AuditLog) {
		by := map[int]*sundial.AuditEntry{}
		for _, n := range []int{3, 0, 5, 1, 4, 2} {
			by[n] = newAudit(n, "alice", "job.update", fmt.Sprintf("j%d", n))
			appendAudit(t, al, by[n])
		}
		newest := by[2].Seq
		if n, err := al.AuditPrune(t.Context(), at(0)); err != nil || n != 0 {
			t.Errorf("AuditPrune(before the first) = %d, %v; want 0", n, err)
		}
		// Those made before the time go; one made at it stays.
		if n, err := al.AuditPrune(t.Context(), at(3)); err != nil || n != 3 {
			t.Errorf("AuditPrune(at 3) = %d, %v; want 3", n, err)
		}
		wantAudit(t, al, sundial.AuditListParams{}, by[4], by[5], by[3])
		if n, err := al.AuditPrune(t.Context(), at(3)); err != nil || n != 0 {
			t.Errorf("AuditPrune(at 3) again = %d, %v; want 0", n, err)
		}
		if n, err := al.AuditPrune(t.Context(), at(100)); err != nil || n != 3 {
			t.Errorf("AuditPrune(after all) = %d, %v; want 3", n, err)
		}
		wantAudit(t, al, sundial.AuditListParams{})
		// Seqs are never reused: pages read before a prune stay valid.
		e := newAudit(6, "alice", "job.update", "j6")
		appendAudit(t, al, e)
		if e.Seq <= newest {
			t.Errorf("Seq after a prune = %d, want above %d", e.Seq, newest)
		}
		wantAudit(t, al, sundial.AuditListParams{Target: "j6"}, e)
	})

	s.audit(t, "StoresCopies", func(t *testing.T, al sundial.AuditLog) {
		e := newAudit(1, "alice", "job.create", "j")
		appendAudit(t, al, e)
		want := *e
		want.Detail = slices.Clone(e.Detail)
		e.Actor, e.Detail[2] = "mallory", 'X'
		got := listAudit(t, al, sundial.AuditListParams{})
		if len(got) != 1 {
			t.Fatalf("AuditList = %d entries, want 1", len(got))
		}
		if d := diff(&want, got[0]); d != "" {
			t.Errorf("changing the appended entry changed the log:\n%s", d)
		}
		got[0].Actor = "mallory"
		if len(got[0].Detail) > 2 {
			got[0].Detail[2] = 'X'
		}
		wantAudit(t, al, sundial.AuditListParams{}, &want)
	})

	s.audit(t, "RefusesInvalidEntries", func(t *testing.T, al sundial.AuditLog) {
		bad := newAudit(1, "alice", "job.create", "j")
		bad.Detail = json.RawMessage(`{"unterminated":`)
		if err := al.AuditAppend(t.Context(), bad); err == nil {
			t.Errorf("AuditAppend with detail %s succeeded, want an error", bad.Detail)
		}
		undated := newAudit(1, "alice", "job.create", "j")
		undated.At = time.Time{}
		if err := al.AuditAppend(t.Context(), undated); err == nil {
			t.Error("AuditAppend without a time succeeded, want an error")
		}
		wantAudit(t, al, sundial.AuditListParams{})
	})

	s.audit(t, "CanceledContext", func(t *testing.T, al sundial.AuditLog) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := al.AuditAppend(ctx, newAudit(1, "alice", "job.create", "j")); !errors.Is(err, context.Canceled) {
			t.Errorf("AuditAppend with a canceled context: err = %v, want context.Canceled", err)
		}
		if _, err := al.AuditList(ctx, sundial.AuditListParams{}); !errors.Is(err, context.Canceled) {
			t.Errorf("AuditList with a canceled context: err = %v, want context.Canceled", err)
		}
		if _, err := al.AuditPrune(ctx, at(100)); !errors.Is(err, context.Canceled) {
			t.Errorf("AuditPrune with a canceled context: err = %v, want context.Canceled", err)
		}
		wantAudit(t, al, sundial.AuditListParams{})
	})

	s.audit(t, "ConcurrentAppends", func(t *testing.T, al sundial.AuditLog) {
		const writers, each = 8, 20
		var wg sync.WaitGroup
		entries := make([][]*sundial.AuditEntry, writers)
		for w := range writers {
			wg.Go(func() {
				var last int64
				for i := range each {
					e := newAudit(i, fmt.Sprintf("w%d", w), "job.update", fmt.Sprintf("w%d-%d", w, i))
					if err := al.AuditAppend(t.Context(), e); err != nil {
						t.Errorf("writer %d, entry %d: %v", w, i, err)
						return
					}
					// One caller's appends are ordered.
					if e.Seq <= last {
						t.Errorf("writer %d, entry %d: Seq = %d after %d, want increasing", w, i, e.Seq, last)
					}
					last = e.Seq
					entries[w] = append(entries[w], e)
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		bySeq := map[int64]*sundial.AuditEntry{}
		for _, es := range entries {
			for _, e := range es {
				if prev, dup := bySeq[e.Seq]; dup {
					t.Errorf("Seq %d given to both %s and %s", e.Seq, prev.Target, e.Target)
				}
				bySeq[e.Seq] = e
			}
		}
		got := listAudit(t, al, sundial.AuditListParams{})
		if len(got) != writers*each {
			t.Errorf("AuditList = %d entries, want %d", len(got), writers*each)
		}
		for i, g := range got {
			if i > 0 && g.Seq >= got[i-1].Seq {
				t.Errorf("AuditList not newest first: Seq %d after %d", g.Seq, got[i-1].Seq)
			}
			e, ok := bySeq[g.Seq]
			if !ok {
				t.Errorf("listed Seq %d (%s) was not given to any append", g.Seq, g.Target)
				continue
			}
			delete(bySeq, g.Seq)
			if d := diff(e, g); d != "" {
				t.Errorf("entry %d differs:\n%s", g.Seq, d)
			}
		}
		for seq, e := range bySeq {
			t.Errorf("entry %d (%s) was appended but not listed", seq, e.Target)
		}
	})
}
