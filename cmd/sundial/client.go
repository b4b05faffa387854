package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode"

	"golang.org/x/term"
)

// Exit statuses of the client commands (jobs, runs, nodes). Scripts rely
// on them: never renumber one. clientExitCodesText documents them.
const (
	exitServer    = 1 // the server failed, or anything else went wrong
	exitUsage     = 2 // the command was called wrongly
	exitNotFound  = 3 // 404: no such job or run
	exitConflict  = 4 // 409 or 412: the job exists, changed since read, or the scheduler is stopped
	exitInvalid   = 5 // 400: the server refused the input
	exitForbidden = 6 // 401, 403, 429: credentials missing, wrong, short of a role, or throttled
)

const clientExitCodesText = `Exit status:

	0  success
	1  server error, network error or any other failure
	2  usage error (unknown flag, missing argument)
	3  not found (HTTP 404): no such job or run
	4  conflict (HTTP 409, 412): the id is taken, the job changed since
	   --if-match's ETag was read, or the scheduler is not running
	5  invalid input (HTTP 400); the message starts with the field to blame
	6  unauthorized or forbidden (HTTP 401, 403, 429)
`

const clientFlagsText = `Every subcommand takes:

	--server URL    the server (default $SUNDIAL_SERVER, else ` + defaultServer + `)
	--token TOKEN   a bearer token (default $SUNDIAL_TOKEN)
	--user NAME     sign in as NAME (HTTP Basic); the password comes from
	                $SUNDIAL_PASSWORD, or is asked for on the terminal
	--json          print the API's JSON as it was answered, for scripts
	--timeout D     the time limit of each request (default 30s)

They may also come before the subcommand: sundial jobs --server URL list.
`

// defaultServer is where the client commands go without --server or
// $SUNDIAL_SERVER: the address "sundial serve" listens on by default.
const defaultServer = "http://127.0.0.1:8080"

// clientFlags are the flags every client command takes.
type clientFlags struct {
	server  string
	token   string
	user    string
	json    bool
	timeout time.Duration
}

func (f *clientFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&f.server, "server", "", "server `URL` (default $SUNDIAL_SERVER, else "+defaultServer+")")
	fs.StringVar(&f.token, "token", "", "bearer `token` (default $SUNDIAL_TOKEN)")
	fs.StringVar(&f.user, "user", "", "user `name` for HTTP Basic; the password comes from $SUNDIAL_PASSWORD")
	fs.BoolVar(&f.json, "json", false, "print the API's JSON as answered")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "time limit of each request")
}

// client calls the native API of a Sundial server.
type client struct {
	base      string // the server's URL, without a trailing slash
	auth      string // the Authorization header; "" sends none
	userAgent string
	http      *http.Client
}

// newClient returns a client for the flags. Credentials: --token, else
// --user with $SUNDIAL_PASSWORD (or a password asked on the terminal
// behind stdin), else $SUNDIAL_TOKEN, else none.
func newClient(f clientFlags, getenv func(string) string, stdin io.Reader, stderr io.Writer) (*client, error) {
	if f.timeout <= 0 {
		return nil, usagef("--timeout must be positive, not %s", f.timeout)
	}
	base, err := serverURL(cmp.Or(f.server, getenv("SUNDIAL_SERVER"), defaultServer))
	if err != nil {
		return nil, err
	}
	c := &client{base: base, userAgent: "sundial/" + buildVersion(), http: &http.Client{Timeout: f.timeout}}
	switch {
	case f.token != "" && f.user != "":
		return nil, usagef("give --token or --user, not both")
	case f.token != "":
		c.auth = "Bearer " + f.token
	case f.user != "":
		if strings.Contains(f.user, ":") {
			return nil, usagef("--user: a user name holds no colon")
		}
		pw := getenv("SUNDIAL_PASSWORD")
		if pw == "" {
			if pw, err = askPassword(f.user, stdin, stderr); err != nil {
				return nil, err
			}
		}
		req := http.Request{Header: http.Header{}}
		req.SetBasicAuth(f.user, pw)
		c.auth = req.Header.Get("Authorization")
	case getenv("SUNDIAL_TOKEN") != "":
		c.auth = "Bearer " + getenv("SUNDIAL_TOKEN")
	}
	return c, nil
}

// serverURL checks a server URL and returns it without a trailing slash.
// A path is kept, for a server behind a proxy at a prefix.
func serverURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", usagef("--server: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", usagef("--server: want an http or https URL such as %s, got %q", defaultServer, s)
	}
	if u.User != nil {
		return "", usagef("--server: leave credentials out of the URL; use --user with $SUNDIAL_PASSWORD, or --token")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", usagef("--server: want the server's base URL, without a query or fragment, got %q", s)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// askPassword reads the password of user from the terminal behind stdin,
// without echo.
func askPassword(user string, stdin io.Reader, stderr io.Writer) (string, error) {
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", usagef("--user %s needs the password in $SUNDIAL_PASSWORD (standard input is not a terminal to ask on)", user)
	}
	fmt.Fprintf(stderr, "Password for %s: ", user)
	pw, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return string(pw), nil
}

// maxResponse bounds what is read of a response: far above any page of
// jobs or runs the API answers.
const maxResponse = 64 << 20

// A response is a successful answer of the API.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request to path under /api/v1 (segments already escaped) and
// returns the answer; any status but 2xx is an *httpError.
func (c *client) do(ctx context.Context, method, path string, query url.Values, body []byte, header http.Header) (*response, error) {
	u := c.base + "/api/v1" + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", c.userAgent)
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err // *url.Error already names the method and URL
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read the answer: %w", method, u, err)
	}
	if len(b) > maxResponse {
		return nil, fmt.Errorf("%s %s: the answer is larger than %d MiB", method, u, maxResponse>>20)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, decodeHTTPError(resp.StatusCode, b)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// getJSON sends a GET and decodes the answer into v; it returns the body
// as answered too, for --json.
func (c *client) getJSON(ctx context.Context, path string, query url.Values, v any) ([]byte, error) {
	resp, err := c.do(ctx, http.MethodGet, path, query, nil, nil)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(resp.body, v); err != nil {
		return nil, fmt.Errorf("GET %s: the answer is not the JSON expected: %w", path, err)
	}
	return resp.body, nil
}

// httpError is an error answer of the API: its HTTP status and the body
// {"code", "message", "field"}.
type httpError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field"`
}

// decodeHTTPError reads an error answer; a body that is not the API's
// error shape (a proxy's HTML page, for one) is quoted in the message.
func decodeHTTPError(status int, body []byte) *httpError {
	e := &httpError{Status: status}
	if json.Unmarshal(body, e) == nil && e.Message != "" {
		return e
	}
	*e = httpError{Status: status, Message: fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))}
	if text := snippet(body); text != "" {
		e.Message += ": " + text
	}
	return e
}

// snippet is the start of a body, on one line, for an error message.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Error is the server's message; for invalid input it starts with the
// field to blame ("trigger.hour: ..."), which the server's messages
// usually do already.
func (e *httpError) Error() string {
	if e.Field != "" && !strings.HasPrefix(e.Message, e.Field+": ") && !strings.HasPrefix(e.Message, e.Field+" ") {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// exitCode is the exit status for the error's HTTP status.
func (e *httpError) exitCode() int {
	switch e.Status {
	case http.StatusNotFound:
		return exitNotFound
	case http.StatusConflict, http.StatusPreconditionFailed:
		return exitConflict
	case http.StatusBadRequest:
		return exitInvalid
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests:
		return exitForbidden
	}
	return exitServer
}

// clientExitCode is the exit status of an error from a client command,
// when it is one the client commands define (an answer of the API);
// otherwise ok is false and the usual statuses apply (2 for usage
// errors, 1 for the rest). main's exitCode consults it first.
func clientExitCode(err error) (code int, ok bool) {
	var he *httpError
	if errors.As(err, &he) {
		return he.exitCode(), true
	}
	return 0, false
}
