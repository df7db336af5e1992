package hub

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/net/proto"
	"parley/server/auth"
	"parley/server/storage"
)

func keepaliveHub(t *testing.T) *httptest.Server {
	t.Helper()
	db, err := storage.Open(context.Background(), t.TempDir(), storage.Options{Synchronous: "OFF"})
	if err != nil {
		t.Fatal(err)
	}
	h := New(Config{
		DB: db, Hasher: auth.NewHasher(auth.Params{Memory: 8, Time: 1, Threads: 1}, 1),
		PingInterval: 20 * time.Millisecond, WriteTimeout: 200 * time.Millisecond,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		h.Shutdown(context.Background())
		db.Close()
		h.Close()
	})
	return srv
}

func dialKeepalive(t *testing.T, srv *httptest.Server, onPing func() bool) (*websocket.Conn, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+proto.WSPath, &websocket.DialOptions{
		Subprotocols:   []string{proto.Subprotocol},
		OnPingReceived: func(context.Context, []byte) bool { return onPing() },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	return ws, ctx
}

// An idle client that answers the server's pings stays connected through
// many of them, gets its own pings answered, and still gets replies.
func TestKeepaliveKeepsAnAnsweringClient(t *testing.T) {
	noLeaks(t)
	srv := keepaliveHub(t)
	pings := make(chan struct{}, 100)
	ws, ctx := dialKeepalive(t, srv, func() bool { pings <- struct{}{}; return true })
	frames := make(chan string, 10)
	go func() {
		for {
			_, p, err := ws.Read(ctx)
			if err != nil {
				close(frames)
				return
			}
			frames <- string(p)
		}
	}()
	for range 5 {
		select {
		case <-pings:
		case <-ctx.Done():
			t.Fatal("fewer than 5 pings arrived")
		}
	}
	// The client's own pings are answered too.
	if err := ws.Ping(ctx); err != nil {
		t.Fatalf("client ping: %v", err)
	}
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"ping","id":"1"}`)); err != nil {
		t.Fatal(err)
	}
	for f := range frames {
		if strings.Contains(f, `"type":"reply","id":"1"`) {
			return
		}
	}
	t.Fatal("the connection closed after answering pings")
}

// A client that stops answering pings is cut off.
func TestKeepaliveCutsOffASilentClient(t *testing.T) {
	noLeaks(t)
	srv := keepaliveHub(t)
	ws, ctx := dialKeepalive(t, srv, func() bool { return false }) // reads, never answers
	for {
		if _, _, err := ws.Read(ctx); err != nil {
			if ctx.Err() != nil {
				t.Fatal("a client that never answered a ping is still connected")
			}
			return
		}
	}
}
