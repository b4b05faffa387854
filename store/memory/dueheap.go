package memory

// dueHeap is a 4-ary min-heap of scheduled jobs by next fire time, then by
// insertion order. Keys sit inline in the slots, so comparisons touch only
// the heap's own array (no pointer chasing into entries), which matters
// when a million jobs are due at once.
type dueHeap struct {
	s []slot
}

type slot struct {
	key   int64  // next fire time, Unix nanoseconds
	order uint64 // insertion order: equal times fire in the order added
	e     *entry
}

func (a slot) less(b slot) bool {
	return a.key < b.key || (a.key == b.key && a.order < b.order)
}

func (h *dueHeap) len() int { return len(h.s) }

// top returns the entry due first; the heap must not be empty.
func (h *dueHeap) top() *entry { return h.s[0].e }

// push adds e, due at key.
func (h *dueHeap) push(e *entry, key int64) {
	h.s = append(h.s, slot{key: key, order: e.order, e: e})
	e.index = int32(len(h.s) - 1)
	h.up(len(h.s) - 1)
}

// remove takes the entry at position i out of the heap.
func (h *dueHeap) remove(i int) {
	last := len(h.s) - 1
	h.s[i].e.index = -1
	if i != last {
		h.s[i] = h.s[last]
		h.s[i].e.index = int32(i)
	}
	h.s[last] = slot{}
	h.s = h.s[:last]
	if i < last {
		h.fixAt(i)
	}
}

// fix gives the entry at position i a new key and restores the order.
func (h *dueHeap) fix(i int, key int64) {
	h.s[i].key = key
	h.fixAt(i)
}

func (h *dueHeap) fixAt(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h *dueHeap) up(i int) {
	x := h.s[i]
	for i > 0 {
		p := (i - 1) / 4
		if !x.less(h.s[p]) {
			break
		}
		h.s[i] = h.s[p]
		h.s[i].e.index = int32(i)
		i = p
	}
	h.s[i] = x
	x.e.index = int32(i)
}

// down sifts position i toward the leaves and reports whether it moved.
func (h *dueHeap) down(i0 int) bool {
	n := len(h.s)
	i := i0
	x := h.s[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for k := c + 1; k < c+4 && k < n; k++ {
			if h.s[k].less(h.s[m]) {
				m = k
			}
		}
		if !h.s[m].less(x) {
			break
		}
		h.s[i] = h.s[m]
		h.s[i].e.index = int32(i)
		i = m
	}
	h.s[i] = x
	x.e.index = int32(i)
	return i > i0
}
