package serve

import (
	"strings"
	"testing"
	"time"
)

// The example configuration, with real hashes.
const example = `listen: 127.0.0.1:8080
store: memory://
timezone: Asia/Shanghai
executors: {default: {workers: 20}, scripts: {workers: 4}}
job_defaults: {coalesce: true, max_instances: 1, misfire_grace_time: null}
api: {prefix: /scheduler}
auth:
  users: [{name: admin, password_hash: "$2a$10$8ecz5V4iVqIuTqIHsZ1QaOLAN3Pug.0n4vb27Bi4FdLGVqIXo4FVK", role: admin}]
  tokens: [{name: ci, token_hash: "sha256:bb1b6f4f2b9d5d1a4f3e8a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e", role: operator}]
exec: {allow: ["/opt/jobs/*", "python3"], workdir: ./workspace}
http: {allow_private: false}
history: {max_age: 720h, max_per_job: 1000}
jobs:
  - {id: nightly-report, func: "sundial:exec", args: ["python3", "report.py"], trigger: {type: cron, hour: 2}, replace_existing: true}
`

func TestExampleConfigIsValid(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte(example))
	if err != nil {
		t.Fatal(err)
	}
	if ps := cfg.Check(); len(ps) > 0 {
		t.Fatalf("problems: %v", ps)
	}
	if cfg.Executors["scripts"].Workers != 4 || time.Duration(cfg.History.MaxAge) != 720*time.Hour || len(cfg.Jobs) != 1 {
		t.Fatalf("parsed: %+v", cfg)
	}
}

func TestConfigProblemsPointAtKeys(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, yaml, key string
		line            int
	}{
		{"unknown top-level key", "listen: 127.0.0.1:1\nstorage: x\n", "storage", 2},
		{"unknown nested key", "executors:\n  scripts:\n    workerz: 4\n", "workerz", 3},
		{"bad workers", "executors:\n  scripts:\n    workers: 0\n", "executors.scripts.workers", 3},
		{"bad zone", "timezone: Mars/Base\n", "timezone", 1},
		{"bad duration", "history:\n  max_age: forever\n", "(value)", 2},
		{"public without auth", "listen: 0.0.0.0:8080\n", "listen", 1},
		{"bad role", "auth:\n  users:\n    - {name: a, password_hash: \"$2a$10$8ecz5V4iVqIuTqIHsZ1QaOLAN3Pug.0n4vb27Bi4FdLGVqIXo4FVK\", role: god}\n", "auth.users[0].role", 0},
		{"plain password", "auth:\n  users:\n    - {name: a, password_hash: secret, role: admin}\n", "auth.users[0].password_hash", 0},
		{"store scheme", "store: mongodb://x\n", "store", 1},
		{"prefix", "api: {prefix: scheduler}\n", "api.prefix", 1},
		{"relative exec", "exec: {allow: [./run.sh]}\n", "exec.allow[0]", 1},
		{"job trigger field", "jobs:\n  - id: a\n    func: sundial:noop\n    trigger: {type: cron, hour: 25}\n", "jobs[0].trigger.hour", 0},
		{"job flat trigger field", "jobs:\n  - {id: a, func: sundial:noop, trigger: cron, minute: 99}\n", "jobs[0].minute", 2},
		{"job unknown task", "jobs:\n  - id: a\n    func: billing:run\n", "jobs[0].func", 3},
		{"job exec disabled", "jobs:\n  - {id: a, func: \"sundial:exec\", args: [\"rm\", \"-rf\"], trigger: {type: cron, hour: 2}}\n", "jobs[0].func", 2},
		{"job exec not allowed", "exec: {allow: [python3]}\njobs:\n  - {id: a, func: \"sundial:exec\", args: [\"rm\", \"-rf\"], trigger: {type: cron, hour: 2}}\n", "jobs[0].args", 0},
		{"duplicate job ids", "jobs:\n  - {id: a, func: sundial:noop}\n  - {id: a, func: sundial:noop}\n", "jobs[1].id", 3},
		{"log format", "log: {format: xml}\n", "log.format", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Parse([]byte(c.yaml))
			var ps Problems
			if err != nil {
				var ok bool
				if ps, ok = err.(Problems); !ok {
					t.Fatalf("Parse: %v", err)
				}
			} else {
				ps = cfg.Check()
			}
			if len(ps) == 0 {
				t.Fatalf("no problem found")
			}
			p := ps[0]
			if !strings.HasPrefix(p.Key, c.key) {
				t.Fatalf("problem %v, want key %s", ps, c.key)
			}
			if c.line > 0 && p.Line != c.line {
				t.Fatalf("problem %v at line %d, want line %d", p, p.Line, c.line)
			}
		})
	}
}

func TestPrecedenceFileEnvFlags(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte("listen: 127.0.0.1:1111\nstore: memory://\ntimezone: UTC\n"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SUNDIAL_LISTEN": "127.0.0.1:2222", "SUNDIAL_EXEC_ALLOW": "python3, /opt/jobs/*", "SUNDIAL_SHUTDOWN_TIMEOUT": "5s"}
	if err := cfg.ApplyEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:2222" || cfg.Store != "memory://" || len(cfg.Exec.Allow) != 2 || time.Duration(cfg.ShutdownTimeout) != 5*time.Second {
		t.Fatalf("after env: %+v", cfg)
	}
	bad := map[string]string{"SUNDIAL_LEASE_TTL": "soon"}
	if err := cfg.ApplyEnv(func(k string) string { return bad[k] }); err == nil || !strings.Contains(err.Error(), "SUNDIAL_LEASE_TTL") {
		t.Fatalf("bad env duration: %v", err)
	}
}

func TestEmptyConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if ps := cfg.Check(); len(ps) > 0 {
		t.Fatal(ps)
	}
	if cfg.Listen != DefaultListen || cfg.Store != DefaultStore || cfg.API.Prefix != "/scheduler" {
		t.Fatalf("defaults: %+v", cfg)
	}
}
