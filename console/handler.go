package console

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/sundial-scheduler/sundial"
	"github.com/sundial-scheduler/sundial/server"
)

// Options configure a Console.
type Options struct {
	// Scheduler is the scheduler the pages show. Required.
	Scheduler *sundial.Scheduler
	// Server is the API server the pages' JavaScript talks to; the console
	// uses its authentication and session store. Required.
	Server *server.Server
	// Secure marks the session cookie Secure: set it when the console is
	// served over TLS.
	Secure bool
	// Logger receives sign-ins and page errors. Default: slog.Default().
	Logger *slog.Logger
}

// Console is the web console, an http.Handler. Mount it at "/" beside the
// server (which keeps /api/, /scheduler, /healthz, /readyz and /metrics).
type Console struct {
	s    *sundial.Scheduler
	srv  *server.Server
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux
	tmpl *renderer
}

// contentSecurityPolicy allows the console's own scripts, styles and
// connections only: no inline code, no other origins, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// New returns a Console for opts.
func New(opts Options) (*Console, error) {
	if opts.Scheduler == nil {
		return nil, errors.New("console: Options.Scheduler is required")
	}
	if opts.Server == nil {
		return nil, errors.New("console: Options.Server is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	tmpl, err := newRenderer()
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	c := &Console{s: opts.Scheduler, srv: opts.Server, opts: opts, log: opts.Logger, mux: http.NewServeMux(), tmpl: tmpl}
	c.routes()
	return c, nil
}

func (c *Console) routes() {
	m := c.mux
	m.HandleFunc("GET /login", c.loginForm)
	m.HandleFunc("POST /login", c.login)
	m.HandleFunc("POST /logout", c.logout)
	m.Handle("GET /static/", staticHandler())

	m.Handle("GET /{$}", c.page(server.RoleViewer, c.overview))
	m.Handle("GET /jobs", c.page(server.RoleViewer, c.jobs))
	m.Handle("GET /jobs/new", c.page(server.RoleOperator, c.newJob))
	m.Handle("GET /jobs/{id}", c.page(server.RoleViewer, c.job))
	m.Handle("GET /jobs/{id}/edit", c.page(server.RoleOperator, c.editJob))
	m.Handle("GET /runs", c.page(server.RoleViewer, c.runs))
	m.Handle("GET /runs/{id}", c.page(server.RoleViewer, c.run))
	m.Handle("GET /audit", c.page(server.RoleAdmin, c.audit))
	m.Handle("/", c.page(server.RoleViewer, func(w http.ResponseWriter, r *http.Request, v *viewer) error {
		return notFound("there is no page at " + r.URL.Path)
	}))
}

// ServeHTTP answers a request for a console page or asset.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	c.mux.ServeHTTP(w, r)
}

// pageFunc renders one page for a signed-in viewer.
type pageFunc func(w http.ResponseWriter, r *http.Request, v *viewer) error

// page wraps a pageFunc with the sign-in and role checks and the error
// page: an anonymous visitor is sent to the sign-in page, a viewer below
// role gets a 403 page.
func (c *Console) page(role server.Role, h pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		v, err := c.viewer(r)
		if errors.Is(err, errSignIn) {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if err != nil {
			c.renderError(w, r, nil, &httpError{status: http.StatusForbidden, msg: err.Error()})
			return
		}
		if v.id.Role < role {
			c.renderError(w, r, v, &httpError{status: http.StatusForbidden,
				msg: fmt.Sprintf("this page needs the %s role; you have %s", role, v.id.Role)})
			return
		}
		if err := h(w, r, v); err != nil {
			c.renderError(w, r, v, err)
		}
	})
}

// httpError is a page error with its status and a message for people.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func notFound(msg string) error { return &httpError{status: http.StatusNotFound, msg: msg} }

func badRequest(msg string) error { return &httpError{status: http.StatusBadRequest, msg: msg} }

// renderError answers an error page; unexpected errors are logged and
// shown without their details.
func (c *Console) renderError(w http.ResponseWriter, r *http.Request, v *viewer, err error) {
	var he *httpError
	if !errors.As(err, &he) {
		switch {
		case errors.Is(err, sundial.ErrJobNotFound):
			he = &httpError{status: http.StatusNotFound, msg: "no such job"}
		case errors.Is(err, sundial.ErrRunNotFound):
			he = &httpError{status: http.StatusNotFound, msg: "no such run"}
		default:
			c.log.Error("console page failed", "path", r.URL.Path, "err", err)
			he = &httpError{status: http.StatusInternalServerError, msg: "the page could not be made; see the server log"}
		}
	}
	c.render(w, r, v, he.status, "error.html", http.StatusText(he.status), "", he.msg)
}
