package serve

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sundial-scheduler/sundial"
)

// started runs an App until the test ends (or stop is called) and
// returns it with a function that stops it and returns Run's error.
func started(t *testing.T, cfg *Config, opts Options) (*App, func() error) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	app, err := New(ctx, cfg, opts)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { _ = stop() })
	return app, stop
}

func get(t *testing.T, url string, v any) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if v != nil {
		_ = json.NewDecoder(res.Body).Decode(v)
	}
	return res.StatusCode
}

func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "sundial.db")
	yaml := `listen: 127.0.0.1:0
store: sqlite://` + db + `
timezone: Europe/Berlin
shutdown_timeout: 1s
jobs:
  - {id: declared, func: "sundial:noop", trigger: interval, hours: 1}
  - {id: kept, func: "sundial:noop", trigger: interval, hours: 2}
`
	cfg, err := Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	blocked := make(chan struct{})
	register := func(r *sundial.Registry) {
		r.Register("test:block", func(ctx context.Context, rc *sundial.RunContext) error {
			close(blocked)
			<-ctx.Done()
			return ctx.Err()
		})
	}
	app, stop := started(t, cfg, Options{Register: register})
	var ready map[string]any
	if code := get(t, app.URL()+"/readyz", &ready); code != 200 || ready["state"] != "running" {
		t.Fatalf("readyz %d %v", code, ready)
	}
	var jobs []map[string]any
	get(t, app.URL()+"/scheduler/jobs", &jobs)
	if len(jobs) != 2 {
		t.Fatalf("declared jobs: %v", jobs)
	}
	res, err := http.Post(app.URL()+"/api/v1/jobs", "application/json",
		strings.NewReader(`{"id": "long", "task": "test:block", "trigger": {"type": "interval", "hours": 1}}`))
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("create: %v %v", res, err)
	}
	res.Body.Close()
	res, err = http.Post(app.URL()+"/api/v1/jobs/long/run", "", nil)
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("run: %v %v", res, err)
	}
	var run map[string]any
	_ = json.NewDecoder(res.Body).Decode(&run)
	res.Body.Close()
	<-blocked
	// Metrics are served.
	mres, err := http.Get(app.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(mres.Body)
	mres.Body.Close()
	if !strings.Contains(string(body), "sundial_runs_in_flight 1") || !strings.Contains(string(body), `sundial_store_operation_duration_seconds_count{op="JobAdd",store="default"}`) {
		t.Fatalf("metrics lack run and store series:\n%.2000s", body)
	}
	// Shutdown waits shutdown_timeout for the running job, then cancels it:
	// it is recorded interrupted.
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	// Restart on the same file: the jobs are there; a declared job keeps
	// its stored definition unless replace_existing.
	cfg2, _ := Parse([]byte(strings.Replace(yaml, "hours: 2}", "hours: 3}", 1)))
	app2, _ := started(t, cfg2, Options{Register: register})
	var r2 map[string]any
	get(t, app2.URL()+"/api/v1/runs/"+run["id"].(string), &r2)
	if r2["status"] != "interrupted" {
		t.Fatalf("run after shutdown: %v", r2)
	}
	var kept map[string]any
	get(t, app2.URL()+"/api/v1/jobs/kept", &kept)
	if kept["trigger"].(map[string]any)["hours"] != 2.0 {
		t.Fatalf("declared job without replace_existing was replaced: %v", kept)
	}
	var long map[string]any
	if code := get(t, app2.URL()+"/api/v1/jobs/long", &long); code != 200 {
		t.Fatalf("job added over the API lost across restart: %d", code)
	}
}

func TestServeRefusesPublicWithoutAuth(t *testing.T) {
	t.Parallel()
	for _, listen := range []string{"0.0.0.0:0", ":0", "[::]:0", "example.com:80"} {
		cfg := &Config{Listen: listen, Store: "memory://"}
		_, err := New(t.Context(), cfg, Options{})
		if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
			t.Errorf("listen %s without auth: %v", listen, err)
		}
	}
	cfg := &Config{Listen: "127.0.0.1:0", Store: "memory://"}
	app, err := New(t.Context(), cfg, Options{})
	if err != nil {
		t.Fatalf("loopback without auth: %v", err)
	}
	_ = app.ln.Close()
	_ = app.store.Close()
}

func TestServeMountsTheConsole(t *testing.T) {
	t.Parallel()
	cfg := &Config{Listen: "127.0.0.1:0", Store: "memory://"}
	app, _ := started(t, cfg, Options{})
	res, err := http.Get(app.URL() + "/jobs")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(res.Header.Get("Content-Security-Policy"), "script-src 'self'") || !strings.Contains(string(body), "Jobs") {
		t.Fatalf("GET /jobs: %d %v\n%.300s", res.StatusCode, res.Header, body)
	}
	// The APIs stay the server's.
	var state map[string]any
	if code := get(t, app.URL()+"/api/v1/scheduler", &state); code != 200 || state["state"] != "running" {
		t.Fatalf("API beside the console: %d %v", code, state)
	}
	var jobs []any
	if code := get(t, app.URL()+"/scheduler/jobs", &jobs); code != 200 {
		t.Fatalf("compatible API beside the console: %d", code)
	}
}
