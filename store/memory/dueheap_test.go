package memory

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The heap pops entries in (key, order) order through any mix of pushes,
// removals and key changes.
func TestDueHeapOrder(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 11))
	var h dueHeap
	live := map[*entry]bool{}
	for i := range 5000 {
		switch op := r.IntN(10); {
		case op < 6 || len(live) == 0:
			e := &entry{key: r.Int64N(100), order: uint64(i)}
			h.push(e)
			live[e] = true
		case op < 8:
			for e := range live {
				h.remove(e.index)
				delete(live, e)
				if e.index != -1 {
					t.Fatal("a removed entry keeps an index")
				}
				break
			}
		default:
			for e := range live {
				e.key = r.Int64N(100)
				h.fix(e.index)
				break
			}
		}
		for j, s := range h.s {
			if s.e.index != j {
				t.Fatalf("slot %d holds an entry that thinks it is at %d", j, s.e.index)
			}
		}
	}
	var got []slot
	for h.len() > 0 {
		e := h.top()
		got = append(got, slot{key: e.key, order: e.order})
		h.remove(0)
	}
	if len(got) != len(live) || !slices.IsSortedFunc(got, func(a, b slot) int {
		if a.less(b) {
			return -1
		}
		if b.less(a) {
			return 1
		}
		return 0
	}) {
		t.Fatalf("popped %d of %d entries, out of order", len(got), len(live))
	}
}
