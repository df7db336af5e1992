//go:build linux

package clustertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"parley/net/client"
	"parley/net/proto"
)

// presenceGuard bounds the wait for a dead node's users to go offline: a
// guard against hangs, not the target (a node silent for 3 heartbeats,
// about 3 s, is taken for gone; the time is logged).
const presenceGuard = 30 * time.Second

// A node killed (kill -9) says nothing on the way out: the others take it
// for gone when its heartbeats stop, and its users go offline for the
// members watching them on the other nodes, those still connected to
// another node excepted. The watcher is on node 1; U is connected to
// node 0 only and does not reconnect; AB is connected to nodes 0 and 1,
// AC to nodes 0 and 2.
func (c *cluster) testPresenceOfDeadNode(t *testing.T) {
	ctx := testContext(t)
	victim, watcherNode, third := c.nodes[0], c.nodes[1], c.nodes[2]
	// The watcher's node must have heard the victim's heartbeats: it
	// takes for gone only a node it has taken for live. Once it counts
	// every other node as a peer, it has; unless it outlived a killed
	// node, which it may still count (for 3 heartbeats): it is restarted
	// first then.
	if c.outlived(watcherNode) {
		c.restartGracefully(watcherNode)
	}
	waitUntil(ctx, t, fmt.Sprintf("node %d hearing the others", watcherNode.i), nil, func() bool {
		return watcherNode.peers(ctx, t) == len(c.nodes)-1
	})
	watcher := newDevice(t, c.urls(), watcherNode.i, "watcher")
	u := newDevice(t, c.urls(), victim.i, "U")
	ab := newDevice(t, c.urls(), victim.i, "AB")
	ac := newDevice(t, c.urls(), victim.i, "AC")
	for _, d := range []*device{u, ab, ac} {
		d.stay()
	}
	secondConn(t, ab, watcherNode)
	secondConn(t, ac, third)
	g := group(t, "Presence", watcher, []*device{watcher, u, ab, ac})

	wc, err := watcher.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	members, err := wc.Members(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	// Each node learns of the others' users' first connections over
	// NATS: one the reply shows offline comes online by a push.
	online := map[proto.UserID]bool{}
	for _, m := range members {
		online[m.ID] = m.Online
	}
	pushes := 0
	waitUntil(ctx, t, "U, AB and AC online for the watcher", watcher.presenceNew, func() bool {
		ps := watcher.presencePushes()
		for _, p := range ps[pushes:] {
			if p.Conv == g {
				online[p.User] = p.Online
			}
		}
		pushes = len(ps)
		return online[u.id] && online[ab.id] && online[ac.id]
	})

	died := time.Now()
	victim.kill(t)
	guard, cancel := context.WithTimeout(ctx, presenceGuard)
	defer cancel()
	var offline presenceAt
	waitUntil(guard, t, "U offline for the watcher", watcher.presenceNew, func() bool {
		for _, p := range watcher.presencePushes()[pushes:] {
			if p.Conv != g {
				continue
			}
			if !p.Online && (p.User == ab.id || p.User == ac.id) {
				t.Fatalf("the watcher got %+v: a user still connected to another node went offline", p.Presence)
			}
			if p.User == u.id && !p.Online {
				offline = p
				return true
			}
		}
		return false
	})
	t.Logf("node %d killed (kill -9): the watcher on node %d got U offline %v later", victim.i, watcherNode.i, offline.at.Sub(died).Round(time.Millisecond))

	// After the push, the watcher's list agrees: U offline, AB and AC
	// online.
	members, err = wc.Members(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if want := m.ID != u.id; m.Online != want {
			t.Errorf("after node %d's death the watcher's members list has %s online %v, want %v", victim.i, m.Name, m.Online, want)
		}
	}
	c.restart(victim)
}

// secondConn logs d's user in again through nd, on a connection of its
// own that stays open until the test ends.
func secondConn(t *testing.T, d *device, nd *node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(testContext(t), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, nd.url, client.DialOptions{})
	if err != nil {
		t.Fatalf("%s: dial node %d: %v", d.name, nd.i, err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Login(ctx, d.id, password, "second"); err != nil {
		t.Fatalf("log %s in on node %d: %v", d.name, nd.i, err)
	}
}
