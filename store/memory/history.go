package memory

import (
	"github.com/sundial-scheduler/sundial"
)

// The run history lives in a slab of records addressed by integer handles
// (an index into the slab; 0 is none). Each record sits on four intrusive
// doubly linked lists, so recording, finishing and evicting a run are a
// few index writes with no allocation and no map operation besides the
// one index from run id to handle. Evicted records are reused.

// handle is the index of a run record in history.recs; 0 is none.
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
	run  *sundial.Run // the store's own value; nil when the record is free
	job  *entry       // the runs' owner by job id
	link [nLists]link
	// owned is when the run last changed hands (recorded, taken over,
	// released), by the store's clock in Unix nanoseconds: RunReap takes
	// over a run submitted for too long from a live node.
	owned int64
}

// history is the run history; every method runs under Store.mu.
type history struct {
	recs       []runRec
	free       handle // free records, linked through link[onAll].next
	ids        map[string]handle
	all        list // onAll
	unfinished list // onState: runs not finished, by Seq
	finished   list // onState: finished runs, the order they finished
	seq        int64
}

// jobRuns is one job id's part of the history. Runs outlive their job.
type jobRuns struct {
	runs   list  // onJob
	done   list  // onDone
	active int32 // unfinished runs
}

func newHistory() history {
	return history{recs: make([]runRec, 1), ids: map[string]handle{}}
}

func (h *history) alloc() handle {
	if i := h.free; i != 0 {
		h.free = h.recs[i].link[onAll].next
		h.recs[i].link[onAll] = link{}
		return i
	}
	h.recs = append(h.recs, runRec{})
	return handle(len(h.recs) - 1)
}

func (h *history) release(i handle) {
	h.recs[i] = runRec{link: [nLists]link{onAll: {next: h.free}}}
	h.free = i
}

func (h *history) pushBack(l *list, k int, i handle) {
	h.recs[i].link[k] = link{prev: l.tail}
	if l.tail != 0 {
		h.recs[l.tail].link[k].next = i
	} else {
		l.head = i
	}
	l.tail = i
	l.n++
}

func (h *history) unlink(l *list, k int, i handle) {
	lk := h.recs[i].link[k]
	if lk.prev != 0 {
		h.recs[lk.prev].link[k].next = lk.next
	} else {
		l.head = lk.next
	}
	if lk.next != 0 {
		h.recs[lk.next].link[k].prev = lk.prev
	} else {
		l.tail = lk.prev
	}
	h.recs[i].link[k] = link{}
	l.n--
}

// insert records run for the job id e, and returns its handle. The store
// owns run from now on; its Seq is set.
func (s *Store) insertRun(e *entry, run *sundial.Run) handle {
	h := &s.hist
	h.seq++
	run.Seq = h.seq
	i := h.alloc()
	r := &h.recs[i]
	r.run, r.job, r.owned = run, e, now().UnixNano()
	h.pushBack(&h.all, onAll, i)
	h.pushBack(&e.hist.runs, onJob, i)
	h.ids[run.ID] = i
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
	h.recs[i].job.hist.active--
	s.retire(i)
}

// retire enters a finished run into the eviction order and enforces both
// bounds. Unfinished runs are never evicted: they still count against
// max_instances.
func (s *Store) retire(i handle) {
	h := &s.hist
	jr := &h.recs[i].job.hist
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
	r := &h.recs[i]
	e := r.job
	h.unlink(&h.all, onAll, i)
	h.unlink(&e.hist.runs, onJob, i)
	h.unlink(&h.finished, onState, i)
	h.unlink(&e.hist.done, onDone, i)
	delete(h.ids, r.run.ID)
	h.release(i)
	s.forgetIfEmpty(e)
}

// lookupRun returns the handle of the run with id.
func (h *history) lookup(id string) (handle, bool) {
	i, ok := h.ids[id]
	return i, ok
}
