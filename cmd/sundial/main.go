// Command sundial is the Sundial scheduler's command-line tool: it previews
// trigger fire times (sundial next) and, in later builds, runs the scheduling
// server (sundial serve).
//
// Run "sundial help" for the list of commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	// Embed the IANA time zone database so every zone resolves the same way
	// on any host, including ones without /usr/share/zoneinfo.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(exitCode(err))
	}
}

// A command is one subcommand of sundial.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

// commands lists the subcommands in the order "sundial help" shows them.
func commands() []command {
	return []command{
		{"next", "preview the fire times of a trigger", runNext},
		{"catchup", "what a scheduler does with an overdue job", runCatchUp},
		{"serve", "run the scheduler server", runServe},
		{"config", "check a server configuration file", runConfig},
		{"passwd", "print a password hash or a new token for the config", runPasswd},
		{"migrate", "create or upgrade a store's schema", runMigrate},
		{"jobs", "list, add, change, run and remove a server's jobs", runJobs},
		{"runs", "list a server's runs and print their output", runRuns},
		{"nodes", "list the scheduler nodes of a server", runNodes},
		{"version", "print the version of this build", runVersion},
	}
}

// run is the whole program: it dispatches args[0] to a subcommand. Errors it
// returns are complete messages that start with "sundial"; main prints them
// and exits with exitCode(err).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printUsage(stderr)
		return &usageError{err: errors.New("sundial: no command given")}
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		return runHelp(ctx, args[1:], stdout, stderr)
	case "-version", "--version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name == name {
			if err := c.run(ctx, args[1:], stdin, stdout, stderr); err != nil {
				return fmt.Errorf("sundial %s: %w", name, err)
			}
			return nil
		}
	}
	printUsage(stderr)
	return &usageError{err: fmt.Errorf("sundial: unknown command %q", name)}
}

// runHelp prints the general usage, or a subcommand's usage when one is
// named: "sundial help next".
func runHelp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printUsage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, []string{"-h"}, nil, stdout, stderr)
		}
	}
	printUsage(stderr)
	return &usageError{err: fmt.Errorf("sundial: help: unknown command %q", args[0])}
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `Sundial is a job scheduler with APScheduler's trigger semantics.

Usage:

	sundial <command> [arguments]

Commands:

`)
	for _, c := range commands() {
		fmt.Fprintf(w, "\t%-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run "sundial help <command>" for more about a command.
`)
}
