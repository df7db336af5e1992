package hub

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestClientAddrBelievesOnlyTrustedProxies(t *testing.T) {
	trusted, err := ParseTrustedProxies(" 127.0.0.1, 10.0.0.0/8 ,::1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, peer string
		xff        []string
		trusted    []netip.Prefix
		want       string
	}{
		{"no proxy configured: the header is ignored", "127.0.0.1:5000", []string{"203.0.113.7"}, nil, "127.0.0.1"},
		{"an untrusted peer cannot claim an address", "198.51.100.9:5000", []string{"203.0.113.7"}, trusted, "198.51.100.9"},
		{"one trusted proxy", "127.0.0.1:5000", []string{"203.0.113.7"}, trusted, "203.0.113.7"},
		{"a client's made-up entry on the left is not believed", "127.0.0.1:5000", []string{"1.1.1.1, 203.0.113.7"}, trusted, "203.0.113.7"},
		{"a chain of trusted proxies", "10.0.0.2:5000", []string{"203.0.113.7, 10.0.0.9", "10.0.0.3"}, trusted, "203.0.113.7"},
		{"no header: the proxy itself", "127.0.0.1:5000", nil, trusted, "127.0.0.1"},
		{"garbage stops at the last trusted hop", "127.0.0.1:5000", []string{"203.0.113.7, not-an-address, 10.0.0.9"}, trusted, "10.0.0.9"},
		{"every hop trusted: the leftmost", "127.0.0.1:5000", []string{"10.0.0.5, 10.0.0.9"}, trusted, "10.0.0.5"},
		{"IPv6 with a port and IPv4-mapped", "[::1]:5000", []string{"[2001:db8::7]:443, ::ffff:10.1.2.3"}, trusted, "2001:db8::7"},
		{"an IPv4-mapped peer", "[::ffff:127.0.0.1]:5000", []string{"203.0.113.7"}, trusted, "203.0.113.7"},
	} {
		r := &http.Request{RemoteAddr: c.peer, Header: http.Header{}}
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := clientAddr(r, c.trusted); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies("192.168.1.7, 10.1.2.3/8, ::1, ")
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("192.168.1.7/32"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if p, err := ParseTrustedProxies(""); err != nil || len(p) != 0 {
		t.Fatalf("empty: %v, %v", p, err)
	}
	for _, bad := range []string{"banana", "10.0.0.0/33", "1.2.3.4:80"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
