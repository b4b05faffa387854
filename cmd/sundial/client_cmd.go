package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// A clientSub is one subcommand of a client command group ("jobs list").
type clientSub struct {
	name    string
	summary string
	run     func(ctx context.Context, c *clientCmd, args []string) error
}

// runClientGroup dispatches a group's subcommand ("sundial jobs list ...").
// The common flags may also come before the subcommand's name
// ("sundial jobs --server URL list"); they are handed on to it.
func runClientGroup(ctx context.Context, group, usage string, subs []clientSub, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet(group)
	var ignored clientFlags
	ignored.add(fs)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		printGroupUsage(stdout, usage, subs)
		return nil
	}
	if err != nil {
		return &usageError{err: err}
	}
	rest := fs.Args()
	if len(rest) == 0 {
		printGroupUsage(stderr, usage, subs)
		return usagef("no subcommand given")
	}
	before := args[:len(args)-len(rest)]
	if n := len(before); n > 0 && before[n-1] == "--" {
		before = before[:n-1]
	}
	name := rest[0]
	if name == "help" {
		printGroupUsage(stdout, usage, subs)
		return nil
	}
	for _, s := range subs {
		if s.name != name {
			continue
		}
		c := newClientCmd(group+" "+s.name, stdin, stdout, stderr)
		subArgs := append(append([]string{}, before...), rest[1:]...)
		if err := s.run(ctx, c, subArgs); err != nil && !errors.Is(err, flag.ErrHelp) {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		return nil
	}
	printGroupUsage(stderr, usage, subs)
	return usagef("unknown subcommand %q", name)
}

func printGroupUsage(w io.Writer, usage string, subs []clientSub) {
	fmt.Fprint(w, usage)
	fmt.Fprintln(w, "\nSubcommands:")
	fmt.Fprintln(w)
	for _, s := range subs {
		fmt.Fprintf(w, "\t%-7s %s\n", s.name, s.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, clientFlagsText)
	fmt.Fprintln(w)
	fmt.Fprint(w, clientExitCodesText)
}

// clientCmd is one run of a client subcommand: its flag set with the
// common flags on it, and its input and output.
type clientCmd struct {
	fs     *flag.FlagSet
	flags  clientFlags
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

func newClientCmd(name string, stdin io.Reader, stdout, stderr io.Writer) *clientCmd {
	c := &clientCmd{fs: newFlagSet(name), stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	c.flags.add(c.fs)
	return c
}

// parse parses args after the subcommand registered its own flags. For -h
// it prints usage and the flags and returns flag.ErrHelp, which the group
// treats as success. want is the number of positional arguments, named
// for the error message ("ID"); a negative want means at least -want.
func (c *clientCmd) parse(args []string, usage string, want int, what string) ([]string, error) {
	pos, err := parseFlags(c.fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printFlagUsage(c.stdout, c.fs, usage)
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	switch {
	case want >= 0 && len(pos) < want, want < 0 && len(pos) < -want:
		return nil, usagef("missing %s", what)
	case want >= 0 && len(pos) > want:
		return nil, usagef("unexpected argument %q", pos[want])
	}
	return pos, nil
}

// client returns the API client the common flags describe.
func (c *clientCmd) client() (*client, error) {
	return newClient(c.flags, c.getenv, c.stdin, c.stderr)
}

// printRaw writes an answer's body as it came, for --json.
func (c *clientCmd) printRaw(body []byte) error {
	_, err := c.stdout.Write(body)
	return err
}

// setFlags reports which flags of the subcommand were given.
func (c *clientCmd) setFlags() map[string]bool {
	set := map[string]bool{}
	c.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}
