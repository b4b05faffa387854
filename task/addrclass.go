package task

import "net/netip"

// specialRange is a special-purpose address block (IANA IPv4 and IPv6
// Special-Purpose Address Registries) that is not a public destination.
type specialRange struct {
	prefix netip.Prefix
	reason string
}

var specialRanges = []specialRange{
	{netip.MustParsePrefix("0.0.0.0/8"), `"this network" (0.0.0.0/8)`},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (CGNAT, 100.64.0.0/10)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved for IETF protocol assignments"},
	{netip.MustParsePrefix("192.0.2.0/24"), "reserved for documentation"},
	{netip.MustParsePrefix("192.88.99.0/24"), "the deprecated 6to4 relay anycast range"},
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved for benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "reserved for documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "reserved for documentation"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved (240.0.0.0/4)"},
	{netip.MustParsePrefix("::/96"), "an IPv4-compatible IPv6 address (deprecated)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64"},
	{netip.MustParsePrefix("100::/64"), "discard-only"},
	{netip.MustParsePrefix("2001::/23"), "reserved for IETF protocol assignments"},
	{netip.MustParsePrefix("2001:db8::/32"), "reserved for documentation"},
	{netip.MustParsePrefix("3fff::/20"), "reserved for documentation"},
	{netip.MustParsePrefix("5f00::/16"), "reserved for segment routing (SRv6)"},
	{netip.MustParsePrefix("fec0::/10"), "site-local (deprecated)"},
}

// cloudMetadata is where cloud providers serve instance credentials.
var cloudMetadata = netip.AddrFrom4([4]byte{169, 254, 169, 254})

// IPv6 ranges that embed an IPv4 address: the address is judged by the
// IPv4 address it reaches.
var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052 well-known prefix
	sixToFour   = netip.MustParsePrefix("2002::/16")    // RFC 3056
)

// classify says why an address is not a public destination, or returns ""
// for a public one. IPv4-mapped IPv6 addresses are judged as the IPv4
// address, and a zone is ignored.
func classify(a netip.Addr) string {
	a = a.WithZone("").Unmap()
	switch {
	case !a.IsValid():
		return "not a valid address"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsLoopback():
		return "loopback"
	case a == cloudMetadata:
		return "link-local (the cloud metadata service)"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsMulticast():
		return "multicast"
	case a.IsPrivate():
		return "private"
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "broadcast"
	}
	b := a.As16()
	switch {
	case nat64Prefix.Contains(a):
		if r := classify(netip.AddrFrom4([4]byte(b[12:16]))); r != "" {
			return "NAT64 of an address that is " + r
		}
		return ""
	case sixToFour.Contains(a):
		if r := classify(netip.AddrFrom4([4]byte(b[2:6]))); r != "" {
			return "6to4 of an address that is " + r
		}
		return ""
	}
	for _, s := range specialRanges {
		if s.prefix.Contains(a) {
			return s.reason
		}
	}
	if !a.IsGlobalUnicast() {
		return "not a global unicast address"
	}
	return ""
}
