package hub

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr is the address a connection's rate limits and log lines are
// attributed to: the peer's, or, when the peer is a reverse proxy the
// operator trusts, the nearest address in X-Forwarded-For that is not
// itself a trusted proxy. Addresses are read right to left because only
// the entries the trusted proxies appended can be believed: a client can
// put anything at the left. An entry that does not parse ends the walk at
// the last trusted hop (limits then fall on the proxy, never on an
// address the client made up).
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	peer, ok := parseHost(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if !isTrusted(peer, trusted) {
		return peer.String()
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for h := range strings.SplitSeq(v, ",") {
			hops = append(hops, strings.TrimSpace(h))
		}
	}
	last := peer // the nearest trusted hop so far
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHost(hops[i])
		if !ok {
			return last.String()
		}
		if !isTrusted(a, trusted) {
			return a.String()
		}
		last = a
	}
	return last.String() // every hop is trusted: the leftmost is the client
}

// parseHost reads an IP address with or without a port ("1.2.3.4",
// "1.2.3.4:5678", "::1", "[::1]:80"), IPv4-mapped IPv6 as IPv4.
func parseHost(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseTrustedProxies reads a comma-separated list of proxy addresses and
// networks ("127.0.0.1, 10.0.0.0/8, ::1"); "" is none.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, err
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, err
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
