package sundial

import (
	"sync"
)

// executor is a named worker pool: a fixed number of goroutines take runs
// from an unbounded FIFO queue, so the dispatch loop never blocks on it.
// When a backlog builds up, a worker takes its share of it (up to
// maxTake) at once, so that the runs' records are written in batches.
type executor struct {
	name    string
	workers int
	exec    func([]*work)

	mu       sync.Mutex
	cond     *sync.Cond
	queue    []*work
	head     int
	stopping bool
	wg       sync.WaitGroup
}

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
// goes back to the pool only from executeBatch, after its outcome is
// recorded and its events (which copy the run) are emitted; works that a
// shutdown takes, delays or hands over are left to the collector.
var workPool = sync.Pool{New: func() any { return &work{pooled: true} }}

// newPooledWork returns a work for a copy of run.
func newPooledWork(job *Job, run *Run) *work {
	w := workPool.Get().(*work)
	w.job, w.own = job, *run
	w.run = &w.own
	return w
}

// recycle returns pooled works to the pool, cleared.
func recycle(ws []*work) {
	for _, w := range ws {
		if w.pooled {
			*w = work{pooled: true}
			workPool.Put(w)
		}
	}
}

// maxTake bounds how many queued runs one worker takes at once. A run
// taken waits for the ones before it in the worker's batch, so the bound
// is small; a worker takes more than one only from a backlog of more than
// one per worker.
const maxTake = 32

func newExecutor(name string, workers int, exec func([]*work)) *executor {
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
	e.mu.Lock()
	e.queue = append(e.queue, w)
	e.mu.Unlock()
	e.cond.Signal()
}

// submitAll queues several runs under one lock.
func (e *executor) submitAll(ws []*work) {
	e.mu.Lock()
	e.queue = append(e.queue, ws...)
	e.mu.Unlock()
	if len(ws) == 1 {
		e.cond.Signal()
	} else {
		e.cond.Broadcast()
	}
}

func (e *executor) worker() {
	defer e.wg.Done()
	var batch []*work
	for {
		batch = e.take(batch[:0])
		if len(batch) == 0 {
			return
		}
		e.exec(batch)
		clear(batch)
	}
}

// take waits for queued runs and appends the worker's share to buf;
// nothing once the executor is stopping and its queue is empty.
func (e *executor) take(buf []*work) []*work {
	e.mu.Lock()
	defer e.mu.Unlock()
	for e.head == len(e.queue) && !e.stopping {
		e.cond.Wait()
	}
	queued := len(e.queue) - e.head
	if queued == 0 {
		return buf
	}
	k := min(maxTake, max(1, queued/e.workers))
	buf = append(buf, e.queue[e.head:e.head+k]...)
	clear(e.queue[e.head : e.head+k])
	e.head += k
	if e.head == len(e.queue) {
		e.queue, e.head = e.queue[:0], 0
	} else if e.head > 1024 && e.head*2 > len(e.queue) {
		n := copy(e.queue, e.queue[e.head:])
		clear(e.queue[n:])
		e.queue, e.head = e.queue[:n], 0
	}
	return buf
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
