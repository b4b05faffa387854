package task

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// HTTPConfig configures sundial:http. The zero value is usable: public
// destinations only, 4 KiB of response body kept, 30 s timeout.
type HTTPConfig struct {
	// AllowPrivate allows every destination, including loopback, private,
	// link-local (cloud metadata) and other special-purpose addresses
	// (config key http.allow_private). For development and trusted
	// networks only.
	AllowPrivate bool
	// Allow lists destinations allowed despite being private or special
	// (config key http.allow): CIDRs ("10.1.0.0/16", "127.0.0.2/32"),
	// single addresses, or host names ("internal.example", matched
	// exactly, case-insensitively), which are then connected to whatever
	// they resolve to.
	Allow []string
	// MaxResponse is how many bytes of the response body the run's output
	// keeps (default 4 KiB).
	MaxResponse int
	// Timeout bounds a request whose job gives no kwargs.timeout
	// (default 30s). The job's own timeout applies too.
	Timeout time.Duration
}

// Defaults of HTTPConfig.
const (
	DefaultHTTPMaxResponse = 4 << 10
	DefaultHTTPTimeout     = 30 * time.Second
)

// maxRedirects is how many redirects a request follows.
const maxRedirects = 10

// withDefaults fills in the zero fields.
func (c HTTPConfig) withDefaults() HTTPConfig {
	if c.MaxResponse <= 0 {
		c.MaxResponse = DefaultHTTPMaxResponse
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultHTTPTimeout
	}
	return c
}

// Validate reports configuration mistakes: an Allow entry that is not a
// CIDR, an address or a host name (HTTP ignores it), a negative limit. A
// server calls it to refuse to start.
func (c HTTPConfig) Validate() error {
	var errs []error
	for i, e := range c.Allow {
		if err := checkHTTPAllowEntry(e); err != nil {
			errs = append(errs, fmt.Errorf("http.allow[%d] %q: %w", i, e, err))
		}
	}
	if c.MaxResponse < 0 {
		errs = append(errs, fmt.Errorf("http.max_response: must not be negative, got %d", c.MaxResponse))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("http.timeout: must not be negative, got %s", c.Timeout))
	}
	return errors.Join(errs...)
}

// httpTask is sundial:http with its configuration and client.
type httpTask struct {
	cfg    HTTPConfig
	guard  *guard
	client *http.Client
}

// HTTP returns the handler and the argument validator of sundial:http,
// which sends one HTTP request per run to a destination the SSRF guard
// allows; see the package documentation for its arguments. The handler
// keeps one connection pool for all its runs.
func HTTP(cfg HTTPConfig) (sundial.Handler, sundial.Validator) {
	t := newHTTPTask(cfg)
	return t.handle, t.validate
}

func newHTTPTask(cfg HTTPConfig) *httpTask {
	cfg = cfg.withDefaults()
	cfg.Allow = append([]string(nil), cfg.Allow...)
	g := newGuard(cfg)
	t := &httpTask{cfg: cfg, guard: g}
	t.client = &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil, // a proxy would connect for us, past the guard
			DialContext:           g.dialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: 1 * time.Second,
		},
		CheckRedirect: t.checkRedirect,
	}
	return t
}

func (t *httpTask) validate(args, kwargs json.RawMessage) error {
	_, err := t.parseHTTP(args, kwargs)
	return err
}

// checkRedirect follows at most maxRedirects redirects, to http or https
// URLs whose host passes the early check; the dialer checks the address.
func (t *httpTask) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects { // via holds the first request and each redirect followed
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	if s := req.URL.Scheme; s != "http" && s != "https" {
		return fmt.Errorf("redirect to %q refused: not http or https", req.URL.Redacted())
	}
	if err := t.guard.checkHost(req.URL.Hostname()); err != nil {
		return fmt.Errorf("redirect to %q refused: %w", req.URL.Redacted(), err)
	}
	return nil
}

func (t *httpTask) handle(ctx context.Context, rc *sundial.RunContext) error {
	out, err := t.run(ctx, rc)
	if out != "" {
		rc.Output(out)
	}
	return err
}

// run sends the job's request and returns the output to record.
func (t *httpTask) run(ctx context.Context, rc *sundial.RunContext) (string, error) {
	// The configuration may have changed since the job was validated.
	spec, err := t.parseHTTP(rc.Args, rc.Kwargs)
	if err != nil {
		return "", forJob(err, rc.JobID)
	}
	timeout := cmp.Or(spec.timeout, t.cfg.Timeout)
	ctx, cancel := context.WithTimeoutCause(ctx, timeout,
		fmt.Errorf("request timeout %s passed: %w", timeout, context.DeadlineExceeded))
	defer cancel()

	var body io.Reader
	if spec.body != nil {
		body = bytes.NewReader(spec.body)
	}
	req, err := http.NewRequestWithContext(ctx, spec.method, spec.url.String(), body)
	if err != nil {
		return "", fmt.Errorf("build request: %w", err)
	}
	req.Header = spec.header.Clone()
	if spec.bodyJSON && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "sundial")
	}
	req.Header.Set("Idempotency-Key", rc.RunID)
	req.Header.Set("X-Sundial-Job", rc.JobID)
	req.Header.Set("X-Sundial-Scheduled-At", rc.ScheduledAt.UTC().Format(time.RFC3339Nano))

	resp, err := t.client.Do(req)
	if err != nil {
		return "", withCause(ctx, err)
	}
	defer resp.Body.Close()

	out, err := t.excerpt(resp)
	if err != nil {
		return out, fmt.Errorf("read response body: %w", withCause(ctx, err))
	}
	if !expected(resp.StatusCode, spec.expect) {
		return out, fmt.Errorf("unexpected status %s (expected %s)", resp.Status, describeExpect(spec.expect))
	}
	return out, nil
}

// excerpt reads the response into the run's output: a status line and
// the start of the body, noting a truncation.
func (t *httpTask) excerpt(resp *http.Response) (string, error) {
	status := "HTTP " + resp.Status
	if len(status) > maxStatusLine {
		status = string(trimPartialRune([]byte(status[:maxStatusLine])))
	}
	status += "\n"
	limit := keepLimit(t.cfg.MaxResponse, len(status))
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	if len(body) <= limit {
		return status + string(body), err
	}
	body = trimPartialRune(body[:limit])
	note := fmt.Sprintf("[response body truncated after %d bytes]", len(body))
	if len(body) > 0 && body[len(body)-1] != '\n' {
		note = "\n" + note
	}
	return status + string(body) + note, err
}

// maxStatusLine bounds the status line a server sends back.
const maxStatusLine = 256

// withCause adds the cause of a request's end (which timeout passed) to an
// error the context ended; errors.Is still finds the context error.
func withCause(ctx context.Context, err error) error {
	if ctx.Err() == nil || !errors.Is(err, ctx.Err()) {
		return err
	}
	if cause := context.Cause(ctx); cause != ctx.Err() {
		return fmt.Errorf("%w (%v)", err, cause)
	}
	return err
}

// expected reports whether a status means success: one of expect, or any
// 2xx when expect is nil.
func expected(code int, expect []int) bool {
	if expect == nil {
		return code >= 200 && code <= 299
	}
	return slices.Contains(expect, code)
}

func describeExpect(expect []int) string {
	if expect == nil {
		return "2xx"
	}
	s := make([]string, len(expect))
	for i, c := range expect {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ", ")
}
