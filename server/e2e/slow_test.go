package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"parley/net/client"
	"parley/net/proto"
	"parley/server/node"
	"parley/server/node/nodetest"
)

// stalled logs in and joins conv over a bare WebSocket, then never reads
// again: a client that has stopped keeping up.
func stalled(t *testing.T, url string, p person, conv proto.ConvID) {
	t.Helper()
	ctx := testCtx(t)
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{proto.Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	call := func(id, typ string, body any) {
		t.Helper()
		req, err := proto.EncodeRequest(typ, id, body)
		if err != nil {
			t.Fatal(err)
		}
		if err := ws.Write(ctx, websocket.MessageText, req); err != nil {
			t.Fatal(err)
		}
		for { // skip hello and pushes
			_, data, err := ws.Read(ctx)
			if err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
			var f proto.Frame
			if err := json.Unmarshal(data, &f); err != nil {
				t.Fatal(err)
			}
			if f.Type == proto.TypeReply && f.ID == id {
				if f.Error != nil {
					t.Fatalf("%s: %v", typ, f.Error)
				}
				return
			}
		}
	}
	call("1", proto.TypeLogin, proto.LoginRequest{User: p.ID, Password: p.password})
	call("2", proto.TypeJoinGroup, proto.JoinGroupRequest{Group: conv})
}

func TestSlowConsumerIsDisconnectedAndOthersKeepReceiving(t *testing.T) {
	srv := start(t, nodetest.WithConfig(func(c *node.Config) { c.QueueLen = 64 }))
	a := login(t, srv.URL, register(t, srv.URL, "A"))
	b := login(t, srv.URL, register(t, srv.URL, "B"))
	slow := register(t, srv.URL, "Slow")
	g := group(t, "g", a, b)
	stalled(t, srv.URL, slow, g.ID)
	if _, err := a.Members(testCtx(t), g.ID); err != nil { // watch presence
		t.Fatal(err)
	}
	slowGone := func(p client.Push) bool {
		return p.Presence != nil && p.Presence.User == slow.ID && !p.Presence.Online
	}

	// Big messages fill the stalled client's socket buffers, then its
	// queue; the server must drop it rather than wait. 5000 of them (80
	// MB) are far more than the socket buffers and the queue hold. The
	// drop shows once the write in progress gives up (its write timeout,
	// docs/protocol.md "Slow clients"), which a fast sender may outrun:
	// then the offline push comes after the last send.
	const limit = 5000
	big := strings.Repeat("x", proto.MaxTextBytes-16)
	var sent []proto.Message
	for len(sent) < limit && !a.inbox.seen(slowGone) {
		sent = append(sent, a.send(t, g.ID, fmt.Sprint(len(sent), big)))
	}
	a.inbox.take(t, "the stalled client's offline presence", slowGone)
	t.Logf("the stalled client was dropped; %d messages sent", len(sent))
	for i := range 10 {
		sent = append(sent, a.send(t, g.ID, fmt.Sprint("after ", i)))
	}

	sameMessages(t, "B's messages", b.inbox.texts(t, g.ID, len(sent)), sent)
	if b.Err() != nil {
		t.Fatalf("B was disconnected: %v", b.Err())
	}
	ms, err := b.Members(testCtx(t), g.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.ID == slow.ID && m.Online {
			t.Fatal("the stalled client is still shown online")
		}
	}
}
