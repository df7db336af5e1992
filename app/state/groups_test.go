package state

import "testing"

func TestJoinTokenReadsEveryFormOfAnInviteLink(t *testing.T) {
	const tok = "q3Jx0Lw1Zr9mUe5hT2aPkA"
	for _, c := range []struct {
		in, want string
	}{
		{"https://chat.example.org/join/" + tok, tok},
		{"  http://127.0.0.1:8080/join/" + tok + "/ ", tok},
		{"parley://chat.example.org/join/" + tok, tok},
		{"https://chat.example.org/parley/join/" + tok, tok}, // a server under a path
		{"/join/" + tok, tok},
		{"https://chat.example.org/?join=" + tok, tok},
		{"512", ""},
		{"https://chat.example.org/join/", ""},
		{"https://chat.example.org/join/a b", ""},
		{"https://chat.example.org/join/<script>", ""},
		{"https://chat.example.org/other/" + tok, ""},
	} {
		got, ok := JoinToken(c.in)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("JoinToken(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
}

func TestShareLinksFollowTheServerAddress(t *testing.T) {
	for _, c := range []struct{ server, web, app string }{
		{"https://chat.example.org", "https://chat.example.org/join/T", "parley://chat.example.org/join/T"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/join/T", "parley://127.0.0.1:8080/join/T"},
		{"127.0.0.1:8080", "http://127.0.0.1:8080/join/T", "parley://127.0.0.1:8080/join/T"},
		{"wss://chat.example.org", "https://chat.example.org/join/T", "parley://chat.example.org/join/T"},
		{"https://example.org/parley/", "https://example.org/parley/join/T", "parley://example.org/parley/join/T"},
	} {
		web, app := ShareLinks(c.server, "/join/T")
		if web != c.web || app != c.app {
			t.Errorf("ShareLinks(%q) = %q, %q; want %q, %q", c.server, web, app, c.web, c.app)
		}
	}
}
