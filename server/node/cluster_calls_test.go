package node_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"parley/net/proto"
	"parley/server/calls/callstest"
	"parley/server/internal/servicetest"
	"parley/server/node"
	"parley/server/node/nodetest"
)

// barrier returns once everything from's node published before it is
// known to to's node: from types in a new group of theirs, and the
// typing push reaches to. Events of one node reach the others in order.
func barrier(t testing.TB, from, to *nodetest.User) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	g := nodetest.Group(t, from, "Barrier", to)
	if err := from.Conn.Call(ctx, proto.TypeTyping, proto.TypingRequest{Conv: g}, nil); err != nil {
		t.Fatal(err)
	}
	nextPush(t, to, proto.TypeTyping)
}

// account returns u's account for callstest's clients.
func account(u *nodetest.User) callstest.Account {
	return callstest.Account{User: u.User, Password: nodetest.Password}
}

// audio is one audio packet of call id.
func audio(id proto.CallID, seq uint16, payload string) []byte {
	return proto.AppendPacket(nil, proto.AudioPacket{Call: id, Seq: seq, Timestamp: uint32(seq) * 960, Payload: []byte(payload)})
}

// received waits for the next audio packet of c.
func received(t testing.TB, c *callstest.Client) []byte {
	t.Helper()
	select {
	case p := <-c.Packets():
		return p
	case <-time.After(30 * time.Second):
		t.Fatalf("user %d got no audio", c.User.ID)
		return nil
	}
}

// A call between people on two nodes: it rings every device of the
// callee on the other node, the first to answer wins, audio flows both
// ways, someone calling either of them from any node finds them busy,
// and a hang-up on the callee's node ends it on the caller's.
func TestACallCrossesNodes(t *testing.T) {
	n1, n2, _ := cluster(t)
	li, wang := n1.NewUser(t, "李华"), n2.NewUser(t, "Wang")
	chen := n2.NewUser(t, "Chen")
	nodetest.Group(t, li, "Study", wang, chen)
	ann, bob := n1.NewUser(t, "Ann"), n2.NewUser(t, "Bob") // for barriers

	s1, s2 := callstest.At(n1.URL), callstest.At(n2.URL)
	caller := s1.Login(t, account(li))
	phone, laptop := s2.Login(t, account(wang)), s2.Login(t, account(wang))
	barrier(t, bob, ann) // node 1 knows Wang's devices on node 2

	var r proto.CallReply
	if err := caller.Do(proto.TypeCall, proto.CallRequest{User: wang.ID, Codecs: []string{"opus"}}, &r); err != nil {
		t.Fatalf("Li, on node 1, calls Wang, on node 2: %v", err)
	}
	for _, d := range []*callstest.Client{phone, laptop} {
		var in proto.CallIncoming
		d.Next(proto.TypeCallIncoming, &in)
		if in.Call != r.Call || in.From.ID != li.ID {
			t.Fatalf("Wang's device rang with %+v, want call %d from Li", in, r.Call)
		}
	}
	var acc proto.CallAcceptReply
	if err := phone.Do(proto.TypeCallAccept, proto.CallAcceptRequest{Call: r.Call}, &acc); err != nil || acc.Peer.ID != li.ID || acc.Codec != "opus" {
		t.Fatalf("Wang answers on node 2: %+v %v", acc, err)
	}
	var accepted proto.CallAccepted
	caller.Next(proto.TypeCallAccepted, &accepted)
	if e := laptop.NextEnd(); e.Reason != proto.EndAnsweredElsewhere {
		t.Fatalf("Wang's laptop stopped ringing with %q, want %q", e.Reason, proto.EndAnsweredElsewhere)
	}

	// Audio both ways, byte for byte.
	for i := range 5 {
		want := audio(r.Call, uint16(i), "li says 你好")
		if err := caller.Send(want); err != nil {
			t.Fatal(err)
		}
		if got := received(t, phone); !bytes.Equal(got, want) {
			t.Fatalf("Wang's phone got %x, want %x", got, want)
		}
		want = audio(r.Call, uint16(i), "wang says hi")
		if err := phone.Send(want); err != nil {
			t.Fatal(err)
		}
		if got := received(t, caller); !bytes.Equal(got, want) {
			t.Fatalf("Li got %x, want %x", got, want)
		}
	}

	// Busy is known on both nodes: Chen, on node 2, calls Li, whose call
	// node 1 holds.
	barrier(t, ann, bob) // node 2 has heard node 1's news of who is busy
	c := s2.Login(t, account(chen))
	err := c.Do(proto.TypeCall, proto.CallRequest{User: li.ID, Codecs: []string{"opus"}}, nil)
	if pe, ok := errors.AsType[*proto.Error](err); !ok || pe.Code != proto.CodeBusy {
		t.Fatalf("Chen calls Li, in a call on the other node: %v, want busy", err)
	}
	err = c.Do(proto.TypeCall, proto.CallRequest{User: wang.ID, Codecs: []string{"opus"}}, nil)
	if pe, ok := errors.AsType[*proto.Error](err); !ok || pe.Code != proto.CodeBusy {
		t.Fatalf("Chen calls Wang, on his node, in a call the other node holds: %v, want busy", err)
	}

	if err := phone.Do(proto.TypeCallHangup, proto.CallHangupRequest{Call: r.Call}, nil); err != nil {
		t.Fatalf("Wang hangs up on node 2: %v", err)
	}
	if e := caller.NextEnd(); e.Reason != proto.EndHangup || e.By != wang.ID {
		t.Fatalf("Li's call ended with %+v, want hangup by Wang", e)
	}
	if e := phone.NextEnd(); e.Reason != proto.EndHangup {
		t.Fatalf("Wang's phone: %+v, want hangup", e)
	}
	// Free again, on both nodes.
	barrier(t, ann, bob)
	if err := c.Do(proto.TypeCall, proto.CallRequest{User: li.ID, Codecs: []string{"opus"}}, &r); err != nil {
		t.Fatalf("Chen calls Li after the call: %v", err)
	}
	caller.Next(proto.TypeCallIncoming, nil)
}

// A group call held by one node: members on the other are rung, join
// through their own node, hear and are heard, and see who is in it.
func TestAGroupCallCrossesNodes(t *testing.T) {
	n1, n2, _ := cluster(t)
	li, wang, chen := n1.NewUser(t, "李华"), n2.NewUser(t, "Wang"), n2.NewUser(t, "Chen")
	study := nodetest.Group(t, li, "Study", wang, chen)
	ann, bob := n1.NewUser(t, "Ann"), n2.NewUser(t, "Bob")

	s1, s2 := callstest.At(n1.URL), callstest.At(n2.URL)
	a, w, c := s1.Login(t, account(li)), s2.Login(t, account(wang)), s2.Login(t, account(chen))
	barrier(t, bob, ann)

	var started proto.GroupCallReply
	if err := a.Do(proto.TypeGroupCall, proto.GroupCallRequest{Conv: study}, &started); err != nil {
		t.Fatalf("Li starts a call in the group: %v", err)
	}
	a.Next(proto.TypeGroupCallState, nil)
	for _, d := range []*callstest.Client{w, c} {
		var in proto.CallIncoming
		d.Next(proto.TypeCallIncoming, &in)
		if in.Call != started.Call || in.Conv != study {
			t.Fatalf("a member on node 2 rang with %+v, want group call %d", in, started.Call)
		}
		d.Next(proto.TypeGroupCallState, nil)
	}
	var joined proto.GroupCallReply
	if err := w.Do(proto.TypeGroupCall, proto.GroupCallRequest{Conv: study, Call: started.Call}, &joined); err != nil {
		t.Fatalf("Wang joins through node 2: %v", err)
	}
	if joined.Call != started.Call || len(joined.Participants) != 2 {
		t.Fatalf("Wang joined %+v, want call %d with 2 people", joined, started.Call)
	}
	var st proto.GroupCallState
	for _, d := range []*callstest.Client{a, w} {
		d.Next(proto.TypeGroupCallState, &st)
		if len(st.Participants) != 2 {
			t.Fatalf("user %d sees %d people in the call, want 2", d.User.ID, len(st.Participants))
		}
	}

	want := audio(started.Call, 1, "li speaks")
	if err := a.Send(want); err != nil {
		t.Fatal(err)
	}
	gp, err := proto.ParseGroupPacket(received(t, w))
	if err != nil || int(gp.Slot) != started.Slot || string(gp.Payload) != "li speaks" {
		t.Fatalf("Wang heard %+v %v, want Li's packet from slot %d", gp, err, started.Slot)
	}
	if err := w.Send(audio(started.Call, 1, "wang speaks")); err != nil {
		t.Fatal(err)
	}
	gp, err = proto.ParseGroupPacket(received(t, a))
	if err != nil || int(gp.Slot) != joined.Slot || string(gp.Payload) != "wang speaks" {
		t.Fatalf("Li heard %+v %v, want Wang's packet from slot %d", gp, err, joined.Slot)
	}

	// Chen joins without the ring's ID: by the group, which node 2 knows
	// has its call on node 1.
	if err := c.Do(proto.TypeGroupCall, proto.GroupCallRequest{Conv: study}, &joined); err != nil || joined.Call != started.Call {
		t.Fatalf("Chen joins by the group through node 2: %+v %v, want call %d", joined, err, started.Call)
	}
	w.Next(proto.TypeGroupCallState, &st)
	if len(st.Participants) != 3 {
		t.Fatalf("Wang sees %d people in the call, want 3", len(st.Participants))
	}

	if err := w.Do(proto.TypeCallHangup, proto.CallHangupRequest{Call: started.Call}, nil); err != nil {
		t.Fatalf("Wang leaves: %v", err)
	}
	if e := w.NextEnd(); e.Reason != proto.EndHangup {
		t.Fatalf("Wang left with %+v", e)
	}
}

// A device that logs in on another node while a call to its user rings
// rings too, as one that logs in on the caller's node does.
func TestADeviceLoggingInOnAnotherNodeRings(t *testing.T) {
	n1, n2, _ := cluster(t)
	li, wang := n1.NewUser(t, "李华"), n2.NewUser(t, "Wang")
	nodetest.Group(t, li, "Study", wang)
	ann, bob := n1.NewUser(t, "Ann"), n2.NewUser(t, "Bob")
	s1, s2 := callstest.At(n1.URL), callstest.At(n2.URL)
	caller, phone := s1.Login(t, account(li)), s2.Login(t, account(wang))
	barrier(t, bob, ann)
	var r proto.CallReply
	if err := caller.Do(proto.TypeCall, proto.CallRequest{User: wang.ID, Codecs: []string{"opus"}}, &r); err != nil {
		t.Fatal(err)
	}
	phone.Next(proto.TypeCallIncoming, nil)

	laptop := s2.Login(t, account(wang))
	var in proto.CallIncoming
	laptop.Next(proto.TypeCallIncoming, &in)
	if in.Call != r.Call {
		t.Fatalf("the laptop rang with %+v, want call %d", in, r.Call)
	}
	if err := laptop.Do(proto.TypeCallDecline, proto.CallRef{Call: r.Call}, nil); err != nil {
		t.Fatalf("decline from the laptop: %v", err)
	}
	if e := caller.NextEnd(); e.Reason != proto.EndDeclined || e.By != wang.ID {
		t.Fatalf("Li's call ended with %+v, want declined by Wang", e)
	}
	if e := phone.NextEnd(); e.Reason != proto.EndDeclined {
		t.Fatalf("the phone: %+v, want declined", e)
	}
}

// BenchmarkCallAudioAcrossNodes sends an audio packet from Li to Wang in
// an answered call every 20 ms, as a call does (the server's forwarding
// limit is 100 a second), and Wang sends one back when it arrives (a
// party silent for 4 s is dropped): µs/round-trip is the mean time from
// Li's send to Wang's answer arriving, through the server(s) on
// loopback, with the two on one node of a cluster and on two nodes
// (each packet goes into the call's node over NATS, or out of it).
func BenchmarkCallAudioAcrossNodes(b *testing.B) {
	dsn, bus := servicetest.PostgreSQL(b), servicetest.StartNATS(b)
	start := func() *nodetest.Server {
		return nodetest.Start(b, nodetest.WithConfig(func(c *node.Config) { c.DB, c.NATS = dsn, bus.URL }))
	}
	n1, n2 := start(), start()
	li, wang := n1.NewUser(b, "李华"), n2.NewUser(b, "Wang")
	nodetest.Group(b, li, "Study", wang)
	ann, bob := n1.NewUser(b, "Ann"), n2.NewUser(b, "Bob")
	for _, bc := range []struct {
		name   string
		callee *nodetest.Server
	}{{"one node", n1}, {"two nodes", n2}} {
		b.Run(bc.name, func(b *testing.B) {
			caller := callstest.At(n1.URL).Login(b, account(li))
			phone := callstest.At(bc.callee.URL).Login(b, account(wang))
			barrier(b, bob, ann)
			var r proto.CallReply
			if err := caller.Do(proto.TypeCall, proto.CallRequest{User: wang.ID, Codecs: []string{"opus"}}, &r); err != nil {
				b.Fatal(err)
			}
			phone.Next(proto.TypeCallIncoming, nil)
			if err := phone.Do(proto.TypeCallAccept, proto.CallAcceptRequest{Call: r.Call}, nil); err != nil {
				b.Fatal(err)
			}
			pkt := audio(r.Call, 0, string(make([]byte, 60)))
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			var took time.Duration
			for b.Loop() {
				<-tick.C
				sent := time.Now()
				if err := caller.Send(pkt); err != nil {
					b.Fatal(err)
				}
				received(b, phone)
				if err := phone.Send(pkt); err != nil {
					b.Fatal(err)
				}
				received(b, caller)
				took += time.Since(sent)
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(float64(took.Microseconds())/float64(b.N), "µs/round-trip")
			b.StopTimer()
			if err := caller.Do(proto.TypeCallHangup, proto.CallHangupRequest{Call: r.Call}, nil); err != nil {
				b.Fatal(err)
			}
			caller.Close()
			phone.Close()
		})
	}
}
