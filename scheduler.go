package sundial

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	mathrand "math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sundial-scheduler/sundial/trigger"
)

// State is the scheduler's lifecycle state.
type State int

// Scheduler states.
const (
	StateStopped  State = iota // created, not started
	StateRunning               // taking fires
	StatePaused                // started, not taking fires
	StateShutdown              // shut down; cannot start again
)

// String names the state.
func (s State) String() string {
	return [...]string{"stopped", "running", "paused", "shutdown"}[s]
}

// Scheduler runs jobs from a Store when their triggers fire. Create it with
// New, register tasks on Config.Tasks, then Start it.
type Scheduler struct {
	cfg        Config
	store      Store // the default store
	stores     map[string]Store
	storeNames []string
	clock      Clock
	clocks     map[string]*storeClock // by store name; nil: Clock alone
	log        *slog.Logger
	bus        *eventBus
	execs      map[string]*executor

	mu         sync.Mutex
	state      State
	loopCancel context.CancelFunc
	loopDone   chan struct{}
	bg         sync.WaitGroup // maintenance and store watchers
	started    time.Time
	delayed    delayQueue
	shutdownCh chan struct{} // closed when Shutdown has finished

	wake chan struct{}
	// reapWake asks the maintenance loop to reap soon: a store reported a
	// change, which may be runs another node released, or the dispatch
	// loop woke a reap interval after it last asked (see tickMaintenance).
	reapWake chan struct{}

	// runCtx is the parent of every run's context; cancelled when a
	// shutdown stops waiting for running jobs.
	runCtx     context.Context
	cancelRuns context.CancelFunc

	// peers counts the live nodes on the default store, this one
	// included (from the last heartbeat); it sizes claims.
	peers atomic.Int32
	// capped: the last claim was limited by busy workers (claimLimit).
	capped atomic.Bool
	// outcomes the stores did not answer, recorded again by maintain
	outcomes deferredOutcomes
	// doubt: a call that may have recorded runs here went unanswered
	doubt doubt

	scratch claimScratch    // the dispatch loop's; see claimScratch
	local   map[string]bool // stores that never wait on I/O (InProcessStore)

	runPrefix string
	runSeq    atomic.Uint64
	rndMu     sync.Mutex
	rnd       *mathrand.Rand
}

// New returns a scheduler for cfg. It starts nothing.
func New(cfg Config) (*Scheduler, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Scheduler{
		cfg:        cfg,
		store:      cfg.Store,
		clock:      cfg.Clock,
		log:        cfg.Logger,
		bus:        newEventBus(cfg.Logger),
		execs:      map[string]*executor{},
		wake:       make(chan struct{}, 1),
		reapWake:   make(chan struct{}, 1),
		shutdownCh: make(chan struct{}),
		runPrefix:  randomHex(6) + "-",
	}
	s.rnd = mathrand.New(mathrand.NewPCG(mathrand.Uint64(), mathrand.Uint64())) // randomly seeded
	s.storeNames, s.stores = storeList(cfg)
	s.local = map[string]bool{}
	for name, st := range s.stores {
		s.local[name] = inProcess(st)
	}
	s.clocks = newStoreClocks(cfg, s.storeNames)
	s.runCtx, s.cancelRuns = context.WithCancel(context.Background())
	for name, n := range cfg.Executors {
		s.execs[name] = newExecutor(name, n, s.execute)
		s.execs[name].freed = s.workerFreed
	}
	return s, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newRunID returns a run id unique across nodes: a random per-process
// prefix and a sequence number.
func (s *Scheduler) newRunID() string {
	var buf [40]byte
	b := append(buf[:0], s.runPrefix...)
	return string(strconv.AppendUint(b, s.runSeq.Add(1), 36))
}

// Tasks returns the task registry.
func (s *Scheduler) Tasks() *Registry { return s.cfg.Tasks }

// Store returns the scheduler's default store.
func (s *Scheduler) Store() Store { return s.store }

// State returns the lifecycle state.
func (s *Scheduler) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// AddListener subscribes fn to the events in mask and returns a function
// that unsubscribes it.
func (s *Scheduler) AddListener(fn Listener, mask EventType) (remove func()) {
	return s.bus.add(fn, mask)
}

// Start starts the dispatch loop, the executors and event delivery in the
// background. Cancelling ctx stops the dispatch loop (no new fires are
// taken); call Shutdown to wait for running jobs and release everything.
//
// Before the loops start, Start ends the runs that an earlier process
// with the same NodeID left unfinished (it was killed, say, and this one
// replaces it): those that may run again are executed here under their
// ids, the others are recorded interrupted.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.state {
	case StateShutdown:
		return ErrShutdown
	case StateRunning, StatePaused:
		return ErrAlreadyRunning
	}
	s.state = StateRunning
	s.started = s.clock.Now()
	for _, e := range s.execs {
		e.start()
	}
	go s.bus.run()
	loopCtx, cancel := context.WithCancel(ctx)
	s.loopCancel = cancel
	// The first claim needs a live lease; a store that is down now is
	// retried by the maintenance loop.
	s.heartbeat(loopCtx)
	// Before this node records a run of its own: what an earlier process
	// with this node id left is this process's to end (see reapRestarted).
	// The runs taken are executed in the background, as delay needs s.mu.
	if taken := s.reapRestarted(loopCtx); len(taken) > 0 {
		s.bg.Go(func() { s.resumeTaken(loopCtx, taken) })
	}
	s.watch(loopCtx)
	s.bg.Go(func() { s.maintain(loopCtx) })
	s.loopDone = make(chan struct{})
	go s.loop(loopCtx, s.loopDone)
	s.emit(Event{Type: EventSchedulerStarted})
	return nil
}

// Run starts the scheduler and blocks until ctx is done, then shuts down,
// waiting up to Config.ShutdownGrace for running jobs.
func (s *Scheduler) Run(ctx context.Context) error {
	if err := s.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownGrace)
	defer cancel()
	return s.Shutdown(sctx)
}

// Pause stops taking fires until Resume; jobs keep their next fire times,
// and fires that come due meanwhile follow the catch-up rules on resume.
func (s *Scheduler) Pause() {
	s.mu.Lock()
	changed := s.state == StateRunning
	if changed {
		s.state = StatePaused
	}
	s.mu.Unlock()
	if changed {
		s.emit(Event{Type: EventSchedulerPaused})
	}
}

// Resume undoes Pause.
func (s *Scheduler) Resume() {
	s.mu.Lock()
	changed := s.state == StatePaused
	if changed {
		s.state = StateRunning
	}
	s.mu.Unlock()
	if changed {
		s.emit(Event{Type: EventSchedulerResumed})
		s.kick()
	}
}

// Shutdown stops taking fires and hands the runs this node claimed but
// did not start (queued for a worker, or waiting out jitter or a retry
// backoff) back to their stores at once (Store.RunRelease, one
// EventRunReleased each), so that another live node runs them under the
// same ids without waiting for this node's lease to expire; a node
// started later runs them when none is live. Runs a store fails to take
// back are recorded interrupted instead. Shutdown then waits for running
// jobs until ctx is done, renewing this node's lease meanwhile so that
// their runs stay its own; then it cancels their contexts and waits for
// them to return, and leaves the stores. It is idempotent and returns
// ctx's error if running jobs had to be cancelled.
func (s *Scheduler) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	switch s.state {
	case StateShutdown:
		s.mu.Unlock()
		<-s.shutdownCh
		return nil
	case StateStopped:
		s.state = StateShutdown
		s.mu.Unlock()
		s.cancelRuns()
		close(s.shutdownCh)
		return nil
	}
	s.state = StateShutdown
	s.loopCancel()
	loopDone := s.loopDone
	s.mu.Unlock()
	defer close(s.shutdownCh)

	<-loopDone
	s.bg.Wait()
	// The maintenance loop has stopped: renew the lease here until the
	// running jobs have returned, so that their runs stay this node's.
	stopLease := s.keepLease()
	unstarted := append(s.takeDelayed(), s.takeDeferredStarts()...)
	for _, e := range s.execs {
		unstarted = append(unstarted, e.drain()...)
	}
	for _, w := range s.releaseUnstarted(unstarted) {
		s.interrupt(w, "scheduler shut down before the run started")
	}
	done := make(chan struct{})
	go func() {
		for _, e := range s.execs {
			e.wait()
		}
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.cancelRuns()
		<-done
	}
	s.retryOutcomes(context.Background()) // a last try, while this node's lease holds
	stopLease()
	s.cancelRuns()
	s.leave()
	s.emit(Event{Type: EventSchedulerShutdown})
	s.bus.close()
	if err != nil {
		return errors.Join(errors.New("shutdown: running jobs were cancelled"), err)
	}
	return nil
}

// Stop shuts down, waiting for running jobs without a bound.
func (s *Scheduler) Stop() { _ = s.Shutdown(context.Background()) }

func (s *Scheduler) emit(e Event) {
	if !s.bus.listening() {
		return
	}
	if e.Time.IsZero() {
		e.Time = s.clock.Now()
	}
	s.bus.emit(e)
}

// emitRun emits a run event with a snapshot of the run (workers keep
// changing the original), only when someone listens.
func (s *Scheduler) emitRun(t EventType, r *Run, task string) {
	if !s.bus.listening() {
		return
	}
	cp := *r
	s.emit(Event{Type: t, JobID: r.JobID, Task: task, Run: &cp})
}

// kick wakes the dispatch loop early (a job changed).
func (s *Scheduler) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// jitter returns when a run starts: its fire time delayed by the
// trigger's jitter, drawn from the scheduler's own random source.
func (s *Scheduler) jitter(w *work) time.Time {
	if w.job.Trigger.Jitter() <= 0 {
		return w.run.ScheduledAt // no lock on the hot path
	}
	s.rndMu.Lock()
	defer s.rndMu.Unlock()
	return trigger.ApplyJitter(w.job.Trigger, w.run.ScheduledAt, s.rnd)
}
