// Package console is Sundial's web console: an http.Handler that serves
// server-rendered pages over a scheduler and its server.
//
// # Mounting
//
// The console answers every path it is given except the server's own: mount
// it at "/" on an outer mux and send /api/, the compatible API's prefix,
// /healthz, /readyz and /metrics to the server (see the package example).
// Its pages read the scheduler directly; every change (create, edit, pause,
// resume, run now, delete, scheduler pause and resume) and every trigger
// preview is made by the page's JavaScript through the native API at
// /api/v1, so the server's role checks, validation and audit trail apply to
// the console exactly as to any other client.
//
// # Pages
//
//	/login           sign-in (absent when the server has no authentication)
//	/                overview: scheduler state, job counts, the next hour's
//	                 fires as a timeline, recent failures, nodes
//	/jobs            jobs with search and filters, and their actions
//	/jobs/new        the job form, with a live preview of the next fires
//	/jobs/{id}       a job's definition, next fires and run history
//	/jobs/{id}/edit  the job form for an existing job
//	/runs            runs with filters, updated live from the event stream
//	/runs/{id}       one run with its output
//	/audit           the audit log (admin)
//
// # Security
//
// A sign-in creates a server session (server.Sessions): an HttpOnly,
// SameSite=Strict cookie, Secure when Options.Secure is set, and a CSRF
// token that the pages hand to their JavaScript and that the server demands
// on every change. Sign-in refuses posts from other sites and shares the
// server's throttling of failed attempts. Every response carries a strict
// Content-Security-Policy: no inline scripts or styles, nothing from other
// origins. Pages are rendered with html/template and the JavaScript writes
// data with textContent only, so names, descriptions and output are always
// shown as text. Viewers see no buttons that change anything (and the
// server refuses such changes anyway); the audit log is for admins.
//
// Without authentication configured (a server on loopback only) every
// visitor is an anonymous admin and no sign-in is asked for.
//
// # Assets
//
// Templates, the stylesheet and the script are embedded in the binary
// (go:embed); nothing is loaded from elsewhere and there is no build step.
package console
