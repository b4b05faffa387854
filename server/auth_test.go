package server_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sundial-scheduler/sundial/server"
)

// Every route checks the caller's role: walk the route table with no
// credentials, wrong ones, and each role.
func TestEveryRouteChecksRoles(t *testing.T) {
	t.Parallel()
	e := setup(t, withAuth())
	routes := e.srv.Routes()
	if len(routes) < 30 {
		t.Fatalf("only %d routes", len(routes))
	}
	roles := map[string]server.Role{"viewer": server.RoleViewer, "operator": server.RoleOperator, "admin": server.RoleAdmin}
	for _, rt := range routes {
		path := strings.ReplaceAll(rt.Path, "{id}", "no-such-id")
		if rt.Path == "/api/v1/events" {
			continue // a stream: checked below
		}
		r := e.do(rt.Method, path, "")
		if rt.Role == 0 {
			if r.status == 401 || r.status == 403 {
				t.Errorf("%s %s: open route answered %d", rt.Method, path, r.status)
			}
			continue
		}
		if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s without credentials: %d, want 401 with WWW-Authenticate", rt.Method, path, r.status)
		}
		for name, role := range roles {
			r := e.as(name).do(rt.Method, path, "")
			denied := r.status == http.StatusForbidden
			if role < rt.Role && !denied {
				t.Errorf("%s %s as %s: %d, want 403 (needs %s)", rt.Method, path, name, r.status, rt.Role)
			}
			if role >= rt.Role && (denied || r.status == http.StatusUnauthorized) {
				t.Errorf("%s %s as %s: %d, want it allowed", rt.Method, path, name, r.status)
			}
		}
	}
	// The event stream too.
	e.must(401, "GET", "/api/v1/events", "")
	if r := e.must(200, "POST", "/api/v1/triggers/validate", `{"trigger": {"type": "cron", "hour": "1"}}`, "Authorization", "Bearer viewer-token"); r.status != 200 {
		t.Fatal("bearer token refused")
	}
	// A viewer cannot change anything, whatever the route.
	v := e.as("viewer")
	v.must(403, "POST", "/api/v1/jobs", `{"task": "sundial:noop", "trigger": {"type": "interval", "hours": 1}}`)
	v.must(403, "POST", "/scheduler/jobs", `{"id": "v", "func": "sundial:noop", "trigger": "interval", "hours": 1}`)
	if got := e.jobIDs(); got != "" {
		t.Fatalf("a viewer stored jobs: %s", got)
	}
}

func TestWrongCredentialsAreThrottled(t *testing.T) {
	t.Parallel()
	e := setup(t, withAuth())
	bad := e.as("admin")
	bad.pass = "wrong"
	for i := range 5 {
		if r := bad.do("GET", "/api/v1/jobs", ""); r.status != 401 {
			t.Fatalf("attempt %d: %d, want 401", i+1, r.status)
		}
	}
	// The sixth failure starts a backoff: then even the right password
	// waits, with Retry-After.
	bad.must(401, "GET", "/api/v1/jobs", "")
	r := e.as("admin").must(429, "GET", "/api/v1/jobs", "")
	if r.header.Get("Retry-After") == "" || r.json(t)["code"] != "too_many_failures" {
		t.Fatalf("429 without Retry-After or code: %v %s", r.header, r.body)
	}
	// The compatible API answers in its own shape.
	r = e.as("admin").must(429, "GET", "/scheduler/jobs", "")
	if r.json(t)["error_message"] == nil {
		t.Fatalf("compat 429 body %s", r.body)
	}
}

func TestAuthConfigChecks(t *testing.T) {
	t.Parallel()
	sum := sha256.Sum256([]byte("tok"))
	cases := []struct {
		users  []server.User
		tokens []server.Token
		want   string
	}{
		{[]server.User{{Name: "a", PasswordHash: "plain", Role: server.RoleAdmin}}, nil, "auth.users[0].password_hash"},
		{[]server.User{{Name: "", PasswordHash: "$2a$10$abcdefghijklmnopqrstuuJ5nF1Y0gBfWm1L3JZ6Zk3mZ4lNw7m2a", Role: server.RoleAdmin}}, nil, "auth.users[0].name"},
		{nil, []server.Token{{Name: "t", TokenHash: "sha256:xyz", Role: server.RoleViewer}}, "auth.tokens[0].token_hash"},
		{nil, []server.Token{{Name: "t", TokenHash: "sha256:" + hex.EncodeToString(sum[:]), Role: 0}}, "auth.tokens[0].role"},
	}
	for _, c := range cases {
		_, err := server.NewAuth(c.users, c.tokens, time.Now)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("NewAuth: %v, want an error at %s", err, c.want)
		}
	}
	if a, err := server.NewAuth(nil, nil, nil); a != nil || err != nil {
		t.Fatalf("no users and no tokens: %v, %v; want no auth", a, err)
	}
}

func TestCrossSiteRequestsAreRefused(t *testing.T) {
	t.Parallel()
	e := setup(t) // no auth: loopback only
	body := `{"task": "sundial:noop", "trigger": {"type": "interval", "hours": 1}}`
	e.must(403, "POST", "/api/v1/jobs", body, "Origin", "http://evil.example")
	e.must(403, "POST", "/api/v1/jobs", body, "Sec-Fetch-Site", "cross-site")
	e.must(403, "GET", "/api/v1/jobs", "", "Host", "rebound.evil.example:8080")
	if got := e.jobIDs(); got != "" {
		t.Fatalf("a cross-site request stored a job: %s", got)
	}
	e.must(201, "POST", "/api/v1/jobs", body, "Origin", e.ts.URL)
}

func TestSessionCookieNeedsCSRFToChange(t *testing.T) {
	t.Parallel()
	e := setup(t, withAuth())
	sess := e.srv.Sessions().Create(server.Identity{Name: "operator", Role: server.RoleOperator})
	cookie := server.SessionCookie + "=" + sess.ID
	body := `{"id": "s1", "task": "sundial:noop", "trigger": {"type": "interval", "hours": 1}}`
	e.must(200, "GET", "/api/v1/jobs", "", "Cookie", cookie)
	e.must(403, "POST", "/api/v1/jobs", body, "Cookie", cookie)
	e.must(403, "POST", "/api/v1/jobs", body, "Cookie", cookie, server.CSRFHeader, "wrong")
	e.must(201, "POST", "/api/v1/jobs", body, "Cookie", cookie, server.CSRFHeader, sess.CSRF)
	e.must(403, "POST", "/api/v1/scheduler/pause", "", "Cookie", cookie, server.CSRFHeader, sess.CSRF)
	e.srv.Sessions().Delete(sess.ID)
	e.must(401, "GET", "/api/v1/jobs", "", "Cookie", cookie)
}
