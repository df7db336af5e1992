package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/net/proto"
)

// waitFor bounds every wait in these tests: a failure guard, not a timing.
const waitFor = 10 * time.Second

// fakeServer is a scripted Parley server: it accepts /v1/ws, sends hello,
// and hands every request frame to handle, on the connection's goroutine.
type fakeServer struct {
	URL    string
	hello  proto.Hello
	handle func(fc *fakeConn, f proto.Frame)
	greet  func(fc *fakeConn) // the first frame; nil sends hello
	// reject, when set, makes the handshake fail with 503.
	reject atomic.Bool
	conns  chan *fakeConn // every accepted connection
	srv    *httptest.Server
}

type fakeConn struct {
	ws     *websocket.Conn
	ctx    context.Context
	frames chan proto.Frame // requests seen, when handle is nil
	closed chan struct{}    // closed when the server's read loop ends
}

func newFakeServer(t testing.TB, handle func(fc *fakeConn, f proto.Frame)) *fakeServer {
	t.Helper()
	s := &fakeServer{
		hello:  proto.Hello{Version: proto.Version, Server: "fake", MaxTextBytes: proto.MaxTextBytes, MaxFrameBytes: proto.MaxFrameBytes},
		handle: handle,
		conns:  make(chan *fakeConn, 100),
	}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.srv = srv
	s.URL = "ws" + strings.TrimPrefix(srv.URL, "http") + proto.WSPath
	return s
}

// newRawServer returns the URL of a server that sends first instead of hello.
func newRawServer(t *testing.T, first func(fc *fakeConn)) string {
	s := newFakeServer(t, nil)
	s.greet = first
	return s.URL
}

func (s *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	if s.reject.Load() {
		http.Error(w, "not now", http.StatusServiceUnavailable)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{proto.Subprotocol}})
	if err != nil {
		return
	}
	defer ws.CloseNow()
	fc := &fakeConn{ws: ws, ctx: r.Context(), frames: make(chan proto.Frame, 100), closed: make(chan struct{})}
	defer close(fc.closed)
	if s.greet != nil {
		s.greet(fc)
	} else {
		fc.send(proto.TypeHello, "", s.hello)
	}
	s.conns <- fc
	for {
		_, data, err := ws.Read(fc.ctx)
		if err != nil {
			return
		}
		f, err := proto.DecodeFrame(data)
		if err != nil {
			return
		}
		if s.handle == nil {
			fc.frames <- f
		} else {
			s.handle(fc, f)
		}
	}
}

func (fc *fakeConn) send(typ, id string, body any) {
	data, err := proto.EncodeRequest(typ, id, body) // the same envelope in both directions
	if err != nil {
		panic(err)
	}
	fc.ws.Write(fc.ctx, websocket.MessageText, data)
}

func (fc *fakeConn) reply(f proto.Frame, body any) { fc.send(proto.TypeReply, f.ID, body) }

func (fc *fakeConn) fail(f proto.Frame, e *proto.Error) {
	fc.ws.Write(fc.ctx, websocket.MessageText, proto.EncodeError(f.ID, e))
}

func (fc *fakeConn) push(typ string, body any) { fc.send(typ, "", body) }

// kill stops the server as a dead node would: it no longer accepts
// connections, and fc (its live connection) drops.
func (s *fakeServer) kill(fc *fakeConn) {
	s.srv.Close()
	fc.ws.CloseNow()
}

// conn returns the next connection the server accepted.
func (s *fakeServer) conn(t *testing.T) *fakeConn {
	t.Helper()
	select {
	case fc := <-s.conns:
		return fc
	case <-time.After(waitFor):
		t.Fatal("no connection reached the server")
		return nil
	}
}

// frame returns the next request the connection received (handle nil).
func (fc *fakeConn) frame(t *testing.T) proto.Frame {
	t.Helper()
	select {
	case f := <-fc.frames:
		return f
	case <-time.After(waitFor):
		t.Fatal("no request reached the server")
		return proto.Frame{}
	}
}

func decode[T any](t *testing.T, body json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

func dial(t *testing.T, url string, opts DialOptions) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, err := Dial(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	t.Cleanup(cancel)
	return ctx
}

func waitDone(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(waitFor):
		t.Fatalf("%s did not happen", what)
	}
}
