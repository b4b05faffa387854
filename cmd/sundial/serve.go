package main

import (
	"context"
	"errors"
	"flag"
	"io"
)

// errServeUnavailable is what "sundial serve" answers until the server exists.
var errServeUnavailable = errors.New("the server is not yet available in this build")

const serveUsage = `Usage: sundial serve [flags]

Runs the scheduler with its HTTP API and web console. The server is still
being written: this build only previews triggers ("sundial next").
`

func runServe(_ context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
	fs := newFlagSet("serve")
	if _, err := parseFlags(fs, args); errors.Is(err, flag.ErrHelp) {
		printFlagUsage(stdout, fs, serveUsage)
		return nil
	}
	return errServeUnavailable
}
