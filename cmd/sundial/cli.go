package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// usageError marks an error in how sundial was called (an unknown command or
// flag, a missing argument). main exits with status 2 for it, as the flag
// package does, and 1 for every other error.
type usageError struct {
	err error
}

func (e *usageError) Error() string { return e.err.Error() }

func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// exitCode is the process exit status for an error returned by run.
func exitCode(err error) int {
	if code, ok := clientExitCode(err); ok {
		return code
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// newFlagSet returns a flag set that reports errors to the caller instead of
// printing them, so that every message goes through main once.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args with fs and returns the positional arguments. Flags
// may come before, between or after positional arguments; everything after
// "--" is positional. It returns flag.ErrHelp for -h and -help, and a
// usageError for anything the flag set rejects.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &usageError{err: err}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// printFlagUsage writes a subcommand's usage text followed by its flags.
func printFlagUsage(w io.Writer, fs *flag.FlagSet, text string) {
	fmt.Fprint(w, text)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprintln(w, "\nFlags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}
