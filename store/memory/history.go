package memory

import (
	"github.com/sundial-scheduler/sundial"
)

// The run history lives in a slab of records addressed by integer handles
// (an index into the slab; 0 is none). Each record sits on four intrusive
// doubly linked lists, so recording, finishing and evicting a run are a
// few index writes with no allocation and no map operation; the one index
// from run id to handle is an idIndex. Evicted records are reused.

// handle is the index of a run record in the history's slab; 0 is none.
type handle = int32

// Lists a run record is on, each with its own links.
const (
	onAll   = iota // every kept run, by Seq
	onJob          // the job's kept runs, by Seq
	onState        // unfinished runs by Seq, or finished runs in the order they finished
	onDone         // the job's finished runs in the order they finished
	nLists
)

type link struct{ prev, next handle }

type list struct {
	head, tail handle
	n          int32
}

type runRec struct {
	val  sundial.Run // the store's own copy of the run
	job  *entry      // the runs' owner by job id; nil when the record is free
	link [nLists]link
	// owned is when the run last changed hands (recorded, taken over,
	// released), by the store's clock in Unix nanoseconds: RunReap takes
	// over a run submitted for too long from a live node.
	owned int64
}

// history is the run history; every method runs under Store.mu.
type history struct {
	// chunks hold the records: record i is chunks[i/chunkSize][i%chunkSize].
	// A full slab grows by a chunk, so records never move (no copy of the
	// whole history as it grows) and pointers to them stay valid.
	chunks     [][]runRec
	n          handle  // records in use or free, record 0 included
	free       handle  // free records, linked through link[onAll].next
	ids        idIndex // run id to handle
	all        list    // onAll
	unfinished list    // onState: runs not finished, by Seq
	finished   list    // onState: finished runs, the order they finished
	seq        int64
}

// jobRuns is one job id's part of the history. Runs outlive their job.
type jobRuns struct {
	runs   list  // onJob
	done   list  // onDone
	active int32 // unfinished runs
}

func newHistory() history {
	return history{chunks: [][]runRec{make([]runRec, chunkSize)}, n: 1, ids: newIDIndex()}
}

func (h *history) alloc() handle {
	if i := h.free; i != 0 {
		h.free = h.rec(i).link[onAll].next
		h.rec(i).link[onAll] = link{}
		return i
	}
	if int(h.n)%chunkSize == 0 {
		h.chunks = append(h.chunks, make([]runRec, chunkSize))
	}
	h.n++
	return h.n - 1
}

// chunkSize is how many run records one chunk of the slab holds.
const chunkSize = 1024

// rec returns record i.
func (h *history) rec(i handle) *runRec {
	return &h.chunks[i/chunkSize][i%chunkSize]
}

// size is the number of records, record 0 (none) included.
func (h *history) size() int { return int(h.n) }

func (h *history) release(i handle) {
	*h.rec(i) = runRec{link: [nLists]link{onAll: {next: h.free}}}
	h.free = i
}

func (h *history) pushBack(l *list, k int, i handle) {
	h.rec(i).link[k] = link{prev: l.tail}
	if l.tail != 0 {
		h.rec(l.tail).link[k].next = i
	} else {
		l.head = i
	}
	l.tail = i
	l.n++
}

func (h *history) unlink(l *list, k int, i handle) {
	lk := h.rec(i).link[k]
	if lk.prev != 0 {
		h.rec(lk.prev).link[k].next = lk.next
	} else {
		l.head = lk.next
	}
	if lk.next != 0 {
		h.rec(lk.next).link[k].prev = lk.prev
	} else {
		l.tail = lk.prev
	}
	h.rec(i).link[k] = link{}
	l.n--
}

// insertRun records a copy of run for the job id e, changing hands at
// owned (the store's clock, Unix nanoseconds), and returns its handle;
// run.Seq is set. The copy lives in the slab: no allocation once the
// history is full and evicted records are reused.
func (s *Store) insertRun(e *entry, run *sundial.Run, owned int64) handle {
	h := &s.hist
	h.seq++
	run.Seq = h.seq
	i := h.alloc()
	r := h.rec(i)
	r.val, r.job, r.owned = *run, e, owned
	h.pushBack(&h.all, onAll, i)
	h.pushBack(&e.hist.runs, onJob, i)
	h.ids.insert(run.ID, i)
	if run.Status.Finished() {
		s.retire(i)
	} else {
		h.pushBack(&h.unfinished, onState, i)
		e.hist.active++
	}
	return i
}

// finishRun moves an unfinished run, just given a final status, to the
// finished ones.
func (s *Store) finishRun(i handle) {
	h := &s.hist
	h.unlink(&h.unfinished, onState, i)
	h.rec(i).job.hist.active--
	s.retire(i)
}

// retire enters a finished run into the eviction order and enforces both
// bounds. Unfinished runs are never evicted: they still count against
// max_instances.
func (s *Store) retire(i handle) {
	h := &s.hist
	jr := &h.rec(i).job.hist
	h.pushBack(&h.finished, onState, i)
	h.pushBack(&jr.done, onDone, i)
	for int(jr.done.n) > s.opts.RunsPerJob {
		s.evict(jr.done.head)
	}
	for int(h.finished.n) > s.opts.MaxRuns {
		s.evict(h.finished.head)
	}
}

// evict forgets a finished run, and its job id's entry once that holds
// neither a job nor runs (so one-shot jobs leave nothing behind).
func (s *Store) evict(i handle) {
	h := &s.hist
	r := h.rec(i)
	e := r.job
	h.unlink(&h.all, onAll, i)
	h.unlink(&e.hist.runs, onJob, i)
	h.unlink(&h.finished, onState, i)
	h.unlink(&e.hist.done, onDone, i)
	h.ids.remove(h, r.val.ID)
	h.release(i)
	s.forgetIfEmpty(e)
}

// lookupRun returns the handle of the run with id.
func (h *history) lookup(id string) (handle, bool) {
	i, _, ok := h.ids.find(h, id)
	return i, ok
}
