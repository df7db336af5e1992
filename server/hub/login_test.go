package hub

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/net/proto"
	"parley/server/auth"
	"parley/server/storage"
)

// wsClient speaks just enough of the protocol for the tests of this file.
type wsClient struct {
	t  *testing.T
	ws *websocket.Conn
	n  int
}

func dialClient(t *testing.T, srv *httptest.Server) *wsClient {
	t.Helper()
	ws, _ := dialKeepalive(t, srv, func() bool { return true })
	c := &wsClient{t: t, ws: ws}
	c.next() // hello
	return c
}

func (c *wsClient) next() proto.Frame {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, data, err := c.ws.Read(ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	f, err := proto.DecodeFrame(data)
	if err != nil {
		c.t.Fatalf("bad frame %q: %v", data, err)
	}
	return f
}

// ok makes a request that must succeed.
func (c *wsClient) ok(typ string, body, reply any) {
	c.t.Helper()
	c.n++
	id := fmt.Sprint(c.n)
	b, err := proto.EncodeRequest(typ, id, body)
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
	for {
		f := c.next()
		if f.Type != proto.TypeReply || f.ID != id {
			continue // a push
		}
		if f.Error != nil {
			c.t.Fatalf("%s: %v", typ, f.Error)
		}
		if reply != nil {
			if err := json.Unmarshal(f.Body, reply); err != nil {
				c.t.Fatal(err)
			}
		}
		return
	}
}

// closedWith reads until the connection ends with a close frame.
func (c *wsClient) closedWith(code websocket.StatusCode, reason string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, _, err := c.ws.Read(ctx)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != code || ce.Reason != reason {
			c.t.Fatalf("connection ended with %v, want close %d %q", err, code, reason)
		}
		return
	}
}

func loginHub(t *testing.T, cfg Config) (*Hub, *httptest.Server) {
	t.Helper()
	db, err := storage.Open(context.Background(), t.TempDir(), storage.Options{Synchronous: "OFF", NoRequests: true}) // strangers call
	if err != nil {
		t.Fatal(err)
	}
	cfg.DB, cfg.Hasher = db, auth.NewHasher(auth.Params{Memory: 8, Time: 1, Threads: 1}, 1)
	h := New(cfg)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		h.Shutdown(context.Background())
		db.Close()
		h.Close()
	})
	return h, srv
}

// When the login deadline passes, connections that logged in, and
// connections attached to a call by call_media (with the session token),
// stay open; a fresh connection, and one that logged out, are closed.
func TestLoginDeadlineClosesOnlyConnectionsNotLoggedIn(t *testing.T) {
	noLeaks(t)
	h, srv := loginHub(t, Config{LoginTimeout: time.Hour}) // the test passes the deadline itself
	login := func(c *wsClient, name string) proto.LoginReply {
		var reg proto.RegisterReply
		c.ok(proto.TypeRegister, proto.RegisterRequest{Name: name, Password: "secret-password"}, &reg)
		var l proto.LoginReply
		c.ok(proto.TypeLogin, proto.LoginRequest{User: reg.User.ID, Password: "secret-password"}, &l)
		return l
	}
	caller, callee := dialClient(t, srv), dialClient(t, srv)
	a := login(caller, "caller")
	b := login(callee, "callee")
	var call proto.CallReply
	caller.ok(proto.TypeCall, proto.CallRequest{User: b.User.ID}, &call)
	media := dialClient(t, srv)
	media.ok(proto.TypeCallMedia, proto.CallMediaRequest{Call: call.Call, Token: a.Token}, nil)
	fresh := dialClient(t, srv)
	fresh.ok(proto.TypePing, nil, nil)
	out := dialClient(t, srv)
	login(out, "leaving")
	out.ok(proto.TypeLogout, nil, nil)

	h.mu.RLock()
	var conns []*conn
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.RUnlock()
	for _, c := range conns {
		c.loginExpired() // as the timers would, an hour from now
	}

	fresh.closedWith(websocket.StatusPolicyViolation, "login timeout")
	out.closedWith(websocket.StatusPolicyViolation, "login timeout")
	for _, c := range []*wsClient{caller, callee, media} {
		c.ok(proto.TypePing, nil, nil)
	}
	if !strings.Contains(httpMetrics(t, h), "parley_login_timeouts_total 2") {
		t.Fatal("the login timeouts were not counted")
	}
}

func httpMetrics(t *testing.T, h *Hub) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.cfg.Registry.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

// A client that stops in the middle of a control frame holds the reader
// inside the frame; closing it (here at its login deadline) must not wait
// for the rest: past the write timeout the socket is closed under it.
func TestAClientStuckInsideAFrameIsStillClosed(t *testing.T) {
	noLeaks(t)
	_, srv := loginHub(t, Config{LoginTimeout: 50 * time.Millisecond, WriteTimeout: 200 * time.Millisecond})
	nc, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second)) // a failure guard, not a timing
	fmt.Fprintf(nc, "GET %s HTTP/1.1\r\nHost: parley\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n\r\n",
		proto.WSPath, proto.Subprotocol)
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	nc.Write([]byte{0x89}) // the first byte of a ping, and no more
	if _, err := io.Copy(io.Discard, br); err != nil {
		t.Fatalf("the server did not close the connection: %v", err)
	}
}
