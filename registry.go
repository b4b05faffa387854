package sundial

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// Handler runs one fire of a job. The context is cancelled when the job's
// timeout passes or the scheduler shuts down; a returned error fails the run
// (and may retry it), a panic fails it with the stack recorded.
type Handler func(ctx context.Context, rc *RunContext) error

// RunContext describes the run a handler executes.
type RunContext struct {
	JobID string
	// RunID is unique per run: use it as an idempotency key.
	RunID       string
	ScheduledAt time.Time
	Attempt     int
	// Args (a JSON array) and Kwargs (a JSON object) are the job's
	// arguments. They are shared with the stored job: read them (or
	// json.Unmarshal them), never modify them in place.
	Args   json.RawMessage
	Kwargs json.RawMessage

	log     *slog.Logger
	mu      sync.Mutex
	output  []byte
	endJob  bool
	maxOut  int
	outDrop int
}

// Logger returns the scheduler's logger with the job and run ids attached.
func (rc *RunContext) Logger() *slog.Logger {
	return rc.log.With("job", rc.JobID, "run", rc.RunID)
}

// Output appends text to the run's recorded output (bounded to 64 KiB; the
// rest is counted and dropped).
func (rc *RunContext) Output(text string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	room := rc.maxOut - len(rc.output)
	if room < len(text) {
		rc.outDrop += len(text) - max(room, 0)
		text = text[:max(room, 0)]
	}
	rc.output = append(rc.output, text...)
}

// EndSchedule ends the job's schedule once this run finishes: the job is
// removed and fires no more (the "poll until done" pattern).
func (rc *RunContext) EndSchedule() {
	rc.mu.Lock()
	rc.endJob = true
	rc.mu.Unlock()
}

func (rc *RunContext) result() (output string, end bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := string(rc.output)
	if rc.outDrop > 0 {
		out += fmt.Sprintf("\n[%d more bytes of output dropped]", rc.outDrop)
	}
	return out, rc.endJob
}

// Registry maps task names to handlers. It is safe for concurrent use.
type Registry struct {
	mu         sync.RWMutex
	handlers   map[string]Handler
	validators map[string]Validator
}

// Validator checks a job's arguments for a task when the job is added or
// changed, so bad arguments are refused up front rather than failing at
// every run. It returns nil or a *JobError naming the field ("args[0]",
// "kwargs.url"); other errors are reported against "args".
type Validator func(args, kwargs json.RawMessage) error

// NoopTask is the built-in task that does nothing.
const NoopTask = "sundial:noop"

// NewRegistry returns a registry holding the built-in "sundial:noop".
func NewRegistry() *Registry {
	r := &Registry{handlers: map[string]Handler{}, validators: map[string]Validator{}}
	r.Register(NoopTask, func(context.Context, *RunContext) error { return nil })
	return r
}

// Register binds a handler to a task name, replacing any earlier one.
func (r *Registry) Register(name string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[name] = h
	delete(r.validators, name)
}

// RegisterValidated binds a handler and the validator of its arguments to
// a task name, replacing any earlier ones.
func (r *Registry) RegisterValidated(name string, h Handler, v Validator) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[name] = h
	if v == nil {
		delete(r.validators, name)
	} else {
		r.validators[name] = v
	}
}

// Validate checks a job's arguments with the task's validator, if it has
// one.
func (r *Registry) Validate(name string, args, kwargs json.RawMessage) error {
	r.mu.RLock()
	v := r.validators[name]
	r.mu.RUnlock()
	if v == nil {
		return nil
	}
	return v(args, kwargs)
}

// Lookup returns the handler of a task.
func (r *Registry) Lookup(name string) (Handler, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	h, ok := r.handlers[name]
	return h, ok
}

// Names lists the registered task names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.handlers))
	for n := range r.handlers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// RegisterFunc registers a handler that receives the job's keyword
// arguments decoded into T (a struct or map): typed arguments without
// reflection on function names.
func RegisterFunc[T any](r *Registry, name string, fn func(ctx context.Context, rc *RunContext, args T) error) {
	r.Register(name, func(ctx context.Context, rc *RunContext) error {
		var args T
		if len(rc.Kwargs) > 0 {
			if err := json.Unmarshal(rc.Kwargs, &args); err != nil {
				return fmt.Errorf("task %s: decode kwargs: %w", name, err)
			}
		}
		return fn(ctx, rc, args)
	})
}
