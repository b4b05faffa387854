package task

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// execSpec is a validated sundial:exec job: what to run, where and how
// long.
type execSpec struct {
	argv      []string
	argvField string   // "args" or "kwargs.command", for errors
	argvLine  bool     // the command was given as one string
	dir       string   // as given; "" for the configured default
	envNames  []string // sorted
	env       map[string]string
	timeout   time.Duration // 0: none of its own
}

// execKwargs are the keyword arguments sundial:exec takes.
var execKwargs = []string{"command", "dir", "env", "timeout"}

// parseExec validates a sundial:exec job's arguments against the
// configuration. Every error is a *sundial.JobError naming the field.
func (x *execTask) parseExec(args, kwargs json.RawMessage) (*execSpec, error) {
	if x.allow.empty() {
		return nil, fieldError("task", "%s", "sundial:exec is disabled on this server: config exec.allow lists no programs")
	}
	kw, err := decodeKwargs(kwargs, ExecTask, execKwargs...)
	if err != nil {
		return nil, err
	}
	spec := &execSpec{}
	if err := spec.decodeArgv(args, kw["command"]); err != nil {
		return nil, err
	}
	for i, a := range spec.argv {
		if strings.IndexByte(a, 0) >= 0 {
			return nil, fieldError(spec.argvElem(i), "contains a NUL byte")
		}
	}
	if err := x.allow.check(spec.argv[0]); err != nil {
		return nil, fieldError(spec.argvElem(0), "%s", err.Error())
	}
	if raw, ok := kw["dir"]; ok {
		if spec.dir, err = decodeString(raw, "kwargs.dir"); err != nil {
			return nil, err
		}
		if strings.IndexByte(spec.dir, 0) >= 0 {
			return nil, fieldError("kwargs.dir", "contains a NUL byte")
		}
	}
	if raw, ok := kw["env"]; ok {
		if spec.envNames, spec.env, err = decodeStringMap(raw, "kwargs.env"); err != nil {
			return nil, err
		}
		for _, name := range spec.envNames {
			field := "kwargs.env." + name
			if !slices.Contains(x.cfg.EnvAllow, name) {
				return nil, fieldError(field, "may not be set by a job: config exec.env_allow does not list it")
			}
			if strings.IndexByte(spec.env[name], 0) >= 0 {
				return nil, fieldError(field, "contains a NUL byte")
			}
		}
	}
	if raw, ok := kw["timeout"]; ok {
		if spec.timeout, err = decodeTimeout(raw, "kwargs.timeout"); err != nil {
			return nil, err
		}
	}
	return spec, nil
}

// decodeArgv takes the command from exactly one of args and
// kwargs.command.
func (spec *execSpec) decodeArgv(args, command json.RawMessage) error {
	var fromArgs []string
	if !isAbsent(args) {
		var err error
		if fromArgs, err = decodeStrings(args, "args"); err != nil {
			return err
		}
	}
	switch {
	case len(fromArgs) > 0 && command != nil:
		return fieldError("kwargs.command", "conflicts with args: give the command in one of them")
	case len(fromArgs) > 0:
		spec.argv, spec.argvField = fromArgs, "args"
		return nil
	case command == nil:
		return fieldError("args", `is empty: give the command as args (["program", "arg", ...]) or kwargs.command`)
	}
	spec.argvField = "kwargs.command"
	switch jsonKind(command) {
	case "a string":
		line, err := decodeString(command, spec.argvField)
		if err != nil {
			return err
		}
		if spec.argv, err = splitCommand(line); err != nil {
			return fieldError(spec.argvField, "%s", err.Error())
		}
		spec.argvLine = true
		return nil
	case "an array":
	default:
		return fieldError(spec.argvField, "must be a string or an array of strings, got %s", jsonKind(command))
	}
	argv, err := decodeStrings(command, spec.argvField)
	if err != nil {
		return err
	}
	if len(argv) == 0 {
		return fieldError(spec.argvField, "is empty: give the program and its arguments")
	}
	spec.argv = argv
	return nil
}

// argvElem names one word of the command: "args[0]", "kwargs.command[2]",
// or "kwargs.command" when the command was one string.
func (spec *execSpec) argvElem(i int) string {
	if spec.argvLine {
		return spec.argvField
	}
	return fmt.Sprintf("%s[%d]", spec.argvField, i)
}
