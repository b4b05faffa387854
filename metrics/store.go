package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sundial-scheduler/sundial"
)

// op is a timed store operation; its label is the method's name.
type op int

const (
	opJobAdd op = iota
	opJobGet
	opJobList
	opJobUpdate
	opJobRemove
	opJobRemoveAll
	opJobNextFireTime
	opJobClaimDue
	opRunInsert
	opRunUpdate
	opRunGet
	opRunList
	opRunPrune
	opRunReap
	opRunRelease
	opNodeHeartbeat
	opNodeLeave
	opNodeList
	// The optional capabilities' operations.
	opAuditAppend
	opAuditList
	opAuditPrune
	opMigrate
	opClose
	numOps
)

func (o op) String() string {
	return [numOps]string{
		"JobAdd", "JobGet", "JobList", "JobUpdate", "JobRemove", "JobRemoveAll", "JobNextFireTime", "JobClaimDue",
		"RunInsert", "RunUpdate", "RunGet", "RunList", "RunPrune", "RunReap", "RunRelease",
		"NodeHeartbeat", "NodeLeave", "NodeList",
		"AuditAppend", "AuditList", "AuditPrune", "Migrate", "Close",
	}[o]
}

// WrapStore returns st with every operation timed in
// sundial_store_operation_duration_seconds and its failures counted in
// sundial_store_errors_total, both labelled with name (such as the
// scheduler's store name, "default") and the method's name. Give the
// result to the scheduler in place of st.
//
// The result keeps st's optional capabilities and no others: it
// implements sundial.Watcher if and only if st does, and likewise
// sundial.AuditLog, Migrate(context.Context) error and io.Closer (as the
// stores opened by store/storeurl do). Their operations are timed too,
// except Watch, which is passed through.
//
// The sentinel errors that answer a question rather than report a fault
// (sundial.ErrJobNotFound, ErrConflict, ErrRunNotFound, ErrStale,
// ErrDuplicateRun, ErrMaxInstances) are not counted as errors;
// ErrLeaseLost and every other error are. st must not be nil.
func (m *Metrics) WrapStore(name string, st sundial.Store) sundial.Store {
	s := &store{st: st}
	var (
		w  sundial.Watcher
		a  sundial.AuditLog
		mi migrator
		c  closer
	)
	for o := range opNodeList + 1 {
		s.init(m, name, o)
	}
	if x, ok := st.(sundial.Watcher); ok {
		w = x
	}
	if x, ok := st.(sundial.AuditLog); ok {
		a = &timedAuditLog{s: s, a: x}
		for _, o := range [...]op{opAuditAppend, opAuditList, opAuditPrune} {
			s.init(m, name, o)
		}
	}
	if x, ok := st.(migrator); ok {
		mi = migrateFunc(func(ctx context.Context) (err error) {
			defer s.observe(opMigrate, time.Now(), &err)
			return x.Migrate(ctx)
		})
		s.init(m, name, opMigrate)
	}
	if x, ok := st.(closer); ok {
		c = closeFunc(func() (err error) {
			defer s.observe(opClose, time.Now(), &err)
			return x.Close()
		})
		s.init(m, name, opClose)
	}
	return combine(s, w, a, mi, c)
}

// store times the operations of a sundial.Store.
type store struct {
	st sundial.Store
	// Series of the operations st has, resolved once.
	duration [numOps]prometheus.Observer
	errors   [numOps]prometheus.Counter
}

var (
	_ sundial.Store          = (*store)(nil)
	_ sundial.InProcessStore = (*store)(nil)
)

// InProcess answers for the wrapped store (sundial.InProcessStore).
func (s *store) InProcess() bool {
	ip, ok := s.st.(sundial.InProcessStore)
	return ok && ip.InProcess()
}

// init resolves the series of one operation, so that calls do not look
// labels up and errors_total starts at zero.
func (s *store) init(m *Metrics, name string, o op) {
	s.duration[o] = m.storeDuration.WithLabelValues(name, o.String())
	s.errors[o] = m.storeErrors.WithLabelValues(name, o.String())
}

// observe records an operation that started at start and returned *err.
func (s *store) observe(o op, start time.Time, err *error) {
	s.duration[o].Observe(time.Since(start).Seconds())
	if failed(*err) {
		s.errors[o].Inc()
	}
}

// failed reports whether a store error is a fault rather than an answer.
func failed(err error) bool {
	if err == nil {
		return false
	}
	for _, answer := range [...]error{
		sundial.ErrJobNotFound, sundial.ErrConflict, sundial.ErrRunNotFound,
		sundial.ErrStale, sundial.ErrDuplicateRun, sundial.ErrMaxInstances,
	} {
		if errors.Is(err, answer) {
			return false
		}
	}
	return true
}

func (s *store) JobAdd(ctx context.Context, p sundial.JobAddParams) (err error) {
	defer s.observe(opJobAdd, time.Now(), &err)
	return s.st.JobAdd(ctx, p)
}

func (s *store) JobGet(ctx context.Context, id string) (_ *sundial.Job, err error) {
	defer s.observe(opJobGet, time.Now(), &err)
	return s.st.JobGet(ctx, id)
}

func (s *store) JobList(ctx context.Context, p sundial.JobListParams) (_ []*sundial.Job, err error) {
	defer s.observe(opJobList, time.Now(), &err)
	return s.st.JobList(ctx, p)
}

func (s *store) JobUpdate(ctx context.Context, job *sundial.Job) (err error) {
	defer s.observe(opJobUpdate, time.Now(), &err)
	return s.st.JobUpdate(ctx, job)
}

func (s *store) JobRemove(ctx context.Context, id string) (err error) {
	defer s.observe(opJobRemove, time.Now(), &err)
	return s.st.JobRemove(ctx, id)
}

func (s *store) JobRemoveAll(ctx context.Context) (_ int, err error) {
	defer s.observe(opJobRemoveAll, time.Now(), &err)
	return s.st.JobRemoveAll(ctx)
}

func (s *store) JobNextFireTime(ctx context.Context) (_ time.Time, _ bool, err error) {
	defer s.observe(opJobNextFireTime, time.Now(), &err)
	return s.st.JobNextFireTime(ctx)
}

func (s *store) JobClaimDue(ctx context.Context, p sundial.JobClaimDueParams) (_ []sundial.Claim, err error) {
	defer s.observe(opJobClaimDue, time.Now(), &err)
	return s.st.JobClaimDue(ctx, p)
}

func (s *store) RunInsert(ctx context.Context, run *sundial.Run, maxActive int) (err error) {
	defer s.observe(opRunInsert, time.Now(), &err)
	return s.st.RunInsert(ctx, run, maxActive)
}

func (s *store) RunUpdate(ctx context.Context, runs ...*sundial.Run) (err error) {
	defer s.observe(opRunUpdate, time.Now(), &err)
	return s.st.RunUpdate(ctx, runs...)
}

func (s *store) RunGet(ctx context.Context, id string) (_ *sundial.Run, err error) {
	defer s.observe(opRunGet, time.Now(), &err)
	return s.st.RunGet(ctx, id)
}

func (s *store) RunList(ctx context.Context, p sundial.RunListParams) (_ []*sundial.Run, err error) {
	defer s.observe(opRunList, time.Now(), &err)
	return s.st.RunList(ctx, p)
}

func (s *store) RunPrune(ctx context.Context, p sundial.RunPruneParams) (_ int, err error) {
	defer s.observe(opRunPrune, time.Now(), &err)
	return s.st.RunPrune(ctx, p)
}

func (s *store) RunReap(ctx context.Context, p sundial.RunReapParams) (_ sundial.RunReapResult, err error) {
	defer s.observe(opRunReap, time.Now(), &err)
	return s.st.RunReap(ctx, p)
}

func (s *store) RunRelease(ctx context.Context, p sundial.RunReleaseParams) (_ []string, err error) {
	defer s.observe(opRunRelease, time.Now(), &err)
	return s.st.RunRelease(ctx, p)
}

func (s *store) NodeHeartbeat(ctx context.Context, node *sundial.Node, ttl time.Duration) (err error) {
	defer s.observe(opNodeHeartbeat, time.Now(), &err)
	return s.st.NodeHeartbeat(ctx, node, ttl)
}

func (s *store) NodeLeave(ctx context.Context, id string) (err error) {
	defer s.observe(opNodeLeave, time.Now(), &err)
	return s.st.NodeLeave(ctx, id)
}

func (s *store) NodeList(ctx context.Context, forget time.Duration) (_ []*sundial.Node, err error) {
	defer s.observe(opNodeList, time.Now(), &err)
	return s.st.NodeList(ctx, forget)
}
