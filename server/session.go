package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// SessionCookie is the name of the web console's session cookie.
const SessionCookie = "sundial_session"

// CSRFHeader carries a session's CSRF token on every request that changes
// something; a cookie alone never does.
const CSRFHeader = "X-CSRF-Token"

// Session is one sign-in of the web console.
type Session struct {
	ID       string
	CSRF     string
	Identity Identity
	Expires  time.Time
}

// Sessions holds the console's sign-ins in memory (a sign-in is per node:
// behind a load balancer, keep a user on one node).
type Sessions struct {
	ttl time.Duration
	now func() time.Time

	mu sync.Mutex
	m  map[string]*Session
}

// NewSessions returns an empty session store whose sessions last ttl
// after their last use (default 12h).
func NewSessions(ttl time.Duration, now func() time.Time) *Sessions {
	if ttl <= 0 {
		ttl = 12 * time.Hour
	}
	if now == nil {
		now = time.Now
	}
	return &Sessions{ttl: ttl, now: now, m: map[string]*Session{}}
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Create starts a session for id.
func (s *Sessions) Create(id Identity) *Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, v := range s.m {
		if now.After(v.Expires) {
			delete(s.m, k)
		}
	}
	sess := &Session{ID: randomToken(), CSRF: randomToken(), Identity: id, Expires: now.Add(s.ttl)}
	s.m[sess.ID] = sess
	cp := *sess
	return &cp
}

// Get returns the live session a request's cookie names, extending it.
func (s *Sessions) Get(r *http.Request) (*Session, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.m[c.Value]
	if !ok {
		return nil, false
	}
	now := s.now()
	if now.After(sess.Expires) {
		delete(s.m, c.Value)
		return nil, false
	}
	sess.Expires = now.Add(s.ttl)
	cp := *sess
	return &cp, true
}

// Delete ends a session.
func (s *Sessions) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

// CheckCSRF reports whether a request carries the session's CSRF token.
func (sess *Session) CheckCSRF(r *http.Request) bool {
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) == 1
}

// safeMethod reports whether a method changes nothing.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
