package serve

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sundial-scheduler/sundial/store/storeurl"
)

// Problem is one thing wrong with a configuration, at a key.
type Problem struct {
	Key  string // path such as "executors.scripts.workers" or "jobs[0].trigger.hour"
	Line int    // line in the file; 0 when unknown (environment, flags)
	Msg  string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", p.Line, p.Key, p.Msg)
	}
	return p.Key + ": " + p.Msg
}

// Problems is a configuration's list of problems; as an error it lists
// them one per line.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// LoadFile reads a configuration file. Unknown keys are errors, reported
// with their line.
func LoadFile(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	cfg, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cfg.file = path
	return cfg, nil
}

// Parse reads a configuration from YAML.
func Parse(b []byte) (*Config, error) {
	cfg := &Config{}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 || len(root.Content) == 0 {
		return cfg, nil
	}
	if root.Content[0].Kind != yaml.MappingNode {
		return nil, Problems{{Key: "(top)", Line: root.Content[0].Line, Msg: "must be a mapping of keys such as listen:, store:"}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			ps := make(Problems, 0, len(te.Errors))
			for _, e := range te.Errors {
				ps = append(ps, yamlProblem(e))
			}
			return nil, ps
		}
		return nil, err
	}
	cfg.root = root.Content[0]
	return cfg, nil
}

// yamlProblem turns "line 5: field workerz not found in type serve.ExecutorConfig"
// into a Problem.
func yamlProblem(e string) Problem {
	p := Problem{Msg: e}
	if rest, ok := strings.CutPrefix(e, "line "); ok {
		if num, msg, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				p.Line, p.Msg = n, msg
			}
		}
	}
	if f, ok := strings.CutPrefix(p.Msg, "field "); ok {
		if name, _, ok := strings.Cut(f, " not found"); ok {
			p.Key, p.Msg = name, "is not a known key"
		}
	}
	if p.Key == "" {
		p.Key = "(value)"
	}
	return p
}

// lineOf is the line of a key path ("executors.scripts.workers",
// "jobs[1].trigger") in the file; 0 when not found.
func (cfg *Config) lineOf(path string) int {
	n := cfg.root
	line := 0
	for _, part := range splitPath(path) {
		if n == nil {
			break
		}
		switch {
		case n.Kind == yaml.MappingNode:
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == part {
					line, next = n.Content[i].Line, n.Content[i+1]
				}
			}
			n = next
		case n.Kind == yaml.SequenceNode:
			i, err := strconv.Atoi(part)
			if err != nil || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
		default:
			return line
		}
	}
	return line
}

func splitPath(path string) []string {
	path = strings.NewReplacer("[", ".", "]", "").Replace(path)
	return strings.Split(path, ".")
}

// ApplyEnv overlays SUNDIAL_* environment variables (getenv is os.Getenv
// in the program, a map in tests).
func (cfg *Config) ApplyEnv(getenv func(string) string) error {
	var ps Problems
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	list := func(name string, dst *[]string) {
		if v := getenv(name); v != "" {
			*dst = splitList(v)
		}
	}
	dur := func(name string, dst *Duration) {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				ps = append(ps, Problem{Key: name, Msg: err.Error()})
				return
			}
			*dst = Duration(d)
		}
	}
	str("SUNDIAL_LISTEN", &cfg.Listen)
	str("SUNDIAL_STORE", &cfg.Store)
	str("SUNDIAL_TIMEZONE", &cfg.Timezone)
	str("SUNDIAL_NODE_ID", &cfg.NodeID)
	str("SUNDIAL_API_PREFIX", &cfg.API.Prefix)
	str("SUNDIAL_LOG_FORMAT", &cfg.Log.Format)
	str("SUNDIAL_LOG_LEVEL", &cfg.Log.Level)
	str("SUNDIAL_EXEC_WORKDIR", &cfg.Exec.Workdir)
	str("SUNDIAL_TLS_CERT_FILE", &cfg.TLS.CertFile)
	str("SUNDIAL_TLS_KEY_FILE", &cfg.TLS.KeyFile)
	list("SUNDIAL_EXEC_ALLOW", &cfg.Exec.Allow)
	list("SUNDIAL_HTTP_ALLOW", &cfg.HTTP.Allow)
	dur("SUNDIAL_SHUTDOWN_TIMEOUT", &cfg.ShutdownTimeout)
	dur("SUNDIAL_LEASE_TTL", &cfg.LeaseTTL)
	dur("SUNDIAL_STORE_TIMEOUT", &cfg.StoreTimeout)
	dur("SUNDIAL_POLL_INTERVAL", &cfg.PollInterval)
	if v := getenv("SUNDIAL_HTTP_ALLOW_PRIVATE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			ps = append(ps, Problem{Key: "SUNDIAL_HTTP_ALLOW_PRIVATE", Msg: "must be true or false"})
		}
		cfg.HTTP.AllowPrivate = b
	}
	if len(ps) > 0 {
		return ps
	}
	return nil
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Defaults written in one place.
const (
	DefaultListen          = "127.0.0.1:8080"
	DefaultStore           = "sqlite://./sundial.db"
	DefaultShutdownTimeout = 30 * time.Second
)

// withDefaults fills the defaults in.
func (cfg *Config) withDefaults() {
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.Store == "" {
		cfg.Store = DefaultStore
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = Duration(DefaultShutdownTimeout)
	}
	if cfg.API.Prefix == "" {
		cfg.API.Prefix = "/scheduler"
	}
}

// StoreRedacted is the store URL without its password, for logs.
func (cfg *Config) StoreRedacted() string {
	return storeurl.Redact(cfg.Store)
}
