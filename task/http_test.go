package task

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// request is what a test server received.
type request struct {
	method string
	header http.Header
	body   string
}

// recorder is a test server that records its requests and answers with
// handler.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []request
}

// serve starts a recording server on addr ("127.0.0.1:0" when "").
func serve(t *testing.T, addr string, handler http.HandlerFunc) *recorder {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("listen on %s: %v", addr, err)
	}
	r := &recorder{}
	r.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, request{req.Method, req.Header.Clone(), string(body)})
		r.mu.Unlock()
		handler(w, req)
	}))
	r.Listener.Close()
	r.Listener = l
	r.Start()
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.reqs...)
}

func runHTTP(t *testing.T, ctx context.Context, cfg HTTPConfig, kwargs map[string]any) (string, error) {
	t.Helper()
	// The handler is run plus rc.Output, whose result only the scheduler
	// reads (the examples show it there).
	return newHTTPTask(cfg).run(ctx, runContext(t, nil, kwargs))
}

func TestHTTPSuccess(t *testing.T) {
	t.Parallel()
	srv := serve(t, "", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "created")
	})
	task := newHTTPTask(HTTPConfig{AllowPrivate: true})
	rc := runContext(t, nil, map[string]any{
		"url":     srv.URL + "/hooks/nightly",
		"method":  "POST",
		"headers": map[string]string{"x-token": "abc"},
		"body":    map[string]any{"report": "nightly", "n": 1},
	})
	out, err := task.run(t.Context(), rc)
	if err != nil {
		t.Fatal(err)
	}
	if want := "HTTP 201 Created\ncreated"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
	reqs := srv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	got := reqs[0]
	for k, want := range map[string]string{
		"Idempotency-Key":        rc.RunID,
		"X-Sundial-Job":          "job-1",
		"X-Sundial-Scheduled-At": "2030-01-02T03:04:05Z",
		"User-Agent":             "sundial",
		"Content-Type":           "application/json",
		"X-Token":                "abc",
	} {
		if v := got.header.Get(k); v != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}
	if got.method != "POST" || got.body != `{"n":1,"report":"nightly"}` {
		t.Errorf("got %s %q", got.method, got.body)
	}
}

func TestHTTPStringBody(t *testing.T) {
	t.Parallel()
	srv := serve(t, "", func(http.ResponseWriter, *http.Request) {})
	cfg := HTTPConfig{AllowPrivate: true}
	if _, err := runHTTP(t, t.Context(), cfg, map[string]any{"url": srv.URL, "method": "PUT", "body": "a=1&b=2"}); err != nil {
		t.Fatal(err)
	}
	// A JSON body keeps a Content-Type the job set.
	if _, err := runHTTP(t, t.Context(), cfg, map[string]any{"url": srv.URL, "body": []int{1}, "headers": map[string]string{"Content-Type": "application/vnd.api+json"}}); err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	if reqs[0].method != "PUT" || reqs[0].body != "a=1&b=2" || reqs[0].header.Get("Content-Type") != "" {
		t.Errorf("string body: %+v", reqs[0])
	}
	if reqs[1].body != "[1]" || reqs[1].header.Get("Content-Type") != "application/vnd.api+json" {
		t.Errorf("JSON body with content type: %+v", reqs[1])
	}
}

func TestHTTPStatus(t *testing.T) {
	t.Parallel()
	srv := serve(t, "", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/down":
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "maintenance")
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		}
	})
	cfg := HTTPConfig{AllowPrivate: true}
	for _, tc := range []struct {
		path    string
		expect  []int
		wantErr string
	}{
		{"/down", nil, "unexpected status 503 Service Unavailable (expected 2xx)"},
		{"/down", []int{503}, ""},
		{"/empty", nil, ""},
		{"/empty", []int{200, 201}, "unexpected status 204 No Content (expected 200, 201)"},
	} {
		kw := map[string]any{"url": srv.URL + tc.path}
		if tc.expect != nil {
			kw["expect"] = tc.expect
		}
		out, err := runHTTP(t, t.Context(), cfg, kw)
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr) {
			t.Errorf("%s expect %v: err = %v, want %q", tc.path, tc.expect, err, tc.wantErr)
		}
		if tc.path == "/down" && out != "HTTP 503 Service Unavailable\nmaintenance" {
			t.Errorf("output %q", out)
		}
	}
}

func TestHTTPResponseTruncated(t *testing.T) {
	t.Parallel()
	srv := serve(t, "", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, strings.Repeat("x", 1000)+"é") // never read in full
	})
	out, err := runHTTP(t, t.Context(), HTTPConfig{AllowPrivate: true, MaxResponse: 10}, map[string]any{"url": srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if want := "HTTP 200 OK\nxxxxxxxxxx\n[response body truncated after 10 bytes]"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
}

func TestHTTPLoopbackRefusedByDefault(t *testing.T) {
	t.Parallel()
	srv := serve(t, "", func(http.ResponseWriter, *http.Request) {})
	task := newHTTPTask(HTTPConfig{})
	// The validator refuses the literal address, naming the field and why.
	err := task.validate(nil, []byte(`{"url": "`+srv.URL+`"}`))
	checkFieldError(t, err, "kwargs.url", "is loopback: refused")
	// So does the handler, for a job stored before the config changed.
	if _, err := task.run(t.Context(), runContext(t, nil, map[string]any{"url": srv.URL})); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("handler: %v, want loopback refused", err)
	}
	// A name that resolves to loopback meets the dialer's check on the
	// resolved address ("localhost" is also refused early; go round that).
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	_, err = task.client.Get("http://localhost:" + port + "/")
	var de *deniedError
	if !errors.As(err, &de) || de.reason != "loopback" {
		t.Errorf("dial localhost: %v, want refused as loopback", err)
	}
	if n := len(srv.requests()); n != 0 {
		t.Errorf("the server got %d requests", n)
	}
}

func TestHTTPRedirectToLoopbackRefused(t *testing.T) {
	t.Parallel()
	target := serve(t, "", func(http.ResponseWriter, *http.Request) {})
	allowed := serve(t, "127.0.0.2:0", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/internal", http.StatusFound)
	})
	cfg := HTTPConfig{Allow: []string{"127.0.0.2/32"}}
	_, err := runHTTP(t, t.Context(), cfg, map[string]any{"url": allowed.URL})
	if err == nil || !strings.Contains(err.Error(), "destination 127.0.0.1 is loopback") {
		t.Fatalf("err = %v, want the redirect to 127.0.0.1 refused", err)
	}
	// Without the early check in CheckRedirect, the dialer still refuses
	// the redirect's resolved address.
	task := newHTTPTask(cfg)
	task.client.CheckRedirect = nil
	_, err = task.run(t.Context(), runContext(t, nil, map[string]any{"url": allowed.URL}))
	var de *deniedError
	if !errors.As(err, &de) || de.dest != "127.0.0.1" {
		t.Fatalf("err = %v, want the dialer to refuse 127.0.0.1", err)
	}
	if n := len(allowed.requests()); n != 2 {
		t.Errorf("allowed server got %d requests, want 2", n)
	}
	if n := len(target.requests()); n != 0 {
		t.Errorf("loopback target got %d requests, want 0", n)
	}
}

func TestHTTPRedirectLimit(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := serve(t, "", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "/again", http.StatusFound)
	})
	_, err := runHTTP(t, t.Context(), HTTPConfig{AllowPrivate: true}, map[string]any{"url": srv.URL})
	if err == nil || !strings.Contains(err.Error(), "stopped after 10 redirects") {
		t.Fatalf("err = %v", err)
	}
	if n := hits.Load(); n != 11 {
		t.Errorf("%d requests, want 11 (the first and 10 redirects)", n)
	}
}

func TestHTTPMetadataRefused(t *testing.T) {
	t.Parallel()
	task := newHTTPTask(HTTPConfig{Allow: []string{"127.0.0.0/8"}})
	for _, u := range []string{
		"http://169.254.169.254/latest/meta-data/",
		"http://[::ffff:169.254.169.254]/latest/meta-data/",
		"http://[::ffff:a9fe:a9fe]/",
		"http://2852039166/",
		"http://0xa9.0xfe.0xa9.0xfe/",
	} {
		err := task.validate(nil, []byte(`{"url": "`+u+`"}`))
		checkFieldError(t, err, "kwargs.url", "refused")
	}
	// Past the validator, the dialer refuses before connecting: the
	// hook runs on the created socket, before connect(2), so no packet
	// leaves the host.
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://[::ffff:169.254.169.254]/"} {
		_, err := task.client.Get(u)
		var de *deniedError
		if !errors.As(err, &de) || !strings.HasPrefix(de.reason, "link-local") {
			t.Errorf("GET %s: %v, want refused as link-local", u, err)
		}
	}
}

func TestHTTPTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := serve(t, "", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the server closes
	_, err := runHTTP(t, t.Context(), HTTPConfig{AllowPrivate: true}, map[string]any{"url": srv.URL, "timeout": 0.2})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "request timeout 200ms passed") {
		t.Fatalf("err = %v, want the request timeout", err)
	}
	// The run's own context (the job's timeout) bounds it too.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := runHTTP(t, ctx, HTTPConfig{AllowPrivate: true}, map[string]any{"url": srv.URL}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestHTTPConfigValidate(t *testing.T) {
	t.Parallel()
	good := HTTPConfig{Allow: []string{"10.1.0.0/16", "127.0.0.2/32", "fd00::/8", "10.9.9.9", "internal.example", "Metrics.Internal."}}
	if err := good.Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
	for _, bad := range []HTTPConfig{
		{Allow: []string{""}},
		{Allow: []string{"http://internal.example"}},
		{Allow: []string{"internal.example:8080"}},
		{Allow: []string{"10.0.0.0/33"}},
		{Allow: []string{"*.example"}},
		{Allow: []string{"2852039166"}},
		{MaxResponse: -1},
		{Timeout: -1},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}
