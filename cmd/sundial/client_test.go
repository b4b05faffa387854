package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestClientExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		want   int
	}{
		{400, exitInvalid}, {401, exitForbidden}, {403, exitForbidden}, {429, exitForbidden},
		{404, exitNotFound}, {409, exitConflict}, {412, exitConflict},
		{405, exitServer}, {413, exitServer}, {500, exitServer}, {503, exitServer},
	}
	for _, tt := range tests {
		err := fmt.Errorf("sundial jobs: get: %w", &httpError{Status: tt.status, Message: "x"})
		if got, ok := clientExitCode(err); !ok || got != tt.want {
			t.Errorf("status %d: clientExitCode = %d, %v; want %d, true", tt.status, got, ok, tt.want)
		}
	}
	joined := errors.Join(fmt.Errorf("a: %w", &httpError{Status: 409}), fmt.Errorf("b: %w", &httpError{Status: 404}))
	if got, _ := clientExitCode(joined); got != exitConflict {
		t.Errorf("joined errors: %d, want the first's, %d", got, exitConflict)
	}
	for _, err := range []error{errors.New("dial tcp: refused"), usagef("bad flag"), nil} {
		if got, ok := clientExitCode(err); ok {
			t.Errorf("clientExitCode(%v) = %d, true; want false, so exitCode decides", err, got)
		}
	}
}

func TestHTTPErrorMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		body   string
		want   string
	}{
		{400, `{"code":"invalid","message":"trigger.hour: 25 is out of range","field":"trigger.hour"}`, "trigger.hour: 25 is out of range"},
		{400, `{"code":"invalid","message":"must be an object","field":"retry"}`, "retry: must be an object"},
		{404, `{"code":"not_found","message":"job not found"}`, "job not found"},
		{502, "<html>\n<body>Bad\tGateway</body></html>", "HTTP 502 Bad Gateway: <html> <body>Bad Gateway</body></html>"},
		{500, "", "HTTP 500 Internal Server Error"},
		{418, `{"unexpected": true}`, `HTTP 418 I'm a teapot: {"unexpected": true}`},
	}
	for _, tt := range tests {
		if got := decodeHTTPError(tt.status, []byte(tt.body)).Error(); got != tt.want {
			t.Errorf("%d %q: %q, want %q", tt.status, tt.body, got, tt.want)
		}
	}
}

func TestServerURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string // want "" for a usage error
	}{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"https://sundial.example/", "https://sundial.example"},
		{"https://proxy.example/sundial/", "https://proxy.example/sundial"},
		{"127.0.0.1:8080", ""},
		{"ftp://host", ""},
		{"http://", ""},
		{"http://bob:secret@host", ""},
		{"http://host/?x=1", ""},
		{"http://host:badport", ""},
	}
	for _, tt := range tests {
		got, err := serverURL(tt.in)
		if tt.want == "" {
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Errorf("serverURL(%q) = %q, %v; want a usage error", tt.in, got, err)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("serverURL(%q): the error shows the password: %v", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("serverURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNewClientCredentials(t *testing.T) {
	t.Parallel()
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	basic := func(user, pw string) string {
		r := http.Request{Header: http.Header{}}
		r.SetBasicAuth(user, pw)
		return r.Header.Get("Authorization")
	}
	def := clientFlags{timeout: time.Second}
	with := func(f func(*clientFlags)) clientFlags {
		c := def
		f(&c)
		return c
	}
	tests := []struct {
		name     string
		flags    clientFlags
		getenv   func(string) string
		wantBase string
		wantAuth string
		wantErr  string // in a usage error
	}{
		{"defaults", def, env(), defaultServer, "", ""},
		{"server from env", def, env("SUNDIAL_SERVER", "https://s.example/"), "https://s.example", "", ""},
		{"flag beats env", with(func(f *clientFlags) { f.server = "http://flag:1" }), env("SUNDIAL_SERVER", "http://env:2"), "http://flag:1", "", ""},
		{"token flag", with(func(f *clientFlags) { f.token = "t1" }), env("SUNDIAL_TOKEN", "t2"), defaultServer, "Bearer t1", ""},
		{"token env", def, env("SUNDIAL_TOKEN", "t2"), defaultServer, "Bearer t2", ""},
		{"user", with(func(f *clientFlags) { f.user = "bob" }), env("SUNDIAL_PASSWORD", "pw", "SUNDIAL_TOKEN", "t2"), defaultServer, basic("bob", "pw"), ""},
		{"user without password", with(func(f *clientFlags) { f.user = "bob" }), env(), "", "", "$SUNDIAL_PASSWORD"},
		{"token and user", with(func(f *clientFlags) { f.user, f.token = "bob", "t" }), env("SUNDIAL_PASSWORD", "pw"), "", "", "not both"},
		{"colon in user", with(func(f *clientFlags) { f.user = "b:ob" }), env("SUNDIAL_PASSWORD", "pw"), "", "", "colon"},
		{"zero timeout", clientFlags{}, env(), "", "", "--timeout"},
		{"bad server", def, env("SUNDIAL_SERVER", "localhost:8080"), "", "", "--server"},
	}
	for _, tt := range tests {
		c, err := newClient(tt.flags, tt.getenv, strings.NewReader(""), &bytes.Buffer{})
		if tt.wantErr != "" {
			var ue *usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err = %v, want a usage error about %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if c.base != tt.wantBase || c.auth != tt.wantAuth {
			t.Errorf("%s: base %q, auth %q; want %q, %q", tt.name, c.base, c.auth, tt.wantBase, tt.wantAuth)
		}
	}
}

func TestClientAuth(t *testing.T) {
	t.Parallel()
	a := startAPI(t, withAuth(t))
	a.mustCLI("", "jobs", "add", "--token", testToken, "--id", "x", "--task", helloTask, "--trigger", "* * * * *")
	tests := []struct {
		name   string
		args   []string
		status int
	}{
		{"no credentials", []string{"jobs", "list"}, exitForbidden},
		{"wrong token", []string{"jobs", "list", "--token", "sdl_wrong"}, exitForbidden},
		{"viewer reads", []string{"jobs", "get", "x", "--token", viewerToken}, 0},
		{"viewer may not change", []string{"jobs", "pause", "x", "--token", viewerToken}, exitForbidden},
		{"operator changes", []string{"jobs", "pause", "x", "--token", testToken}, 0},
	}
	for _, tt := range tests {
		r := a.cli("", tt.args...)
		if got := exitStatus(r.err); got != tt.status {
			t.Errorf("%s: exit %d (err %v), want %d", tt.name, got, r.err, tt.status)
		}
	}
	r := a.cli("", "jobs", "list", "--token", "sdl_wrong")
	if r.err == nil || !strings.Contains(r.err.Error(), "wrong credentials") || strings.Contains(r.err.Error(), "sdl_wrong") {
		t.Errorf("wrong token: err = %v, want the server's reason and not the token", r.err)
	}
}

// Basic credentials: the user from --user, the password from
// $SUNDIAL_PASSWORD. Not parallel: it sets the environment.
func TestClientBasicAuth(t *testing.T) {
	a := startAPI(t, withAuth(t))
	t.Setenv("SUNDIAL_TOKEN", "")
	t.Setenv("SUNDIAL_PASSWORD", testPassword)
	r := a.mustCLI("", "jobs", "add", "--user", testUser, "--id", "b", "--task", helloTask, "--trigger", "* * * * *")
	if !strings.Contains(r.stdout, "id:") {
		t.Errorf("add as %s: stdout %q", testUser, r.stdout)
	}
	t.Setenv("SUNDIAL_PASSWORD", "not-"+testPassword)
	if r := a.cli("", "jobs", "list", "--user", testUser); exitStatus(r.err) != exitForbidden {
		t.Errorf("wrong password: err %v, want exit %d", r.err, exitForbidden)
	}
}

func TestClientNetworkErrors(t *testing.T) {
	t.Parallel()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	r := runCmd(t, "", "jobs", "list", "--server", closed.URL)
	if r.err == nil || exitStatus(r.err) != exitServer {
		t.Errorf("closed server: err %v, want exit %d", r.err, exitServer)
	}

	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hang.Close()
	start := time.Now()
	r = runCmd(t, "", "jobs", "list", "--server", hang.URL, "--timeout", "50ms")
	if r.err == nil || exitStatus(r.err) != exitServer || time.Since(start) > 5*time.Second {
		t.Errorf("hanging server: err %v after %s, want a timeout, exit %d", r.err, time.Since(start), exitServer)
	}

	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream down", http.StatusBadGateway)
	}))
	defer proxy.Close()
	r = runCmd(t, "", "jobs", "get", "x", "--server", proxy.URL)
	if r.err == nil || !strings.Contains(r.err.Error(), "HTTP 502 Bad Gateway: upstream down") || exitStatus(r.err) != exitServer {
		t.Errorf("proxy error page: err %v (exit %d)", r.err, exitStatus(r.err))
	}
}

func TestWriteFields(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	body := `{"id":"j","args":[1, "a"],"next_run_time":null,"paused":false,"name":"a\tb\u001b[31m","trigger":{"type":"cron","hour":"9"},"max":3.5}`
	if err := writeFields(&b, []byte(body)); err != nil {
		t.Fatal(err)
	}
	want := `id:            j
args:          [1,"a"]
next_run_time: -
paused:        false
name:          "a\tb\x1b[31m"
trigger:       {"type":"cron","hour":"9"}
max:           3.5
`
	if b.String() != want {
		t.Errorf("writeFields =\n%s\nwant\n%s", b.String(), want)
	}
	for _, bad := range []string{``, `[1]`, `{"a":`, `{"a" 1}`} {
		if err := writeFields(&bytes.Buffer{}, []byte(bad)); err == nil {
			t.Errorf("writeFields(%q): no error", bad)
		}
	}
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	err := writeTable(&b, []string{"ID", "NAME", "STATE"}, [][]string{{"a", "", "paused"}, {"long-id", "two\nlines", "scheduled"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "ID       NAME          STATE\n" +
		"a        -             paused\n" +
		"long-id  \"two\\nlines\"  scheduled\n"
	if b.String() != want {
		t.Errorf("writeTable =\n%s\nwant\n%s", b.String(), want)
	}
}

func TestDuration(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		in   *float64
		want string
	}{
		{nil, ""}, {f(0), "0s"}, {f(0.0001234), "123µs"}, {f(1.23456), "1.23s"}, {f(3725.4), "1h2m5s"},
	}
	for _, tt := range tests {
		if got := duration(tt.in); got != tt.want {
			t.Errorf("duration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestQuoteETag(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{`"abc"`: `"abc"`, "abc": `"abc"`, " abc ": `"abc"`, "*": "*", `W/"x"`: `W/"x"`} {
		if got := quoteETag(in); got != want {
			t.Errorf("quoteETag(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTriggerJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string // want "" for a usage error
	}{
		{"*/5 * * * *", `{"expr":"*/5 * * * *","type":"crontab"}`},
		{` {"type": "interval", "hours": 1} `, `{"type": "interval", "hours": 1}`},
		{`{"type": `, ""},
		{"  ", ""},
	}
	for _, tt := range tests {
		got, err := triggerJSON(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("triggerJSON(%q) = %s, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("triggerJSON(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}
