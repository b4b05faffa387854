package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Role is what an authenticated caller may do; each role may do what the
// ones below it may.
type Role int

// Roles, weakest first.
const (
	RoleViewer   Role = iota + 1 // reads jobs, runs, nodes, state
	RoleOperator                 // also adds, changes, runs, pauses and removes jobs
	RoleAdmin                    // also controls the scheduler and reads the audit log
)

// String returns the role's name as written in the configuration.
func (r Role) String() string {
	switch r {
	case RoleViewer:
		return "viewer"
	case RoleOperator:
		return "operator"
	case RoleAdmin:
		return "admin"
	}
	return fmt.Sprintf("Role(%d)", int(r))
}

// ParseRole reads a role name: viewer, operator or admin.
func ParseRole(s string) (Role, error) {
	for _, r := range []Role{RoleViewer, RoleOperator, RoleAdmin} {
		if s == r.String() {
			return r, nil
		}
	}
	return 0, fmt.Errorf("%q is not a role; one of viewer, operator, admin", s)
}

// User signs in with a name and password (HTTP Basic).
type User struct {
	Name string
	// PasswordHash is a bcrypt hash ("$2a$12$…", from "sundial passwd").
	PasswordHash string
	Role         Role
}

// Token is a bearer token (Authorization: Bearer …) for scripts.
type Token struct {
	Name string
	// TokenHash is the token's bcrypt hash or "sha256:" and the hex
	// SHA-256 of the token ("sundial passwd --token" prints one).
	TokenHash string
	Role      Role
}

// Identity is who made a request.
type Identity struct {
	Name string
	Role Role
}

// Auth checks the credentials of requests. It remembers verified secrets
// for a while (keyed by their SHA-256), so bcrypt's deliberate slowness is
// paid once per secret, not per request, and it slows down addresses that
// keep failing.
type Auth struct {
	users  map[string]User
	tokens []Token
	now    func() time.Time

	mu       sync.Mutex
	verified map[[32]byte]verified
	failures map[string]*failures
}

type verified struct {
	id    Identity
	until time.Time
}

type failures struct {
	count int
	until time.Time // no attempt is checked before this
}

// verifiedTTL is how long a checked secret is trusted without bcrypt.
const verifiedTTL = 5 * time.Minute

// dummyHash is compared against when a user name is unknown, so the
// answer takes as long as for a known name.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("sundial-unknown-user"), bcrypt.MinCost)

// NewAuth checks the users' and tokens' hashes and roles. It returns nil
// (no authentication) when both lists are empty.
func NewAuth(users []User, tokens []Token, now func() time.Time) (*Auth, error) {
	if len(users) == 0 && len(tokens) == 0 {
		return nil, nil
	}
	if now == nil {
		now = time.Now
	}
	a := &Auth{users: map[string]User{}, now: now, verified: map[[32]byte]verified{}, failures: map[string]*failures{}}
	for i, u := range users {
		if u.Name == "" || strings.ContainsAny(u.Name, ":") {
			return nil, fmt.Errorf("auth.users[%d].name: must be non-empty and hold no colon", i)
		}
		if _, dup := a.users[u.Name]; dup {
			return nil, fmt.Errorf("auth.users[%d].name: %q is listed twice", i, u.Name)
		}
		if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil {
			return nil, fmt.Errorf("auth.users[%d].password_hash: not a bcrypt hash (make one with \"sundial passwd\"): %w", i, err)
		}
		if u.Role < RoleViewer || u.Role > RoleAdmin {
			return nil, fmt.Errorf("auth.users[%d].role: must be viewer, operator or admin", i)
		}
		a.users[u.Name] = u
	}
	for i, t := range tokens {
		if t.Name == "" {
			return nil, fmt.Errorf("auth.tokens[%d].name: must be non-empty", i)
		}
		if err := checkTokenHash(t.TokenHash); err != nil {
			return nil, fmt.Errorf("auth.tokens[%d].token_hash: %w", i, err)
		}
		if t.Role < RoleViewer || t.Role > RoleAdmin {
			return nil, fmt.Errorf("auth.tokens[%d].role: must be viewer, operator or admin", i)
		}
	}
	a.tokens = append(a.tokens, tokens...)
	return a, nil
}

func checkTokenHash(h string) error {
	if hexPart, ok := strings.CutPrefix(h, "sha256:"); ok {
		if b, err := hex.DecodeString(hexPart); err != nil || len(b) != sha256.Size {
			return errors.New(`"sha256:" must be followed by 64 hex digits`)
		}
		return nil
	}
	if _, err := bcrypt.Cost([]byte(h)); err != nil {
		return fmt.Errorf(`neither a bcrypt hash nor "sha256:<hex>" (make one with "sundial passwd --token"): %w`, err)
	}
	return nil
}

// errBadCredentials and errThrottled are what Authenticate returns.
var (
	errNoCredentials  = errors.New("credentials required")
	errBadCredentials = errors.New("wrong credentials")
)

// ErrThrottled matches the error of a sign-in refused because its address
// failed too often: errors.Is(err, server.ErrThrottled).
var ErrThrottled = errors.New("too many failed attempts")

// throttledError says the client's address failed too often.
type throttledError struct{ retryAfter time.Duration }

// Is makes a throttledError match ErrThrottled.
func (e *throttledError) Is(target error) bool { return target == ErrThrottled }

func (e *throttledError) Error() string {
	return fmt.Sprintf("too many failed attempts from this address; retry in %s", e.retryAfter.Round(time.Second))
}

// Authenticate returns the identity of a request's credentials.
func (a *Auth) Authenticate(r *http.Request) (Identity, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return Identity{}, errNoCredentials
	}
	client := clientIP(r)
	if wait := a.blocked(client); wait > 0 {
		return Identity{}, &throttledError{retryAfter: wait}
	}
	id, ok := a.check(header)
	if !ok {
		a.fail(client)
		return Identity{}, errBadCredentials
	}
	a.succeed(client)
	return id, nil
}

// Login checks a name and password (the console's sign-in form), with the
// same throttling of failing addresses as Authenticate.
func (a *Auth) Login(r *http.Request, name, password string) (Identity, error) {
	client := clientIP(r)
	if wait := a.blocked(client); wait > 0 {
		return Identity{}, &throttledError{retryAfter: wait}
	}
	id, ok := a.checkBasic(name, password, true)
	if !ok {
		a.fail(client)
		return Identity{}, errBadCredentials
	}
	a.succeed(client)
	return id, nil
}

func (a *Auth) check(header string) (Identity, bool) {
	key := sha256.Sum256([]byte(header))
	a.mu.Lock()
	v, hit := a.verified[key]
	a.mu.Unlock()
	if hit && a.now().Before(v.until) {
		return v.id, true
	}
	scheme, cred, _ := strings.Cut(header, " ")
	var id Identity
	var ok bool
	switch strings.ToLower(scheme) {
	case "basic":
		id, ok = a.checkBasic(r2basic(cred))
	case "bearer":
		id, ok = a.checkToken(strings.TrimSpace(cred))
	}
	if ok {
		a.mu.Lock()
		if len(a.verified) > 10_000 {
			clear(a.verified)
		}
		a.verified[key] = verified{id: id, until: a.now().Add(verifiedTTL)}
		a.mu.Unlock()
	}
	return id, ok
}

// r2basic decodes the credentials of a Basic header.
func r2basic(cred string) (string, string, bool) {
	r := http.Request{Header: http.Header{"Authorization": {"Basic " + strings.TrimSpace(cred)}}}
	return r.BasicAuth()
}

func (a *Auth) checkBasic(name, password string, ok bool) (Identity, bool) {
	if !ok {
		return Identity{}, false
	}
	u, known := a.users[name]
	hash := []byte(u.PasswordHash)
	if !known {
		hash = dummyHash
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !known {
		return Identity{}, false
	}
	return Identity{Name: u.Name, Role: u.Role}, true
}

func (a *Auth) checkToken(token string) (Identity, bool) {
	if token == "" {
		return Identity{}, false
	}
	sum := sha256.Sum256([]byte(token))
	hexSum := "sha256:" + hex.EncodeToString(sum[:])
	for _, t := range a.tokens {
		if strings.HasPrefix(t.TokenHash, "sha256:") {
			if subtle.ConstantTimeCompare([]byte(t.TokenHash), []byte(hexSum)) == 1 {
				return Identity{Name: t.Name, Role: t.Role}, true
			}
			continue
		}
		if bcrypt.CompareHashAndPassword([]byte(t.TokenHash), []byte(token)) == nil {
			return Identity{Name: t.Name, Role: t.Role}, true
		}
	}
	return Identity{}, false
}

// Failed attempts from one address: the first few are free, then each
// further one doubles the wait, up to maxBlock.
const (
	freeFailures = 5
	maxBlock     = 15 * time.Minute
)

func (a *Auth) blocked(client string) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	f := a.failures[client]
	if f == nil {
		return 0
	}
	return max(f.until.Sub(a.now()), 0)
}

func (a *Auth) fail(client string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.failures) > 100_000 {
		clear(a.failures)
	}
	f := a.failures[client]
	if f == nil {
		f = &failures{}
		a.failures[client] = f
	}
	f.count++
	if f.count > freeFailures {
		wait := time.Second << min(f.count-freeFailures-1, 20)
		f.until = a.now().Add(min(wait, maxBlock))
	}
}

func (a *Auth) succeed(client string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.failures, client)
}

// clientIP is the address a request came from (without the port).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
