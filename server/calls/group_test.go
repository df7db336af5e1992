package calls

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"parley/net/proto"
)

// gboard is a switchboard and a group of five: Ann (one device), Bob
// (phone and laptop), Cat, Dan (one device each) and Eve (offline); and
// Out, who is not in the group.
type gboard struct {
	t                  *testing.T
	s                  *Service
	clk                *clock
	dir                fakeDir
	conv               proto.ConvID
	ann, bob, cat, dan proto.User
	eve, out           proto.User
	annC, bobPhone     *fakeConn
	bobLaptop, catC    *fakeConn
	danC, outC         *fakeConn
	ended              []Ended
}

func newGBoard(t *testing.T) *gboard {
	g := &gboard{
		t: t, clk: &clock{t: time.Unix(1_800_000_000, 0)}, conv: 274019385,
		ann: proto.User{ID: 11, Name: "Ann"}, bob: proto.User{ID: 12, Name: "Bob"}, cat: proto.User{ID: 13, Name: "Cat"},
		dan: proto.User{ID: 14, Name: "Dan"}, eve: proto.User{ID: 15, Name: "Eve"}, out: proto.User{ID: 99, Name: "Out"},
		annC: &fakeConn{name: "ann"}, bobPhone: &fakeConn{name: "bob phone"}, bobLaptop: &fakeConn{name: "bob laptop"},
		catC: &fakeConn{name: "cat"}, danC: &fakeConn{name: "dan"}, outC: &fakeConn{name: "out"},
	}
	g.dir = fakeDir{
		g.ann.ID: {g.annC}, g.bob.ID: {g.bobPhone, g.bobLaptop}, g.cat.ID: {g.catC}, g.dan.ID: {g.danC}, g.out.ID: {g.outC},
	}
	g.s = New(Config{Devices: g.dir, Now: g.clk.now, Sweep: -1, OnEnded: func(e Ended) { g.ended = append(g.ended, e) }})
	return g
}

func (g *gboard) members() []proto.UserID {
	return []proto.UserID{g.ann.ID, g.bob.ID, g.cat.ID, g.dan.ID, g.eve.ID}
}

func (g *gboard) all() []*fakeConn {
	return []*fakeConn{g.annC, g.bobPhone, g.bobLaptop, g.catC, g.danC, g.outC}
}

// join has u join (or start) the group's call on c.
func (g *gboard) join(c *fakeConn, u proto.User) proto.GroupCallReply {
	g.t.Helper()
	r, err := g.s.GroupCall(c, u, g.conv, false, g.members())
	if err != nil {
		g.t.Fatalf("%s: group_call: %v", c.name, err)
	}
	if r.Conv != g.conv || r.Codec != "opus" || r.Call == 0 {
		g.t.Fatalf("group_call reply %+v", r)
	}
	return r
}

// start has Ann start the call and checks that the others ring.
func (g *gboard) start() proto.CallID {
	g.t.Helper()
	r := g.join(g.annC, g.ann)
	if r.Slot != 0 || r.Started != g.clk.t.UnixMilli() || len(r.Participants) != 1 || r.Participants[0] != (proto.CallParticipant{ID: g.ann.ID, Name: "Ann"}) {
		g.t.Fatalf("start reply %+v", r)
	}
	for _, d := range []*fakeConn{g.bobPhone, g.bobLaptop, g.catC, g.danC} {
		ps := d.take()
		if len(ps) != 2 || ps[0].Type != proto.TypeCallIncoming || ps[1].Type != proto.TypeGroupCallState {
			g.t.Fatalf("%s got %v, want call_incoming and group_call_state", d.name, types(ps))
		}
		var in proto.CallIncoming
		decodeBody(g.t, ps[0], &in)
		if in.Call != r.Call || in.From != g.ann || in.Conv != g.conv || !slices.Equal(in.Codecs, []string{"opus"}) {
			g.t.Fatalf("%s rang with %+v", d.name, in)
		}
	}
	g.stateIs(g.annC, r.Call, "11@0")
	quiet(g.t, g.outC)
	return r.Call
}

// left checks that c got a call_end with reason and by, then (as a
// member of the group) the call's new state.
func left(t *testing.T, c *fakeConn, id proto.CallID, reason string, by proto.UserID) {
	t.Helper()
	ps := c.take()
	if len(ps) < 2 || ps[0].Type != proto.TypeCallEnd || ps[len(ps)-1].Type != proto.TypeGroupCallState {
		t.Fatalf("%s got %v, want call_end then group_call_state", c.name, types(ps))
	}
	var e proto.CallEnd
	decodeBody(t, ps[0], &e)
	if e.Call != id || e.Reason != reason || e.By != by {
		t.Fatalf("%s: call_end %+v, want call %d reason %s by %d", c.name, e, id, reason, by)
	}
}

func decodeBody(t *testing.T, f proto.Frame, v any) {
	t.Helper()
	if err := json.Unmarshal(f.Body, v); err != nil {
		t.Fatal(err)
	}
}

// stateIs checks that c's pushes are group_call_state only and that the
// last one lists want: "user@slot" in slot order ("11@0 12@1m" for muted;
// "ended" for the end).
func (g *gboard) stateIs(c *fakeConn, id proto.CallID, want string) proto.GroupCallState {
	g.t.Helper()
	ps := c.take()
	if len(ps) == 0 {
		g.t.Fatalf("%s got no group_call_state", c.name)
	}
	var st proto.GroupCallState
	for _, p := range ps {
		if p.Type != proto.TypeGroupCallState {
			g.t.Fatalf("%s got %v, want group_call_state only", c.name, types(ps))
		}
		decodeBody(g.t, p, &st)
	}
	if got := describe(st); st.Call != id || st.Conv != g.conv || st.StartedBy != g.ann.ID || got != want {
		g.t.Fatalf("%s: state %+v (%s), want call %d %s", c.name, st, got, id, want)
	}
	return st
}

func describe(st proto.GroupCallState) string {
	if st.Ended {
		if len(st.Participants) != 0 {
			return "ended with people"
		}
		return "ended"
	}
	var s []string
	for _, p := range st.Participants {
		m := ""
		if p.Muted {
			m = "m"
		}
		s = append(s, fmt.Sprintf("%d@%d%s", p.ID, p.Slot, m))
	}
	return fmt.Sprint(s)[1 : len(fmt.Sprint(s))-1]
}

// statesAre checks stateIs on every connection given.
func (g *gboard) statesAre(id proto.CallID, want string, cs ...*fakeConn) {
	g.t.Helper()
	for _, c := range cs {
		g.stateIs(c, id, want)
	}
}

func gpacket(id proto.CallID, seq uint16) []byte {
	return proto.AppendPacket(nil, proto.AudioPacket{Call: id, Seq: seq, Timestamp: uint32(seq) * 960, Payload: []byte{byte(seq), 2, 3}})
}

func TestGroupCallStartJoinLeaveAndSlots(t *testing.T) {
	g := newGBoard(t)
	id := g.start()

	// Bob joins on his laptop: slot 1; his phone stops ringing.
	g.clk.advance(time.Second)
	r := g.join(g.bobLaptop, g.bob)
	if r.Call != id || r.Slot != 1 || r.Started != g.clk.t.Add(-time.Second).UnixMilli() || len(r.Participants) != 2 {
		t.Fatalf("join reply %+v", r)
	}
	ps := g.bobPhone.take()
	if len(ps) != 2 || ps[0].Type != proto.TypeCallEnd || ps[1].Type != proto.TypeGroupCallState {
		t.Fatalf("bob's phone got %v", types(ps))
	}
	var e proto.CallEnd
	decodeBody(t, ps[0], &e)
	if e.Call != id || e.Reason != proto.EndAnsweredElsewhere || e.By != g.bob.ID {
		t.Fatalf("bob's phone: %+v", e)
	}
	g.statesAre(id, "11@0 12@1", g.annC, g.bobLaptop, g.catC, g.danC)
	// Cat joins muted: slot 2.
	if r, err := g.s.GroupCall(g.catC, g.cat, g.conv, true, g.members()); err != nil || r.Slot != 2 {
		t.Fatalf("cat joins: %+v %v", r, err)
	}
	g.statesAre(id, "11@0 12@1 13@2m", g.annC, g.bobPhone, g.bobLaptop, g.catC, g.danC)

	// Nobody is in two calls, on any device, 1:1 or group.
	_, err := g.s.GroupCall(g.annC, g.ann, g.conv, false, g.members())
	code(t, err, proto.CodeInCall)
	_, err = g.s.GroupCall(g.bobPhone, g.bob, g.conv, false, g.members())
	code(t, err, proto.CodeInCall)
	_, err = g.s.Call(g.outC, g.out, g.ann, nil)
	code(t, err, proto.CodeBusy)
	_, err = g.s.Call(g.bobPhone, g.bob, g.out, nil)
	code(t, err, proto.CodeInCall)
	if !g.s.InCall(g.cat.ID) {
		t.Fatal("cat is in a call")
	}

	// Bob hangs up: only his connection is told; slot 1 is free, and Dan
	// gets it.
	g.clk.advance(2 * time.Second)
	if err := g.s.Hangup(g.bobPhone, g.bob.ID, id, ""); err != nil {
		t.Fatal(err)
	}
	ps = g.bobLaptop.take()
	if len(ps) != 2 || ps[0].Type != proto.TypeCallEnd {
		t.Fatalf("bob's laptop got %v", types(ps))
	}
	decodeBody(t, ps[0], &e)
	if e.Reason != proto.EndHangup || e.By != g.bob.ID || e.DurationMs != 2000 {
		t.Fatalf("bob's end %+v", e)
	}
	g.statesAre(id, "11@0 13@2m", g.annC, g.bobPhone, g.catC, g.danC)
	if r := g.join(g.danC, g.dan); r.Slot != 1 {
		t.Fatalf("dan got slot %d, want the free 1", r.Slot)
	}
	g.statesAre(id, "11@0 14@1 13@2m", g.annC, g.bobPhone, g.bobLaptop, g.catC, g.danC)
	if r := g.join(g.bobPhone, g.bob); r.Slot != 3 {
		t.Fatalf("bob back on his phone got slot %d, want 3", r.Slot)
	}
	g.statesAre(id, "11@0 14@1 13@2m 12@3", g.annC, g.bobPhone, g.bobLaptop, g.catC, g.danC)
	err = g.s.Hangup(g.outC, g.out.ID, id, "")
	code(t, err, proto.CodeNoSuchCall)

	// Everyone leaves; the last one ends it, and the group is told.
	for _, p := range []struct {
		c *fakeConn
		u proto.User
	}{{g.annC, g.ann}, {g.danC, g.dan}, {g.bobPhone, g.bob}} {
		if err := g.s.Hangup(p.c, p.u.ID, id, ""); err != nil {
			t.Fatal(err)
		}
	}
	g.clk.advance(time.Second)
	if err := g.s.Hangup(g.catC, g.cat.ID, id, proto.EndNoAudio); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*fakeConn{g.annC, g.bobPhone, g.bobLaptop, g.catC, g.danC} {
		ps := c.take()
		var last proto.GroupCallState
		decodeBody(t, ps[len(ps)-1], &last)
		if !last.Ended || len(last.Participants) != 0 || !strings.Contains(string(ps[len(ps)-1].Body), `"participants":[]`) {
			t.Fatalf("%s: last push %s", c.name, ps[len(ps)-1].Body)
		}
	}
	if g.s.InCall(g.ann.ID) || len(g.s.gByConn) != 0 || len(g.s.gByID) != 0 || len(g.s.gByConv) != 0 {
		t.Fatal("state left after the call")
	}
	want := Ended{ID: id, Caller: g.ann, Reason: proto.EndNoAudio, By: g.cat.ID, Answered: true, DurationMs: 4000,
		Group: true, Conv: g.conv, Started: 1_800_000_000_000, Participants: []proto.UserID{g.ann.ID, g.bob.ID, g.cat.ID, g.dan.ID}}
	if len(g.ended) != 1 || !reflect.DeepEqual(g.ended[0], want) {
		t.Fatalf("ended %+v, want %+v", g.ended, want)
	}
	entry := g.ended[0].Entry()
	if entry.Outcome != proto.CallAnswered || !entry.Group || entry.Callee != 0 || entry.DurationMs != 4000 || len(entry.Participants) != 4 {
		t.Fatalf("entry %+v", entry)
	}
	// A new call can start at once.
	g.start()
}

func TestGroupCallIsFullAtSixteen(t *testing.T) {
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	dir := fakeDir{}
	var members []proto.UserID
	for u := proto.UserID(1); u <= proto.MaxGroupCall+1; u++ {
		members = append(members, u)
	}
	s := New(Config{Devices: dir, Now: clk.now, Sweep: -1})
	conns := map[proto.UserID]*fakeConn{}
	for _, u := range members {
		conns[u] = &fakeConn{name: fmt.Sprint(u)}
		r, err := s.GroupCall(conns[u], proto.User{ID: u}, 7, false, members)
		if u > proto.MaxGroupCall {
			code(t, err, proto.CodeCallFull)
			continue
		}
		if err != nil || r.Slot != int(u-1) {
			t.Fatalf("user %d: %+v %v", u, r, err)
		}
	}
	// One leaves; the seventeenth gets the free slot.
	if err := s.Hangup(conns[5], 5, s.gByConv[7].id, ""); err != nil {
		t.Fatal(err)
	}
	if r, err := s.GroupCall(conns[17], proto.User{ID: 17}, 7, false, members); err != nil || r.Slot != 4 {
		t.Fatalf("after a leave: %+v %v", r, err)
	}
}

func TestGroupRingingDeclineNoAnswerAndCancel(t *testing.T) {
	g := newGBoard(t)
	// Cat is in a 1:1 call with Out: she is not rung.
	if _, err := g.s.Call(g.catC, g.cat, g.out, nil); err != nil {
		t.Fatal(err)
	}
	g.outC.take()
	r := g.join(g.annC, g.ann)
	id := r.Call
	if ps := g.catC.take(); len(ps) != 1 || ps[0].Type != proto.TypeGroupCallState {
		t.Fatalf("cat, in a call, got %v", types(ps))
	}
	g.annC.take()
	for _, d := range []*fakeConn{g.bobPhone, g.bobLaptop, g.danC} {
		if ps := d.take(); len(ps) != 2 || ps[0].Type != proto.TypeCallIncoming {
			t.Fatalf("%s got %v", d.name, types(ps))
		}
	}

	// Bob declines on his phone: both his devices stop; the call goes on.
	if err := g.s.Decline(g.bobPhone, g.bob.ID, id); err != nil {
		t.Fatal(err)
	}
	ends(t, g.bobPhone, id, proto.EndDeclined, g.bob.ID)
	ends(t, g.bobLaptop, id, proto.EndDeclined, g.bob.ID)
	quiet(g.t, g.annC, g.danC)
	code(t, g.s.Decline(g.bobPhone, g.bob.ID, id), proto.CodeNoSuchCall)
	code(t, g.s.Decline(g.outC, g.out.ID, id), proto.CodeNoSuchCall)

	// Dan's phone rings 30 s, then stops: no_answer.
	g.clk.advance(proto.CallRingTimeout - time.Millisecond)
	g.s.Media(g.annC, gpacket(id, 1)) // Ann is alive
	if g.s.Expire(); len(g.danC.pushes) != 0 {
		t.Fatalf("dan stopped ringing early: %v", types(g.danC.take()))
	}
	g.clk.advance(time.Millisecond)
	g.s.Media(g.annC, gpacket(id, 2))
	g.s.Expire()
	ends(t, g.danC, id, proto.EndNoAnswer, g.dan.ID)
	quiet(t, g.annC)

	// A new call that ends while members ring: cancelled.
	if err := g.s.Hangup(g.annC, g.ann.ID, id, ""); err != nil {
		t.Fatal(err)
	}
	for _, c := range g.all() {
		c.take()
	}
	if g.s.InCall(g.cat.ID) { // her 1:1 call rang 30 s too: no_answer
		t.Fatal("cat is still in her 1:1 call")
	}
	g.clk.advance(time.Minute)
	id = g.start()
	// Bob joins from his laptop, then hangs up: his phone no longer rings.
	g.join(g.bobLaptop, g.bob)
	if err := g.s.Hangup(g.bobLaptop, g.bob.ID, id, ""); err != nil {
		t.Fatal(err)
	}
	for _, c := range g.all() {
		c.take()
	}
	// A ringing member's call_hangup declines.
	if err := g.s.Hangup(g.catC, g.cat.ID, id, ""); err != nil {
		t.Fatal(err)
	}
	ends(t, g.catC, id, proto.EndDeclined, g.cat.ID)
	if err := g.s.Hangup(g.annC, g.ann.ID, id, ""); err != nil {
		t.Fatal(err)
	}
	ps := g.danC.take()
	if len(ps) != 2 || ps[0].Type != proto.TypeCallEnd || ps[1].Type != proto.TypeGroupCallState {
		t.Fatalf("dan got %v, want call_end cancelled and the end's state", types(ps))
	}
	var e proto.CallEnd
	decodeBody(t, ps[0], &e)
	if e.Reason != proto.EndCancelled || e.Call != id {
		t.Fatalf("dan's end %+v", e)
	}
	for _, c := range []*fakeConn{g.bobPhone, g.bobLaptop, g.catC} {
		g.stateIs(c, id, "ended")
	}
	last := g.ended[len(g.ended)-1]
	if last.Entry().Outcome != proto.CallAnswered || !slices.Equal(last.Participants, []proto.UserID{g.ann.ID, g.bob.ID}) {
		t.Fatalf("entry %+v", last)
	}
	// Dan answers the ring a moment too late: no new call starts.
	_, err := g.s.AnswerGroupCall(g.danC, g.dan, g.conv, id, false, g.members())
	code(t, err, proto.CodeNoSuchCall)
	if g.s.InCall(g.dan.ID) {
		t.Fatal("answering a ring that is over started a call")
	}
	// Alone: missed.
	g.annC.take()
	id = g.start()
	if err := g.s.Hangup(g.annC, g.ann.ID, id, ""); err != nil {
		t.Fatal(err)
	}
	if e := g.ended[len(g.ended)-1].Entry(); e.Outcome != proto.CallMissed || e.Reason != proto.EndHangup || !slices.Equal(e.Participants, []proto.UserID{g.ann.ID}) {
		t.Fatalf("a call nobody joined: %+v", e)
	}
}

func TestGroupMute(t *testing.T) {
	g := newGBoard(t)
	id := g.start()
	g.join(g.catC, g.cat)
	g.statesAre(id, "11@0 13@1", g.annC, g.catC, g.danC)
	if err := g.s.Mute(g.cat.ID, id, true); err != nil {
		t.Fatal(err)
	}
	g.statesAre(id, "11@0 13@1m", g.annC, g.bobPhone, g.catC, g.danC)
	if err := g.s.Mute(g.cat.ID, id, true); err != nil { // no change: no push
		t.Fatal(err)
	}
	quiet(t, g.annC, g.catC)
	code(t, g.s.Mute(g.dan.ID, id, true), proto.CodeNoSuchCall)
	code(t, g.s.Mute(g.cat.ID, id+1, true), proto.CodeNoSuchCall)
	if err := g.s.Mute(g.cat.ID, id, false); err != nil {
		t.Fatal(err)
	}
	g.statesAre(id, "11@0 13@1", g.annC, g.catC)
}

// inCall has Ann start and Bob (laptop) and Cat join, and clears pushes.
func (g *gboard) inCall() proto.CallID {
	g.t.Helper()
	id := g.start()
	g.join(g.bobLaptop, g.bob)
	g.join(g.catC, g.cat)
	for _, c := range g.all() {
		c.take()
	}
	return id
}

func TestGroupAudioIsForwardedOnceToEveryOtherParticipant(t *testing.T) {
	g := newGBoard(t)
	id := g.inCall()
	pkt := gpacket(id, 7)
	if r := g.s.Media(g.annC, pkt); r != Relayed {
		t.Fatalf("ann's packet: %v", r)
	}
	want := proto.AppendGroupPacket(nil, proto.GroupAudioPacket{AudioPacket: proto.AudioPacket{Call: id, Seq: 7, Timestamp: 7 * 960, Payload: []byte{7, 2, 3}}, Slot: 0})
	for _, c := range []*fakeConn{g.bobLaptop, g.catC} {
		if len(c.media) != 1 || string(c.media[0]) != string(want) {
			t.Fatalf("%s got % x, want % x", c.name, c.media, want)
		}
	}
	if &g.bobLaptop.media[0][0] != &g.catC.media[0][0] {
		t.Fatal("each participant got its own copy: one slice is made for all")
	}
	if len(g.annC.media)+len(g.bobPhone.media)+len(g.danC.media) != 0 {
		t.Fatal("audio went to the speaker or to someone not in the call")
	}
	// Cat (slot 2) speaks: tagged with her slot.
	g.s.Media(g.catC, gpacket(id, 8))
	if p, err := proto.ParseGroupPacket(g.annC.media[0]); err != nil || p.Slot != 2 || p.Seq != 8 {
		t.Fatalf("ann heard %+v %v", p, err)
	}

	// Packets from anyone else, or for another call, go nowhere.
	for _, c := range []*fakeConn{g.bobPhone, g.danC, g.outC} {
		if r := g.s.Media(c, gpacket(id, 9)); r != NotInCall {
			t.Fatalf("from %s: %v", c.name, r)
		}
	}
	if r := g.s.Media(g.annC, gpacket(id+1, 9)); r != NotInCall {
		t.Fatalf("another call's id: %v", r)
	}
	grp := proto.AppendGroupPacket(nil, proto.GroupAudioPacket{AudioPacket: proto.AudioPacket{Call: id}, Slot: 1})
	if r := g.s.Media(g.annC, grp); r != Malformed {
		t.Fatalf("a group packet from a client: %v", r)
	}
	if len(g.annC.media) != 1 || len(g.bobLaptop.media) != 2 || len(g.catC.media) != 1 {
		t.Fatal("a dropped packet went somewhere")
	}
}

func TestGroupLossReportsReachTheSpeaker(t *testing.T) {
	g := newGBoard(t)
	id := g.inCall()
	// Bob (slot 1) reports on Ann (slot 0): Ann gets a 1:1 report.
	rep := proto.AppendGroupReport(nil, proto.GroupLossReport{Call: id, Slot: 0, Loss: 26})
	if r := g.s.Media(g.bobLaptop, rep); r != Relayed {
		t.Fatalf("report: %v", r)
	}
	want := proto.AppendReport(nil, proto.LossReport{Call: id, Loss: 26})
	if len(g.annC.media) != 1 || string(g.annC.media[0]) != string(want) || len(g.catC.media) != 0 {
		t.Fatalf("ann got % x, cat % x; want % x to ann", g.annC.media, g.catC.media, want)
	}
	// About Cat (slot 2): to Cat.
	g.s.Media(g.annC, proto.AppendGroupReport(nil, proto.GroupLossReport{Call: id, Slot: 2, Loss: 3}))
	if len(g.catC.media) != 1 || g.catC.media[0][5] != 3 {
		t.Fatalf("cat got % x", g.catC.media)
	}
	for i, pkt := range [][]byte{
		proto.AppendGroupReport(nil, proto.GroupLossReport{Call: id, Slot: 1, Loss: 1}), // Bob's own slot
		proto.AppendGroupReport(nil, proto.GroupLossReport{Call: id, Slot: 9, Loss: 1}), // empty
		proto.AppendReport(nil, proto.LossReport{Call: id, Loss: 1}),                    // a 1:1 report
	} {
		if r := g.s.Media(g.bobLaptop, pkt); r != BadReport {
			t.Fatalf("case %d: %v, want bad_report", i, r)
		}
	}
	if len(g.annC.media) != 1 || len(g.catC.media) != 1 {
		t.Fatal("a bad report was relayed")
	}
	// A group report in a 1:1 call is dropped too.
	if _, err := g.s.Call(g.danC, g.dan, g.out, nil); err != nil {
		t.Fatal(err)
	}
	one := g.s.byUser[g.dan.ID].id
	if _, err := g.s.Accept(g.outC, g.out.ID, one, ""); err != nil {
		t.Fatal(err)
	}
	if r := g.s.Media(g.danC, proto.AppendGroupReport(nil, proto.GroupLossReport{Call: one, Slot: 0})); r != BadReport {
		t.Fatalf("a group report in a 1:1 call: %v", r)
	}
	if len(g.outC.media) != 0 {
		t.Fatal("relayed")
	}
}

func TestASilentParticipantIsRemovedAndTheOthersGoOn(t *testing.T) {
	g := newGBoard(t)
	id := g.inCall()
	g.clk.advance(proto.CallMediaTimeout - time.Second)
	g.s.Media(g.annC, gpacket(id, 1))
	g.s.Media(g.bobLaptop, gpacket(id, 1))
	g.clk.advance(time.Second) // Cat sent nothing since she joined, 4 s ago
	if n := g.s.Expire(); n != 1 {
		t.Fatalf("%d calls left", n)
	}
	left(t, g.catC, id, proto.EndDropped, g.cat.ID)
	g.statesAre(id, "11@0 12@1", g.annC, g.bobLaptop, g.danC)
	g.annC.media, g.bobLaptop.media = nil, nil
	if r := g.s.Media(g.annC, gpacket(id, 2)); r != Relayed || len(g.bobLaptop.media) != 1 {
		t.Fatalf("ann to bob after cat went: %v", r)
	}
	if r := g.s.Media(g.catC, gpacket(id, 2)); r != NotInCall {
		t.Fatalf("cat, removed: %v", r)
	}
	// Both silent: the call ends, dropped.
	g.clk.advance(proto.CallMediaTimeout)
	if n := g.s.Expire(); n != 0 {
		t.Fatalf("%d calls left", n)
	}
	if e := g.ended[0]; e.Reason != proto.EndDropped || !e.Answered {
		t.Fatalf("ended %+v", e)
	}
}

func TestAClosedConnectionLeavesTheCall(t *testing.T) {
	g := newGBoard(t)
	id := g.inCall()
	bobMedia := &fakeConn{name: "bob media"}
	code(t, g.s.AttachMedia(bobMedia, g.dan.ID, id), proto.CodeNoSuchCall)
	if err := g.s.AttachMedia(bobMedia, g.bob.ID, id); err != nil {
		t.Fatal(err)
	}
	g.s.Media(g.annC, gpacket(id, 1))
	if len(bobMedia.media) != 1 || len(g.bobLaptop.media) != 0 {
		t.Fatal("bob's audio did not move to his media connection")
	}
	if r := g.s.Media(bobMedia, gpacket(id, 1)); r != Relayed {
		t.Fatalf("from bob's media connection: %v", r)
	}
	g.s.Gone(bobMedia)
	left(t, g.bobLaptop, id, proto.EndDropped, g.bob.ID)
	g.statesAre(id, "11@0 13@2", g.annC, g.catC, g.danC)
	quiet(t, bobMedia)
	// Dan's ringing phone goes away: it just stops.
	g.s.Gone(g.danC)
	if r := g.s.gByID[id].ringing[g.dan.ID]; r != nil {
		t.Fatal("a closed device still rings")
	}
	// Cat's connection closes (the hub forgets it right after): Cat is out.
	delete(g.dir, g.cat.ID)
	g.s.Gone(g.catC)
	quiet(t, g.catC)
	g.statesAre(id, "11@0", g.annC)
}

func TestTheFloodLimit(t *testing.T) {
	g := newGBoard(t)
	id := g.inCall()
	for i := range FloodBurst {
		if r := g.s.Media(g.annC, gpacket(id, uint16(i))); r != Relayed {
			t.Fatalf("packet %d of the burst: %v", i, r)
		}
	}
	if r := g.s.Media(g.annC, gpacket(id, 99)); r != Flooded {
		t.Fatalf("past the burst: %v", r)
	}
	if r := g.s.Media(g.bobLaptop, gpacket(id, 1)); r != Relayed {
		t.Fatalf("another participant is not limited by Ann: %v", r)
	}
	g.clk.advance(10 * time.Millisecond) // one more packet's worth at 100/s
	if r := g.s.Media(g.annC, gpacket(id, 100)); r != Relayed {
		t.Fatalf("after 10 ms: %v", r)
	}
	if r := g.s.Media(g.annC, gpacket(id, 101)); r != Flooded {
		t.Fatalf("again: %v", r)
	}
	if len(g.bobLaptop.media) != FloodBurst+1 {
		t.Fatalf("bob got %d packets, want %d", len(g.bobLaptop.media), FloodBurst+1)
	}
	// A steady 50 packets a second passes whole.
	for i := range 500 {
		g.clk.advance(20 * time.Millisecond)
		if r := g.s.Media(g.annC, gpacket(id, uint16(i))); r != Relayed {
			t.Fatalf("steady packet %d: %v", i, r)
		}
	}

	// 1:1 calls too.
	if _, err := g.s.Call(g.danC, g.dan, g.out, nil); err != nil {
		t.Fatal(err)
	}
	one := g.s.byUser[g.dan.ID].id
	if _, err := g.s.Accept(g.outC, g.out.ID, one, ""); err != nil {
		t.Fatal(err)
	}
	n := 0
	for g.s.Media(g.danC, gpacket(one, uint16(n))) == Relayed {
		n++
	}
	if n != FloodBurst || g.s.Media(g.danC, gpacket(one, 0)) != Flooded {
		t.Fatalf("a 1:1 party got %d packets through, want %d", n, FloodBurst)
	}
}

func TestMembershipChanges(t *testing.T) {
	g := newGBoard(t)
	id := g.inCall()
	// Cat is removed from the group: out of the call. Dan, ringing, leaves
	// the group: his phone stops.
	g.s.Membership(g.conv, g.cat.ID, false)
	ends(t, g.catC, id, proto.EndRemoved, g.cat.ID)
	g.statesAre(id, "11@0 12@1", g.annC, g.bobLaptop, g.danC)
	g.s.Membership(g.conv, g.dan.ID, false)
	ends(t, g.danC, id, proto.EndRemoved, g.dan.ID)
	if _, err := g.s.GroupCall(g.catC, g.cat, g.conv+1, false, nil); err != nil { // another group
		t.Fatal(err)
	}
	g.catC.take()
	// Out joins the group: told of the call; and later changes.
	g.s.Membership(g.conv, g.out.ID, true)
	g.stateIs(g.outC, id, "11@0 12@1")
	g.s.Membership(g.conv, g.out.ID, true)
	quiet(t, g.outC)
	// A device that logs in is told of the calls in its groups.
	outTablet := &fakeConn{name: "out tablet"}
	g.s.GroupOnline(outTablet, g.out.ID)
	g.stateIs(outTablet, id, "11@0 12@1")
	g.s.GroupOnline(outTablet, g.cat.ID+1000)
	quiet(t, outTablet)

	// The group is deleted: everyone is removed, the call is over.
	g.s.GroupDeleted(g.conv)
	ends(t, g.annC, id, proto.EndRemoved, g.ann.ID)
	ends(t, g.bobLaptop, id, proto.EndRemoved, g.bob.ID)
	quiet(t, g.outC, g.danC)
	if e := g.ended[0]; e.Reason != proto.EndRemoved || e.Conv != g.conv || !slices.Equal(e.Participants, []proto.UserID{g.ann.ID, g.bob.ID, g.cat.ID}) {
		t.Fatalf("ended %+v", e)
	}
	if g.s.InCall(g.ann.ID) || !g.s.InCall(g.cat.ID) {
		t.Fatal("the wrong calls ended")
	}
}

// countConn counts what it is sent.
type countConn struct{ media atomic.Int64 }

func (*countConn) Push([]byte) {}
func (c *countConn) SendMedia([]byte) bool {
	c.media.Add(1)
	return true
}

// BenchmarkGroupForward is the switchboard's cost of an 8-person group
// call where everyone speaks: per packet in, parse and check it, make the
// one group packet, and queue it for the 7 others (without the
// WebSocket: the connections count).
func BenchmarkGroupForward(b *testing.B) {
	const people = 8
	s := New(Config{Devices: fakeDir{}, Sweep: -1, Flood: Flood{Rate: -1}})
	var conns []*countConn
	var members []proto.UserID
	for u := range proto.UserID(people) {
		members = append(members, u+1)
	}
	var id proto.CallID
	for _, u := range members {
		c := &countConn{}
		conns = append(conns, c)
		r, err := s.GroupCall(c, proto.User{ID: u}, 7, false, members)
		if err != nil {
			b.Fatal(err)
		}
		id = r.Call
	}
	pkt := proto.AppendPacket(nil, proto.AudioPacket{Call: id, Payload: make([]byte, 60)}) // Opus at 24 kbit/s
	b.ReportAllocs()
	for b.Loop() {
		for _, c := range conns {
			if s.Media(c, pkt) != Relayed {
				b.Fatal("not relayed")
			}
		}
	}
	in := float64(b.N * people)
	var out int64
	for _, c := range conns {
		out += c.media.Load()
	}
	if out != int64(in)*(people-1) {
		b.Fatalf("%d copies out for %v packets in", out, in)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/in, "ns/packet-in")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(out), "ns/copy-out")
}
