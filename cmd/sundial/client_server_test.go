package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/server"
	"github.com/sundial-scheduler/sundial/store/memory"
)

// apiServer is a running scheduler with its HTTP server on a test
// listener, for the client commands to talk to.
type apiServer struct {
	t   *testing.T
	url string
	s   *sundial.Scheduler
}

// helloTask is a task of the test scheduler that outputs "hello".
const helloTask = "test:hello"

// startAPI starts a scheduler on the memory store and its server; opts
// adjust the server's options (authentication, for one).
func startAPI(t *testing.T, opts ...func(*server.Options)) *apiServer {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	tasks := sundial.NewRegistry()
	tasks.Register(helloTask, func(_ context.Context, rc *sundial.RunContext) error {
		rc.Output("hello")
		return nil
	})
	s, err := sundial.New(sundial.Config{Store: memory.New(memory.Options{}), Tasks: tasks, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	o := server.Options{Scheduler: s, Logger: log}
	for _, opt := range opts {
		opt(&o)
	}
	srv, err := server.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
		s.Stop()
	})
	return &apiServer{t: t, url: ts.URL, s: s}
}

// Credentials of withAuth.
const (
	testToken    = "sdl_test-operator-token"
	viewerToken  = "sdl_test-viewer-token"
	testUser     = "alice"
	testPassword = "alice-password"
)

// withAuth requires credentials: operator user alice (Basic), an operator
// token and a viewer token (Bearer, as SHA-256 hashes).
func withAuth(t *testing.T) func(*server.Options) {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	sha := func(tok string) string {
		sum := sha256.Sum256([]byte(tok))
		return "sha256:" + hex.EncodeToString(sum[:])
	}
	a, err := server.NewAuth(
		[]server.User{{Name: testUser, PasswordHash: string(h), Role: server.RoleOperator}},
		[]server.Token{
			{Name: "ci", TokenHash: sha(testToken), Role: server.RoleOperator},
			{Name: "dashboard", TokenHash: sha(viewerToken), Role: server.RoleViewer},
		}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return func(o *server.Options) { o.Auth = a }
}

// cli runs sundial with args, pointed at the test server.
func (a *apiServer) cli(stdin string, args ...string) result {
	a.t.Helper()
	return runCmd(a.t, stdin, append(args, "--server", a.url)...)
}

// mustCLI is cli for a command that must succeed.
func (a *apiServer) mustCLI(stdin string, args ...string) result {
	a.t.Helper()
	r := a.cli(stdin, args...)
	if r.err != nil {
		a.t.Fatalf("%v: %v (stderr %q)", args, r.err, r.stderr)
	}
	return r
}

// get reads path of the native API directly, without the client.
func (a *apiServer) get(path string) []byte {
	a.t.Helper()
	req, err := http.NewRequestWithContext(a.t.Context(), http.MethodGet, a.url+"/api/v1"+path, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		a.t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	return b
}

// waitRun waits, up to a deadline, until the run is finished, asking the
// API through "sundial runs get --json", and returns the run.
func (a *apiServer) waitRun(id string) map[string]any {
	a.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var run map[string]any
		r := a.mustCLI("", "runs", "get", id, "--json")
		if err := json.Unmarshal([]byte(r.stdout), &run); err != nil {
			a.t.Fatalf("runs get --json: %v: %q", err, r.stdout)
		}
		if run["finished_at"] != nil {
			return run
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("run %s not finished after 10s: %v", id, run)
		}
		time.Sleep(5 * time.Millisecond) // pace the polling; the loop waits on the condition
	}
}

// exitStatus is the status main exits with for err, once exitCode
// consults clientExitCode as the client commands ask.
func exitStatus(err error) int {
	if err == nil {
		return 0
	}
	return exitCode(err)
}
