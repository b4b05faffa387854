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
	live := map[*entry]int64{} // the key of each entry in the heap
	for i := range 5000 {
		switch op := r.IntN(10); {
		case op < 6 || len(live) == 0:
			e := &entry{order: uint64(i)}
			live[e] = r.Int64N(100)
			h.push(e, live[e])
		case op < 8:
			for e := range live {
				h.remove(int(e.index))
				delete(live, e)
				if e.index != -1 {
					t.Fatal("a removed entry keeps an index")
				}
				break
			}
		default:
			for e := range live {
				live[e] = r.Int64N(100)
				h.fix(int(e.index), live[e])
				break
			}
		}
		for j, s := range h.s {
			if int(s.e.index) != j {
				t.Fatalf("slot %d holds an entry that thinks it is at %d", j, s.e.index)
			}
			if s.key != live[s.e] {
				t.Fatalf("slot %d has key %d, its entry was given %d", j, s.key, live[s.e])
			}
		}
	}
	var got []slot
	for h.len() > 0 {
		e := h.top()
		got = append(got, slot{key: live[e], order: e.order})
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
