package task

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// ExecConfig configures sundial:exec. The zero value disables the task:
// an operator turns it on by listing the programs jobs may run.
type ExecConfig struct {
	// Allow lists the programs a job may run (config key exec.allow):
	// absolute-path globs in filepath.Match syntax ("/opt/jobs/*"; a "*"
	// does not cross a "/"), or bare names ("python3") that a job must
	// give as that bare name and that are looked up in the server's PATH
	// at run time. A shell runs only if it is listed here like any other
	// program. Empty: every sundial:exec job is refused.
	Allow []string
	// Workdir is the default working directory of commands, and the base
	// of a relative kwargs.dir; "" is the server's working directory.
	Workdir string
	// EnvAllow names the environment variables a job may set through
	// kwargs.env (config key exec.env_allow). Variables that change how
	// programs load or start (LD_PRELOAD, BASH_ENV, PYTHONPATH, ...) give
	// a job more than the allow-listed program: list them only knowingly.
	EnvAllow []string
	// MaxOutput is how many bytes of the combined stdout and stderr a run
	// keeps (default 64 KiB); the rest is counted and noted as dropped.
	// The run record holds at most 64 KiB, so a few bytes less are kept
	// when the note has to fit too.
	MaxOutput int
	// KillGrace is how long a process group has between SIGTERM and
	// SIGKILL when a run's context ends or the program exits leaving
	// processes behind (default 5s).
	KillGrace time.Duration
}

// Defaults of ExecConfig.
const (
	DefaultExecMaxOutput = 64 << 10
	DefaultExecKillGrace = 5 * time.Second
)

// withDefaults fills in the zero fields.
func (c ExecConfig) withDefaults() ExecConfig {
	if c.MaxOutput <= 0 {
		c.MaxOutput = DefaultExecMaxOutput
	}
	if c.KillGrace <= 0 {
		c.KillGrace = DefaultExecKillGrace
	}
	return c
}

// Validate reports configuration mistakes that would otherwise only show as
// refused jobs: an Allow entry that can match nothing, an EnvAllow name that
// is not a variable name, a negative limit. Exec works with any
// configuration (an invalid Allow entry allows nothing); a server calls
// Validate to refuse to start instead.
func (c ExecConfig) Validate() error {
	var errs []error
	for i, e := range c.Allow {
		if err := checkAllowEntry(e); err != nil {
			errs = append(errs, fmt.Errorf("exec.allow[%d] %q: %w", i, e, err))
		}
	}
	for i, name := range c.EnvAllow {
		if name == "" || strings.ContainsAny(name, "=\x00") {
			errs = append(errs, fmt.Errorf("exec.env_allow[%d] %q: not an environment variable name", i, name))
		}
	}
	if c.MaxOutput < 0 {
		errs = append(errs, fmt.Errorf("exec.max_output: must not be negative, got %d", c.MaxOutput))
	}
	if c.KillGrace < 0 {
		errs = append(errs, fmt.Errorf("exec.kill_grace: must not be negative, got %s", c.KillGrace))
	}
	return errors.Join(errs...)
}

// execTask is sundial:exec with its configuration.
type execTask struct {
	cfg   ExecConfig
	allow allowList
}

// Exec returns the handler and the argument validator of sundial:exec,
// which runs an allow-listed program directly (no shell), in a process
// group of its own with a minimal environment; see the package
// documentation for its arguments.
func Exec(cfg ExecConfig) (sundial.Handler, sundial.Validator) {
	x := newExecTask(cfg)
	return x.handle, x.validate
}

func newExecTask(cfg ExecConfig) *execTask {
	cfg = cfg.withDefaults()
	cfg.Allow = append([]string(nil), cfg.Allow...) // the caller's slices may change
	cfg.EnvAllow = append([]string(nil), cfg.EnvAllow...)
	return &execTask{cfg: cfg, allow: newAllowList(cfg.Allow)}
}

func (x *execTask) validate(args, kwargs json.RawMessage) error {
	_, err := x.parseExec(args, kwargs)
	return err
}

func (x *execTask) handle(ctx context.Context, rc *sundial.RunContext) error {
	out, err := x.run(ctx, rc)
	if out != "" {
		rc.Output(out)
	}
	return err
}

// run runs the job's command and returns its captured output.
func (x *execTask) run(ctx context.Context, rc *sundial.RunContext) (string, error) {
	// The configuration may have changed since the job was validated.
	spec, err := x.parseExec(rc.Args, rc.Kwargs)
	if err != nil {
		return "", forJob(err, rc.JobID)
	}
	prog := spec.argv[0]
	path, err := x.allow.resolve(prog)
	if err != nil {
		return "", err
	}
	if spec.timeout > 0 {
		var cancel context.CancelFunc
		cause := fmt.Errorf("kwargs.timeout %s passed: %w", spec.timeout, context.DeadlineExceeded)
		ctx, cancel = context.WithTimeoutCause(ctx, spec.timeout, cause)
		defer cancel()
	}
	p := &process{
		path:      path,
		argv:      spec.argv,
		dir:       x.workdir(spec.dir),
		env:       x.environ(spec, rc),
		maxOutput: keepLimit(x.cfg.MaxOutput, 0),
		grace:     x.cfg.KillGrace,
	}
	res, err := p.run(ctx)
	if err != nil {
		return "", fmt.Errorf("%s: %w", prog, err)
	}
	out := res.output
	switch {
	case res.stopped:
		// Stopped by the job's timeout, kwargs.timeout or a shutdown:
		// wrap the cause so the scheduler can tell which.
		return out, fmt.Errorf("%s: stopped (%s): %w", prog, res.exit, context.Cause(ctx))
	case res.err != nil:
		return out, fmt.Errorf("%s: %w", prog, res.err)
	}
	return out, nil
}

// workdir returns the working directory for a job's kwargs.dir.
func (x *execTask) workdir(dir string) string {
	switch {
	case dir == "":
		return x.cfg.Workdir
	case filepath.IsAbs(dir):
		return dir
	default:
		return filepath.Join(x.cfg.Workdir, dir)
	}
}

// inheritedEnv are the server's environment variables a command gets; the
// rest of the server's environment (which holds its secrets) it does not.
var inheritedEnv = []string{"PATH", "HOME", "LANG", "TZ", "TMPDIR"}

// environ builds a command's environment: the inherited variables, then
// the job's own (which may replace them if allowed), then the run's
// SUNDIAL_* variables, which a job cannot replace.
func (x *execTask) environ(spec *execSpec, rc *sundial.RunContext) []string {
	var env []string
	for _, name := range inheritedEnv {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	for _, name := range spec.envNames {
		env = append(env, name+"="+spec.env[name])
	}
	return append(env,
		"SUNDIAL_RUN_ID="+rc.RunID,
		"SUNDIAL_JOB_ID="+rc.JobID,
		"SUNDIAL_SCHEDULED_AT="+rc.ScheduledAt.UTC().Format(time.RFC3339Nano),
		"SUNDIAL_ATTEMPT="+strconv.Itoa(rc.Attempt),
	) // os/exec keeps the last value of a repeated name
}
