package hub

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"parley/net/proto"
	"parley/server/auth"
	"parley/server/storage"
)

// fakeBus records what the hub publishes to the other nodes.
type fakeBus struct {
	mu   sync.Mutex
	sent []string // kind + " " + payload
}

func (b *fakeBus) Publish(kind string, payload any) {
	raw, _ := json.Marshal(payload)
	b.mu.Lock()
	b.sent = append(b.sent, kind+" "+string(raw))
	b.mu.Unlock()
}

func (b *fakeBus) SendTo(node, kind string, payload any) {
	b.Publish(node+" "+kind, payload)
}

func (b *fakeBus) Request(context.Context, string, string, any) ([]byte, error) {
	return nil, errors.New("no other node")
}

func (b *fakeBus) SendMedia(node string, data []byte) {}

func (b *fakeBus) Node() string { return "me" }

// clusterHub is a hub of a cluster whose other nodes are bus.
func clusterHub(t *testing.T) (*Hub, *fakeBus) {
	t.Helper()
	db, err := storage.Open(context.Background(), t.TempDir(), storage.Options{Synchronous: "OFF"})
	if err != nil {
		t.Fatal(err)
	}
	bus := &fakeBus{}
	h := New(Config{DB: db, Cluster: bus, Hasher: auth.NewHasher(auth.Params{Memory: 8, Time: 1, Threads: 1}, 1)})
	t.Cleanup(func() { db.Close(); h.Close() })
	return h, bus
}

func remote(t *testing.T, h *Hub, kind string, payload any) {
	t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	h.Remote(kind, raw)
}

// The cluster's presence: a user is online while any node has them; a
// node gone silent takes its users with it, unless they are connected
// elsewhere; a node that comes back says who is connected to it when
// asked, and asking is what a node does when it hears of one.
func TestPresenceFollowsTheNodes(t *testing.T) {
	h, bus := clusterHub(t)

	remote(t, h, eventPresence, presenceEvent{Node: "x", User: 5, Online: true})
	remote(t, h, eventPresence, presenceEvent{Node: "y", User: 6, Online: true})
	remote(t, h, eventPresence, presenceEvent{Node: "x", User: 6, Online: true})
	if !h.Online(5) || !h.Online(6) || h.Online(7) {
		t.Fatal("presence events from other nodes not taken")
	}
	h.NodeGone("x")
	if h.Online(5) || !h.Online(6) {
		t.Fatalf("after x went: 5 online %v (want false), 6 online %v (want true: on y)", h.Online(5), h.Online(6))
	}
	remote(t, h, eventPresenceAll, presenceAll{Node: "y", Users: map[proto.UserID]Here{7: {Refs: []uint64{3}, Devices: []string{"d"}}}})
	if h.Online(6) || !h.Online(7) {
		t.Fatalf("y's list of its users did not replace what was known of y")
	}

	h.NodeSeen("x")
	remote(t, h, eventPresenceAsk, presenceAsk{Node: "someone else"}) // not asked: no answer
	remote(t, h, eventPresenceAsk, presenceAsk{Node: "me"})
	bus.mu.Lock()
	defer bus.mu.Unlock()
	want := []string{`presence_ask {"node":"x"}`, `presence_all {"node":"me","users":{}}`}
	if len(bus.sent) != len(want) || bus.sent[0] != want[0] || bus.sent[1] != want[1] {
		t.Fatalf("published %q, want %q", bus.sent, want)
	}
}

// A push to many users is one event on the bus, naming them all (a typing
// push to a big group is not one event per member).
func TestAPushToManyIsOneEvent(t *testing.T) {
	h, bus := clusterHub(t)
	h.pushTo([]byte(`{"type":"typing"}`), 4, 5, 6)
	h.pushTo([]byte(`{"type":"typing"}`)) // nobody: nothing published
	bus.mu.Lock()
	defer bus.mu.Unlock()
	if want := `push {"users":[4,5,6],"frame":{"type":"typing"}}`; len(bus.sent) != 1 || bus.sent[0] != want {
		t.Fatalf("published %q, want %q", bus.sent, want)
	}
}

// pushed returns the types of the frames queued on c, and empties it.
func pushed(t *testing.T, c *conn) []string {
	t.Helper()
	var types []string
	for _, f := range c.takeQueued() {
		var p struct{ Type string }
		if err := json.Unmarshal(f, &p); err != nil {
			t.Fatal(err)
		}
		types = append(types, p.Type)
	}
	return types
}

// When a node goes, what it held ends here, and what it took part in
// here ends: a call it held ends on the device here that was in it
// (call_end), and a call held here ends for the party whose device was
// on it.
func TestACallEndsWithTheNodeItCrossed(t *testing.T) {
	h, bus := clusterHub(t)
	ctx := context.Background()
	li, err := h.db.CreateUser(ctx, "李华", "x")
	if err != nil {
		t.Fatal(err)
	}
	wang, err := h.db.CreateUser(ctx, "Wang", "x")
	if err != nil {
		t.Fatal(err)
	}
	c := newConn(h, nil, nil, "test") // not live: its queue shows what it was sent
	h.bind(c, li, []byte("token"))

	// A call held by node x rings Li's device here; x goes.
	ring, _ := proto.EncodePush(proto.TypeCallIncoming, proto.CallIncoming{Call: 77, From: wang, Codecs: []string{"opus"}})
	remote(t, h, eventCallPush, callPush{Node: "x", Ref: h.calls.refs.ref(c), Frame: ring})
	if got := pushed(t, c); !slices.Equal(got, []string{proto.TypeCallIncoming}) {
		t.Fatalf("Li's device got %v, want the ring", got)
	}
	if home := h.callHome(77, 0); home != "x" {
		t.Fatalf("call 77's home is %q, want x", home)
	}
	h.NodeGone("x")
	if got := pushed(t, c); !slices.Equal(got, []string{proto.TypeCallEnd}) {
		t.Fatalf("after x went, Li's device got %v, want call_end", got)
	}
	if home := h.callHome(77, 0); home != "" {
		t.Fatalf("call 77 of the gone node still has a home: %q", home)
	}
	// x never wrote the call's entry: this node does, as a missed call
	// from Wang that dropped.
	h.calls.records.Wait()
	direct, err := h.Direct(ctx, wang, li.ID)
	if err != nil {
		t.Fatal(err)
	}
	hist, _, err := h.db.History(ctx, li.ID, proto.HistoryRequest{Conv: direct.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Call == nil || hist[0].Sender != wang.ID ||
		hist[0].Call.Outcome != proto.CallMissed || hist[0].Call.Reason != proto.EndDropped {
		t.Fatalf("the history after x went: %+v, want Wang's call, missed, dropped", hist)
	}
	pushed(t, c) // the entry

	// Li calls Wang, whose only device is on node y; y goes.
	remote(t, h, eventPresence, presenceEvent{Node: "y", User: wang.ID, Online: true, Here: Here{Refs: []uint64{9}}})
	remote(t, h, eventBusy, busyEvent{Node: "y", User: 8, Busy: true})
	if _, err := h.calls.svc.Call(c, li, proto.User{ID: 8}, nil); proto.CodeOf(err) != proto.CodeBusy {
		t.Fatalf("calling someone in a call on y: %v, want busy", err)
	}
	if _, err := h.calls.svc.Call(c, li, wang, nil); err != nil {
		t.Fatal(err)
	}
	bus.mu.Lock()
	rang := slices.ContainsFunc(bus.sent, func(s string) bool { return strings.HasPrefix(s, "y call_push ") })
	bus.mu.Unlock()
	if !rang {
		t.Fatal("Wang's device on y was not rung through the bus")
	}
	h.NodeGone("y")
	if got := pushed(t, c); !slices.Equal(got, []string{proto.TypeCallEnd}) {
		t.Fatalf("after y went, Li got %v, want call_end", got)
	}
	if h.calls.svc.InCall(li.ID) || h.remoteBusy(8) {
		t.Fatal("after y went, someone is still taken for busy")
	}
}
