package memory

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Random inserts and removes, growing and shrinking the table, keep the
// index answering exactly as a map would, and every probe run unbroken.
func TestIDIndexAgreesWithMap(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	h := newHistory()
	want := map[string]handle{}
	var ids []string // indexed ids, to pick removals from
	check := func(step int) {
		t.Helper()
		if h.ids.len() != len(want) {
			t.Fatalf("step %d: %d indexed, want %d", step, h.ids.len(), len(want))
		}
		for id, i := range want {
			if got, ok := h.lookup(id); !ok || got != i {
				t.Fatalf("step %d: lookup(%s) = %d, %v; want %d", step, id, got, ok, i)
			}
		}
		seen := 0
		h.ids.each(func(handle) { seen++ })
		if seen != len(want) {
			t.Fatalf("step %d: each visits %d, want %d", step, seen, len(want))
		}
	}
	for step := range 20_000 {
		// Grow to a few thousand, then drain, twice: the table grows
		// and shrinks through every size on the way.
		phase := step / 5_000
		insert := r.IntN(10) < 7
		if phase%2 == 1 {
			insert = r.IntN(10) < 3
		}
		switch {
		case insert || len(ids) == 0:
			id := fmt.Sprintf("run-%d-%d", step, r.Uint32())
			i := h.alloc()
			h.rec(i).val.ID = id
			h.ids.insert(id, i)
			want[id] = i
			ids = append(ids, id)
		default:
			k := r.IntN(len(ids))
			id := ids[k]
			ids[k] = ids[len(ids)-1]
			ids = ids[:len(ids)-1]
			h.ids.remove(&h, id)
			h.release(want[id])
			delete(want, id)
			if _, ok := h.lookup(id); ok {
				t.Fatalf("step %d: %s found after its removal", step, id)
			}
		}
		if _, ok := h.lookup("never-inserted"); ok {
			t.Fatalf("step %d: found an id never inserted", step)
		}
		if step%97 == 0 || step == 19_999 {
			check(step)
		}
	}
	// A table shrinks as it drains: at most 8 slots per id (plus one
	// removal's lag), never below the minimum.
	if n := len(h.ids.slots); n > max(minIndexSlots, 8*h.ids.len()+8) {
		t.Fatalf("drained to %d ids, the table still has %d slots", h.ids.len(), n)
	}
}

// Removing an id that is not indexed changes nothing.
func TestIDIndexRemoveAbsent(t *testing.T) {
	t.Parallel()
	h := newHistory()
	i := h.alloc()
	h.rec(i).val.ID = "a"
	h.ids.insert("a", i)
	h.ids.remove(&h, "b")
	if got, ok := h.lookup("a"); !ok || got != i || h.ids.len() != 1 {
		t.Fatalf("after removing an absent id: lookup(a) = %d, %v; %d indexed", got, ok, h.ids.len())
	}
}
