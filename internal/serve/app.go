package serve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/console"
	"github.com/sundial-scheduler/sundial/metrics"
	"github.com/sundial-scheduler/sundial/server"
	"github.com/sundial-scheduler/sundial/store/storeurl"
	"github.com/sundial-scheduler/sundial/task"
	"github.com/sundial-scheduler/sundial/trigger"
)

// Options are what the program adds to a configuration.
type Options struct {
	Version string
	// Logger receives the server's logs; built from cfg.Log when nil.
	Logger *slog.Logger
	// Stderr receives the log when Logger is nil.
	Stderr io.Writer
	// Clock replaces the system clock (tests).
	Clock sundial.Clock
	// StoreClock is the scheduler's Config.StoreClock: whether it follows
	// the store's clock (by default only with the system clock).
	StoreClock sundial.StoreClockMode
	// Register adds an embedding program's own tasks.
	Register func(*sundial.Registry)
}

// App is a configured server: store, scheduler, APIs and listener.
type App struct {
	cfg       *Config
	log       *slog.Logger
	store     storeurl.Store
	Scheduler *sundial.Scheduler
	Server    *server.Server
	http      *http.Server
	ln        net.Listener
	url       string
}

// scheduler builds the scheduler of a configuration on st.
func (cfg *Config) scheduler(st sundial.Store, opts *Options) (*sundial.Scheduler, error) {
	if opts == nil {
		opts = &Options{}
	}
	reg := sundial.NewRegistry()
	ec, hc := cfg.taskConfigs()
	task.Register(reg, ec, hc)
	if opts.Register != nil {
		opts.Register(reg)
	}
	loc := time.UTC
	if cfg.Timezone != "" {
		var err error
		if loc, err = trigger.LoadLocation(cfg.Timezone); err != nil {
			return nil, fmt.Errorf("timezone: %w", err)
		}
	}
	execs := map[string]int{}
	for name, e := range cfg.Executors {
		execs[name] = e.Workers
	}
	defaults := sundial.DefaultJobOptions()
	d := cfg.JobDefaults
	if d.Coalesce != nil {
		defaults.Coalesce = *d.Coalesce
	}
	if d.MaxInstances != nil {
		defaults.MaxInstances = *d.MaxInstances
	}
	if d.Executor != "" {
		defaults.Executor = d.Executor
	}
	if d.MisfireGraceTime != nil {
		g := time.Duration(*d.MisfireGraceTime * float64(time.Second))
		defaults.MisfireGraceTime = &g
	}
	return sundial.New(sundial.Config{
		Store: st, Tasks: reg, Executors: execs, JobDefaults: &defaults, Timezone: loc,
		Clock: opts.Clock, StoreClock: opts.StoreClock, Logger: opts.Logger, NodeID: cfg.NodeID, Version: opts.Version,
		LeaseTTL:      time.Duration(cfg.LeaseTTL),
		StoreTimeout:  time.Duration(cfg.StoreTimeout),
		ShutdownGrace: time.Duration(cfg.ShutdownTimeout),
		Retention:     sundial.Retention{MaxAge: time.Duration(cfg.History.MaxAge), MaxPerJob: cfg.History.MaxPerJob},
	})
}

// NewLogger builds the server's logger from the configuration.
func (cfg *Config) NewLogger(w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	ho := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, ho))
	}
	return slog.New(slog.NewTextHandler(w, ho))
}

// New checks the configuration, opens the store, adds the declared jobs
// and binds the listener. Nothing runs until Run.
func New(ctx context.Context, cfg *Config, opts Options) (*App, error) {
	if ps := cfg.Check(); len(ps) > 0 {
		return nil, ps
	}
	if opts.Logger == nil {
		w := opts.Stderr
		if w == nil {
			w = io.Discard
		}
		opts.Logger = cfg.NewLogger(w)
	}
	a := &App{cfg: cfg, log: opts.Logger}
	st, err := storeurl.Open(ctx, cfg.Store, storeurl.Options{Logger: opts.Logger, PollInterval: time.Duration(cfg.PollInterval)})
	if err != nil {
		return nil, err
	}
	a.store = st
	ok := false
	defer func() {
		if !ok {
			_ = st.Close()
		}
	}()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := metrics.New(reg)
	if err != nil {
		return nil, err
	}
	s, err := cfg.scheduler(m.WrapStore("default", st), &opts)
	if err != nil {
		return nil, err
	}
	a.Scheduler = s
	m.Attach(s)
	auth, err := cfg.auth()
	if err != nil {
		return nil, err
	}
	audit, _ := st.(sundial.AuditLog)
	srv, err := server.New(server.Options{
		Scheduler: s, Prefix: cfg.API.Prefix, Auth: auth, Audit: audit, Logger: opts.Logger, Version: opts.Version,
		Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
	})
	if err != nil {
		return nil, err
	}
	a.Server = srv
	con, err := console.New(console.Options{Scheduler: s, Server: srv, Secure: cfg.TLS.CertFile != "", Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	// The APIs, health checks and metrics go to the server; every other
	// path is the console's.
	mux := http.NewServeMux()
	for _, p := range []string{"/api/", cfg.API.Prefix, cfg.API.Prefix + "/", "/healthz", "/readyz", "/metrics"} {
		mux.Handle(p, srv)
	}
	mux.Handle("/", con)
	if err := a.addDeclared(ctx); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	a.ln = ln
	scheme := "http"
	if cfg.TLS.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
		if err != nil {
			_ = ln.Close()
			return nil, fmt.Errorf("tls: %w", err)
		}
		a.ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	}
	a.url = scheme + "://" + ln.Addr().String()
	a.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
	}
	ok = true
	return a, nil
}

// URL is where the server listens, such as http://127.0.0.1:8080.
func (a *App) URL() string { return a.url }

// addDeclared adds the configuration's jobs. A job already stored is kept
// unless its entry says replace_existing: true, so restarts do not reset
// what was changed at run time.
func (a *App) addDeclared(ctx context.Context) error {
	for i, def := range a.cfg.Jobs {
		spec, err := declaredSpec(a.Scheduler, def)
		if err != nil {
			return fmt.Errorf("jobs[%d]: %w", i, err)
		}
		_, err = a.Scheduler.AddJob(ctx, spec)
		switch {
		case errors.Is(err, sundial.ErrConflict):
			a.log.Info("declared job already stored; kept as stored (set replace_existing: true to apply the file's definition)", "job", spec.ID)
		case err != nil:
			return fmt.Errorf("jobs[%d]: %w", i, err)
		default:
			a.log.Info("declared job added", "job", spec.ID)
		}
	}
	return nil
}

// Run starts the scheduler and serves until ctx ends, then shuts down:
// stops taking fires and requests, waits for running jobs up to
// shutdown_timeout (the rest are cancelled and recorded interrupted), and
// closes the store.
func (a *App) Run(ctx context.Context) error {
	if err := a.Scheduler.Start(ctx); err != nil {
		_ = a.ln.Close()
		_ = a.store.Close()
		return err
	}
	served := make(chan error, 1)
	go func() { served <- a.http.Serve(a.ln) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
		err = fmt.Errorf("serve: %w", err)
	}
	a.log.Info("shutting down", "shutdown_timeout", time.Duration(a.cfg.ShutdownTimeout))
	a.Server.Close()
	hctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = a.http.Shutdown(hctx)
	cancel()
	sctx, cancel := context.WithTimeout(context.Background(), time.Duration(a.cfg.ShutdownTimeout))
	if serr := a.Scheduler.Shutdown(sctx); serr != nil && err == nil && !errors.Is(serr, context.DeadlineExceeded) {
		err = serr
	}
	cancel()
	if cerr := a.store.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}
