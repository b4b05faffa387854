package task

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	denied := []string{
		"127.0.0.1", "127.255.255.254", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"169.254.169.254", "169.254.0.1", "100.64.0.1", "100.127.255.255",
		"0.0.0.0", "0.1.2.3", "255.255.255.255", "224.0.0.1", "239.255.255.250", "240.0.0.1",
		"192.0.0.8", "192.0.2.1", "198.18.0.1", "198.51.100.7", "203.0.113.9", "192.88.99.1",
		"::", "::1", "fe80::1", "fe80::1%eth0", "fc00::1", "fd00::1", "ff02::1", "ff0e::1", "fec0::1",
		"::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::ffff:0.0.0.0",
		"::127.0.0.1", "::a9fe:a9fe",
		"64:ff9b::a9fe:a9fe", "64:ff9b::7f00:1", "64:ff9b:1::1",
		"2002:7f00:1::", "2002:a9fe:a9fe::1", "2002:a00:1::",
		"2001::1", "2001:db8::1", "3fff::1", "100::1", "5f00::1",
	}
	public := []string{
		"8.8.8.8", "1.1.1.1", "93.184.216.34", "100.63.255.255", "100.128.0.0", "172.32.0.1",
		"2606:4700:4700::1111", "2a00:1450:4001::200e", "::ffff:8.8.8.8",
		"64:ff9b::808:808", "2002:808:808::1",
	}
	for _, s := range denied {
		if r := classify(netip.MustParseAddr(s)); r == "" {
			t.Errorf("%s: allowed, want refused", s)
		}
	}
	for _, s := range public {
		if r := classify(netip.MustParseAddr(s)); r != "" {
			t.Errorf("%s: refused as %s, want allowed", s, r)
		}
	}
}

// oracleDenied are ranges no public destination is in, written down
// independently of classify's table.
var oracleDenied = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"), netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("224.0.0.0/3"),
	netip.MustParsePrefix("::/127"), netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"), netip.MustParsePrefix("ff00::/8"),
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "::ffff:169.254.169.254", "fd00::1", "8.8.8.8", "64:ff9b::a00:1"} {
		f.Add(netip.MustParseAddr(s).AsSlice())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, ok := netip.AddrFromSlice(b)
		if !ok {
			return
		}
		reason := classify(a)
		for _, p := range oracleDenied {
			if p.Contains(a) || p.Contains(a.Unmap()) {
				if reason == "" {
					t.Fatalf("%s is in %s but allowed", a, p)
				}
				return
			}
		}
	})
}

func TestGuardAllow(t *testing.T) {
	t.Parallel()
	g := newGuard(HTTPConfig{Allow: []string{"127.0.0.2/32", "10.1.0.0/16", "fd00::5", "Internal.Example."}})
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.2", true}, {"::ffff:127.0.0.2", true}, {"127.0.0.1", false},
		{"10.1.200.3", true}, {"10.2.0.1", false},
		{"fd00::5", true}, {"fd00::6", false},
		{"8.8.8.8", true},
	} {
		if err := g.checkAddr(netip.MustParseAddr(tc.addr)); (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want allowed %v", tc.addr, err, tc.ok)
		}
	}
	if !g.allowsHost("internal.example") || !g.allowsHost("INTERNAL.example.") || g.allowsHost("other.example") {
		t.Errorf("host name allow-list does not match case-insensitively and exactly")
	}
	if err := newGuard(HTTPConfig{AllowPrivate: true}).checkAddr(netip.MustParseAddr("169.254.169.254")); err != nil {
		t.Errorf("AllowPrivate: %v", err)
	}
}

func TestGuardCheckHost(t *testing.T) {
	t.Parallel()
	g := newGuard(HTTPConfig{Allow: []string{"localhost.internal"}})
	for _, h := range []string{
		"127.0.0.1", "::1", "fe80::1%eth0", "localhost", "LOCALHOST.", "db.localhost",
		"2130706433", "0x7f.1", "0177.0.0.1", "127.1", "0x7f000001", "010.0.0.1",
	} {
		var de *deniedError
		if err := g.checkHost(h); !errors.As(err, &de) {
			t.Errorf("%s: %v, want refused", h, err)
		}
	}
	// Names are decided when dialled, on what they resolve to.
	for _, h := range []string{"example.com", "1example.com", "0x.example", "localhost.internal", "8.8.8.8"} {
		if err := g.checkHost(h); err != nil {
			t.Errorf("%s: %v, want allowed", h, err)
		}
	}
}

func TestGuardDialRefusesBeforeConnecting(t *testing.T) {
	t.Parallel()
	g := newGuard(HTTPConfig{})
	// The address check is the socket's Control hook: refused, the dial
	// fails without connect(2) being called, so nothing is sent.
	for _, addr := range []string{"169.254.169.254:80", "10.0.0.1:80", "[::ffff:127.0.0.1]:80", "100.64.0.1:443"} {
		_, err := g.dialContext(context.Background(), "tcp", addr)
		var de *deniedError
		if !errors.As(err, &de) {
			t.Errorf("dial %s: %v, want refused by the guard", addr, err)
		}
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "dial" {
			t.Errorf("dial %s: %v, want a dial error", addr, err)
		}
	}
}
