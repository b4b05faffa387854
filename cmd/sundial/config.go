package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sundial-scheduler/sundial/internal/serve"
)

const configUsage = `Usage: sundial config check FILE

Checks a server configuration file as "sundial serve --config FILE" would,
with the SUNDIAL_* environment applied, and reports every problem at its
key and line. Exits 0 when the file is good, 1 otherwise. Nothing is opened
or started: declared jobs are checked against a throwaway scheduler.
`

func runConfig(_ context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
	fs := newFlagSet("config")
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printFlagUsage(stdout, fs, configUsage)
		return nil
	}
	if err != nil {
		return err
	}
	if len(pos) != 2 || pos[0] != "check" {
		return usagef("want: sundial config check FILE")
	}
	cfg, err := serve.LoadFile(pos[1])
	if err != nil {
		return err
	}
	if err := cfg.ApplyEnv(os.Getenv); err != nil {
		return fmt.Errorf("environment: %w", err)
	}
	if ps := cfg.Check(); len(ps) > 0 {
		return fmt.Errorf("%s:\n%w", pos[1], ps)
	}
	_, err = fmt.Fprintf(stdout, "%s: ok (%d declared jobs, store %s, listen %s)\n", pos[1], len(cfg.Jobs), cfg.StoreRedacted(), cfg.Listen)
	return err
}
