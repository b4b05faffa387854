package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sundial-scheduler/sundial"

	"github.com/sundial-scheduler/sundial/internal/serve"
)

const serveUsage = `Usage: sundial serve [flags]

Runs the scheduler with its HTTP APIs: the native API at /api/v1, the
Flask-APScheduler compatible API at /scheduler, /healthz, /readyz and
/metrics. With no configuration it keeps jobs in ./sundial.db (SQLite) and
listens on 127.0.0.1:8080.

Configuration comes from a YAML file (--config, or $SUNDIAL_CONFIG),
SUNDIAL_* environment variables, and flags, each overriding the one
before. A listen address that is not loopback needs auth configured.
SIGINT or SIGTERM stops taking fires, waits up to shutdown_timeout for
running jobs, and exits.
`

// serveFlags are the flags that override the configuration.
type serveFlags struct {
	config, listen, store, timezone, logFormat, logLevel, nodeID string
}

func (f *serveFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "configuration `file` (YAML); default $SUNDIAL_CONFIG")
	fs.StringVar(&f.listen, "listen", "", "HTTP `address` (default "+serve.DefaultListen+")")
	fs.StringVar(&f.store, "store", "", "store `URL` (default "+serve.DefaultStore+")")
	fs.StringVar(&f.timezone, "timezone", "", "`zone` of triggers that name none (default UTC)")
	fs.StringVar(&f.logFormat, "log-format", "", "log `format`: text or json")
	fs.StringVar(&f.logLevel, "log-level", "", "log `level`: debug, info, warn or error")
	fs.StringVar(&f.nodeID, "node-id", "", "this node's `name` in a cluster")
}

// load reads the configuration: file, then environment, then flags.
func (f *serveFlags) load(getenv func(string) string) (*serve.Config, error) {
	path := f.config
	if path == "" {
		path = getenv("SUNDIAL_CONFIG")
	}
	cfg := &serve.Config{}
	if path != "" {
		var err error
		if cfg, err = serve.LoadFile(path); err != nil {
			return nil, err
		}
	}
	if err := cfg.ApplyEnv(getenv); err != nil {
		return nil, fmt.Errorf("environment: %w", err)
	}
	set := func(v string, dst *string) {
		if v != "" {
			*dst = v
		}
	}
	set(f.listen, &cfg.Listen)
	set(f.store, &cfg.Store)
	set(f.timezone, &cfg.Timezone)
	set(f.logFormat, &cfg.Log.Format)
	set(f.logLevel, &cfg.Log.Level)
	set(f.nodeID, &cfg.NodeID)
	return cfg, nil
}

func runServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve")
	var f serveFlags
	f.add(fs)
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printFlagUsage(stdout, fs, serveUsage)
		return nil
	}
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	cfg, err := f.load(os.Getenv)
	if err != nil {
		return err
	}
	opts := serve.Options{Version: buildVersion(), Stderr: stderr}
	if v := os.Getenv("SUNDIAL_TEST_CLOCK_OFFSET"); v != "" {
		// Test-only: the chaos tests run one node with a skewed clock to
		// show that leases and claims do not depend on nodes' clocks. It
		// stands for a machine whose real clock is wrong, so the
		// scheduler follows the store's clock as it would with the
		// system clock.
		off, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("SUNDIAL_TEST_CLOCK_OFFSET: %w", err)
		}
		opts.Clock = sundial.ClockFunc(func() time.Time { return time.Now().Add(off) })
		opts.StoreClock = sundial.StoreClockOn
		fmt.Fprintf(stderr, "sundial: test clock offset %s in effect\n", off)
	}
	app, err := serve.New(ctx, cfg, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sundial: serving on %s (store %s)\n  native API %s/api/v1, compatible API %s%s, metrics %s/metrics\n",
		app.URL(), cfg.StoreRedacted(), app.URL(), app.URL(), cfg.API.Prefix, app.URL())
	return app.Run(ctx)
}
