package sundial

import (
	"sync"
	"sync/atomic"
)

// executor is a named worker pool: a fixed number of goroutines take runs
// from an unbounded FIFO queue, so the dispatch loop never blocks on it. A
// worker takes one run at a time, so a long run never holds others back
// while another worker is free, and runs still queued at a shutdown were
// never started (they are released to other nodes).
type executor struct {
	name    string
	workers int
	// exec starts next (nil: none) and records prev's outcome (nil: none)
	// in one write; it returns next, finished, or nil if it did not run.
	exec func(buf *stepBuf, prev, next *work) *work

	// load counts the runs submitted and not yet done (queued, or taken
	// by a worker whose handler has not returned): a cluster node claims
	// no more than its workers can start (see Scheduler.claimLimit).
	load atomic.Int64
	// freed, if set, is called when a worker is done with a run.
	freed func()

	mu       sync.Mutex
	cond     *sync.Cond
	queue    []*work
	head     int
	stopping bool
	wg       sync.WaitGroup
}

// free is how many more runs the executor can start at once.
func (e *executor) free() int { return max(e.workers-int(e.load.Load()), 0) }

// work is one run handed to an executor, with the job it belongs to.
type work struct {
	job *Job
	run *Run
	own Run // the run's storage when the work holds its own copy

	handler Handler // set when the run starts
	endJob  bool    // the handler ended the job's schedule
	pooled  bool    // from workPool: back to it once the run is recorded
}

// workPool recycles the works of claimed runs: a fire then allocates no
// work, only its handler's RunContext (which a handler may keep). A work
// goes back to the pool only from afterRun, once its outcome is recorded
// and its events (which copy the run) are emitted; works that a shutdown
// takes, delays or hands over are left to the collector.
var workPool = sync.Pool{New: func() any { return &work{pooled: true} }}

// newPooledWork returns a work for a copy of run.
func newPooledWork(job *Job, run *Run) *work {
	w := workPool.Get().(*work)
	w.job, w.own = job, *run
	w.run = &w.own
	return w
}

// recycle returns a pooled work to the pool, cleared.
func recycle(w *work) {
	if w.pooled {
		*w = work{pooled: true}
		workPool.Put(w)
	}
}

func newExecutor(name string, workers int, exec func(buf *stepBuf, prev, next *work) *work) *executor {
	e := &executor{name: name, workers: workers, exec: exec}
	e.cond = sync.NewCond(&e.mu)
	return e
}

func (e *executor) start() {
	e.wg.Add(e.workers)
	for range e.workers {
		go e.worker()
	}
}

func (e *executor) submit(w *work) {
	e.load.Add(1)
	e.mu.Lock()
	e.queue = append(e.queue, w)
	e.mu.Unlock()
	e.cond.Signal()
}

// submitAll queues several runs under one lock.
func (e *executor) submitAll(ws []*work) {
	e.load.Add(int64(len(ws)))
	e.mu.Lock()
	e.queue = append(e.queue, ws...)
	e.mu.Unlock()
	if len(ws) == 1 {
		e.cond.Signal()
	} else {
		e.cond.Broadcast()
	}
}

// worker runs queued runs one at a time. The outcome of a run is recorded
// with the start of the next one, in one store write, while the queue has
// more; alone, at once, when it is empty.
func (e *executor) worker() {
	defer e.wg.Done()
	var done *work // ran; outcome not recorded yet
	buf := new(stepBuf)
	for {
		next, stop := e.take(done == nil)
		if stop {
			return
		}
		done = e.exec(buf, done, next)
		if next != nil {
			e.load.Add(-1)
			if e.freed != nil {
				e.freed()
			}
		}
	}
}

// stepBuf is a worker's memory for the store write of each step, reused:
// a step allocates nothing for it.
type stepBuf struct {
	works [2]*work
	runs  [2]*Run
}

// take returns the next queued run. With wait it waits for one, and
// reports stop (and no run) once the executor is stopping and its queue
// is empty; without, it returns nil at once when the queue is empty.
func (e *executor) take(wait bool) (w *work, stop bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for wait && e.head == len(e.queue) && !e.stopping {
		e.cond.Wait()
	}
	if e.head == len(e.queue) {
		return nil, wait
	}
	w = e.queue[e.head]
	e.queue[e.head] = nil
	e.head++
	if e.head == len(e.queue) {
		e.queue, e.head = e.queue[:0], 0
	} else if e.head > 1024 && e.head*2 > len(e.queue) {
		n := copy(e.queue, e.queue[e.head:])
		clear(e.queue[n:])
		e.queue, e.head = e.queue[:n], 0
	}
	return w, false
}

// drain stops accepting and returns the runs still queued (not started).
func (e *executor) drain() []*work {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopping = true
	left := append([]*work(nil), e.queue[e.head:]...)
	clear(e.queue)
	e.queue, e.head = nil, 0
	e.cond.Broadcast()
	return left
}

// wait blocks until every worker has returned.
func (e *executor) wait() { e.wg.Wait() }
