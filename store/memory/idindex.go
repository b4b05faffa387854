package memory

import "hash/maphash"

// idIndex finds a run record by its run id: an open-addressing table of
// 8-byte slots (a 32-bit hash of the id and the record's handle), probed
// linearly, that compares the id itself in the record.
//
// It replaces a map[string]handle, which cost a third of a fire's CPU in
// BenchmarkFire: the history inserts and evicts a run per fire, and a Go
// map under that churn leaves tombstones that lengthen every probe until
// the map rehashes or grows. Here a delete shifts the following slots back
// (no tombstones), so probes stay short at any churn, and a slot takes 8
// bytes instead of the map's ~24 per entry.
type idIndex struct {
	seed  maphash.Seed
	slots []idSlot // a power of two long, or nil
	n     int      // slots in use
}

type idSlot struct {
	hash uint32 // low 32 bits of the id's hash; the home slot is hash & mask
	h    handle // 0: the slot is empty
}

const minIndexSlots = 64

func newIDIndex() idIndex { return idIndex{seed: maphash.MakeSeed()} }

func (x *idIndex) hash(id string) uint32 { return uint32(maphash.String(x.seed, id)) }

// find returns the handle of id's record, and the slot it is in.
func (x *idIndex) find(h *history, id string) (handle, int, bool) {
	if x.n == 0 {
		return 0, 0, false
	}
	hash := x.hash(id)
	mask := len(x.slots) - 1
	for i := int(hash) & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s.h == 0 {
			return 0, 0, false
		}
		if s.hash == hash && h.rec(s.h).val.ID == id {
			return s.h, i, true
		}
	}
}

// insert indexes record r under id, which must not be indexed yet.
func (x *idIndex) insert(id string, r handle) {
	if 2*(x.n+1) > len(x.slots) {
		x.resize(max(minIndexSlots, 2*len(x.slots)))
	}
	x.place(idSlot{hash: x.hash(id), h: r})
	x.n++
}

func (x *idIndex) place(s idSlot) {
	mask := len(x.slots) - 1
	i := int(s.hash) & mask
	for x.slots[i].h != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = s
}

// remove drops id's entry, if any. The slots after it in its probe run
// move back to fill the gap, so no probe ever passes a deleted slot.
func (x *idIndex) remove(h *history, id string) {
	_, i, ok := x.find(h, id)
	if !ok {
		return
	}
	mask := len(x.slots) - 1
	for j := (i + 1) & mask; x.slots[j].h != 0; j = (j + 1) & mask {
		// The entry at j may move to the gap at i when its home slot is
		// not in the cyclic range (i, j]: its probe passes i.
		home := int(x.slots[j].hash) & mask
		if (j-home)&mask >= (j-i)&mask {
			x.slots[i] = x.slots[j]
			i = j
		}
	}
	x.slots[i] = idSlot{}
	x.n--
	if len(x.slots) > minIndexSlots && 8*x.n < len(x.slots) {
		x.resize(len(x.slots) / 2) // give back what a large history took
	}
}

func (x *idIndex) resize(size int) {
	old := x.slots
	x.slots = make([]idSlot, size)
	for _, s := range old {
		if s.h != 0 {
			x.place(s)
		}
	}
}

// len returns the number of indexed ids.
func (x *idIndex) len() int { return x.n }

// each calls f with every indexed handle.
func (x *idIndex) each(f func(handle)) {
	for _, s := range x.slots {
		if s.h != 0 {
			f(s.h)
		}
	}
}
