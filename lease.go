package sundial

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// reapLimit bounds how many lost runs one reap takes per store.
const reapLimit = 1000

// staleAfter is how long another live node may hold a run submitted
// before this one's reaps take it over (RunReapParams.StaleAfter), by the
// store's clock: the lease TTL, the time a node that dies keeps its runs.
// So a run a live node never learnt of (its claim's reply, or on Redis its
// reap's, was lost: a blackholed connection, a call that timed out and
// was then carried out) is run elsewhere within the same failover bound
// as the runs of a dead node. A node that is merely slow past it (a long
// queue, a claim reply later than that, a retry backoff or jitter longer
// than it) has the run taken away, and the store refuses its own start
// (see confirmStart for a start record that got no answer), so the run
// still starts once; the cost is a run handed around, not run twice.
func (s *Scheduler) staleAfter() time.Duration {
	return s.cfg.LeaseTTL
}

// nodeInfo describes this scheduler for the stores' node lists.
func (s *Scheduler) nodeInfo() *Node {
	host, _ := os.Hostname()
	return &Node{ID: s.cfg.NodeID, Host: host, PID: os.Getpid(), Version: s.cfg.Version, StartedAt: s.started}
}

// heartbeat renews this node's lease in every store, then counts the live
// nodes of the default store.
func (s *Scheduler) heartbeat(ctx context.Context) {
	s.renewLease(ctx)
	s.countPeers(ctx)
}

// renewLease renews this node's lease in every store, each call bounded by
// a third of the lease so a slow store cannot stall the others. Each
// renewal also measures the store's clock (see StoreClockMode).
func (s *Scheduler) renewLease(ctx context.Context) {
	for _, name := range s.storeNames {
		hctx, cancel := context.WithTimeout(ctx, s.cfg.LeaseTTL/3)
		node := s.nodeInfo()
		before := s.clock.Now()
		err := s.stores[name].NodeHeartbeat(hctx, node, s.cfg.LeaseTTL)
		after := s.clock.Now()
		cancel()
		switch {
		case err == nil:
			s.observeClock(name, before, node.HeartbeatAt, after)
		case ctx.Err() == nil:
			s.log.Warn("renew node lease", "store", name, "node", s.cfg.NodeID, "err", err)
		}
	}
}

// keepLease renews this node's lease every third of it until the returned
// function is called (which waits for the last renewal to end). Shutdown
// keeps it while it waits for running jobs, after the maintenance loop has
// stopped: their runs stay this node's, so no other node takes them for
// lost while they finish.
func (s *Scheduler) keepLease() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(s.cfg.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.renewLease(ctx)
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// countPeers records how many nodes hold a live lease in the default
// store, this one included, judged by the store's clock (the lease ends
// it reports are compared with this node's own heartbeat time).
func (s *Scheduler) countPeers(ctx context.Context) {
	lctx, cancel := context.WithTimeout(ctx, s.cfg.LeaseTTL/3)
	nodes, err := s.store.NodeList(lctx, 0)
	cancel()
	if err != nil {
		return
	}
	var self *Node
	for _, n := range nodes {
		if n.ID == s.cfg.NodeID {
			self = n
		}
	}
	if self == nil {
		return
	}
	live := int32(0)
	for _, n := range nodes {
		if n.LeaseUntil.After(self.HeartbeatAt) {
			live++
		}
	}
	s.peers.Store(max(live, 1))
}

// claimLimit is how many due jobs one claim takes. Alone on its store a
// node takes a whole ClaimBatch: no other node could start them sooner.
// With other live nodes it takes small batches and comes back for more,
// so nodes that wake at the same fire time interleave their claims and
// share the fires instead of the first one taking them all; and it takes
// no more than its workers can start now, so that a node whose workers
// are busy (long runs) leaves the fires to nodes that have idle ones.
// capped says the limit is its workers' (the loop then waits for a worker
// to be free, see workerFreed, rather than for the next fire time).
func (s *Scheduler) claimLimit() (limit int, capped bool) {
	n := int(s.peers.Load())
	if n <= 1 {
		return s.cfg.ClaimBatch, false
	}
	limit = min(s.cfg.ClaimBatch, max(32, s.cfg.ClaimBatch/(4*n)))
	if free := s.freeWorkers(); free < limit {
		return free, true
	}
	return limit, false
}

// freeWorkers is how many more runs the executors can start at once.
func (s *Scheduler) freeWorkers() int {
	free := 0
	for _, e := range s.execs {
		free += e.free()
	}
	return free
}

// workerFreed wakes the dispatch loop when a worker is done with a run
// while the last claim was capped by busy workers: due fires may be
// waiting for one.
func (s *Scheduler) workerFreed() {
	if s.capped.Load() {
		s.capped.Store(false)
		s.kick()
	}
}

// reapWakeGap is the shortest time between two reaps when store
// notifications ask for them, so that a store that notifies often (Redis
// announces every claim) costs a few reaps a second, not one per claim.
const reapWakeGap = 250 * time.Millisecond

// maintain keeps the node's lease, takes over the runs of lost nodes (and
// those released by nodes that shut down) and prunes history, until ctx
// is done. It reaps when the dispatch loop asks, about every second (see
// tickMaintenance), and sooner after a store reports a change (see
// watch), but not twice within reapWakeGap; and on its own after two
// intervals without a reap, should the dispatch loop be held up.
func (s *Scheduler) maintain(ctx context.Context) {
	beat := time.NewTicker(s.cfg.LeaseTTL / 3)
	defer beat.Stop()
	every := 2 * s.reapEvery()
	reap := time.NewTimer(every)
	defer reap.Stop()
	prune := time.NewTicker(time.Minute)
	defer prune.Stop()
	var lastReap time.Time
	reapNow := func() {
		lastReap = time.Now()
		s.retryOutcomes(ctx)
		if s.State() == StateRunning {
			s.reap(ctx)
		}
		reap.Reset(every)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			s.heartbeat(ctx)
		case <-s.reapWake:
			if d := time.Until(lastReap.Add(reapWakeGap)); d > 0 {
				reap.Reset(d) // soon, rather than in a second
				continue
			}
			reapNow()
		case <-reap.C:
			reapNow()
		case <-prune.C:
			s.prune(ctx)
		}
	}
}

// reapEvery is how often the maintenance loop reaps.
func (s *Scheduler) reapEvery() time.Duration { return max(s.cfg.MaxSleep, time.Second) }

// tickMaintenance asks the maintenance loop for a reap when a reap
// interval has passed since the last time it asked, as of the monotonic
// time now, and returns when it asked. The dispatch loop calls it at each
// wake, which it has at least every MaxSleep: an idle process then wakes
// once a second, not once for the loop and again for a reap timer. On
// this machine each wake of an idle process costs about half a
// millisecond of CPU.
func (s *Scheduler) tickMaintenance(now, last time.Time) time.Time {
	if now.Sub(last) < s.reapEvery() {
		return last
	}
	select {
	case s.reapWake <- struct{}{}:
	default:
	}
	return now
}

// reap ends the runs that lost nodes left unfinished: runs that may run
// again are executed here, under their ids; the others are interrupted.
// It also takes over the runs other live nodes have left submitted for
// longer than staleAfter.
//
// While this node is in doubt (see doubt) it also takes back its own runs
// left submitted longer than staleAfter, and ends the doubt once a reap
// that could see all of them took them.
func (s *Scheduler) reap(ctx context.Context) {
	since, began, complete := s.doubtSince(), s.clock.Now(), true
	for _, name := range s.storeNames {
		// With other live nodes, take no more runs than the workers can
		// start now (see claimLimit): the others take the rest.
		limit := reapLimit
		if s.peers.Load() > 1 {
			limit = min(limit, s.freeWorkers())
		}
		if limit <= 0 {
			return
		}
		res, err := s.reapStore(ctx, name, RunReapParams{Node: s.cfg.NodeID, Now: s.storeNow(name), Limit: limit,
			StaleAfter: s.staleAfter(), OwnStale: since != 0})
		if err != nil {
			complete = false
			continue
		}
		if len(res.Taken)+len(res.Interrupted) >= limit {
			complete = false // more may be left
		}
		for _, r := range res.Taken {
			s.takeOver(ctx, name, r)
		}
	}
	if complete {
		s.settleDoubt(since, began)
	}
}

// reapStore makes one RunReap call to the named store, logs a failure,
// and logs and emits the runs it interrupted.
func (s *Scheduler) reapStore(ctx context.Context, name string, p RunReapParams) (RunReapResult, error) {
	rctx, cancel := context.WithTimeout(ctx, s.cfg.LeaseTTL/3)
	res, err := s.stores[name].RunReap(rctx, p)
	cancel()
	if err != nil {
		s.noteDoubt(err) // a reap that took runs, unanswered
		if ctx.Err() == nil {
			s.log.Warn("take over lost runs", "store", name, "restarted", p.Restarted, "err", err)
		}
		return res, err
	}
	for _, r := range res.Interrupted {
		s.log.Warn("run interrupted: its node was lost", "job", r.JobID, "run", r.ID, "node", r.Node, "reason", r.Reason)
		s.emitRun(EventRunInterrupted, r, "")
	}
	return res, nil
}

// reapRestarted ends, in every store, the runs that an earlier process
// with this node id left unfinished (RunReapParams.Restarted), together
// with the runs of lost nodes, as reap does. A process that restarts
// under a configured NodeID is live again at once, so no regular reap
// would ever end them. It must run once, before this node records a run
// of its own (Start calls it before the loops start): a second such reap
// would take this process's own runs over again, so it has no limit and
// is not retried when a store fails. It returns the runs taken, by store,
// for resumeTaken to execute.
func (s *Scheduler) reapRestarted(ctx context.Context) map[string][]*Run {
	taken := map[string][]*Run{}
	for _, name := range s.storeNames {
		res, err := s.reapStore(ctx, name, RunReapParams{Node: s.cfg.NodeID, Now: s.storeNow(name), Restarted: true})
		if err != nil {
			s.log.Warn("runs left by a previous process with this node id were not reaped: they stay unfinished",
				"store", name, "node", s.cfg.NodeID)
			continue
		}
		if len(res.Taken)+len(res.Interrupted) > 0 {
			s.log.Warn("reaped the runs left by a previous process with this node id (and by lost nodes)",
				"store", name, "node", s.cfg.NodeID, "taken", len(res.Taken), "interrupted", len(res.Interrupted))
		}
		if len(res.Taken) > 0 {
			taken[name] = res.Taken
		}
	}
	return taken
}

// resumeTaken executes the runs that reapRestarted took, as reap does.
func (s *Scheduler) resumeTaken(ctx context.Context, taken map[string][]*Run) {
	for name, runs := range taken {
		for _, r := range runs {
			s.takeOver(ctx, name, r)
		}
	}
}

// takeOver executes a run taken from a lost node, or interrupts it when
// its job is gone.
func (s *Scheduler) takeOver(ctx context.Context, name string, r *Run) {
	ctx, cancel := s.storeCtx(ctx)
	defer cancel()
	st := s.stores[name]
	job, err := st.JobGet(ctx, r.JobID)
	if err != nil {
		r.Status, r.FinishedAt = RunInterrupted, s.storeNow(name)
		r.Reason = fmt.Sprintf("taken over from a lost node, but the job cannot be read: %v", err)
		if err := st.RunUpdate(ctx, r); err != nil {
			s.log.Error("record lost run", "job", r.JobID, "run", r.ID, "err", err)
		}
		s.emitRun(EventRunInterrupted, r, "")
		return
	}
	s.log.Info("run taken over from a lost node (or one that left it unstarted past the staleness bound)", "job", r.JobID, "run", r.ID)
	s.emitRun(EventRunSubmitted, r, job.Task)
	w := &work{job: job, run: r}
	if at := s.startAt(w); at.After(s.storeNow(name)) {
		s.delay(at, w)
		return
	}
	s.submit(w)
}

// startAt is when a run taken over from another node may start, as it
// would have there: a retry once the rest of its backoff has passed
// (counted from its creation, when the attempt before it failed), a
// scheduled first attempt after its trigger's jitter (drawn again). A run
// that node released at shutdown, or had queued when it died, was
// perhaps still waiting.
func (s *Scheduler) startAt(w *work) time.Time {
	switch r := w.run; {
	case r.Attempt > 1:
		return r.CreatedAt.Add(w.job.Retry.delay(r.Attempt - 1))
	case !r.Manual && w.job.Trigger.Jitter() > 0:
		return s.jitter(w)
	}
	return time.Time{}
}

// prune applies the retention policy to every store.
func (s *Scheduler) prune(ctx context.Context) {
	p := s.cfg.Retention
	if p.MaxAge <= 0 && p.MaxPerJob <= 0 {
		return
	}
	params := RunPruneParams{KeepPerJob: p.MaxPerJob}
	for _, name := range s.storeNames {
		if p.MaxAge > 0 {
			params.FinishedBefore = s.storeNow(name).Add(-p.MaxAge)
		}
		pctx, cancel := context.WithTimeout(ctx, time.Minute)
		n, err := s.stores[name].RunPrune(pctx, params)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn("prune run history", "store", name, "err", err)
		case n > 0:
			s.log.Debug("pruned run history", "store", name, "runs", n)
		}
	}
}

// leave ends this node's lease in every store, so others take over at once
// whatever it leaves behind.
func (s *Scheduler) leave() {
	for _, name := range s.storeNames {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := s.stores[name].NodeLeave(ctx, s.cfg.NodeID); err != nil {
			s.log.Warn("leave store", "store", name, "err", err)
		}
		cancel()
	}
}

// watch wakes the dispatch loop whenever a store reports that jobs changed
// elsewhere, and has the maintenance loop reap soon (the stores that
// notify also report runs that a node released as it shut down), until
// ctx is done.
func (s *Scheduler) watch(ctx context.Context) {
	for _, name := range s.storeNames {
		w, ok := s.stores[name].(Watcher)
		if !ok {
			continue
		}
		ch := w.Watch(ctx)
		s.bg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-ch:
					s.kick()
					select {
					case s.reapWake <- struct{}{}:
					default:
					}
				}
			}
		})
	}
}

// storeCtx bounds one store call by Config.StoreTimeout.
func (s *Scheduler) storeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.StoreTimeout)
}

// callCtx bounds one call to the named store by Config.StoreTimeout,
// unless the store never waits on I/O (InProcessStore): the hot path's
// calls then cost no timer.
func (s *Scheduler) callCtx(ctx context.Context, store string) (context.Context, context.CancelFunc) {
	if s.local[store] {
		return ctx, noCancel
	}
	return s.storeCtx(ctx)
}

func noCancel() {}

// errStartUnknown is why a run whose start record the store has not
// answered is not started now (record then defers it: see deferStart).
var errStartUnknown = errors.New("the store did not answer the record of its start")

// confirmStart records again the start of w, whose first start record
// got no answer (a timeout, a connection lost): the store may or may not
// have applied it, and starting a run in that doubt could run it twice,
// since other nodes take over a run left submitted (past staleAfter, or
// once this node's lease lapses). Recording a start again is idempotent,
// so it retries until the store accepts (nil: the run starts here) or
// refuses (the refusal: another node took the run over), for at most
// staleAfter and until a shutdown stops waiting for runs; then it returns
// errStartUnknown, the worker moves on and the run is deferred (see
// deferStart).
func (s *Scheduler) confirmStart(w *work) error {
	st := s.storeFor(w.job)
	giveUp := time.NewTimer(s.staleAfter())
	defer giveUp.Stop()
	for pause := 100 * time.Millisecond; ; pause = min(2*pause, time.Second) {
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-giveUp.C:
			t.Stop()
			return errStartUnknown
		case <-s.runCtx.Done():
			t.Stop()
			return errStartUnknown
		}
		ctx, cancel := s.storeCtx(context.Background())
		err := st.RunUpdate(ctx, w.run)
		cancel()
		refused, others := sortUpdateErr(err, nil)
		if e := refused[w.run.ID]; e != nil {
			return e
		}
		if len(others) == 0 {
			return nil
		}
		s.log.Warn("record run start again: the store did not answer", "job", w.job.ID, "run", w.run.ID, "err", err)
	}
}

// sortUpdateErr sorts the error of a RunUpdate: the runs the store
// refused because this node no longer owns them go into refused (made if
// nil, and returned), and every other failure (the store did not answer,
// failed, or refused a run for this node's lapsed lease alone) is
// returned in others, for the caller to try again.
func sortUpdateErr(err error, refused map[string]error) (_ map[string]error, others []error) {
	for _, e := range leaves(err) {
		var re *RunError
		if errors.As(e, &re) && leaseLost(re) {
			if refused == nil {
				refused = map[string]error{}
			}
			refused[re.RunID] = re
		} else {
			others = append(others, e)
		}
	}
	return refused, others
}

// leaseLost reports whether a store refused a run update because this node
// no longer owns the run. A run refused only because this node's lease had
// lapsed (ErrLeaseExpired: no other node has taken it yet) is not lost:
// the update is made again, and succeeds once the lease is renewed, unless
// another node takes the run first. Giving such a run up instead would
// leave it unfinished in the store, owned by a node that is live again and
// no longer knows it, holding its job's max_instances for good.
func leaseLost(err error) bool {
	return (errors.Is(err, ErrLeaseLost) && !errors.Is(err, ErrLeaseExpired)) || errors.Is(err, ErrRunNotFound)
}
