package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sundial-scheduler/sundial"
)

// Options configure a Server.
type Options struct {
	// Scheduler is the scheduler the APIs manage. Required.
	Scheduler *sundial.Scheduler
	// Prefix is where the Flask-APScheduler compatible API lives.
	// Default "/scheduler".
	Prefix string
	// Auth checks credentials. Nil serves every request as an anonymous
	// admin: only for a server that listens on loopback (ListenAndServe
	// refuses anything else).
	Auth *Auth
	// Sessions are the web console's sign-ins; requests that carry a
	// session cookie (and, to change anything, its CSRF token) are
	// authenticated by it. Nil: a new store.
	Sessions *Sessions
	// Audit keeps the log of changes; nil logs them only.
	Audit sundial.AuditLog
	// Metrics is served at /metrics (viewer role) when set.
	Metrics http.Handler
	// Ready is checked by /readyz besides the scheduler's state (a store
	// ping, for one).
	Ready func(context.Context) error
	// Logger receives request errors and the audit trail. Default:
	// slog.Default().
	Logger *slog.Logger
	// Version is reported by the API.
	Version string
	// MaxBody bounds request bodies. Default 1 MiB.
	MaxBody int64
}

// Server is the HTTP face of a scheduler: the compatible API, the native
// API at /api/v1, health checks and metrics. It is an http.Handler.
type Server struct {
	s      *sundial.Scheduler
	opts   Options
	log    *slog.Logger
	mux    *http.ServeMux
	routes []route
	events *hub
	// stopped is the compatible API's "shut down" scheduler: it claims
	// no fires (the scheduler is paused) and reports running: false.
	stopped atomic.Bool
}

// New returns a Server for opts.
func New(opts Options) (*Server, error) {
	if opts.Scheduler == nil {
		return nil, errors.New("server: Options.Scheduler is required")
	}
	if opts.Prefix == "" {
		opts.Prefix = "/scheduler"
	}
	if !strings.HasPrefix(opts.Prefix, "/") || strings.HasSuffix(opts.Prefix, "/") || strings.HasPrefix(opts.Prefix, "/api/") {
		return nil, fmt.Errorf("server: api prefix %q must start with a slash, not end with one, and not be under /api/", opts.Prefix)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 1 << 20
	}
	if opts.Sessions == nil {
		opts.Sessions = NewSessions(0, nil)
	}
	srv := &Server{s: opts.Scheduler, opts: opts, log: opts.Logger, mux: http.NewServeMux()}
	srv.events = newHub(opts.Scheduler)
	srv.routes = append(srv.compatRoutes(), srv.nativeRoutes()...)
	srv.routes = append(srv.routes, srv.opsRoutes()...)
	srv.register()
	return srv, nil
}

// Close ends the live event streams.
func (srv *Server) Close() { srv.events.close() }

// ServeHTTP answers a request.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	srv.mux.ServeHTTP(w, r)
}

// api says how a route answers errors.
type api int

const (
	apiNative api = iota // {"code", "message", "field"}
	apiCompat            // {"error_message", "code", "field"}
	apiPlain             // health checks: native shape, no auth
)

// A route is one method on one path, with the least role that may call it.
type route struct {
	method string
	path   string // http.ServeMux pattern without the method
	role   Role   // 0: no authentication (health checks)
	api    api
	h      func(w http.ResponseWriter, r *http.Request) error
}

// register installs the routes: one mux pattern per path, dispatching on
// the method itself so a wrong method gets a JSON 405 with Allow.
func (srv *Server) register() {
	byPath := map[string][]route{}
	var paths []string
	for _, rt := range srv.routes {
		if _, ok := byPath[rt.path]; !ok {
			paths = append(paths, rt.path)
		}
		byPath[rt.path] = append(byPath[rt.path], rt)
	}
	for _, p := range paths {
		rts := byPath[p]
		srv.mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			srv.dispatch(w, r, rts)
		})
	}
	// Unknown paths under the APIs answer JSON too.
	notFound := func(kind api) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			srv.writeError(w, kind, &apiError{Status: http.StatusNotFound, Code: codeNotFound, Message: "no such route: " + r.URL.Path})
		}
	}
	srv.mux.HandleFunc("/api/", notFound(apiNative))
	srv.mux.HandleFunc(srv.opts.Prefix+"/", notFound(apiCompat))
}

func (srv *Server) dispatch(w http.ResponseWriter, r *http.Request, rts []route) {
	var rt *route
	allow := []string{}
	for i := range rts {
		allow = append(allow, rts[i].method)
		if rts[i].method == r.Method || (r.Method == http.MethodHead && rts[i].method == http.MethodGet) {
			rt = &rts[i]
		}
	}
	if rt == nil {
		if slices.Contains(allow, http.MethodGet) {
			allow = append(allow, http.MethodHead)
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		srv.writeError(w, rts[0].api, &apiError{Status: http.StatusMethodNotAllowed, Code: codeMethod,
			Message: fmt.Sprintf("%s is not allowed here; allowed: %s", r.Method, strings.Join(allow, ", "))})
		return
	}
	if rt.role > 0 {
		id, err := srv.authenticate(r)
		if err != nil {
			srv.writeAuthError(w, rt.api, err)
			return
		}
		if id.Role < rt.role {
			srv.writeError(w, rt.api, &apiError{Status: http.StatusForbidden, Code: codeForbidden,
				Message: fmt.Sprintf("%s needs the %s role; %s has %s", r.Method+" "+r.URL.Path, rt.role, id.Name, id.Role)})
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), identityKey{}, id))
	}
	r.Body = http.MaxBytesReader(w, r.Body, srv.opts.MaxBody)
	if err := rt.h(w, r); err != nil {
		ae := toAPIError(err, "trigger.")
		if ae.Code == codeInternal {
			srv.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		srv.writeError(w, rt.api, ae)
	}
}

type identityKey struct{}

// identity is who made the request (set for every authenticated route).
func identity(r *http.Request) Identity {
	id, _ := r.Context().Value(identityKey{}).(Identity)
	return id
}

// errCSRF refuses a change made with a session cookie but without the
// session's CSRF token, and a change a browser sends from another site.
var errCSRF = &apiError{Status: http.StatusForbidden, Code: codeCSRF, Message: "missing or wrong " + CSRFHeader + " for this session, or a request from another site"}

func (srv *Server) authenticate(r *http.Request) (Identity, error) {
	if !safeMethod(r.Method) && !SameOrigin(r) {
		return Identity{}, errCSRF
	}
	if srv.opts.Auth == nil {
		// Loopback only (ListenAndServe refuses other addresses). A page
		// on another site may still make a browser send requests here, or
		// rebind a name of its own to 127.0.0.1: refuse foreign Host
		// headers.
		if !loopbackHost(r.Host) {
			return Identity{}, &apiError{Status: http.StatusForbidden, Code: codeForbidden,
				Message: "this server has no authentication and answers only requests addressed to localhost"}
		}
		return Identity{Name: "", Role: RoleAdmin}, nil
	}
	if r.Header.Get("Authorization") == "" {
		if sess, ok := srv.opts.Sessions.Get(r); ok {
			if !safeMethod(r.Method) && !sess.CheckCSRF(r) {
				return Identity{}, errCSRF
			}
			return sess.Identity, nil
		}
	}
	return srv.opts.Auth.Authenticate(r)
}

// Sessions returns the server's session store (for the console).
func (srv *Server) Sessions() *Sessions { return srv.opts.Sessions }

// Auth returns the server's authentication; nil when there is none.
func (srv *Server) Auth() *Auth { return srv.opts.Auth }

// Authenticate returns who made a request, as every route checks it.
func (srv *Server) Authenticate(r *http.Request) (Identity, error) { return srv.authenticate(r) }

// SameOrigin reports whether a browser request comes from this server's
// own pages: the browser marks it same-origin (or sends no mark), and its
// Origin header, if any, names the Host the request was sent to. The
// console's sign-in form applies the same rule.
func SameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// loopbackHost reports whether a Host header names this machine.
func loopbackHost(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	h = strings.Trim(h, "[]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}

func (srv *Server) writeAuthError(w http.ResponseWriter, kind api, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		srv.writeError(w, kind, ae)
		return
	}
	var te *throttledError
	if errors.As(err, &te) {
		w.Header().Set("Retry-After", strconv.Itoa(int(te.retryAfter.Round(time.Second)/time.Second)+1))
		srv.writeError(w, kind, &apiError{Status: http.StatusTooManyRequests, Code: codeTooMany, Message: te.Error()})
		return
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="sundial", charset="UTF-8"`)
	w.Header().Add("WWW-Authenticate", `Bearer realm="sundial"`)
	msg := "Access Denied: " + err.Error()
	srv.writeError(w, kind, &apiError{Status: http.StatusUnauthorized, Code: codeUnauthorized, Message: msg})
}

// writeError answers an error in the shape of the route's API.
func (srv *Server) writeError(w http.ResponseWriter, kind api, e *apiError) {
	if kind == apiCompat {
		body := map[string]string{"error_message": e.Message, "code": e.Code}
		if e.Field != "" {
			body["field"] = e.Field
		}
		writeJSON(w, e.Status, body)
		return
	}
	writeJSON(w, e.Status, e)
}

// RouteInfo describes one route of the server.
type RouteInfo struct {
	Method string
	// Path is an http.ServeMux pattern such as /api/v1/jobs/{id}.
	Path string
	// Role is the least role that may call it; 0 for routes open to all
	// (health checks).
	Role Role
}

// Routes lists the server's routes, for documentation and tests.
func (srv *Server) Routes() []RouteInfo {
	out := make([]RouteInfo, len(srv.routes))
	for i, rt := range srv.routes {
		out[i] = RouteInfo{Method: rt.method, Path: rt.path, Role: rt.role}
	}
	return out
}
