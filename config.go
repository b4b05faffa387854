package sundial

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// Config configures a Scheduler. The zero value of every field means the
// default written in its comment; the server loads the same struct from its
// configuration file.
type Config struct {
	// Store keeps jobs and runs. Required: store/memory for tests and
	// throwaway use, a durable store otherwise.
	Store Store

	// Stores are further named stores (APScheduler's job store aliases);
	// Store is the one named "default". A job lives in the store its
	// JobSpec.Store names.
	Stores map[string]Store

	// Tasks maps task names to handlers. Nil: an empty registry (with
	// the built-in "sundial:noop"); register handlers on it before Start.
	Tasks *Registry

	// Executors maps executor names to their number of workers. The
	// "default" executor always exists, with 10 workers unless set here.
	Executors map[string]int

	// JobDefaults are the options of jobs that do not set them. Zero value:
	// DefaultJobOptions.
	JobDefaults *Options

	// Timezone is the zone of triggers that name none. Default: UTC.
	Timezone *time.Location

	// Clock is read for every notion of "now". Default: SystemClock.
	Clock Clock

	// StoreClock says whether the scheduler follows each store's clock
	// (see FollowStoreClock): it measures the offset between Clock and
	// the store's clock at every heartbeat and judges due-ness, run times
	// and delays in the store's time. Default (StoreClockAuto): on with
	// the system clock, off when Clock is set, since a test's fake clock
	// must not be pulled back to a store's real one. StoreClockOn follows
	// the store with an injected Clock too (one that simulates a machine
	// whose clock is wrong).
	StoreClock StoreClockMode

	// Logger receives the scheduler's logs. Default: slog.Default().
	Logger *slog.Logger

	// NodeID names this scheduler in run records and in the store's node
	// list; it must be unique among the schedulers sharing a store.
	// Default: host name, process id and a random suffix, new at every
	// start of the process.
	NodeID string

	// Version is reported in the store's node list. Default: "dev".
	Version string

	// LeaseTTL is how long the store counts this node alive after a
	// heartbeat; heartbeats come every third of it. Runs of a node whose
	// lease expired are taken over or marked interrupted by the others
	// (Store.RunReap), and the node itself may no longer start or finish
	// them. Default: 30s.
	LeaseTTL time.Duration

	// StoreTimeout bounds every store call the scheduler makes on its own
	// (claims, run records, leases), so a store that hangs (a blackholed
	// connection) costs a logged error and a retry, never a stuck
	// scheduler. Default: 30s.
	StoreTimeout time.Duration

	// Retention prunes finished runs from the stores' history, checked
	// every minute. Zero fields keep everything.
	Retention Retention

	// MaxSleep bounds how long the dispatch loop sleeps without reading the
	// clock again, so clock steps and suspends are noticed. Default: 1s.
	MaxSleep time.Duration

	// ShutdownGrace is how long Run waits for running jobs when its
	// context ends before cancelling them. Default: 30s.
	ShutdownGrace time.Duration

	// ClaimBatch bounds how many due jobs one store call claims.
	// Default: 1000.
	ClaimBatch int
}

// Retention is the run history policy: finished runs older than MaxAge
// are deleted, and all but the newest MaxPerJob finished runs of each job.
type Retention struct {
	MaxAge    time.Duration
	MaxPerJob int
}

// DefaultJobOptions are the job defaults shared by the library and the
// server. They differ from APScheduler 3's where those hurt users: after an
// outage each job runs once, promptly (coalesce, no misfire limit), instead
// of being dropped silently; and one instance of a job runs at a time.
func DefaultJobOptions() Options {
	return Options{Executor: "default", Coalesce: true, MisfireGraceTime: nil, MaxInstances: 1}
}

// withDefaults returns a copy of cfg with every default filled in.
func (cfg Config) withDefaults() Config {
	if cfg.Tasks == nil {
		cfg.Tasks = NewRegistry()
	}
	ex := map[string]int{"default": 10}
	for name, n := range cfg.Executors {
		ex[name] = n
	}
	cfg.Executors = ex
	if cfg.JobDefaults == nil {
		d := DefaultJobOptions()
		cfg.JobDefaults = &d
	} else {
		d := *cfg.JobDefaults
		if d.Executor == "" {
			d.Executor = "default"
		}
		if d.MaxInstances == 0 {
			d.MaxInstances = 1
		}
		cfg.JobDefaults = &d
	}
	if cfg.Timezone == nil {
		cfg.Timezone = time.UTC
	}
	if cfg.StoreClock == StoreClockAuto {
		cfg.StoreClock = StoreClockOff
		if cfg.Clock == nil {
			cfg.StoreClock = StoreClockOn
		}
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.NodeID == "" {
		cfg.NodeID = defaultNodeID()
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 30 * time.Second
	}
	if cfg.StoreTimeout <= 0 {
		cfg.StoreTimeout = 30 * time.Second
	}
	if cfg.MaxSleep <= 0 {
		cfg.MaxSleep = time.Second
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 30 * time.Second
	}
	if cfg.ClaimBatch <= 0 {
		cfg.ClaimBatch = 1000
	}
	return cfg
}

// defaultNodeID names a process uniquely: host, pid and a random suffix
// (pids repeat across restarts and containers).
func defaultNodeID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "node"
	}
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), randomHex(3))
}

// validate reports the first problem of a defaulted Config.
func (cfg Config) validate() error {
	if cfg.Store == nil {
		return errors.New("config: Store is required (store/memory for tests, a durable store otherwise)")
	}
	for name, st := range cfg.Stores {
		if name == "" || name == DefaultStore || st == nil {
			return fmt.Errorf("config: Stores: %q must be a non-empty name other than %q with a store", name, DefaultStore)
		}
	}
	if cfg.StoreClock < StoreClockAuto || cfg.StoreClock > StoreClockOff {
		return fmt.Errorf("config: StoreClock: unknown mode %d", cfg.StoreClock)
	}
	for name, n := range cfg.Executors {
		if n < 1 {
			return fmt.Errorf("config: executor %q: workers must be at least 1, got %d", name, n)
		}
	}
	d := cfg.JobDefaults
	if _, ok := cfg.Executors[d.Executor]; !ok {
		return fmt.Errorf("config: job defaults: executor %q is not configured", d.Executor)
	}
	if d.MaxInstances < 1 {
		return fmt.Errorf("config: job defaults: max_instances must be at least 1, got %d", d.MaxInstances)
	}
	return nil
}
