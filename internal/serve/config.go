// Package serve is "sundial serve": the server's configuration (a YAML
// file, SUNDIAL_* environment variables and flags, in rising precedence)
// and the assembly of store, scheduler, tasks and HTTP server from it.
package serve

import (
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the server's configuration file. Every key is optional; the
// zero value serves an embedded SQLite store on 127.0.0.1:8080.
type Config struct {
	// Listen is the HTTP address. Default 127.0.0.1:8080. Any address
	// that is not loopback needs auth.
	Listen string `yaml:"listen"`
	// Store is the store URL: sqlite://, postgres://, mysql://, redis://
	// or memory://. Default sqlite://./sundial.db.
	Store string `yaml:"store"`
	// Timezone is the zone of triggers that name none. Default UTC.
	Timezone string `yaml:"timezone"`
	// NodeID names this node in a cluster. Default: host, pid and a
	// random suffix.
	NodeID string `yaml:"node_id"`
	// Executors are the worker pools; "default" has 10 workers unless set.
	Executors map[string]ExecutorConfig `yaml:"executors"`
	// JobDefaults are the options of jobs that do not set them.
	JobDefaults JobDefaults `yaml:"job_defaults"`
	API         APIConfig   `yaml:"api"`
	Auth        AuthConfig  `yaml:"auth"`
	Exec        ExecConfig  `yaml:"exec"`
	HTTP        HTTPConfig  `yaml:"http"`
	History     History     `yaml:"history"`
	Log         LogConfig   `yaml:"log"`
	TLS         TLSConfig   `yaml:"tls"`
	// ShutdownTimeout is how long a stopping server waits for running
	// jobs before it cancels them (they are recorded interrupted).
	// Default 30s.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	// LeaseTTL is how long the store counts this node alive after a
	// heartbeat. Default 30s.
	LeaseTTL Duration `yaml:"lease_ttl"`
	// StoreTimeout bounds every store call the scheduler makes on its own
	// (claims, run records, leases), so a hung connection costs a logged
	// error and a retry. Default 30s.
	StoreTimeout Duration `yaml:"store_timeout"`
	// PollInterval bounds how late a change made by another node or by
	// SQL is noticed where the store polls (SQLite, MySQL). Default 1s.
	PollInterval Duration `yaml:"poll_interval"`
	// Jobs are declared jobs, added at start in Flask-APScheduler's JOBS
	// form. A job already in the store is kept unless the entry says
	// replace_existing: true.
	Jobs []map[string]any `yaml:"jobs"`

	// file and root locate keys for error messages (line numbers).
	file string
	root *yaml.Node
}

// ExecutorConfig is one worker pool.
type ExecutorConfig struct {
	Workers int `yaml:"workers"`
}

// JobDefaults are the defaults of job options; nil fields keep Sundial's
// defaults (coalesce on, no misfire limit, one instance).
type JobDefaults struct {
	Coalesce     *bool  `yaml:"coalesce"`
	MaxInstances *int   `yaml:"max_instances"`
	Executor     string `yaml:"executor"`
	// MisfireGraceTime in seconds; null or absent: no limit.
	MisfireGraceTime *float64 `yaml:"misfire_grace_time"`
}

// APIConfig places the compatible API.
type APIConfig struct {
	// Prefix of the Flask-APScheduler compatible API. Default /scheduler.
	Prefix string `yaml:"prefix"`
}

// AuthConfig lists who may use the server.
type AuthConfig struct {
	Users  []UserConfig  `yaml:"users"`
	Tokens []TokenConfig `yaml:"tokens"`
}

// UserConfig is a user of Basic authentication.
type UserConfig struct {
	Name         string `yaml:"name"`
	PasswordHash string `yaml:"password_hash"`
	Role         string `yaml:"role"`
}

// TokenConfig is a bearer token.
type TokenConfig struct {
	Name      string `yaml:"name"`
	TokenHash string `yaml:"token_hash"`
	Role      string `yaml:"role"`
}

// ExecConfig configures sundial:exec.
type ExecConfig struct {
	// Allow lists the programs jobs may run (absolute path globs or bare
	// names); empty disables sundial:exec.
	Allow    []string `yaml:"allow"`
	Workdir  string   `yaml:"workdir"`
	EnvAllow []string `yaml:"env_allow"`
	// MaxOutput bounds the output kept per run, in bytes.
	MaxOutput int `yaml:"max_output"`
}

// HTTPConfig configures sundial:http.
type HTTPConfig struct {
	// AllowPrivate lets jobs call loopback, private and link-local
	// addresses.
	AllowPrivate bool `yaml:"allow_private"`
	// Allow lists CIDRs or host names allowed although private.
	Allow []string `yaml:"allow"`
}

// History is the run history retention.
type History struct {
	MaxAge    Duration `yaml:"max_age"`
	MaxPerJob int      `yaml:"max_per_job"`
}

// LogConfig configures the server's log (on standard error).
type LogConfig struct {
	Format string `yaml:"format"` // text (default) or json
	Level  string `yaml:"level"`  // debug, info (default), warn, error
}

// TLSConfig serves HTTPS when both files are given.
type TLSConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Duration reads "90s", "720h" or a number of seconds.
type Duration time.Duration

// UnmarshalYAML reads a duration string or a number of seconds.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var secs float64
	if n.Tag == "!!int" || n.Tag == "!!float" {
		if err := n.Decode(&secs); err != nil {
			return err
		}
		*d = Duration(secs * float64(time.Second))
		return nil
	}
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return &yaml.TypeError{Errors: []string{"line " + strconv.Itoa(n.Line) + ": " + err.Error()}}
	}
	*d = Duration(v)
	return nil
}
