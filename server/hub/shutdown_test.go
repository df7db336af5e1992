package hub

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/net/proto"
	"parley/server/auth"
	"parley/server/storage"
)

func shutdownHub(t *testing.T) (*Hub, *httptest.Server) {
	h, srv, _ := shutdownHubDB(t)
	return h, srv
}

func shutdownHubDB(t *testing.T) (*Hub, *httptest.Server, *storage.DB) {
	t.Helper()
	db, err := storage.Open(context.Background(), t.TempDir(), storage.Options{Synchronous: "OFF"})
	if err != nil {
		t.Fatal(err)
	}
	h := New(Config{DB: db, Hasher: auth.NewHasher(auth.Params{Memory: 8, Time: 1, Threads: 1}, 1)})
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		h.Shutdown(context.Background())
		db.Close()
		h.Close()
	})
	return h, srv, db
}

// dialHello connects and reads the server's hello, so that the hub has
// registered the connection.
func dialHello(t *testing.T, srv *httptest.Server) (*websocket.Conn, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+proto.WSPath, &websocket.DialOptions{Subprotocols: []string{proto.Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	if _, p, err := ws.Read(ctx); err != nil || !strings.Contains(string(p), proto.TypeHello) {
		t.Fatalf("hello: %q %v", p, err)
	}
	return ws, ctx
}

// A client that answers the close handshake sees "going away" (1001), and
// Shutdown returns once its connection has ended.
func TestShutdownClosesConnectionsWithGoingAway(t *testing.T) {
	h, srv := shutdownHub(t)
	ws, ctx := dialHello(t, srv)
	read := make(chan error, 1)
	go func() {
		for {
			if _, _, err := ws.Read(ctx); err != nil {
				read <- err
				return
			}
		}
	}()
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if st := websocket.CloseStatus(<-read); st != websocket.StatusGoingAway {
		t.Fatalf("close status %d, want %d (going away)", st, websocket.StatusGoingAway)
	}
}

// A client that never answers the close handshake does not hold up
// shutdown past its budget: when ctx ends, its connection is cut off,
// and by the time Shutdown returns the hub holds no connection.
func TestShutdownCutsOffConnectionsWhenItsBudgetEnds(t *testing.T) {
	h, srv := shutdownHub(t)
	ws, ctx := dialHello(t, srv) // and never reads again
	budget, cancel := context.WithCancel(context.Background())
	cancel() // the budget is spent
	if err := h.Shutdown(budget); !errors.Is(err, context.Canceled) {
		t.Fatalf("shutdown: %v, want the budget's end", err)
	}
	h.mu.RLock()
	left := len(h.conns)
	h.mu.RUnlock()
	if left != 0 {
		t.Fatalf("%d connections left after shutdown's budget ended", left)
	}
	// The client finds its connection gone.
	for {
		if _, _, err := ws.Read(ctx); err != nil {
			if ctx.Err() != nil {
				t.Fatal("the client's connection is still open")
			}
			return
		}
	}
}

// A write that reaches storage after it closed (a connection the
// shutdown has not ended yet) is answered "unavailable", not "internal".
func TestWriteAfterStorageClosedIsUnavailable(t *testing.T) {
	_, srv, db := shutdownHubDB(t)
	ws, ctx := dialHello(t, srv)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	req := `{"type":"register","id":"r1","body":{"name":"late","password":"correct horse battery"}}`
	if err := ws.Write(ctx, websocket.MessageText, []byte(req)); err != nil {
		t.Fatal(err)
	}
	_, p, err := ws.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f, err := proto.DecodeFrame(p)
	if err != nil || f.Error == nil || f.Error.Code != proto.CodeUnavailable {
		t.Fatalf("reply %s: want error %s", p, proto.CodeUnavailable)
	}
}
