package rtc_test

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"parley/net/proto"
	"parley/net/rtcmedia"
	"parley/server/calls/callstest"
	"parley/server/node"
	"parley/server/node/nodetest"
	"parley/server/rtc"
)

// These tests run group calls through a whole server (node, hub,
// switchboard, UDP port) on the real clock: the participants are
// callstest clients on their WebSockets, which carry audio frames, and
// some of them also have a UDP leg, a pion client like the app's.

// udpNode is a server with UDP on, on 127.0.0.1.
func udpNode(t *testing.T) (*nodetest.Server, *callstest.Server) {
	t.Helper()
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) {
		c.UDP, c.UDPPublicIP = &rtc.Ports{}, "127.0.0.1"
	}))
	return srv, callstest.At(srv.URL)
}

// participant is a user on a callstest client and, in a call, its
// voice: audio packets numbered as one engine numbers them (sequence
// number +1 and timestamp +960 each), on its WebSocket or its UDP leg.
// A packet's payload is "text:seq". While in a call it also sends an
// empty packet every 100 ms on its WebSocket, as a muted client does:
// the server drops a participant silent for 4 s, and a slow machine
// must not end a test's call.
type participant struct {
	*callstest.Client
	stop func() // stops the empty packets

	mu   sync.Mutex
	call proto.CallID
	seq  uint16
}

func newParticipant(t *testing.T, cs *callstest.Server, name string) *participant {
	t.Helper()
	return &participant{Client: cs.Login(t, cs.Register(t, name)), stop: func() {}}
}

// talk starts p's voice in call id, numbering from seq.
func (p *participant) talk(t *testing.T, id proto.CallID, seq uint16) {
	p.mu.Lock()
	p.call, p.seq = id, seq
	p.mu.Unlock()
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			p.say("")
		}
	}()
	var once sync.Once
	p.stop = func() { once.Do(func() { close(stop); <-done }) }
	t.Cleanup(p.stop)
}

// packet numbers p's next packet. Call with p.mu held.
func (p *participant) packet(text string) proto.AudioPacket {
	a := proto.AudioPacket{Call: p.call, Seq: p.seq, Timestamp: uint32(p.seq) * 960}
	if text != "" {
		a.Payload = fmt.Appendf(nil, "%s:%d", text, p.seq)
	}
	p.seq++
	return a
}

// say sends p's next packet on its WebSocket.
func (p *participant) say(text string) (uint16, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.packet(text)
	return a.Seq, p.Send(proto.AppendPacket(nil, a))
}

// sayUDP sends p's next packet on its leg (until the leg's track is
// bound, nothing leaves).
func (p *participant) sayUDP(leg *peer, text string) uint16 {
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.packet(text)
	leg.up.write(rtcmedia.OpusPT, a.Seq, a.Timestamp, a.Payload)
	return a.Seq
}

// spoken reads a payload of say's: the text, and the sequence number
// the speaker gave it.
func spoken(payload []byte) (text string, seq uint16, ok bool) {
	i := strings.LastIndexByte(string(payload), ':')
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.ParseUint(string(payload[i+1:]), 10, 16)
	return string(payload[:i]), uint16(n), err == nil
}

// names describes a group call's state: "name@slot" in slot order.
func names(st proto.GroupCallState) string {
	var s []string
	for _, p := range st.Participants {
		s = append(s, fmt.Sprintf("%s@%d", p.Name, p.Slot))
	}
	if st.Ended {
		s = append(s, "ended")
	}
	return strings.Join(s, " ")
}

// seeState checks that each one's next push is call id's state, want.
func seeState(t *testing.T, id proto.CallID, want string, ps ...*participant) {
	t.Helper()
	for _, p := range ps {
		var st proto.GroupCallState
		p.Next(proto.TypeGroupCallState, &st)
		if st.Call != id || names(st) != want {
			t.Fatalf("%s sees %+v (%s), want %s", p.User.Name, st, names(st), want)
		}
	}
}

// join has p start or join group conv's call, in slot, and talk in it
// from sequence number 0, as a new engine does.
func (p *participant) join(t *testing.T, conv proto.ConvID, slot int) proto.CallID {
	t.Helper()
	var r proto.GroupCallReply
	if err := p.Do(proto.TypeGroupCall, proto.GroupCallRequest{Conv: conv}, &r); err != nil {
		t.Fatalf("%s: group_call: %v", p.User.Name, err)
	}
	if r.Slot != slot || r.Codec != "opus" {
		t.Fatalf("%s joined with %+v, want slot %d", p.User.Name, r, slot)
	}
	p.talk(t, r.Call, 0)
	return r.Call
}

// group creates owner's group with the others in it.
func group(t *testing.T, owner *participant, others ...*participant) proto.ConvID {
	t.Helper()
	var g proto.ConversationReply
	if err := owner.Do(proto.TypeCreateGroup, proto.CreateGroupRequest{Name: "crew"}, &g); err != nil {
		t.Fatal(err)
	}
	for _, o := range others {
		if err := owner.Do(proto.TypeInvite, proto.InviteRequest{User: o.User.ID, Group: g.Conversation.ID}, nil); err != nil {
			t.Fatalf("invite %s: %v", o.User.Name, err)
		}
	}
	return g.Conversation.ID
}

// offerLeg has p offer sdp for call id and returns the server's answer,
// or the error's code.
func offerLeg(p *participant, id proto.CallID, sdp string) (string, proto.Code) {
	var r proto.CallRTCOfferReply
	if err := p.Do(proto.TypeCallRTCOffer, proto.CallRTCOfferRequest{Call: id, SDP: sdp}, &r); err != nil {
		return "", proto.CodeOf(err)
	}
	return r.SDP, ""
}

// drain hands each packet waiting on p's WebSocket to f.
func drain(p *participant, f func([]byte)) {
	for {
		select {
		case b := <-p.Packets():
			f(b)
		default:
			return
		}
	}
}

// three is Bob, Cat and Ann in their group's call, in slots 0, 1 and 2,
// each on a WebSocket.
type three struct {
	srv           *nodetest.Server
	conv          proto.ConvID
	id            proto.CallID
	ann, bob, cat *participant
}

func (c *three) all() []*participant { return []*participant{c.ann, c.bob, c.cat} }

func callOfThree(t *testing.T) *three {
	t.Helper()
	srv, cs := udpNode(t)
	c := &three{srv: srv, ann: newParticipant(t, cs, "ann"), bob: newParticipant(t, cs, "bob"), cat: newParticipant(t, cs, "cat")}
	c.conv = group(t, c.ann, c.bob, c.cat)
	c.id = c.bob.join(t, c.conv, 0)
	for _, p := range []*participant{c.ann, c.cat} {
		var in proto.CallIncoming
		p.Next(proto.TypeCallIncoming, &in)
		if in.Call != c.id || in.Conv != c.conv {
			t.Fatalf("%s rang with %+v", p.User.Name, in)
		}
	}
	seeState(t, c.id, "bob@0", c.all()...)
	if c.cat.join(t, c.conv, 1) != c.id {
		t.Fatal("cat joined another call")
	}
	seeState(t, c.id, "bob@0 cat@1", c.all()...)
	if c.ann.join(t, c.conv, 2) != c.id {
		t.Fatal("ann joined another call")
	}
	seeState(t, c.id, "bob@0 cat@1 ann@2", c.all()...)
	return c
}

// dialLeg has p offer a group leg for call id, 16 m-lines as the app
// offers it, and waits until its client side is connected.
func dialLeg(t *testing.T, p *participant, id proto.CallID) *peer {
	t.Helper()
	leg, sdp := newPeer(t, rtcmedia.Slots)
	answer, code := offerLeg(p, id, sdp)
	if code != "" {
		t.Fatalf("%s's offer: %q", p.User.Name, code)
	}
	if mids, err := rtcmedia.AudioMids(answer); err != nil || len(mids) != rtcmedia.Slots {
		t.Fatalf("the answer has %d audio m-lines (%v), want %d", len(mids), err, rtcmedia.Slots)
	}
	if err := leg.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-leg.connected:
	case <-time.After(30 * time.Second): // a guard against hanging, not a timing
		t.Fatalf("%s's leg never connected", p.User.Name)
	}
	return leg
}

// Bob, Cat and Ann in a group call, in slots 0, 1 and 2; Ann's audio
// goes over UDP, the others' over their WebSockets. Each one's audio
// reaches the others on its slot (Bob's comes down to Ann on m-line 0,
// the one her audio goes up on), loss reports reach the speaker they are
// about, and when Ann's leg closes she is out of the call and the others
// go on.
func TestAGroupCallWithOneParticipantOverUDP(t *testing.T) {
	c := callOfThree(t)
	ann, bob, cat, id := c.ann, c.bob, c.cat, c.id
	leg := dialLeg(t, ann, id)

	// Bob and Cat speak on their WebSockets; Ann's leg has each on the
	// m-line of their slot, sequence number and timestamp unchanged.
	// (Until the server's side of the leg is up, they reach her
	// WebSocket: the rounds go on until the leg has them.)
	slotOf := map[string]int{"bob": 0, "cat": 1, "ann": 2}
	heard := map[string]bool{}
	until(t, "bob's and cat's audio on ann's leg", func(int) {
		for _, p := range []*participant{bob, cat} {
			if _, err := p.say(p.User.Name); err != nil {
				t.Fatal(err)
			}
		}
	}, func() bool {
		for {
			select {
			case g := <-leg.rtp:
				if len(g.p.Payload) == 0 {
					continue // someone's empty packets
				}
				who, seq, ok := spoken(g.p.Payload)
				if !ok || slotOf[who] != g.mline || who == "ann" || g.p.SequenceNumber != seq || g.p.Timestamp != uint32(seq)*960 || g.p.PayloadType != rtcmedia.OpusPT {
					t.Fatalf("ann's m-line %d got %q seq %d ts %d pt %d", g.mline, g.p.Payload, g.p.SequenceNumber, g.p.Timestamp, g.p.PayloadType)
				}
				heard[who] = true
			default:
				return heard["bob"] && heard["cat"]
			}
		}
	})

	// Ann speaks on m-line 0: Bob and Cat get group audio packets of her
	// slot. Every other round she sends an empty packet over UDP, as
	// when muted: that comes through too (it keeps her in the call).
	emptyUDP := map[uint16]bool{} // the sequence numbers of her empty packets over UDP
	got := map[string]bool{}
	until(t, "ann's UDP audio at bob and cat", func(round int) {
		if round%2 == 1 {
			emptyUDP[ann.sayUDP(leg, "")] = true
			return
		}
		ann.sayUDP(leg, "ann")
	}, func() bool {
		for _, p := range []*participant{bob, cat} {
			drain(p, func(b []byte) {
				g, err := proto.ParseGroupPacket(b)
				if err != nil || g.Slot != 2 {
					return // the other's audio
				}
				if g.Call != id || g.Timestamp != uint32(g.Seq)*960 {
					t.Fatalf("%s heard ann as %+v", p.User.Name, g)
				}
				switch who, seq, _ := spoken(g.Payload); {
				case len(g.Payload) == 0 && emptyUDP[g.Seq]:
					got[p.User.Name+" empty"] = true
				case who == "ann":
					if g.Seq != seq {
						t.Fatalf("%s heard ann as %+v", p.User.Name, g)
					}
					got[p.User.Name] = true
				}
			})
		}
		return len(got) == 4
	})

	// Ann reports loss about m-line 0's stream and m-line 1's: Bob and
	// Cat each get the one about them, as a 1:1 loss report.
	lossOf := map[string]uint8{"bob": 77, "cat": 33}
	reported := map[string]bool{}
	until(t, "ann's loss reports at bob and cat", func(int) {
		for name, loss := range lossOf {
			if err := leg.pc.WriteRTCP([]rtcp.Packet{rtcmedia.Report(leg.ssrcs[slotOf[name]].Load(), loss)}); err != nil {
				t.Fatal(err)
			}
		}
	}, func() bool {
		for _, p := range []*participant{bob, cat} {
			drain(p, func(b []byte) {
				r, err := proto.ParseReport(b)
				if err != nil {
					return // audio
				}
				if r.Call != id || r.Loss != lossOf[p.User.Name] {
					t.Fatalf("%s got the loss report %+v, want loss %d", p.User.Name, r, lossOf[p.User.Name])
				}
				reported[p.User.Name] = true
			})
		}
		return reported["bob"] && reported["cat"]
	})

	// Bob reports loss about Ann's slot: her leg gets it as RTCP naming
	// the stream she sends.
	until(t, "bob's loss report at ann's leg", func(int) {
		if err := bob.Send(proto.AppendGroupReport(nil, proto.GroupLossReport{Call: id, Slot: 2, Loss: 55})); err != nil {
			t.Fatal(err)
		}
	}, func() bool {
		for {
			select {
			case pkt := <-leg.rtcp:
				a, ok := pkt.(*rtcp.ApplicationDefined)
				if !ok || a.Name != rtcmedia.ReportName {
					continue
				}
				if a.SSRC != leg.upSSRC() || a.Data[0] != 55 {
					t.Fatalf("ann's leg got %+v, want loss 55 about SSRC %d", a, leg.upSSRC())
				}
				return true
			default:
				return false
			}
		}
	})

	// Ann's leg closes (her WebSocket stays, and still sends her empty
	// packets): she is out of the call, Bob and Cat go on.
	leg.pc.Close()
	if e := ann.NextEnd(); e.Call != id || e.Reason != proto.EndDropped || e.By != ann.User.ID {
		t.Fatalf("ann's call_end %+v, want dropped", e)
	}
	seeState(t, id, "bob@0 cat@1", c.all()...)
	if n := c.srv.Metric(t, "parley_call_udp_legs"); n != 0 {
		t.Errorf("parley_call_udp_legs = %v after ann's leg closed, want 0", n)
	}
	heardBob := false
	until(t, "bob's audio at cat after ann left", func(int) {
		if _, err := bob.say("still here"); err != nil {
			t.Fatal(err)
		}
	}, func() bool {
		drain(cat, func(b []byte) {
			if g, err := proto.ParseGroupPacket(b); err == nil && strings.HasPrefix(string(g.Payload), "still here:") {
				if g.Slot != 0 {
					t.Fatalf("cat heard bob on slot %d", g.Slot)
				}
				heardBob = true
			}
		})
		return heardBob
	})
	ann.NoPush()
}

// A group call's leg has 16 m-lines and a 1:1 call's one: an offer with
// the other number is refused, and the right one answered. Only a group
// call's participants may offer a leg for it.
func TestAnOfferMustHaveItsCallsMLinesThroughTheHub(t *testing.T) {
	_, cs := udpNode(t)
	ann, bob := newParticipant(t, cs, "ann"), newParticipant(t, cs, "bob")
	dan, eve := newParticipant(t, cs, "dan"), newParticipant(t, cs, "eve")

	id := ann.join(t, group(t, ann, bob), 0)
	_, one := newPeer(t, 1)
	_, sixteen := newPeer(t, rtcmedia.Slots)
	// Only a participant may offer: not a member whose phone rings, nor
	// someone outside the group.
	if _, code := offerLeg(bob, id, sixteen); code != proto.CodeNoSuchCall {
		t.Errorf("the offer of a member who was rung and did not join: %q, want no_such_call", code)
	}
	if _, code := offerLeg(dan, id, sixteen); code != proto.CodeNoSuchCall {
		t.Errorf("the offer of someone outside the group: %q, want no_such_call", code)
	}
	if _, code := offerLeg(ann, id, one); code != proto.CodeBadRequest {
		t.Errorf("a 1-m-line offer for a group call: %q, want bad_request", code)
	}
	if _, code := offerLeg(ann, id, sixteen); code != "" {
		t.Errorf("a 16-m-line offer for a group call: %q", code)
	}

	var ring proto.CallReply
	if err := dan.Do(proto.TypeCall, proto.CallRequest{User: eve.User.ID, Codecs: []string{"opus"}}, &ring); err != nil {
		t.Fatal(err)
	}
	if err := eve.Do(proto.TypeCallAccept, proto.CallAcceptRequest{Call: ring.Call}, nil); err != nil {
		t.Fatal(err)
	}
	dan.talk(t, ring.Call, 0)
	eve.talk(t, ring.Call, 0)
	_, one = newPeer(t, 1)
	_, sixteen = newPeer(t, rtcmedia.Slots)
	if _, code := offerLeg(dan, ring.Call, sixteen); code != proto.CodeBadRequest {
		t.Errorf("a 16-m-line offer for a 1:1 call: %q, want bad_request", code)
	}
	if _, code := offerLeg(dan, ring.Call, one); code != "" {
		t.Errorf("a 1-m-line offer for a 1:1 call: %q", code)
	}
}

// Bob and Ann both over UDP, Cat on her WebSocket: what one leg sends
// goes down the other's on the sender's slot's m-line, and Cat hears
// both.
func TestTwoParticipantsOverUDP(t *testing.T) {
	c := callOfThree(t)
	legs := map[*participant]*peer{c.ann: dialLeg(t, c.ann, c.id), c.bob: dialLeg(t, c.bob, c.id)}
	slotOf := map[string]int{"bob": 0, "ann": 2}
	heard := map[string]bool{} // "listener<-speaker"
	until(t, "ann's and bob's UDP audio at each other and at cat", func(int) {
		for p, leg := range legs {
			p.sayUDP(leg, p.User.Name)
		}
	}, func() bool {
		for p, leg := range legs {
			listener := p.User.Name
		next:
			for {
				select {
				case g := <-leg.rtp:
					if len(g.p.Payload) == 0 {
						continue // empty packets
					}
					who, seq, ok := spoken(g.p.Payload)
					if _, known := slotOf[who]; !ok || !known || who == listener || g.mline != slotOf[who] || g.p.SequenceNumber != seq || g.p.Timestamp != uint32(seq)*960 {
						t.Fatalf("%s's m-line %d got %q seq %d ts %d", listener, g.mline, g.p.Payload, g.p.SequenceNumber, g.p.Timestamp)
					}
					heard[listener+"<-"+who] = true
				default:
					break next
				}
			}
		}
		drain(c.cat, func(b []byte) {
			g, err := proto.ParseGroupPacket(b)
			if err != nil || len(g.Payload) == 0 {
				return
			}
			who, _, _ := spoken(g.Payload)
			if g.Call != c.id || int(g.Slot) != slotOf[who] {
				t.Fatalf("cat heard %q on slot %d", g.Payload, g.Slot)
			}
			heard["cat<-"+who] = true
		})
		return len(heard) == 4
	})
}

// Someone else takes a slot, or its speaker comes back with a new
// engine numbering from 0: a listener on UDP hears the new voice at
// once. (The server's stream on that m-line goes on from the last
// sequence number it sent, with the new speaker's spacing: an SRTP
// receiver drops numbers it has passed as replays, which would silence
// the newcomer for as long as the one before had talked.)
func TestASlotTakenOverIsHeardOverUDP(t *testing.T) {
	c := callOfThree(t)
	ann, id := c.ann, c.id
	leg := dialLeg(t, c.bob, id)
	// Ann has talked for 400 s.
	ann.mu.Lock()
	ann.seq += 20_000
	ann.mu.Unlock()
	var last uint16 // the last of ann's numbers bob's leg had on m-line 2
	heard := false
	until(t, "ann's audio at bob's leg", func(int) {
		if _, err := ann.say("ann"); err != nil {
			t.Fatal(err)
		}
	}, func() bool {
		for {
			select {
			case g := <-leg.rtp:
				if who, seq, _ := spoken(g.p.Payload); who == "ann" {
					if g.mline != 2 || g.p.SequenceNumber != seq {
						t.Fatalf("bob's m-line %d got %q seq %d", g.mline, g.p.Payload, g.p.SequenceNumber)
					}
					last, heard = seq, true
				}
			default:
				return heard
			}
		}
	})

	ann.stop()
	if err := ann.Do(proto.TypeCallHangup, proto.CallHangupRequest{Call: id}, nil); err != nil {
		t.Fatal(err)
	}
	if e := ann.NextEnd(); e.Reason != proto.EndHangup {
		t.Fatalf("ann's call_end %+v, want hangup", e)
	}
	seeState(t, id, "bob@0 cat@1", c.all()...)
	if ann.join(t, c.conv, 2) != id {
		t.Fatal("ann joined another call")
	}
	seeState(t, id, "bob@0 cat@1 ann@2", c.all()...)

	var shift *uint16
	heard = false
	until(t, "ann's new voice at bob's leg", func(int) {
		if _, err := ann.say("again"); err != nil {
			t.Fatal(err)
		}
	}, func() bool {
		for {
			select {
			case g := <-leg.rtp:
				who, seq, _ := spoken(g.p.Payload)
				if who != "again" {
					continue
				}
				out := g.p.SequenceNumber
				if g.mline != 2 || int16(out-last) <= 0 || g.p.Timestamp != uint32(seq)*960 {
					t.Fatalf("bob's m-line %d got %q seq %d ts %d after seq %d", g.mline, g.p.Payload, out, g.p.Timestamp, last)
				}
				if d := out - seq; shift == nil {
					shift = &d
				} else if d != *shift {
					t.Fatalf("ann's %d came as %d, her earlier ones shifted by %d", seq, out, *shift)
				}
				heard = true
			default:
				return heard
			}
		}
	})
}
