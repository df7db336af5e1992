package rtc_test

import (
	"fmt"
	"strconv"
	"strings"
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

// These tests run a group call through a whole server (node, hub,
// switchboard, UDP port) on the real clock: the participants are
// callstest clients on their WebSockets, which carry audio frames, and
// one of them also has a UDP leg, a pion client like the app's.

// udpNode is a server with UDP on, on 127.0.0.1.
func udpNode(t *testing.T) (*nodetest.Server, *callstest.Server) {
	t.Helper()
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) {
		c.UDP, c.UDPPublicIP = &rtc.Ports{}, "127.0.0.1"
	}))
	return srv, callstest.At(srv.URL)
}

// talking keeps c's user heard in call id, as a muted client is: an empty
// audio packet every 100 ms on its WebSocket, until the test ends. (The
// server drops a participant silent for 4 s; a slow machine must not end
// the test's call.) Receivers skip empty payloads.
func talking(t *testing.T, c *callstest.Client, id proto.CallID) {
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for seq := uint16(0); ; seq++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			c.Send(proto.AppendPacket(nil, proto.AudioPacket{Call: id, Seq: seq}))
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
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

// seeState checks that each client's next push is call id's state, want.
func seeState(t *testing.T, id proto.CallID, want string, cs ...*callstest.Client) {
	t.Helper()
	for _, c := range cs {
		var st proto.GroupCallState
		c.Next(proto.TypeGroupCallState, &st)
		if st.Call != id || names(st) != want {
			t.Fatalf("%s sees %+v (%s), want %s", c.User.Name, st, names(st), want)
		}
	}
}

// joinGroupCall has c start or join group conv's call, in slot, and keeps
// it talking.
func joinGroupCall(t *testing.T, c *callstest.Client, conv proto.ConvID, slot int) proto.CallID {
	t.Helper()
	var r proto.GroupCallReply
	if err := c.Do(proto.TypeGroupCall, proto.GroupCallRequest{Conv: conv}, &r); err != nil {
		t.Fatalf("%s: group_call: %v", c.User.Name, err)
	}
	if r.Slot != slot || r.Codec != "opus" {
		t.Fatalf("%s joined with %+v, want slot %d", c.User.Name, r, slot)
	}
	talking(t, c, r.Call)
	return r.Call
}

// group creates owner's group with the others in it.
func group(t *testing.T, owner *callstest.Client, others ...*callstest.Client) proto.ConvID {
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

// offerLeg has c offer sdp for call id and returns the server's answer,
// or the error's code.
func offerLeg(c *callstest.Client, id proto.CallID, sdp string) (string, proto.Code) {
	var r proto.CallRTCOfferReply
	if err := c.Do(proto.TypeCallRTCOffer, proto.CallRTCOfferRequest{Call: id, SDP: sdp}, &r); err != nil {
		return "", proto.CodeOf(err)
	}
	return r.SDP, ""
}

// drain hands each packet waiting on c to f.
func drain(c *callstest.Client, f func([]byte)) {
	for {
		select {
		case b := <-c.Packets():
			f(b)
		default:
			return
		}
	}
}

// Bob, Cat and Ann in a group call, in slots 0, 1 and 2; Ann's audio
// goes over UDP, the others' over their WebSockets. Each one's audio
// reaches the others on its slot (Bob's comes down to Ann on m-line 0,
// the one her audio goes up on), loss reports reach the speaker they are
// about, and when Ann's leg closes she is out of the call and the others
// go on.
// callOfThree is Bob, Cat and Ann in their group's call, in slots 0, 1
// and 2, each on a WebSocket (and keeping it talking).
func callOfThree(t *testing.T) (srv *nodetest.Server, id proto.CallID, ann, bob, cat *callstest.Client) {
	t.Helper()
	srv, cs := udpNode(t)
	ann = cs.Login(t, cs.Register(t, "ann"))
	bob = cs.Login(t, cs.Register(t, "bob"))
	cat = cs.Login(t, cs.Register(t, "cat"))
	conv := group(t, ann, bob, cat)
	all := []*callstest.Client{ann, bob, cat}

	id = joinGroupCall(t, bob, conv, 0)
	for _, c := range []*callstest.Client{ann, cat} {
		var in proto.CallIncoming
		c.Next(proto.TypeCallIncoming, &in)
		if in.Call != id || in.Conv != conv {
			t.Fatalf("%s rang with %+v", c.User.Name, in)
		}
	}
	seeState(t, id, "bob@0", all...)
	if joinGroupCall(t, cat, conv, 1) != id {
		t.Fatal("cat joined another call")
	}
	seeState(t, id, "bob@0 cat@1", all...)
	if joinGroupCall(t, ann, conv, 2) != id {
		t.Fatal("ann joined another call")
	}
	seeState(t, id, "bob@0 cat@1 ann@2", all...)
	return srv, id, ann, bob, cat
}

// dialLeg has c offer a group leg for call id, 16 m-lines as the app
// offers it, and waits until its client side is connected.
func dialLeg(t *testing.T, c *callstest.Client, id proto.CallID) *peer {
	t.Helper()
	p, sdp := newPeer(t, rtcmedia.Slots)
	answer, code := offerLeg(c, id, sdp)
	if code != "" {
		t.Fatalf("%s's offer: %q", c.User.Name, code)
	}
	if mids, err := rtcmedia.AudioMids(answer); err != nil || len(mids) != rtcmedia.Slots {
		t.Fatalf("the answer has %d audio m-lines (%v), want %d", len(mids), err, rtcmedia.Slots)
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.connected:
	case <-time.After(30 * time.Second): // a guard against hanging, not a timing
		t.Fatalf("%s's leg never connected", c.User.Name)
	}
	return p
}

func TestAGroupCallWithOneParticipantOverUDP(t *testing.T) {
	srv, id, ann, bob, cat := callOfThree(t)
	all := []*callstest.Client{ann, bob, cat}
	p := dialLeg(t, ann, id)

	// Bob and Cat speak on their WebSockets; Ann's leg has each on the
	// m-line of their slot, sequence number and timestamp unchanged.
	// (Until the server's side of the leg is up, they reach her
	// WebSocket: the rounds go on until the leg has them.)
	speakers := map[int]*callstest.Client{0: bob, 1: cat}
	heard := map[int]bool{}
	until(t, "bob's and cat's audio on ann's leg", func(round int) {
		for slot, c := range speakers {
			pkt := proto.AppendPacket(nil, proto.AudioPacket{
				Call: id, Seq: uint16(round), Timestamp: uint32(round) * 960, Payload: fmt.Appendf(nil, "%d:%d", slot, round),
			})
			if err := c.Send(pkt); err != nil {
				t.Fatal(err)
			}
		}
	}, func() bool {
		for {
			select {
			case g := <-p.rtp:
				if len(g.p.Payload) == 0 {
					continue // someone's keepalive
				}
				var slot, round int
				if _, err := fmt.Sscanf(string(g.p.Payload), "%d:%d", &slot, &round); err != nil || slot != g.mline ||
					g.p.SequenceNumber != uint16(round) || g.p.Timestamp != uint32(round)*960 || g.p.PayloadType != rtcmedia.OpusPT {
					t.Fatalf("ann's m-line %d got %q seq %d ts %d pt %d", g.mline, g.p.Payload, g.p.SequenceNumber, g.p.Timestamp, g.p.PayloadType)
				}
				heard[slot] = true
			default:
				return heard[0] && heard[1]
			}
		}
	})

	// Ann speaks on m-line 0: Bob and Cat get group audio packets of her
	// slot. Every other round she sends an empty packet, as when muted:
	// that comes through too (it keeps her in the call).
	got := map[string]bool{}
	gotEmpty := map[string]bool{}
	until(t, "ann's UDP audio at bob and cat", func(round int) {
		if round%2 == 1 {
			p.up.write(rtcmedia.OpusPT, uint16(9000+round), uint32(round)*960, nil)
			return
		}
		p.up.write(rtcmedia.OpusPT, uint16(5000+round), uint32(round)*960, fmt.Appendf(nil, "ann:%d", round))
	}, func() bool {
		for _, c := range []*callstest.Client{bob, cat} {
			drain(c, func(b []byte) {
				g, err := proto.ParseGroupPacket(b)
				if err == nil && len(g.Payload) == 0 && g.Seq >= 9000 { // ann's keepalives on her WebSocket count from 0
					if g.Call != id || g.Slot != 2 || g.Timestamp != uint32(g.Seq-9000)*960 {
						t.Fatalf("%s heard ann's empty packet as %+v", c.User.Name, g)
					}
					gotEmpty[c.User.Name] = true
				}
				if err != nil || !strings.HasPrefix(string(g.Payload), "ann:") {
					return // the other's audio of before, or a keepalive
				}
				var round int
				fmt.Sscanf(string(g.Payload), "ann:%d", &round)
				if g.Call != id || g.Slot != 2 || g.Seq != uint16(5000+round) || g.Timestamp != uint32(round)*960 {
					t.Fatalf("%s heard ann as %+v", c.User.Name, g)
				}
				got[c.User.Name] = true
			})
		}
		return got["bob"] && got["cat"] && gotEmpty["bob"] && gotEmpty["cat"]
	})

	// Ann reports loss about m-line 0's stream and m-line 1's: Bob and
	// Cat each get the one about them, as a 1:1 loss report.
	lossOf := map[string]uint8{"bob": 77, "cat": 33}
	reported := map[string]bool{}
	until(t, "ann's loss reports at bob and cat", func(int) {
		for slot, c := range speakers {
			if err := p.pc.WriteRTCP([]rtcp.Packet{rtcmedia.Report(p.ssrcs[slot].Load(), lossOf[c.User.Name])}); err != nil {
				t.Fatal(err)
			}
		}
	}, func() bool {
		for _, c := range []*callstest.Client{bob, cat} {
			drain(c, func(b []byte) {
				r, err := proto.ParseReport(b)
				if err != nil {
					return // audio
				}
				if r.Call != id || r.Loss != lossOf[c.User.Name] {
					t.Fatalf("%s got the loss report %+v, want loss %d", c.User.Name, r, lossOf[c.User.Name])
				}
				reported[c.User.Name] = true
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
			case pkt := <-p.rtcp:
				a, ok := pkt.(*rtcp.ApplicationDefined)
				if !ok || a.Name != rtcmedia.ReportName {
					continue
				}
				if a.SSRC != p.upSSRC() || a.Data[0] != 55 {
					t.Fatalf("ann's leg got %+v, want loss 55 about SSRC %d", a, p.upSSRC())
				}
				return true
			default:
				return false
			}
		}
	})

	// Ann's leg closes (her WebSocket stays, and still sends her
	// keepalives): she is out of the call, Bob and Cat go on.
	p.pc.Close()
	if e := ann.NextEnd(); e.Call != id || e.Reason != proto.EndDropped || e.By != ann.User.ID {
		t.Fatalf("ann's call_end %+v, want dropped", e)
	}
	seeState(t, id, "bob@0 cat@1", all...)
	if n := srv.Metric(t, "parley_call_udp_legs"); n != 0 {
		t.Errorf("parley_call_udp_legs = %v after ann's leg closed, want 0", n)
	}
	heardBob := false
	until(t, "bob's audio at cat after ann left", func(round int) {
		if err := bob.Send(proto.AppendPacket(nil, proto.AudioPacket{Call: id, Seq: uint16(round), Payload: []byte("still here")})); err != nil {
			t.Fatal(err)
		}
	}, func() bool {
		drain(cat, func(b []byte) {
			if g, err := proto.ParseGroupPacket(b); err == nil && string(g.Payload) == "still here" {
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
	ann := cs.Login(t, cs.Register(t, "ann"))
	dan := cs.Login(t, cs.Register(t, "dan"))
	eve := cs.Login(t, cs.Register(t, "eve"))

	bob := cs.Login(t, cs.Register(t, "bob"))
	id := joinGroupCall(t, ann, group(t, ann, bob), 0)
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
	talking(t, dan, ring.Call)
	talking(t, eve, ring.Call)
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
	_, id, ann, bob, cat := callOfThree(t)
	pa, pb := dialLeg(t, ann, id), dialLeg(t, bob, id)
	legs := map[string]*peer{"ann": pa, "bob": pb}
	slotOf := map[string]int{"bob": 0, "ann": 2}
	heard := map[string]bool{} // "listener<-speaker"
	until(t, "ann's and bob's UDP audio at each other and at cat", func(round int) {
		for name, p := range legs {
			p.up.write(rtcmedia.OpusPT, uint16(round), uint32(round)*960, fmt.Appendf(nil, "%s:%d", name, round))
		}
	}, func() bool {
		for listener, p := range legs {
		next:
			for {
				select {
				case g := <-p.rtp:
					speaker, r, _ := strings.Cut(string(g.p.Payload), ":")
					round, err := strconv.Atoi(r)
					if len(g.p.Payload) == 0 {
						continue // cat's keepalives
					}
					if _, known := slotOf[speaker]; !known || err != nil {
						t.Fatalf("%s's m-line %d got %q", listener, g.mline, g.p.Payload)
					}
					if speaker == listener || g.mline != slotOf[speaker] || g.p.SequenceNumber != uint16(round) || g.p.Timestamp != uint32(round)*960 {
						t.Fatalf("%s's m-line %d got %q seq %d ts %d", listener, g.mline, g.p.Payload, g.p.SequenceNumber, g.p.Timestamp)
					}
					heard[listener+"<-"+speaker] = true
				default:
					break next
				}
			}
		}
		drain(cat, func(b []byte) {
			g, err := proto.ParseGroupPacket(b)
			if err != nil || len(g.Payload) == 0 {
				return
			}
			speaker, _, _ := strings.Cut(string(g.Payload), ":")
			if g.Call != id || int(g.Slot) != slotOf[speaker] {
				t.Fatalf("cat heard %q on slot %d", g.Payload, g.Slot)
			}
			heard["cat<-"+speaker] = true
		})
		return len(heard) == 4
	})
}
