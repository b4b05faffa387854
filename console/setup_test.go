package console_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/console"
	"github.com/sundial-scheduler/sundial/server"
	"github.com/sundial-scheduler/sundial/store/memory"
	"github.com/sundial-scheduler/sundial/trigger"
)

// env is a running scheduler with its server and console behind one
// httptest listener, mounted as the serve command mounts them.
type env struct {
	t     *testing.T
	s     *sundial.Scheduler
	store *memory.Store
	srv   *server.Server
	reg   *sundial.Registry
	ts    *httptest.Server
}

type setupConfig struct {
	noAuth bool
	secure bool
	zone   *time.Location
}

type setupOpt func(*setupConfig)

// withoutAuth runs the server without authentication (loopback only).
func withoutAuth() setupOpt { return func(c *setupConfig) { c.noAuth = true } }

// withSecure sets console.Options.Secure.
func withSecure() setupOpt { return func(c *setupConfig) { c.secure = true } }

// withZone sets the scheduler's time zone.
func withZone(loc *time.Location) setupOpt { return func(c *setupConfig) { c.zone = loc } }

// testUsers are the users of every env with auth: the password of each is
// "<name>-pw".
var testUsers = []struct {
	name string
	role server.Role
}{{"admin", server.RoleAdmin}, {"operator", server.RoleOperator}, {"viewer", server.RoleViewer}}

// Tasks registered in every env.
const (
	taskEcho = "test:echo" // outputs "hello from <job id>"
	taskFail = "test:fail" // fails with "disk full"
	taskBig  = "test:big"  // outputs more than the run page shows
)

func setup(t *testing.T, opts ...setupOpt) *env {
	t.Helper()
	var cfg setupConfig
	for _, o := range opts {
		o(&cfg)
	}
	st := memory.New(memory.Options{})
	reg := sundial.NewRegistry()
	reg.Register(taskEcho, func(ctx context.Context, rc *sundial.RunContext) error {
		rc.Output("hello from " + rc.JobID + "\n")
		return nil
	})
	reg.Register(taskFail, func(ctx context.Context, rc *sundial.RunContext) error {
		rc.Output("writing report…\n")
		return errors.New("disk full")
	})
	reg.Register(taskBig, func(ctx context.Context, rc *sundial.RunContext) error {
		rc.Output(strings.Repeat("0123456789abcdef", 5000)) // 80 000 bytes
		return nil
	})
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := sundial.New(sundial.Config{Store: st, Tasks: reg, Logger: logger, Timezone: cfg.zone, NodeID: "node-a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	o := server.Options{Scheduler: s, Audit: st, Logger: logger, Version: "test"}
	if !cfg.noAuth {
		var users []server.User
		for _, u := range testUsers {
			h, err := bcrypt.GenerateFromPassword([]byte(u.name+"-pw"), bcrypt.MinCost)
			if err != nil {
				t.Fatal(err)
			}
			users = append(users, server.User{Name: u.name, PasswordHash: string(h), Role: u.role})
		}
		if o.Auth, err = server.NewAuth(users, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := server.New(o)
	if err != nil {
		t.Fatal(err)
	}
	con, err := console.New(console.Options{Scheduler: s, Server: srv, Secure: cfg.secure, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(mount(srv, con))
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
		s.Stop()
	})
	return &env{t: t, s: s, store: st, srv: srv, reg: reg, ts: ts}
}

// mount routes the server's paths to the server and the rest to the
// console.
func mount(srv, con http.Handler) http.Handler {
	mux := http.NewServeMux()
	for _, p := range []string{"/api/", "/scheduler", "/scheduler/", "/healthz", "/readyz", "/metrics"} {
		mux.Handle(p, srv)
	}
	mux.Handle("/", con)
	return mux
}

// addJob adds a job with a cron trigger.
func (e *env) addJob(id, name, task, cron string) *sundial.Job {
	e.t.Helper()
	j, err := e.s.AddJob(context.Background(), sundial.JobSpec{ID: id, Name: name, Task: task,
		Trigger: trigger.MustParse(cron)})
	if err != nil {
		e.t.Fatal(err)
	}
	return j
}

// runNow runs a job now and waits for its run to finish.
func (e *env) runNow(id string) *sundial.Run {
	e.t.Helper()
	done := make(chan struct{}, 1)
	remove := e.s.AddListener(func(ev sundial.Event) {
		if ev.JobID == id {
			select {
			case done <- struct{}{}:
			default:
			}
		}
	}, sundial.EventRunSucceeded|sundial.EventRunFailed|sundial.EventRunTimedOut)
	defer remove()
	run, err := e.s.RunJobNow(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		e.t.Fatalf("run of %s did not finish", id)
	}
	run, err = e.s.GetRun(context.Background(), run.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return run
}

// client is an HTTP client with its own cookies that follows no
// redirects, for the tests without a browser.
type client struct {
	e *env
	c *http.Client
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// do sends a request and reads the answer whole.
func (c *client) do(method, path string, form url.Values, header http.Header) (*http.Response, string) {
	c.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.e.ts.URL+path, body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := c.c.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return res, string(b)
}

func (c *client) get(path string) (*http.Response, string) { return c.do("GET", path, nil, nil) }

// login signs in through the form and fails the test if that does not
// work.
func (c *client) login(name string) {
	c.e.t.Helper()
	res, body := c.do("POST", "/login", url.Values{"name": {name}, "password": {name + "-pw"}, "next": {"/"}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		c.e.t.Fatalf("sign-in as %s: %d %s", name, res.StatusCode, body)
	}
}

// sessionCookie returns the client's session cookie value.
func (c *client) sessionCookie() string {
	u, _ := url.Parse(c.e.ts.URL)
	for _, ck := range c.c.Jar.Cookies(u) {
		if ck.Name == server.SessionCookie {
			return ck.Value
		}
	}
	return ""
}
