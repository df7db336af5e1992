package node_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/net/proto"
	"parley/server/node"
	"parley/server/node/nodetest"
	"parley/server/storage"
)

// fakeHTTP is the HTTP server of the "http" stage; its Shutdown runs a
// check while the later stages have not begun.
type fakeHTTP struct{ shutdown func(context.Context) error }

func (f fakeHTTP) Shutdown(ctx context.Context) error { return f.shutdown(ctx) }
func (f fakeHTTP) Close() error                       { return nil }

// Shutdown goes HTTP first (connections and storage still serve), then
// connections (each closed with going away), then storage (writes are
// refused with unavailable).
func TestShutdownStopsHTTPThenConnectionsThenStorage(t *testing.T) {
	srv := nodetest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, srv.URL, &websocket.DialOptions{Subprotocols: []string{proto.Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if _, _, err := ws.Read(ctx); err != nil { // hello
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	stages := srv.Node.ShutdownStages(node.DefaultShutdownBudgets, fakeHTTP{func(context.Context) error {
		// During the HTTP stage the WebSocket and the database still work.
		if err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"ping","id":"1"}`)); err != nil {
			return err
		}
		_, p, err := ws.Read(ctx)
		if err != nil || !strings.Contains(string(p), `"id":"1"`) {
			return errors.Join(errors.New("no reply during the http stage: "+string(p)), err)
		}
		if _, err := srv.Node.DB().CreateUser(ctx, "late", "h"); err != nil {
			return err
		}
		go func() { // answers the close handshake
			for {
				if _, _, err := ws.Read(ctx); err != nil {
					closed <- err
					return
				}
			}
		}()
		return nil
	}})
	var names []string
	for _, s := range stages {
		names = append(names, s.Name)
	}
	if want := []string{"http", "connections", "storage"}; !slices.Equal(names, want) {
		t.Fatalf("stages %v, want %v", names, want)
	}
	if err := node.RunStages(context.Background(), nil, stages...); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if st := websocket.CloseStatus(<-closed); st != websocket.StatusGoingAway {
		t.Fatalf("the client's connection closed with %d, want %d (going away)", st, websocket.StatusGoingAway)
	}
	if _, err := srv.Node.DB().CreateUser(ctx, "later", "h"); !errors.Is(err, storage.ErrClosed) || proto.CodeOf(err) != proto.CodeUnavailable {
		t.Fatalf("write after shutdown: %v, want storage.ErrClosed (unavailable)", err)
	}
}
