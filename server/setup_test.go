package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/server"
	"github.com/sundial-scheduler/sundial/store/memory"
)

// env is a running scheduler with its server on an httptest listener.
type env struct {
	t     *testing.T
	s     *sundial.Scheduler
	store *memory.Store
	srv   *server.Server
	ts    *httptest.Server
	reg   *sundial.Registry
	// user and pass are sent with every request when set.
	user, pass string
	token      string
}

type setupOpt func(*server.Options, *sundial.Config)

// withAuth configures users admin, operator and viewer (password
// "<name>-pw") and a token "viewer-token" for role viewer.
func withAuth() setupOpt {
	return func(o *server.Options, _ *sundial.Config) {
		var users []server.User
		for _, u := range []struct {
			name string
			role server.Role
		}{{"admin", server.RoleAdmin}, {"operator", server.RoleOperator}, {"viewer", server.RoleViewer}} {
			h, _ := bcrypt.GenerateFromPassword([]byte(u.name+"-pw"), bcrypt.MinCost)
			users = append(users, server.User{Name: u.name, PasswordHash: string(h), Role: u.role})
		}
		th, _ := bcrypt.GenerateFromPassword([]byte("viewer-token"), bcrypt.MinCost)
		a, err := server.NewAuth(users, []server.Token{{Name: "ci", TokenHash: string(th), Role: server.RoleViewer}}, nil)
		if err != nil {
			panic(err)
		}
		o.Auth = a
	}
}

func setup(t *testing.T, opts ...setupOpt) *env {
	t.Helper()
	st := memory.New(memory.Options{})
	reg := sundial.NewRegistry()
	reg.Register("test:echo", func(ctx context.Context, rc *sundial.RunContext) error {
		rc.Output("hello from " + rc.JobID)
		return nil
	})
	cfg := sundial.Config{Store: st, Tasks: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Executors: map[string]int{"scripts": 2}}
	o := server.Options{Audit: st, Logger: cfg.Logger, Version: "test"}
	for _, opt := range opts {
		opt(&o, &cfg)
	}
	s, err := sundial.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	o.Scheduler = s
	srv, err := server.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(validating(t, srv))
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
		s.Stop()
	})
	return &env{t: t, s: s, store: st, srv: srv, ts: ts, reg: reg}
}

// as returns a copy of e that sends Basic credentials of a test user.
func (e *env) as(user string) *env {
	c := *e
	c.user, c.pass, c.token = user, user+"-pw", ""
	return &c
}

// resp is an answer read whole.
type resp struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value.
func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

func (e *env) do(method, path, body string, headers ...string) resp {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if e.user != "" {
		req.SetBasicAuth(e.user, e.pass)
	}
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// must is do that fails the test unless the status is want.
func (e *env) must(want int, method, path, body string, headers ...string) resp {
	e.t.Helper()
	r := e.do(method, path, body, headers...)
	if r.status != want {
		e.t.Fatalf("%s %s %s: status %d, want %d; body %s", method, path, body, r.status, want, r.body)
	}
	return r
}

// jobIDs lists the stored job ids, to prove a refused request changed
// nothing.
func (e *env) jobIDs() string {
	jobs, err := e.s.ListJobs(e.t.Context(), sundial.JobListParams{})
	if err != nil {
		e.t.Fatal(err)
	}
	var b bytes.Buffer
	for _, j := range jobs {
		js, _ := json.Marshal(j)
		b.Write(js)
	}
	return b.String()
}

// waitRun waits until a run reaches a final status and returns it: it
// listens for the run's final event, then reads the run.
func (e *env) waitRun(id string) *sundial.Run {
	e.t.Helper()
	done := make(chan struct{}, 1)
	remove := e.s.AddListener(func(ev sundial.Event) {
		if ev.Run != nil && ev.Run.ID == id && ev.Run.Status.Finished() {
			select {
			case done <- struct{}{}:
			default:
			}
		}
	}, sundial.EventAll)
	defer remove()
	if r, err := e.s.GetRun(e.t.Context(), id); err == nil && r.Status.Finished() {
		return r
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		e.t.Fatalf("run %s not finished in 10s", id)
	}
	r, err := e.s.GetRun(e.t.Context(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}
