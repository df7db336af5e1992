package hub_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/net/proto"
	"parley/server/hub"
	"parley/server/node"
	"parley/server/node/nodetest"
)

// wantClose reads until the connection ends and checks that it ended with
// a close frame of status code and reason.
func wantClose(t *testing.T, ws *websocket.Conn, code websocket.StatusCode, reason string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, _, err := ws.Read(ctx)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("connection ended without a close frame: %v", err)
		}
		if ce.Code != code || ce.Reason != reason {
			t.Fatalf("closed with %d %q, want %d %q", ce.Code, ce.Reason, code, reason)
		}
		return
	}
}

// Logging out on one connection closes the token's other connections
// with the documented close frame, not by cutting the TCP connection.
func TestLogoutClosesTheTokensOtherConnectionsWithACloseFrame(t *testing.T) {
	s := nodetest.Start(t)
	a := dialRaw(t, s)
	var reg proto.RegisterReply
	a.ok(proto.TypeRegister, proto.RegisterRequest{Name: "A", Password: "secret-password"}, &reg)
	var login proto.LoginReply
	a.ok(proto.TypeLogin, proto.LoginRequest{User: reg.User.ID, Password: "secret-password"}, &login)
	b := dialRaw(t, s)
	b.ok(proto.TypeResume, proto.ResumeRequest{Token: login.Token}, nil)

	a.ok(proto.TypeLogout, nil, nil)
	wantClose(t, b.ws, websocket.StatusPolicyViolation, "logged out")
	a.ok(proto.TypePing, nil, nil) // the connection that logged out stays open
}

// A connection that does not log in within the login timeout is closed
// with 1008 "login timeout".
func TestAConnectionThatDoesNotLogInIsClosed(t *testing.T) {
	s := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.LoginTimeout = 50 * time.Millisecond }))
	r := dialRaw(t, s)
	wantClose(t, r.ws, websocket.StatusPolicyViolation, "login timeout")
	if got := s.Metric(t, "parley_login_timeouts_total"); got != 1 {
		t.Fatalf("parley_login_timeouts_total = %v, want 1", got)
	}
}

// dialRefused dials and expects, instead of hello, the close frame of a
// connection over the per-address limit.
func dialRefused(t *testing.T, s *nodetest.Server, header http.Header) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, s.URL, &websocket.DialOptions{Subprotocols: []string{proto.Subprotocol}, HTTPHeader: header})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer ws.CloseNow()
	_, data, err := ws.Read(ctx)
	if err == nil {
		t.Fatalf("connection over the limit got %q, want a close frame", data)
	}
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusTryAgainLater || ce.Reason != "too many connections from your address" {
		t.Fatalf("connection over the limit: %v, want close 1013 \"too many connections from your address\"", err)
	}
}

// One address may hold MaxConnsPerAddr connections; one more is closed at
// once with 1013, and a place freed by a closed connection can be taken.
func TestConnectionsPerAddressAreLimited(t *testing.T) {
	s := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.MaxConnsPerAddr = 2 }))
	a := dialRaw(t, s)
	b := dialRaw(t, s)
	dialRefused(t, s, nil)
	b.ok(proto.TypePing, nil, nil) // the others are untouched
	if got := s.Metric(t, "parley_connections_refused_total"); got != 1 {
		t.Fatalf("parley_connections_refused_total = %v, want 1", got)
	}

	a.ws.Close(websocket.StatusNormalClosure, "")
	eventually(t, "the server to let the closed connection go", func() bool { return s.Metric(t, "parley_connections") == 1 })
	dialRaw(t, s).ok(proto.TypePing, nil, nil)
	dialRefused(t, s, nil)
}

// Behind a trusted proxy, the limit is per client, not per proxy.
func TestConnectionLimitIsPerClientBehindATrustedProxy(t *testing.T) {
	trusted, err := hub.ParseTrustedProxies("127.0.0.1,::1")
	if err != nil {
		t.Fatal(err)
	}
	s := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) {
		c.MaxConnsPerAddr = 1
		c.TrustedProxies = trusted
	}))
	dialAs(t, s, "203.0.113.7")
	dialAs(t, s, "203.0.113.8")
	dialRefused(t, s, http.Header{"X-Forwarded-For": {"203.0.113.7"}})
	dialRefused(t, s, http.Header{"X-Forwarded-For": {"198.51.100.1, 203.0.113.7"}})
}
