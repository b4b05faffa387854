package task

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// guard decides which destinations sundial:http may connect to. Public
// (globally routable unicast) addresses are allowed; loopback, private,
// link-local, CGNAT and other special-purpose ranges are not, unless the
// configuration allows them. The decision is made on the resolved address
// in the dialer, just before connecting, so DNS names, DNS rebinding and
// redirects all meet the same check.
type guard struct {
	allowAll bool           // HTTPConfig.AllowPrivate
	prefixes []netip.Prefix // allowed despite being special
	hosts    []string       // host names allowed whatever they resolve to
	guarded  net.Dialer     // checks every resolved address
	open     net.Dialer     // for allowed host names
}

func newGuard(cfg HTTPConfig) *guard {
	g := &guard{allowAll: cfg.AllowPrivate}
	for _, e := range cfg.Allow {
		if p, ok := parseAllowPrefix(e); ok {
			g.prefixes = append(g.prefixes, p)
		} else if checkHTTPAllowEntry(e) == nil {
			g.hosts = append(g.hosts, normalHost(e))
		}
	}
	g.open = net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	g.guarded = g.open
	g.guarded.ControlContext = g.control
	return g
}

// parseAllowPrefix reads an http.allow entry as a CIDR ("10.1.0.0/16") or
// a single address ("10.1.2.3").
func parseAllowPrefix(e string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(e); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(e); err == nil && a.Zone() == "" {
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// checkHTTPAllowEntry says what is wrong with an entry of HTTPConfig.Allow:
// it must be a CIDR, an address or a host name.
func checkHTTPAllowEntry(e string) error {
	if _, ok := parseAllowPrefix(e); ok {
		return nil
	}
	h := strings.TrimSuffix(e, ".")
	if h == "" || len(h) > 253 {
		return errors.New("is not a CIDR, an address or a host name")
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return errors.New("is not a CIDR, an address or a host name")
		}
		for _, c := range []byte(label) {
			if !isHostNameByte(c) {
				return fmt.Errorf("is not a CIDR, an address or a host name (%q is not allowed in a host name)", c)
			}
		}
	}
	if isLegacyNumericHost(h) {
		return errors.New("is a number, not a CIDR, an address or a host name")
	}
	return nil
}

func isHostNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// normalHost lower-cases a host name and drops a final dot, so that
// "Internal.Example." and "internal.example" compare equal.
func normalHost(h string) string {
	return strings.ToLower(strings.TrimSuffix(h, "."))
}

// allowsHost reports whether a host name is allowed by name (its
// addresses are then not checked).
func (g *guard) allowsHost(host string) bool {
	h := normalHost(host)
	for _, a := range g.hosts {
		if a == h {
			return true
		}
	}
	return false
}

// deniedError refuses a destination and says why.
type deniedError struct {
	dest   string // the address or host name
	reason string // "loopback", "private", ...
	hint   string // what to do instead; "" for the allow-list keys
}

func (e *deniedError) Error() string {
	hint := e.hint
	if hint == "" {
		hint = "allow it with config http.allow, or all such destinations with http.allow_private"
	}
	return fmt.Sprintf("destination %s is %s: refused (%s)", e.dest, e.reason, hint)
}

// checkAddr refuses an address that is not public, unless allowed.
func (g *guard) checkAddr(a netip.Addr) error {
	if g.allowAll {
		return nil
	}
	plain := a.WithZone("")
	for _, p := range g.prefixes {
		if p.Contains(plain) || p.Contains(plain.Unmap()) {
			return nil
		}
	}
	if reason := classify(a); reason != "" {
		return &deniedError{dest: a.String(), reason: reason}
	}
	return nil
}

// checkHost refuses a URL host early, when its form alone decides:
// an address literal that checkAddr refuses, a legacy numeric form, or a
// localhost name. Other names are checked when dialled.
func (g *guard) checkHost(host string) error {
	if g.allowAll || g.allowsHost(host) {
		return nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return g.checkAddr(a)
	}
	h := normalHost(host)
	switch {
	case isLegacyNumericHost(h):
		return &deniedError{dest: host, reason: "a number in a legacy address form", hint: "write the address in dotted-decimal form"}
	case h == "localhost" || strings.HasSuffix(h, ".localhost"):
		return &deniedError{dest: host, reason: "loopback"}
	}
	return nil
}

// control is the guarded dialer's hook: it runs after the socket is
// created and before it connects, once for every resolved address tried.
func (g *guard) control(_ context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &deniedError{dest: address, reason: "not an address the guard can check"}
	}
	return g.checkAddr(ap.Addr())
}

// dialContext is the transport's dialer: host names listed in http.allow
// connect without the address check, everything else with it.
func (g *guard) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if g.allowAll || g.allowsHost(host) {
		return g.open.DialContext(ctx, network, addr)
	}
	return g.guarded.DialContext(ctx, network, addr)
}

// isLegacyNumericHost reports whether h is an IPv4 address in one of the
// forms inet_aton accepts besides dotted-quad decimal: fewer parts
// ("127.1"), one number ("2130706433"), hex ("0x7f.1") or octal ("0177.0.0.1").
// Some resolvers read these as addresses; refusing them keeps the check
// and the connection in agreement.
func isLegacyNumericHost(h string) bool {
	h = strings.TrimSuffix(h, ".")
	parts := strings.Split(h, ".")
	if h == "" || len(parts) > 4 {
		return false
	}
	for _, p := range parts {
		digits, base := p, "0123456789"
		if len(p) > 1 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') {
			digits, base = p[2:], "0123456789abcdefABCDEF"
		}
		if p == "" || strings.Trim(digits, base) != "" {
			return false
		}
	}
	return true
}
