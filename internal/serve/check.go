package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/server"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/task"
	"github.com/sundial-scheduler/sundial/trigger"
)

// Check validates a configuration (with its defaults filled in) and
// returns every problem found, each at its key. It opens nothing: the
// declared jobs are checked against a scheduler on a throwaway memory
// store with the same tasks, executors and zone.
func (cfg *Config) Check() Problems {
	cfg.withDefaults()
	var ps Problems
	add := func(key, format string, args ...any) {
		ps = append(ps, Problem{Key: key, Line: cfg.lineOf(key), Msg: fmt.Sprintf(format, args...)})
	}
	if _, err := cfg.auth(); err != nil {
		key, msg, _ := strings.Cut(err.Error(), ": ")
		add(key, "%s", msg)
	}
	if loop, err := loopbackAddr(cfg.Listen); err != nil {
		add("listen", "%v", err)
	} else if !loop && len(cfg.Auth.Users) == 0 && len(cfg.Auth.Tokens) == 0 {
		add("listen", "%s is not a loopback address: configure auth.users or auth.tokens before serving it (make hashes with \"sundial passwd\")", cfg.Listen)
	}
	scheme, _, ok := strings.Cut(cfg.Store, "://")
	if !ok || !slices.Contains([]string{"memory", "sqlite", "postgres", "postgresql", "mysql", "redis"}, strings.ToLower(scheme)) {
		add("store", "%q is not a store URL: sqlite://./sundial.db, postgres://…, mysql://…, redis://… or memory://", cfg.Store)
	}
	if cfg.Timezone != "" {
		if _, err := trigger.LoadLocation(cfg.Timezone); err != nil {
			add("timezone", "%v", err)
		}
	}
	for name, e := range cfg.Executors {
		if e.Workers < 1 || e.Workers > 10_000 {
			add("executors."+name+".workers", "must be from 1 to 10000, got %d", e.Workers)
		}
	}
	d := cfg.JobDefaults
	if d.MaxInstances != nil && *d.MaxInstances < 1 {
		add("job_defaults.max_instances", "must be at least 1, got %d", *d.MaxInstances)
	}
	if d.MisfireGraceTime != nil && *d.MisfireGraceTime <= 0 {
		add("job_defaults.misfire_grace_time", "must be more than 0 seconds, or null for no limit")
	}
	if d.Executor != "" && d.Executor != "default" {
		if _, ok := cfg.Executors[d.Executor]; !ok {
			add("job_defaults.executor", "%q is not one of the executors", d.Executor)
		}
	}
	p := cfg.API.Prefix
	if !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.HasPrefix(p, "/api/") || p == "/api" {
		add("api.prefix", "%q must start with a slash, not end with one, and not be under /api", p)
	}
	ec, hc := cfg.taskConfigs()
	for _, err := range append(leaves(ec.Validate()), leaves(hc.Validate())...) {
		key, msg, _ := strings.Cut(err.Error(), " ")
		add(key, "%s", msg)
	}
	if cfg.History.MaxAge < 0 || cfg.History.MaxPerJob < 0 {
		add("history", "max_age and max_per_job must not be negative")
	}
	if !slices.Contains([]string{"", "text", "json"}, cfg.Log.Format) {
		add("log.format", "%q must be text or json", cfg.Log.Format)
	}
	if !slices.Contains([]string{"", "debug", "info", "warn", "error"}, cfg.Log.Level) {
		add("log.level", "%q must be debug, info, warn or error", cfg.Log.Level)
	}
	if (cfg.TLS.CertFile == "") != (cfg.TLS.KeyFile == "") {
		add("tls", "cert_file and key_file go together")
	}
	if cfg.ShutdownTimeout < 0 || cfg.LeaseTTL < 0 || cfg.PollInterval < 0 || cfg.StoreTimeout < 0 {
		add("shutdown_timeout", "durations must not be negative")
	}
	if len(ps) == 0 {
		ps = append(ps, cfg.checkJobs()...)
	}
	return ps
}

// loopbackAddr reports whether a listen address is on loopback only.
func loopbackAddr(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("%q is not host:port: %w", addr, err)
	}
	if host == "localhost" {
		return true, nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false, nil // a host name: it may resolve anywhere
	}
	return ip.IsLoopback(), nil
}

// auth builds the server's authentication from the configuration; nil
// when none is configured.
func (cfg *Config) auth() (*server.Auth, error) {
	users := make([]server.User, len(cfg.Auth.Users))
	for i, u := range cfg.Auth.Users {
		r, err := server.ParseRole(u.Role)
		if err != nil {
			return nil, fmt.Errorf("auth.users[%d].role: %w", i, err)
		}
		users[i] = server.User{Name: u.Name, PasswordHash: u.PasswordHash, Role: r}
	}
	tokens := make([]server.Token, len(cfg.Auth.Tokens))
	for i, t := range cfg.Auth.Tokens {
		r, err := server.ParseRole(t.Role)
		if err != nil {
			return nil, fmt.Errorf("auth.tokens[%d].role: %w", i, err)
		}
		tokens[i] = server.Token{Name: t.Name, TokenHash: t.TokenHash, Role: r}
	}
	return server.NewAuth(users, tokens, nil)
}

// checkJobs checks the declared jobs on a throwaway scheduler.
func (cfg *Config) checkJobs() Problems {
	if len(cfg.Jobs) == 0 {
		return nil
	}
	s, err := cfg.scheduler(memory.New(memory.Options{}), nil)
	if err != nil {
		return Problems{{Key: "(scheduler)", Msg: err.Error()}}
	}
	var ps Problems
	seen := map[string]int{}
	for i, def := range cfg.Jobs {
		key := fmt.Sprintf("jobs[%d]", i)
		spec, err := declaredSpec(s, def)
		if err != nil {
			field, msg := server.ErrorField(err)
			k := key
			if field != "" {
				k += "." + field
			}
			ps = append(ps, Problem{Key: k, Line: cfg.lineOf(k), Msg: msg})
			continue
		}
		if j, dup := seen[spec.ID]; dup && spec.ID != "" {
			ps = append(ps, Problem{Key: key + ".id", Line: cfg.lineOf(key + ".id"), Msg: fmt.Sprintf("%q is also the id of jobs[%d]", spec.ID, j)})
		}
		seen[spec.ID] = i
		spec.ReplaceExisting = true
		if _, err := s.AddJob(context.Background(), spec); err != nil {
			field, msg := server.ErrorField(err)
			k := key
			if field != "" {
				k += "." + strings.Replace(strings.Replace(field, "task", "func", 1), "store", "jobstore", 1)
			}
			ps = append(ps, Problem{Key: k, Line: cfg.lineOf(k), Msg: msg})
		}
	}
	return ps
}

// declaredSpec reads one declared job.
func declaredSpec(s *sundial.Scheduler, def map[string]any) (sundial.JobSpec, error) {
	b, err := json.Marshal(def)
	if err != nil {
		return sundial.JobSpec{}, fmt.Errorf("cannot be read as JSON: %w", err)
	}
	return server.ParseCompatJob(s, b)
}

// leaves flattens an errors.Join.
func leaves(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// taskConfigs are the built-in tasks' settings from the configuration.
func (cfg *Config) taskConfigs() (task.ExecConfig, task.HTTPConfig) {
	return task.ExecConfig{Allow: cfg.Exec.Allow, Workdir: cfg.Exec.Workdir, EnvAllow: cfg.Exec.EnvAllow, MaxOutput: cfg.Exec.MaxOutput},
		task.HTTPConfig{AllowPrivate: cfg.HTTP.AllowPrivate, Allow: cfg.HTTP.Allow}
}
