package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/sundial-scheduler/sundial/server"
)

// viewer is who looks at a page: a signed-in user with their session, or
// the anonymous admin of a server without authentication.
type viewer struct {
	id   server.Identity
	anon bool            // the server has no authentication
	sess *server.Session // nil when anon
}

// CanOperate reports whether the viewer may change jobs.
func (v *viewer) CanOperate() bool { return v != nil && v.id.Role >= server.RoleOperator }

// IsAdmin reports whether the viewer may control the scheduler and read
// the audit log.
func (v *viewer) IsAdmin() bool { return v != nil && v.id.Role >= server.RoleAdmin }

// Anonymous reports whether the server runs without authentication.
func (v *viewer) Anonymous() bool { return v != nil && v.anon }

// Name is the signed-in user's name.
func (v *viewer) Name() string { return v.id.Name }

// Role is the viewer's role name.
func (v *viewer) Role() string { return v.id.Role.String() }

// CSRF is the session's token for the page's JavaScript and forms; ""
// without authentication (the server then checks only that changes come
// from its own origin).
func (v *viewer) CSRF() string {
	if v == nil || v.sess == nil {
		return ""
	}
	return v.sess.CSRF
}

// errSignIn says a page needs a sign-in.
var errSignIn = errors.New("sign in first")

// viewer returns who makes a request: from the session cookie, or the
// anonymous admin when the server has no authentication (which the server
// grants only to requests addressed to localhost).
func (c *Console) viewer(r *http.Request) (*viewer, error) {
	if c.srv.Auth() == nil {
		id, err := c.srv.Authenticate(r)
		if err != nil {
			return nil, err
		}
		return &viewer{id: id, anon: true}, nil
	}
	sess, ok := c.srv.Sessions().Get(r)
	if !ok {
		return nil, errSignIn
	}
	return &viewer{id: sess.Identity, sess: sess}, nil
}

// loginPage is what the sign-in template shows.
type loginPage struct {
	Next  string
	Name  string
	Error string
}

func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	next := localPath(r.URL.Query().Get("next"))
	if c.srv.Auth() == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if _, ok := c.srv.Sessions().Get(r); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	c.render(w, r, nil, http.StatusOK, "login.html", "Sign in", "", loginPage{Next: next})
}

// login checks a name and password and starts a session. It refuses posts
// from other sites (a page elsewhere must not sign a browser in), and a
// failure counts toward the server's throttling of the client's address.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	auth := c.srv.Auth()
	if auth == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if !server.SameOrigin(r) {
		c.renderError(w, r, nil, &httpError{status: http.StatusForbidden, msg: "sign-in refused: the form was posted from another site"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		c.renderError(w, r, nil, badRequest("the sign-in form could not be read"))
		return
	}
	name, password := r.PostForm.Get("name"), r.PostForm.Get("password")
	page := loginPage{Next: localPath(r.PostForm.Get("next")), Name: name}
	if name == "" || password == "" {
		page.Error = "Give your name and password."
		c.render(w, r, nil, http.StatusBadRequest, "login.html", "Sign in", "", page)
		return
	}
	id, err := auth.Login(r, name, password)
	if err != nil {
		status := http.StatusUnauthorized
		page.Error = "Wrong name or password."
		if errors.Is(err, server.ErrThrottled) {
			status = http.StatusTooManyRequests
			page.Error = "Too many failed sign-ins from your address: " + err.Error() + "."
		}
		c.log.Info("console sign-in refused", "name", name, "remote", r.RemoteAddr, "err", err)
		c.render(w, r, nil, status, "login.html", "Sign in", "", page)
		return
	}
	sess := c.srv.Sessions().Create(id)
	http.SetCookie(w, c.cookie(sess.ID, 0))
	c.log.Info("console sign-in", "name", id.Name, "role", id.Role.String(), "remote", r.RemoteAddr)
	http.Redirect(w, r, page.Next, http.StatusSeeOther)
}

// logout ends the session. It is a POST that must carry the session's
// CSRF token, so another site cannot sign a user out.
func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	sess, ok := c.srv.Sessions().Get(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if !server.SameOrigin(r) || !sess.CheckCSRF(r) {
		c.renderError(w, r, &viewer{id: sess.Identity, sess: sess},
			&httpError{status: http.StatusForbidden, msg: "sign-out refused: the form lacked this session's token or came from another site"})
		return
	}
	c.srv.Sessions().Delete(sess.ID)
	http.SetCookie(w, c.cookie("", -1))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// cookie is the session cookie: HttpOnly, SameSite=Strict, for the whole
// site, Secure over TLS; maxAge -1 deletes it.
func (c *Console) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: server.SessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: c.opts.Secure, SameSite: http.SameSiteStrictMode,
	}
}

// localPath returns p when it is a path on this site, else "/": the
// sign-in page's "next" must not send anyone elsewhere.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n") {
		return "/"
	}
	return p
}
