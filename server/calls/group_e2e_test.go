package calls_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/net/proto"
	"parley/server/calls/callstest"
)

// Group calls through a real server (storage, hub, WebSockets), whose
// clock the test moves.

// crew is a group of six, each logged in on one connection.
type crew struct {
	srv     *callstest.Server
	conv    proto.ConvID
	names   []string
	clients map[string]*callstest.Client
}

func gather(t *testing.T, freezable ...string) *crew {
	t.Helper()
	s := callstest.Start(t)
	cr := &crew{srv: s, names: []string{"ann", "bob", "cat", "dan", "eve", "fay"}, clients: map[string]*callstest.Client{}}
	for _, n := range cr.names {
		a := s.Register(t, n)
		if slices.Contains(freezable, n) {
			c := s.DialFreezable(t)
			c.Login(a)
			cr.clients[n] = c
		} else {
			cr.clients[n] = s.Login(t, a)
		}
	}
	ann := cr.clients["ann"]
	var g proto.ConversationReply
	if err := ann.Do(proto.TypeCreateGroup, proto.CreateGroupRequest{Name: "crew"}, &g); err != nil {
		t.Fatal(err)
	}
	cr.conv = g.Conversation.ID
	for _, n := range cr.names[1:] {
		if err := ann.Do(proto.TypeInvite, proto.InviteRequest{User: cr.clients[n].User.ID, Group: cr.conv}, nil); err != nil {
			t.Fatalf("invite %s: %v", n, err)
		}
	}
	return cr
}

func (cr *crew) c(name string) *callstest.Client { return cr.clients[name] }

// who describes a state: "name@slot" in slot order, "ended" at the end.
func (cr *crew) who(st proto.GroupCallState) string {
	if st.Ended {
		return fmt.Sprintf("ended%v", st.Participants)
	}
	var s []string
	for _, p := range st.Participants {
		m := ""
		if p.Muted {
			m = "(muted)"
		}
		s = append(s, fmt.Sprintf("%s@%d%s", p.Name, p.Slot, m))
	}
	return strings.Join(s, " ")
}

// sees checks that each named client's next push is the call's state,
// with want.
func (cr *crew) sees(t *testing.T, id proto.CallID, want string, names ...string) {
	t.Helper()
	for _, n := range names {
		var st proto.GroupCallState
		cr.c(n).Next(proto.TypeGroupCallState, &st)
		if st.Call != id || st.Conv != cr.conv || st.StartedBy != cr.c("ann").User.ID || cr.who(st) != want {
			t.Fatalf("%s sees %+v (%s), want %s", n, st, cr.who(st), want)
		}
	}
}

// join has name join the group's call and checks its slot.
func (cr *crew) join(t *testing.T, name string, slot int) proto.GroupCallReply {
	t.Helper()
	var r proto.GroupCallReply
	if err := cr.c(name).Do(proto.TypeGroupCall, proto.GroupCallRequest{Conv: cr.conv}, &r); err != nil {
		t.Fatalf("%s: group_call: %v", name, err)
	}
	if r.Slot != slot || r.Codec != "opus" || r.Conv != cr.conv {
		t.Fatalf("%s joined with %+v, want slot %d", name, r, slot)
	}
	return r
}

// speaks has from send one packet and checks that each listener gets it
// as a group packet tagged with slot.
func (cr *crew) speaks(t *testing.T, id proto.CallID, from string, slot uint8, seq uint16, listeners ...string) {
	t.Helper()
	payload := fmt.Sprintf("%s says %d", from, seq)
	if err := cr.c(from).Send(audio(id, seq, payload)); err != nil {
		t.Fatal(err)
	}
	for _, n := range listeners {
		select {
		case b := <-cr.c(n).Packets():
			p, err := proto.ParseGroupPacket(b)
			if err != nil || p.Call != id || p.Slot != slot || p.Seq != seq || string(p.Payload) != payload {
				t.Fatalf("%s heard % x, want %q from slot %d", n, b, payload, slot)
			}
		case <-time.After(10 * time.Second): // a guard against hangs, not a timing
			t.Fatalf("%s did not hear %s", n, from)
		}
	}
}

func (cr *crew) hangup(t *testing.T, name string, id proto.CallID) {
	t.Helper()
	if err := cr.c(name).Do(proto.TypeCallHangup, proto.CallRef{Call: id}, nil); err != nil {
		t.Fatalf("%s: hangup: %v", name, err)
	}
}

func TestAGroupCallWithFourParticipantsJoiningAndLeaving(t *testing.T) {
	cr := gather(t)
	all := cr.names

	// Ann starts; every other member rings and sees the call.
	r := cr.join(t, "ann", 0)
	id := r.Call
	for _, n := range all[1:] {
		var in proto.CallIncoming
		cr.c(n).Next(proto.TypeCallIncoming, &in)
		if in.Call != id || in.Conv != cr.conv || in.From.ID != cr.c("ann").User.ID {
			t.Fatalf("%s rang with %+v", n, in)
		}
	}
	cr.sees(t, id, "ann@0", all...)

	// Bob, Cat and Dan join.
	cr.join(t, "bob", 1)
	cr.sees(t, id, "ann@0 bob@1", all...)
	cr.join(t, "cat", 2)
	cr.sees(t, id, "ann@0 bob@1 cat@2", all...)
	if d := cr.join(t, "dan", 3); d.Call != id || len(d.Participants) != 4 || d.Started != r.Started {
		t.Fatalf("dan's reply %+v", d)
	}
	cr.sees(t, id, "ann@0 bob@1 cat@2 dan@3", all...)
	if n, p := cr.srv.Metric("parley_group_calls_active"), cr.srv.Metric("parley_group_call_participants"); n != 1 || p != 4 {
		t.Fatalf("metrics: %v group calls, %v participants", n, p)
	}

	// Each one's audio reaches the three others, tagged with its slot.
	in := []string{"ann", "bob", "cat", "dan"}
	for i, n := range in {
		others := slices.DeleteFunc(slices.Clone(in), func(o string) bool { return o == n })
		cr.speaks(t, id, n, uint8(i), 1, others...)
	}
	cr.srv.Clock.Advance(3 * time.Second)

	// Bob leaves: only he gets call_end; the others go on.
	cr.hangup(t, "bob", id)
	if e := cr.c("bob").NextEnd(); e.Call != id || e.Reason != proto.EndHangup || e.DurationMs != 3000 {
		t.Fatalf("bob's end %+v", e)
	}
	cr.sees(t, id, "ann@0 cat@2 dan@3", all...)
	cr.speaks(t, id, "cat", 2, 2, "ann", "dan")

	// Eve joins late, in Bob's slot; Cat mutes.
	cr.join(t, "eve", 1)
	cr.sees(t, id, "ann@0 eve@1 cat@2 dan@3", all...)
	if err := cr.c("cat").Do(proto.TypeCallMute, proto.CallMuteRequest{Call: id, Muted: true}, nil); err != nil {
		t.Fatal(err)
	}
	cr.sees(t, id, "ann@0 eve@1 cat@2(muted) dan@3", all...)
	in = []string{"ann", "eve", "cat", "dan"}
	for i, n := range in {
		others := slices.DeleteFunc(slices.Clone(in), func(o string) bool { return o == n })
		cr.speaks(t, id, n, uint8(i), 3, others...)
	}
	cr.srv.Clock.Advance(2 * time.Second)

	// They leave one by one; the last one ends it.
	left := []string{"ann", "eve", "cat", "dan"}
	for i, n := range left {
		cr.hangup(t, n, id)
		if e := cr.c(n).NextEnd(); e.Call != id || e.Reason != proto.EndHangup {
			t.Fatalf("%s's end %+v", n, e)
		}
		if i == len(left)-1 { // Fay never answered: her phone stops ringing
			if e := cr.c("fay").NextEnd(); e.Call != id || e.Reason != proto.EndCancelled {
				t.Fatalf("fay's end %+v", e)
			}
		}
		want := map[int]string{0: "eve@1 cat@2(muted) dan@3", 1: "cat@2(muted) dan@3", 2: "dan@3", 3: "ended[]"}[i]
		cr.sees(t, id, want, all...)
	}
	if len(cr.c("fay").Packets()) != 0 {
		t.Fatal("fay, not in the call, got audio")
	}
	err := cr.c("fay").Do(proto.TypeCallDecline, proto.CallRef{Call: id}, nil)
	wantCode(t, err, proto.CodeNoSuchCall)

	// The history has one entry, from Ann, with everyone who was in it.
	var ids []proto.UserID
	for _, n := range []string{"ann", "bob", "cat", "dan", "eve"} {
		ids = append(ids, cr.c(n).User.ID)
	}
	for _, n := range []string{"fay", "bob"} {
		m := cr.callEntry(t, n)
		c := m.Call
		if m.Conv != cr.conv || m.Sender != cr.c("ann").User.ID || m.ClientID != fmt.Sprintf("call-%d", id) ||
			!c.Group || c.Caller != cr.c("ann").User.ID || c.Callee != 0 || c.Outcome != proto.CallAnswered ||
			c.Reason != proto.EndHangup || c.DurationMs != 5000 || c.Started != r.Started || !slices.Equal(c.Participants, ids) {
			t.Fatalf("%s: entry %+v %+v", n, m, c)
		}
	}
}

// callEntry waits for the next call entry among name's messages.
func (cr *crew) callEntry(t *testing.T, name string) proto.Message {
	t.Helper()
	for {
		select {
		case m := <-cr.c(name).Messages:
			if m.Kind == proto.MsgCall && m.Call != nil {
				return m
			}
		case <-time.After(30 * time.Second): // a guard against hangs, not a timing
			t.Fatalf("%s: no call entry", name)
		}
	}
}

func TestAParticipantWhoseConnectionDiesIsGoneWithinFiveSecondsAndTheOthersKeepTalking(t *testing.T) {
	cr := gather(t, "cat")
	all := cr.names
	id := cr.join(t, "ann", 0).Call
	for _, n := range all[1:] {
		cr.c(n).Next(proto.TypeCallIncoming, nil)
	}
	cr.sees(t, id, "ann@0", all...)
	for i, n := range []string{"bob", "cat"} {
		cr.join(t, n, i+1)
		cr.sees(t, id, map[int]string{0: "ann@0 bob@1", 1: "ann@0 bob@1 cat@2"}[i], all...)
	}
	cr.speaks(t, id, "cat", 2, 1, "ann", "bob")

	// Cat's network dies: no FIN, no RST. Ann and Bob go on talking, each
	// second; 4 s after her last packet Cat is out, before 5 s.
	cr.c("cat").Freeze()
	for sec := 1; sec <= 4; sec++ {
		cr.srv.Clock.Advance(time.Second)
		if sec < 4 {
			cr.speaks(t, id, "ann", 0, uint16(sec), "bob")
			cr.speaks(t, id, "bob", 1, uint16(sec), "ann")
		}
	}
	watching := slices.DeleteFunc(slices.Clone(all), func(n string) bool { return n == "cat" })
	cr.sees(t, id, "ann@0 bob@1", watching...)
	cr.speaks(t, id, "ann", 0, 9, "bob")
	cr.speaks(t, id, "bob", 1, 9, "ann")

	// Dan joins; his connection closes: gone at once.
	cr.join(t, "dan", 2)
	cr.sees(t, id, "ann@0 bob@1 dan@2", watching...)
	cr.c("dan").Close()
	watching = slices.DeleteFunc(watching, func(n string) bool { return n == "dan" })
	cr.sees(t, id, "ann@0 bob@1", watching...)
	cr.speaks(t, id, "ann", 0, 10, "bob")
	cr.speaks(t, id, "bob", 1, 10, "ann")
}

// The forwarding limit, end to end: a participant who floods has the
// excess dropped and counted; the others' audio is not touched.
func TestAFloodFromOneParticipantIsDroppedAndCounted(t *testing.T) {
	s := callstest.Start(t, callstest.FloodLimit())
	ann, bob := s.Register(t, "ann"), s.Register(t, "bob")
	annC, bobC := s.Login(t, ann), s.Login(t, bob)
	var g proto.ConversationReply
	if err := annC.Do(proto.TypeCreateGroup, proto.CreateGroupRequest{Name: "two"}, &g); err != nil {
		t.Fatal(err)
	}
	if err := annC.Do(proto.TypeInvite, proto.InviteRequest{User: bob.ID, Group: g.Conversation.ID}, nil); err != nil {
		t.Fatal(err)
	}
	var r proto.GroupCallReply
	if err := annC.Do(proto.TypeGroupCall, proto.GroupCallRequest{Conv: g.Conversation.ID}, &r); err != nil {
		t.Fatal(err)
	}
	if err := bobC.Do(proto.TypeGroupCall, proto.GroupCallRequest{Conv: g.Conversation.ID}, nil); err != nil {
		t.Fatal(err)
	}
	const flood = `parley_call_packets_dropped_total{reason="flood"}`
	for i := range 80 {
		if err := annC.Send(audio(r.Call, uint16(i), "flood")); err != nil {
			t.Fatal(err)
		}
	}
	if err := annC.Do(proto.TypePing, nil, nil); err != nil { // the packets before it are handled
		t.Fatal(err)
	}
	if got := s.Metric(flood); got != 30 {
		t.Fatalf("%s = %v, want 30 (80 sent, a burst of 50)", flood, got)
	}
	// The burst was forwarded (to Bob's queue of 8 packets: what did not
	// fit is peer_slow); his own audio reaches Ann.
	if got := s.Metric("parley_call_packets_relayed_total"); got != 50 {
		t.Fatalf("relayed %v, want the burst of 50", got)
	}
	if err := bobC.Send(audio(r.Call, 1, "bob")); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-annC.Packets():
		if p, _ := proto.ParseGroupPacket(b); string(p.Payload) != "bob" || p.Slot != 1 {
			t.Fatalf("ann got % x", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("bob's packet did not reach ann")
	}
}

// call_media works for a participant as for a 1:1 party: the audio moves
// to the fresh connection the token authorises, and its end drops the
// participant only.
func TestAGroupParticipantsAudioOnItsOwnConnection(t *testing.T) {
	cr := gather(t)
	all := cr.names
	id := cr.join(t, "ann", 0).Call
	for _, n := range all[1:] {
		cr.c(n).Next(proto.TypeCallIncoming, nil)
	}
	cr.sees(t, id, "ann@0", all...)
	cr.join(t, "bob", 1)
	cr.sees(t, id, "ann@0 bob@1", all...)

	media := cr.srv.Dial(t)
	err := media.Do(proto.TypeCallMedia, proto.CallMediaRequest{Call: id, Token: cr.c("cat").Token}, nil)
	wantCode(t, err, proto.CodeNoSuchCall) // Cat is a member, not in the call
	if err := media.Do(proto.TypeCallMedia, proto.CallMediaRequest{Call: id, Token: cr.c("bob").Token}, nil); err != nil {
		t.Fatal(err)
	}
	cr.clients["bob media"] = media
	cr.speaks(t, id, "ann", 0, 1, "bob media")
	cr.speaks(t, id, "bob media", 1, 1, "ann")
	if len(cr.c("bob").Packets()) != 0 {
		t.Fatal("audio still went to bob's main connection")
	}
	media.Close()
	if e := cr.c("bob").NextEnd(); e.Call != id || e.Reason != proto.EndDropped || e.By != cr.c("bob").User.ID {
		t.Fatalf("bob's end %+v", e)
	}
	cr.sees(t, id, "ann@0", all...)
}
