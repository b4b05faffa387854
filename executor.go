package sundial

import (
	"sync"
)

// executor is a named worker pool: a fixed number of goroutines take runs
// from an unbounded FIFO queue, so the dispatch loop never blocks on it.
type executor struct {
	name    string
	workers int
	exec    func(*work)

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
}

func newExecutor(name string, workers int, exec func(*work)) *executor {
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
	for {
		e.mu.Lock()
		for e.head == len(e.queue) && !e.stopping {
			e.cond.Wait()
		}
		if e.head == len(e.queue) {
			e.mu.Unlock()
			return
		}
		w := e.queue[e.head]
		e.queue[e.head] = nil
		e.head++
		if e.head == len(e.queue) {
			e.queue, e.head = e.queue[:0], 0
		} else if e.head > 1024 && e.head*2 > len(e.queue) {
			n := copy(e.queue, e.queue[e.head:])
			clear(e.queue[n:])
			e.queue, e.head = e.queue[:n], 0
		}
		e.mu.Unlock()
		e.exec(w)
	}
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
