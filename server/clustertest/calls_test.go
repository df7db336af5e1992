//go:build linux

package clustertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"parley/net/proto"
	"parley/server/calls/callstest"
)

// Calls across the nodes (server/hub/clustercalls.go): a 1:1 call lives
// on the caller's node, a group call on the node of whoever started it;
// the devices on the other nodes take part through stand-ins over NATS.
// The clients here are callstest's: the protocol frame by frame, with
// call audio in binary frames.

// who is one person of a call test: a name and the node their device is
// connected to.
type who struct {
	name string
	node int
}

// people registers one user per who, puts them all in one open group
// (calls need one shared, MayCall), and then logs each in on their node
// with a connection that carries calls. The group is made through other
// connections first, so that what it pushes goes to those.
func (c *cluster) people(t *testing.T, group string, ps ...who) ([]*callstest.Client, proto.ConvID) {
	t.Helper()
	accounts := make([]callstest.Account, len(ps))
	for i, p := range ps {
		accounts[i] = callstest.At(c.nodes[p.node].url).Register(t, p.name)
	}
	owner := callstest.At(c.nodes[ps[0].node].url).Login(t, accounts[0])
	var g proto.ConversationReply
	if err := owner.Do(proto.TypeCreateGroup, proto.CreateGroupRequest{Name: group, Policy: proto.PolicyOpen}, &g); err != nil {
		t.Fatalf("%s creates %s: %v", ps[0].name, group, err)
	}
	owner.Close()
	for i, p := range ps[1:] {
		m := callstest.At(c.nodes[p.node].url).Login(t, accounts[i+1])
		if err := m.Do(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: g.Conversation.ID}, nil); err != nil {
			t.Fatalf("%s joins %s: %v", p.name, group, err)
		}
		m.Close()
	}
	clients := make([]*callstest.Client, len(ps))
	for i, p := range ps {
		clients[i] = callstest.At(c.nodes[p.node].url).Login(t, accounts[i])
	}
	return clients, g.Conversation.ID
}

// barrier is one user on each node, in a group of theirs.
type barrier struct {
	t      *testing.T
	users  []*callstest.Client // by node
	conv   proto.ConvID
	typing []bool // the user's last typing request was not a stop
}

// newBarrier makes a barrier on the nodes as they are now (one killed
// since takes its user with it).
func (c *cluster) newBarrier(t *testing.T) *barrier {
	t.Helper()
	var ps []who
	for i := range c.nodes {
		ps = append(ps, who{"barrier " + itoa(i), i})
	}
	users, g := c.people(t, "Barrier", ps...)
	return &barrier{t: t, users: users, conv: g, typing: make([]bool, len(users))}
}

// from returns once every other node has handled the events node i
// published before it (presence with its devices, who is busy): node i's
// user types, or stops typing (in turn: a second typing request within
// 2 s would be refused), and the push reaches the others. Events of one
// node reach the others in order.
func (b *barrier) from(i int) {
	b.t.Helper()
	stop := b.typing[i]
	if err := b.users[i].Do(proto.TypeTyping, proto.TypingRequest{Conv: b.conv, Stop: stop}, nil); err != nil {
		b.t.Fatalf("typing through node %d: %v", i, err)
	}
	b.typing[i] = !stop
	for j, u := range b.users {
		if j == i {
			continue
		}
		var p proto.TypingPush
		u.Next(proto.TypeTyping, &p)
		if p.User != b.users[i].User.ID || p.Stop != stop {
			b.t.Fatalf("node %d's barrier user got %+v, want typing (stop %v) of node %d's", j, p, stop, i)
		}
	}
}

// audio is one audio packet of call id.
func audio(id proto.CallID, seq uint16, payload string) []byte {
	return proto.AppendPacket(nil, proto.AudioPacket{Call: id, Seq: seq, Timestamp: uint32(seq) * 960, Payload: []byte(payload)})
}

// heard waits for the next audio packet of c (a guard against hangs).
func heard(t *testing.T, c *callstest.Client) []byte {
	t.Helper()
	select {
	case p := <-c.Packets():
		return p
	case <-time.After(30 * time.Second):
		t.Fatalf("%s got no audio", c.User.Name)
		return nil
	}
}

// ring has caller call callee, callee's device ring, and answer.
func ring(t *testing.T, caller, callee *callstest.Client) proto.CallID {
	t.Helper()
	var r proto.CallReply
	if err := caller.Do(proto.TypeCall, proto.CallRequest{User: callee.User.ID, Codecs: []string{"opus"}}, &r); err != nil {
		t.Fatalf("%s calls %s: %v", caller.User.Name, callee.User.Name, err)
	}
	var in proto.CallIncoming
	callee.Next(proto.TypeCallIncoming, &in)
	if in.Call != r.Call || in.From.ID != caller.User.ID {
		t.Fatalf("%s's device rang with %+v, want call %d from %s", callee.User.Name, in, r.Call, caller.User.Name)
	}
	return r.Call
}

// answer has callee answer call id, and the caller hear of it.
func answer(t *testing.T, id proto.CallID, caller, callee *callstest.Client) {
	t.Helper()
	var acc proto.CallAcceptReply
	if err := callee.Do(proto.TypeCallAccept, proto.CallAcceptRequest{Call: id}, &acc); err != nil || acc.Peer.ID != caller.User.ID || acc.Codec != "opus" {
		t.Fatalf("%s answers: %+v %v", callee.User.Name, acc, err)
	}
	var a proto.CallAccepted
	caller.Next(proto.TypeCallAccepted, &a)
}

// talk sends n audio packets each way, each compared byte for byte.
func talk(t *testing.T, id proto.CallID, n int, a, b *callstest.Client) {
	t.Helper()
	for i := range n {
		for _, dir := range [][2]*callstest.Client{{a, b}, {b, a}} {
			from, to := dir[0], dir[1]
			want := audio(id, uint16(i), fmt.Sprintf("%s says 你好 %d", from.User.Name, i))
			if err := from.Send(want); err != nil {
				t.Fatal(err)
			}
			if got := heard(t, to); !bytes.Equal(got, want) {
				t.Fatalf("%s got %x, want %x", to.User.Name, got, want)
			}
		}
	}
}

// callEntry waits for a call entry pushed to c (a guard against hangs).
func callEntry(ctx context.Context, t *testing.T, c *callstest.Client) proto.Message {
	t.Helper()
	for {
		select {
		case m := <-c.Messages:
			if m.Kind == proto.MsgCall {
				return m
			}
		case <-ctx.Done():
			t.Fatalf("%s got no call entry", c.User.Name)
		}
	}
}

// takenForGone waits until every node of observers has taken the killed
// node for gone: it counts no more than the live nodes but itself as
// peers (parley_cluster_peers). The calls the observers end then are
// ended right after. A guard against hangs: a node is taken for gone
// after 3 missed heartbeats, 2 to 4 s after its death.
func (c *cluster) takenForGone(ctx context.Context, t *testing.T, dead *node, observers ...*node) {
	t.Helper()
	guard, cancel := context.WithTimeout(ctx, presenceGuard)
	defer cancel()
	for _, o := range observers {
		waitUntil(guard, t, fmt.Sprintf("node %d taking node %d for gone", o.i, dead.i), nil, func() bool {
			return o.peers(guard, t) <= len(c.nodes)-2
		})
	}
}

// isCode says whether err is the server's error code.
func isCode(err error, code proto.Code) bool {
	pe, ok := errors.AsType[*proto.Error](err)
	return ok && pe.Code == code
}

// A call from node 0 to node 1: it rings there, is answered there, audio
// crosses both ways byte for byte, the caller hangs up, and the call's
// entry is in the direct conversation's history once, on both sides.
func (c *cluster) testCallAcrossNodes(t *testing.T) {
	ctx := testContext(t)
	b := c.newBarrier(t)
	ps, _ := c.people(t, "Call", who{"李华", 0}, who{"Wang", 1})
	li, wang := ps[0], ps[1]
	b.from(1) // node 0 knows Wang's device on node 1

	id := ring(t, li, wang)
	answer(t, id, li, wang)
	talk(t, id, 5, li, wang)
	if err := li.Do(proto.TypeCallHangup, proto.CallHangupRequest{Call: id}, nil); err != nil {
		t.Fatalf("Li hangs up: %v", err)
	}
	if e := wang.NextEnd(); e.Call != id || e.Reason != proto.EndHangup || e.By != li.User.ID {
		t.Fatalf("Wang's call ended with %+v, want hangup by Li", e)
	}
	if e := li.NextEnd(); e.Call != id || e.Reason != proto.EndHangup {
		t.Fatalf("Li's call ended with %+v, want hangup", e)
	}

	// The home (node 0) writes the entry; it reaches Wang through node 1.
	guard, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	entry := callEntry(guard, t, li)
	if got := callEntry(guard, t, wang); got.Conv != entry.Conv || got.Seq != entry.Seq {
		t.Fatalf("Wang got the call entry %d/%d, Li %d/%d", got.Conv, got.Seq, entry.Conv, entry.Seq)
	}
	e := entry.Call
	if e == nil || e.Caller != li.User.ID || e.Callee != wang.User.ID || e.Outcome != proto.CallAnswered || e.Reason != proto.EndHangup {
		t.Fatalf("the call entry is %+v, want Li's answered call to Wang, hung up", e)
	}
	for _, p := range ps {
		var h proto.HistoryReply
		if err := p.Do(proto.TypeHistory, proto.HistoryRequest{Conv: entry.Conv, Limit: proto.MaxHistoryLimit}, &h); err != nil {
			t.Fatalf("%s reads the direct conversation: %v", p.User.Name, err)
		}
		n := 0
		for _, m := range h.Messages {
			if m.Kind == proto.MsgCall {
				n++
			}
		}
		if n != 1 || h.More {
			t.Fatalf("%s's history of the direct conversation has %d call entries (more: %v), want 1: %+v", p.User.Name, n, h.More, h.Messages)
		}
	}
}

// A call whose home (the caller's node 0) is killed while the callee,
// on node 1, talks: the callee's call ends "dropped" when node 1 takes
// node 0 for gone (no timer of node 1 ends it otherwise), and the callee
// is free again: a call of theirs to someone on node 2, refused while
// the call lasted (in a call), rings.
func (c *cluster) testCallWhenHomeDies(t *testing.T) {
	ctx := testContext(t)
	home, calleeNode := c.nodes[0], c.nodes[1]
	b := c.newBarrier(t)
	ps, _ := c.people(t, "Home", who{"Ann", 0}, who{"Bob", 1}, who{"Cai", 2})
	ann, bob, cai := ps[0], ps[1], ps[2]
	b.from(1) // node 0 knows Bob's device
	b.from(2) // node 1 knows Cai's device

	id := ring(t, ann, bob)
	answer(t, id, ann, bob)
	talk(t, id, 2, ann, bob)
	b.from(0) // node 1 knows Bob is in a call on node 0
	err := bob.Do(proto.TypeCall, proto.CallRequest{User: cai.User.ID, Codecs: []string{"opus"}}, nil)
	if !isCode(err, proto.CodeInCall) {
		t.Fatalf("Bob, in a call node 0 holds, calls Cai through node 1: %v, want %s", err, proto.CodeInCall)
	}

	died := time.Now()
	home.kill(t)
	c.takenForGone(ctx, t, home, calleeNode)
	if e := bob.NextEnd(); e.Call != id || e.Reason != proto.EndDropped || e.By != ann.User.ID {
		t.Fatalf("Bob's call ended with %+v, want call %d dropped by Ann", e, id)
	}
	t.Logf("node %d (the call's home) killed: Bob, on node %d, got call_end dropped %v later",
		home.i, calleeNode.i, time.Since(died).Round(time.Millisecond))
	// The home died before writing the call's entry: Bob's node writes
	// it, answered and dropped by Ann's side.
	guard, cancel := context.WithTimeout(ctx, presenceGuard)
	defer cancel()
	if m := callEntry(guard, t, bob); m.Call == nil || m.Sender != ann.User.ID || m.Call.Outcome != proto.CallAnswered || m.Call.Reason != proto.EndDropped {
		t.Fatalf("the call's entry is %+v, want Ann's answered call, dropped", m)
	}

	next := ring(t, bob, cai)
	if err := bob.Do(proto.TypeCallHangup, proto.CallHangupRequest{Call: next}, nil); err != nil {
		t.Fatalf("Bob cancels his call to Cai: %v", err)
	}
	if e := cai.NextEnd(); e.Call != next || e.Reason != proto.EndCancelled {
		t.Fatalf("Cai's ringing ended with %+v, want cancelled", e)
	}
	c.restart(home)
}

// A call held by node 0 whose callee's node 2 is killed: the caller's
// answered call ends "dropped" by the callee, and so does another
// caller's call still ringing on node 2 (only node 2's death ends that
// one before the 30 s ring timeout, which would say no_answer).
func (c *cluster) testCallWhenCalleesNodeDies(t *testing.T) {
	ctx := testContext(t)
	home, victim := c.nodes[0], c.nodes[2]
	b := c.newBarrier(t)
	ps, _ := c.people(t, "Callee", who{"Dan", 0}, who{"Eve", 2}, who{"Fay", 0}, who{"Gus", 2})
	dan, eve, fay, gus := ps[0], ps[1], ps[2], ps[3]
	b.from(2) // node 0 knows Eve's and Gus's devices

	answered := ring(t, dan, eve)
	answer(t, answered, dan, eve)
	talk(t, answered, 2, dan, eve)
	// Dan goes on talking, as a device does (a packet every 20 ms): the
	// home's media timeout (4 s of silence, as long as node 2's death
	// takes to notice) can then only blame Eve, as her node's death does.
	stop := make(chan struct{})
	talking := make(chan struct{})
	go func() {
		defer close(talking)
		for seq := uint16(100); ; seq++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if dan.Send(audio(answered, seq, "Dan goes on")) != nil {
				return
			}
		}
	}()
	defer func() { close(stop); <-talking }()
	ringing := ring(t, fay, gus)

	died := time.Now()
	victim.kill(t)
	c.takenForGone(ctx, t, victim, home)
	if e := dan.NextEnd(); e.Call != answered || e.Reason != proto.EndDropped || e.By != eve.User.ID {
		t.Fatalf("Dan's call ended with %+v, want call %d dropped by Eve", e, answered)
	}
	if e := fay.NextEnd(); e.Call != ringing || e.Reason != proto.EndDropped {
		t.Fatalf("Fay's ringing call ended with %+v, want call %d dropped", e, ringing)
	}
	t.Logf("node %d (the callees') killed: both callers, on node %d, got call_end dropped within %v",
		victim.i, home.i, time.Since(died).Round(time.Millisecond))
	c.restart(victim)
}

// A group call started on node 1 with members on nodes 0 and 2, who are
// rung, join and hear everyone; node 1 is killed: on nodes 0 and 2 the
// call ends for them (call_end "dropped", then group_call_state ended).
func (c *cluster) testGroupCallWhenHomeDies(t *testing.T) {
	ctx := testContext(t)
	home := c.nodes[1]
	b := c.newBarrier(t)
	ps, g := c.people(t, "Group call", who{"Sam", 1}, who{"Amy", 0}, who{"Ben", 2})
	sam, amy, ben := ps[0], ps[1], ps[2]
	b.from(0) // node 1 knows Amy's device
	b.from(2) // and Ben's

	var started proto.GroupCallReply
	if err := sam.Do(proto.TypeGroupCall, proto.GroupCallRequest{Conv: g}, &started); err != nil {
		t.Fatalf("Sam starts a call in the group through node 1: %v", err)
	}
	sam.Next(proto.TypeGroupCallState, nil)
	for _, d := range []*callstest.Client{amy, ben} {
		var in proto.CallIncoming
		d.Next(proto.TypeCallIncoming, &in)
		if in.Call != started.Call || in.Conv != g {
			t.Fatalf("%s rang with %+v, want group call %d", d.User.Name, in, started.Call)
		}
		d.Next(proto.TypeGroupCallState, nil)
	}
	slots := map[*callstest.Client]int{sam: started.Slot}
	for n, d := range []*callstest.Client{amy, ben} {
		var joined proto.GroupCallReply
		if err := d.Do(proto.TypeGroupCall, proto.GroupCallRequest{Conv: g, Call: started.Call}, &joined); err != nil || joined.Call != started.Call {
			t.Fatalf("%s joins through their node: %+v %v", d.User.Name, joined, err)
		}
		slots[d] = joined.Slot
		for _, o := range ps {
			var st proto.GroupCallState
			o.Next(proto.TypeGroupCallState, &st)
			if len(st.Participants) != n+2 {
				t.Fatalf("%s sees %d people in the call, want %d", o.User.Name, len(st.Participants), n+2)
			}
		}
	}

	// Each speaks; the two others hear them, from their slot.
	for _, from := range ps {
		say := from.User.Name + " speaks"
		if err := from.Send(audio(started.Call, 1, say)); err != nil {
			t.Fatal(err)
		}
		for _, to := range ps {
			if to == from {
				continue
			}
			gp, err := proto.ParseGroupPacket(heard(t, to))
			if err != nil || int(gp.Slot) != slots[from] || string(gp.Payload) != say {
				t.Fatalf("%s heard %+v %v, want %q from slot %d", to.User.Name, gp, err, say, slots[from])
			}
		}
	}

	died := time.Now()
	home.kill(t)
	c.takenForGone(ctx, t, home, c.nodes[0], c.nodes[2])
	for _, d := range []*callstest.Client{amy, ben} {
		if e := d.NextEnd(); e.Call != started.Call || e.Reason != proto.EndDropped {
			t.Fatalf("%s's call ended with %+v, want call %d dropped", d.User.Name, e, started.Call)
		}
		var st proto.GroupCallState
		d.Next(proto.TypeGroupCallState, &st)
		if st.Call != started.Call || !st.Ended || len(st.Participants) != 0 {
			t.Fatalf("%s was told %+v, want call %d ended", d.User.Name, st, started.Call)
		}
	}
	t.Logf("node %d (the group call's home) killed: its people on nodes 0 and 2 got call_end dropped and the call's end within %v",
		home.i, time.Since(died).Round(time.Millisecond))
	c.restart(home)
}
