package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/server"
)

const wantCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Every console answer, pages, assets, errors and redirects alike, carries
// the CSP and the other security headers.
func TestHeadersOnEveryPage(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.addJob("report", "Report", taskEcho, `{"type": "cron", "hour": "9"}`)
	run := e.runNow("report")
	c := e.client()
	res, _ := c.get("/")
	checkHeaders(t, "/ (signed out)", res)
	c.login("admin")
	for path, status := range map[string]int{
		"/": 200, "/jobs": 200, "/jobs?q=rep&paused=false": 200, "/jobs/new": 200, "/jobs/report": 200,
		"/jobs/report/edit": 200, "/runs": 200, "/runs?status=succeeded&job=report": 200, "/runs/" + run.ID: 200,
		"/audit": 200, "/login": 303, "/static/app.js": 200, "/static/app.css": 200,
		"/nowhere": 404, "/jobs/missing": 404, "/runs/missing": 404, "/runs?from=yesterday": 400,
	} {
		res, body := c.get(path)
		if res.StatusCode != status {
			t.Errorf("GET %s: %d, want %d\n%s", path, res.StatusCode, status, body)
		}
		checkHeaders(t, path, res)
		if strings.HasSuffix(path, ".js") || res.StatusCode == 303 {
			continue
		}
		if strings.Contains(body, "<script>") || strings.Contains(body, " style=") || strings.Contains(body, " onclick") {
			t.Errorf("GET %s: inline script or style in the page", path)
		}
	}
}

func checkHeaders(t *testing.T, what string, res *http.Response) {
	t.Helper()
	for k, want := range map[string]string{
		"Content-Security-Policy": wantCSP,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
	} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s: %s = %q, want %q", what, k, got, want)
		}
	}
}

func TestSessionCookie(t *testing.T) {
	t.Parallel()
	for _, secure := range []bool{false, true} {
		var opts []setupOpt
		if secure {
			opts = append(opts, withSecure())
		}
		e := setup(t, opts...)
		res, body := e.client().do("POST", "/login", url.Values{"name": {"viewer"}, "password": {"viewer-pw"}, "next": {"/jobs?q=x"}}, nil)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/jobs?q=x" {
			t.Fatalf("sign-in: %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), body)
		}
		var ck *http.Cookie
		for _, c := range res.Cookies() {
			if c.Name == server.SessionCookie {
				ck = c
			}
		}
		if ck == nil {
			t.Fatal("no session cookie")
		}
		if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Secure != secure || ck.Value == "" {
			t.Errorf("secure=%v: cookie %+v; want HttpOnly, SameSite=Strict, Path=/, Secure=%v", secure, ck, secure)
		}
	}
}

// A sign-in posted from another site is refused: a page elsewhere must not
// sign a browser into the console (login CSRF).
func TestLoginRefusesCrossSite(t *testing.T) {
	t.Parallel()
	e := setup(t)
	form := url.Values{"name": {"admin"}, "password": {"admin-pw"}}
	for _, h := range []http.Header{
		{"Origin": {"https://evil.example"}},
		{"Origin": {"null"}},
		{"Sec-Fetch-Site": {"cross-site"}},
		{"Sec-Fetch-Site": {"same-site"}},
	} {
		c := e.client()
		res, _ := c.do("POST", "/login", form, h)
		if res.StatusCode != http.StatusForbidden || c.sessionCookie() != "" {
			t.Errorf("%v: %d, cookie %q; want 403 and no session", h, res.StatusCode, c.sessionCookie())
		}
	}
	c := e.client()
	res, _ := c.do("POST", "/login", form, http.Header{"Origin": {e.ts.URL}, "Sec-Fetch-Site": {"same-origin"}})
	if res.StatusCode != http.StatusSeeOther || c.sessionCookie() == "" {
		t.Errorf("same-origin sign-in: %d; want 303 with a session", res.StatusCode)
	}
}

// Failed sign-ins count toward the server's throttling: after a few, even
// the right password is turned away for a while.
func TestLoginThrottled(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := e.client()
	for i := range 6 {
		res, body := c.do("POST", "/login", url.Values{"name": {"admin"}, "password": {"guess"}}, nil)
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong name or password") {
			t.Fatalf("attempt %d: %d, want 401 with the message\n%s", i+1, res.StatusCode, body)
		}
	}
	res, body := c.do("POST", "/login", url.Values{"name": {"admin"}, "password": {"admin-pw"}}, nil)
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed sign-ins") || c.sessionCookie() != "" {
		t.Errorf("right password while throttled: %d, cookie %q; want 429 and no session\n%s", res.StatusCode, c.sessionCookie(), body)
	}
	// The same throttle guards the API's Basic auth.
	req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/jobs", nil)
	req.SetBasicAuth("admin", "admin-pw")
	ares, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ares.Body.Close()
	if ares.StatusCode != http.StatusTooManyRequests {
		t.Errorf("API while throttled: %d, want 429", ares.StatusCode)
	}
}

func TestLoginFormErrors(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := e.client()
	res, body := c.do("POST", "/login", url.Values{"name": {"admin"}}, nil)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Give your name and password") {
		t.Errorf("no password: %d\n%s", res.StatusCode, body)
	}
	// next must stay on this site.
	for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example", "jobs"} {
		res, _ := e.client().do("POST", "/login", url.Values{"name": {"viewer"}, "password": {"viewer-pw"}, "next": {next}}, nil)
		if loc := res.Header.Get("Location"); loc != "/" {
			t.Errorf("next %q: sent to %q, want /", next, loc)
		}
	}
}

func TestRoles(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.addJob("report", "Report", taskEcho, `{"type": "cron", "hour": "9"}`)

	res, _ := e.client().get("/jobs?q=a+b")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next="+url.QueryEscape("/jobs?q=a+b") {
		t.Errorf("signed out: %d to %q; want 303 to the sign-in page", res.StatusCode, res.Header.Get("Location"))
	}

	viewer := e.client()
	viewer.login("viewer")
	for path, status := range map[string]int{"/": 200, "/jobs": 200, "/jobs/report": 200, "/runs": 200,
		"/audit": 403, "/jobs/new": 403, "/jobs/report/edit": 403} {
		res, body := viewer.get(path)
		if res.StatusCode != status {
			t.Errorf("viewer GET %s: %d, want %d", path, res.StatusCode, status)
		}
		if status == 200 && (strings.Contains(body, "data-action=") || strings.Contains(body, `href="/jobs/new"`) ||
			strings.Contains(body, "/edit\"") || strings.Contains(body, `href="/audit"`)) {
			t.Errorf("viewer GET %s: the page offers changes or the audit log", path)
		}
	}

	op := e.client()
	op.login("operator")
	_, body := op.get("/jobs")
	for _, want := range []string{`data-action="job-pause"`, `data-action="job-run"`, `data-action="job-delete"`, `href="/jobs/new"`} {
		if !strings.Contains(body, want) {
			t.Errorf("operator's jobs page lacks %s", want)
		}
	}
	if res, _ := op.get("/audit"); res.StatusCode != http.StatusForbidden {
		t.Errorf("operator GET /audit: %d, want 403", res.StatusCode)
	}
	_, body = op.get("/")
	if strings.Contains(body, "scheduler-pause") {
		t.Error("operator sees the scheduler's pause button (admin only)")
	}

	admin := e.client()
	admin.login("admin")
	_, body = admin.get("/")
	if !strings.Contains(body, `data-action="scheduler-pause"`) {
		t.Error("admin's overview lacks the scheduler's pause button")
	}
}

// Names, descriptions, tags and output are text, never markup, wherever
// they appear.
func TestEscapesMarkup(t *testing.T) {
	t.Parallel()
	e := setup(t)
	const evil = `<script>alert(1)</script>`
	_, err := e.s.AddJob(context.Background(), sundial.JobSpec{ID: "evil", Name: evil, Task: taskEcho,
		Description: `<img src=x onerror=alert(2)>`, Tags: []string{`<b>tag</b>`},
		Trigger: mustTrigger(`{"type": "interval", "minutes": 10}`)})
	if err != nil {
		t.Fatal(err)
	}
	run := e.runNow("evil")
	c := e.client()
	c.login("admin")
	for _, path := range []string{"/", "/jobs", "/jobs/evil", "/jobs/evil/edit", "/runs/" + run.ID, "/audit"} {
		_, body := c.get(path)
		for _, bad := range []string{"<script>alert", "<img src=x", "<b>tag"} {
			if strings.Contains(body, bad) {
				t.Errorf("GET %s: %q appears unescaped", path, bad)
			}
		}
	}
	_, body := c.get("/jobs")
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the jobs page does not show the name as text")
	}
}

// Sign-out is a change: without the session's CSRF token it is refused and
// the session lives on.
func TestLogoutNeedsCSRF(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := e.client()
	c.login("operator")
	res, _ := c.do("POST", "/logout", url.Values{}, nil)
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out without token: %d, want 403", res.StatusCode)
	}
	res, _ = c.do("POST", "/logout", url.Values{"csrf": {"wrong"}}, nil)
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out with a wrong token: %d, want 403", res.StatusCode)
	}
	res, body := c.get("/")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("session ended by a refused sign-out: %d", res.StatusCode)
	}
	token := between(body, `<meta name="csrf-token" content="`, `"`)
	if token == "" {
		t.Fatal("no CSRF token in the page")
	}
	res, _ = c.do("POST", "/logout", url.Values{"csrf": {token}}, http.Header{"Origin": {"https://evil.example"}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out from another site: %d, want 403", res.StatusCode)
	}
	res, _ = c.do("POST", "/logout", url.Values{"csrf": {token}}, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Errorf("sign-out: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := c.get("/"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("after sign-out: %d, want a redirect to sign in", res.StatusCode)
	}
}

// Without authentication nobody signs in, the header says so, and the
// pages still refuse foreign Host headers (DNS rebinding).
func TestNoAuth(t *testing.T) {
	t.Parallel()
	e := setup(t, withoutAuth())
	c := e.client()
	res, body := c.get("/")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "no authentication (loopback only)") {
		t.Errorf("GET /: %d\n%s", res.StatusCode, body)
	}
	if !strings.Contains(body, `data-action="scheduler-pause"`) {
		t.Error("the anonymous admin has no scheduler controls")
	}
	if res, _ := c.get("/login"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Errorf("GET /login: %d to %q; want 303 to /", res.StatusCode, res.Header.Get("Location"))
	}
	req, _ := http.NewRequest("GET", e.ts.URL+"/jobs", nil)
	req.Host = "rebound.example:80"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("foreign Host: %d, want 403", res.StatusCode)
	}
}

func TestJobPages(t *testing.T) {
	t.Parallel()
	e := setup(t, withZone(mustZone("Asia/Shanghai")))
	e.addJob("weekday", "Weekday report", taskEcho,
		`{"type": "cron", "day_of_week": "mon-fri", "hour": "9", "minute": "30", "timezone": "Asia/Shanghai"}`)
	run := e.runNow("weekday")
	e.addJob("broken", "Broken", taskFail, `{"type": "cron", "minute": "*/5", "timezone": "UTC"}`)
	failed := e.runNow("broken")
	c := e.client()
	c.login("viewer")

	_, body := c.get("/jobs")
	for _, want := range []string{"at 09:30 on Monday through Friday (Asia/Shanghai)", "CST &#43;08:00", `<time class="local" datetime="`,
		"status-succeeded", "status-failed"} {
		if !strings.Contains(body, want) {
			t.Errorf("jobs page lacks %q", want)
		}
	}
	_, body = c.get("/jobs?q=weekday")
	if strings.Contains(body, `href="/jobs/broken"`) || !strings.Contains(body, `href="/jobs/weekday"`) {
		t.Error("search by text does not filter")
	}
	_, body = c.get("/jobs?task=" + taskFail)
	if strings.Contains(body, `href="/jobs/weekday"`) || !strings.Contains(body, `href="/jobs/broken"`) {
		t.Error("the task filter does not filter")
	}

	_, body = c.get("/jobs/weekday")
	if n := strings.Count(body, `<li><span class="zoned">`); n != 10 {
		t.Errorf("job page shows %d next fire times, want 10", n)
	}
	if !strings.Contains(body, `class="bar status-succeeded"`) {
		t.Error("job page has no duration bar for its run")
	}

	_, body = c.get("/")
	if !strings.Contains(body, "Recent failures") || !strings.Contains(body, "disk full") || !strings.Contains(body, "node-a") {
		t.Error("overview lacks the failure or the node")
	}
	if !strings.Contains(body, `class="fire"`) {
		t.Error("the timeline has no fire of the */5 job")
	}

	_, body = c.get("/runs/" + run.ID)
	if !strings.Contains(body, "hello from weekday") {
		t.Error("run page lacks the output")
	}
	_, body = c.get("/runs/" + failed.ID)
	if !strings.Contains(body, "disk full") {
		t.Error("run page lacks the error")
	}
	_, body = c.get("/runs?status=failed")
	if !strings.Contains(body, failed.ID) || strings.Contains(body, run.ID) {
		t.Error("the runs page's status filter does not filter")
	}
}

// Outputs over 64 KiB are cut on the page, with a link to the whole.
func TestRunOutputTruncated(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.addJob("big", "Big", taskBig, `{"type": "cron", "hour": "3"}`)
	run := e.runNow("big")
	c := e.client()
	c.login("viewer")
	_, body := c.get("/runs/" + run.ID)
	out := between(body, `<pre class="output" id="run-output" tabindex="0">`, `</pre>`)
	if len(out) > 64<<10 || len(out) < 60<<10 {
		t.Errorf("shown output is %d bytes, want at most 64 KiB", len(out))
	}
	if !strings.Contains(body, `href="/api/v1/runs/`+run.ID+`/output"`) || !strings.Contains(body, "longer than 64 KiB") {
		t.Error("no note and link to the whole output")
	}
}

func TestAuditPage(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := e.client()
	c.login("admin")
	req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/jobs",
		strings.NewReader(`{"id": "audited", "task": "test:echo", "trigger": {"type": "cron", "hour": "1"}}`))
	req.SetBasicAuth("operator", "operator-pw")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	_, body := c.get("/audit")
	for _, want := range []string{"job.create", "audited", "operator", "127.0.0.1"} {
		if !strings.Contains(body, want) {
			t.Errorf("audit page lacks %q", want)
		}
	}
	_, body = c.get("/audit?actor=nobody")
	if strings.Contains(body, "<code>job.create</code>") {
		t.Error("the actor filter does not filter")
	}
}

// Ids with characters that mean something in a URL still link to their
// job, and and/or triggers open in the form's JSON editor.
func TestOddIdsAndJSONTriggers(t *testing.T) {
	t.Parallel()
	e := setup(t)
	const id = "weird id?#%"
	e.addJob(id, "Weird", taskEcho, `{"type": "cron", "hour": "7"}`)
	e.addJob("combo", "Combo", taskEcho, `{"type": "or", "triggers": [{"type": "cron", "hour": "9"}, {"type": "cron", "hour": "17"}]}`)
	c := e.client()
	c.login("operator")
	_, body := c.get("/jobs")
	href := "/jobs/" + url.PathEscape(id)
	if !strings.Contains(body, `href="`+href+`"`) {
		t.Errorf("jobs page lacks a link to %s", href)
	}
	for _, p := range []string{href, href + "/edit"} {
		if res, body := c.get(p); res.StatusCode != 200 || !strings.Contains(body, "Weird") {
			t.Errorf("GET %s: %d", p, res.StatusCode)
		}
	}
	_, body = c.get("/jobs/combo/edit")
	if !strings.Contains(body, `<option value="json" selected>`) || !strings.Contains(body, `<div class="builder" data-builder="json">`) ||
		!strings.Contains(body, "&#34;triggers&#34;") {
		t.Error("an or trigger does not open in the JSON editor")
	}
	if !strings.Contains(body, `data-etag="&#34;`) {
		t.Error("the edit form lacks the job's ETag for If-Match")
	}
}
