package model

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"parley/app/state"
	"parley/media/call"
	"parley/net/client"
	"parley/net/proto"
	"parley/server/node/nodetest"
)

// push hands tm's account a push as its connection would.
func (tm *testModel) push(typ string, body any) {
	tm.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		tm.t.Fatal(err)
	}
	tm.account().onPush(client.Push{Type: typ, Body: b})
}

// groupCallIn is the call shown in conv's row of the list and, when conv
// is open, in its header; ok is false while conv is not listed.
func groupCallIn(st state.State, conv proto.ConvID) (gc *state.GroupCall, ok bool) {
	i := slices.IndexFunc(st.Conversations, func(c state.Conversation) bool { return c.ID == conv })
	if i < 0 {
		return nil, false
	}
	gc = st.Conversations[i].GroupCall
	if st.Open != nil && st.Open.ID == conv && st.Open.GroupCall != gc {
		return nil, false // the header does not agree (yet)
	}
	return gc, true
}

// newGroup makes a group of tm's and adds the others; it returns its ID.
func newGroup(t *testing.T, owner *testModel, name string, others ...*testModel) proto.ConvID {
	t.Helper()
	ctx := context.Background()
	if err := owner.CreateGroup(ctx, name); err != nil {
		t.Fatal(err)
	}
	conv := owner.State().Open.ID
	for _, o := range others {
		if err := owner.Invite(ctx, fmt.Sprint(o.State().Me.ID), ""); err != nil {
			t.Fatal(err)
		}
		o.waitFor("the group in the list", func(st state.State) bool {
			_, ok := groupCallIn(st, conv)
			return ok
		})
	}
	return conv
}

// The group's call as group_call_state pushes tell it: in the list and
// the open conversation, kept for a conversation the app does not have
// yet (shown once it comes), gone when the call ends, and forgotten when
// the connection goes (the next login pushes those still on).
func TestGroupCallStateShowsInTheConversation(t *testing.T) {
	srv := nodetest.Start(t)
	li, wang := newTestModel(t, srv, t.TempDir()), newTestModel(t, srv, t.TempDir())
	liU, wangU := li.registerAndLogin(srv, "李华"), wang.registerAndLogin(srv, "Wang")
	conv := newGroup(t, li, "Study Group")

	gs := proto.GroupCallState{Conv: conv, Call: 77, StartedBy: liU.ID, Started: 1795700100000,
		Participants: []proto.CallParticipant{{ID: liU.ID, Name: liU.Name, Slot: 0}, {ID: 9, Name: "Zhao", Slot: 1, Muted: true}}}
	li.push(proto.TypeGroupCallState, gs)
	st := li.waitFor("the call in the group", func(st state.State) bool {
		gc, _ := groupCallIn(st, conv)
		return gc != nil
	})
	gc, _ := groupCallIn(st, conv)
	if gc.Call != 77 || gc.StartedBy != liU.ID || gc.Started != gs.Started || !slices.Equal(gc.Participants, gs.Participants) || gc.Joined {
		t.Fatalf("group call shown %+v, want %+v (not joined here)", gc, gs)
	}
	// A rebuild of the list (a message) keeps it.
	if err := li.Send(context.Background(), "hello"); err != nil {
		t.Fatal(err)
	}
	st = li.waitFor("the message", func(st state.State) bool {
		return len(texts(st.Open.Messages)) == 1 && st.Open.Messages[0].Status == state.Sent
	})
	if gc, _ := groupCallIn(st, conv); gc == nil || gc.Call != 77 {
		t.Fatalf("after a rebuild the group call shown is %+v", gc)
	}

	// Wang hears of the call before he has the group: it shows once he does.
	wang.push(proto.TypeGroupCallState, gs)
	if err := li.Invite(context.Background(), fmt.Sprint(wangU.ID), ""); err != nil {
		t.Fatal(err)
	}
	wang.waitFor("the group with its call", func(st state.State) bool {
		gc, ok := groupCallIn(st, conv)
		return ok && gc != nil && gc.Call == 77
	})
	// He leaves the group: its call is no longer his to show.
	if err := wang.Leave(context.Background(), conv); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "Wang's app to forget the call", func() bool { return wang.groupCalls() == 0 })

	// The end of an earlier call does not hide this one; its own end does.
	li.push(proto.TypeGroupCallState, proto.GroupCallState{Conv: conv, Call: 76, StartedBy: liU.ID, Participants: []proto.CallParticipant{}, Ended: true})
	li.push(proto.TypeGroupCallState, proto.GroupCallState{Conv: conv, Call: 77, StartedBy: liU.ID, Participants: []proto.CallParticipant{}, Ended: true})
	li.waitFor("the call gone", func(st state.State) bool {
		gc, ok := groupCallIn(st, conv)
		return ok && gc == nil
	})
	if n := li.groupCalls(); n != 0 {
		t.Fatalf("%d group calls kept after the end", n)
	}

	// The connection goes: the app forgets what it was told.
	gs.Call = 78
	li.push(proto.TypeGroupCallState, gs)
	li.waitFor("the next call", func(st state.State) bool {
		gc, _ := groupCallIn(st, conv)
		return gc != nil && gc.Call == 78
	})
	srv.Stop()
	li.waitFor("offline, without the call", func(st state.State) bool {
		gc, ok := groupCallIn(st, conv)
		return st.Conn != state.Online && ok && gc == nil
	})
}

// groupCalls is how many groups' calls tm's account keeps.
func (tm *testModel) groupCalls() int {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return len(tm.acct.gcalls)
}

// A group call rings like a 1:1 call, naming the group and who started
// it; in a conversation I muted it shows without the ring tone.
func TestAGroupCallRingsUnlessTheGroupIsMuted(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	wangAudio := &virtualAudio{}
	li, wang := newTestModel(t, srv, t.TempDir()), newCallModel(t, srv, wangAudio)
	liU := li.registerAndLogin(srv, "李华")
	wang.registerAndLogin(srv, "Wang")
	loud := newGroup(t, li, "Study Group", wang)
	quiet := newGroup(t, li, "Quiet Group", wang)
	if err := wang.SetNotify(ctx, quiet, proto.NotifyOff, 0); err != nil {
		t.Fatal(err)
	}

	toneStarted := func() bool {
		wang.calls.mu.Lock()
		defer wang.calls.mu.Unlock()
		return wang.calls.run.toneStop != nil
	}
	wang.push(proto.TypeCallIncoming, proto.CallIncoming{Call: 81, From: liU, Codecs: []string{"opus"}, Conv: quiet})
	if c := wang.callIs(state.CallIncoming); c.ID != 81 || c.Group != quiet || c.GroupName != "Quiet Group" || c.Peer != liU {
		t.Fatalf("incoming group call %+v", c)
	}
	if toneStarted() {
		t.Fatal("a muted group's call plays the ring tone")
	}
	wang.push(proto.TypeCallEnd, proto.CallEnd{Call: 81, Reason: proto.EndCancelled, By: liU.ID})
	wang.ended(proto.EndCancelled, liU.ID)

	wang.push(proto.TypeCallIncoming, proto.CallIncoming{Call: 82, From: liU, Codecs: []string{"opus"}, Conv: loud})
	if c := wang.callIs(state.CallIncoming); c.ID != 82 || c.Group != loud || c.GroupName != "Study Group" || c.Peer != liU {
		t.Fatalf("incoming group call %+v", c)
	}
	if !toneStarted() {
		t.Fatal("a group call does not ring")
	}
	waitUntil(t, "the ring tone", func() bool { return wangAudio.toneHeard.Load() > 0 })
	wang.push(proto.TypeCallEnd, proto.CallEnd{Call: 82, Reason: proto.EndNoAnswer, By: wang.State().Me.ID})
	wang.ended(proto.EndNoAnswer, wang.State().Me.ID)
}

// My group call's participants: the engine starts a slot afresh whenever
// someone else holds it, the levels come from the engine's slots (mine
// from my microphone), and a snapshot that changes nothing is not
// published (a silent call does not redraw the UI ten times a second).
func TestGroupCallParticipantsSlotsAndLevels(t *testing.T) {
	srv := nodetest.Start(t)
	li := newTestModel(t, srv, t.TempDir())
	liU := li.registerAndLogin(srv, "李华")
	var resets []int
	li.calls.mu.Lock()
	li.calls.onResetSlot = func(slot int) { resets = append(resets, slot) }
	r := li.newRun(li.account(), state.Call{ID: 5, State: state.CallActive, Group: 1})
	li.calls.mu.Unlock()

	wang, zhao := proto.CallParticipant{ID: 20, Name: "Wang", Slot: 1}, proto.CallParticipant{ID: 30, Name: "Zhao", Slot: 1}
	me := proto.CallParticipant{ID: liU.ID, Name: liU.Name, Slot: 0}
	set := func(ps ...proto.CallParticipant) (reset []int, shown []state.CallParticipant) {
		t.Helper()
		li.calls.mu.Lock()
		defer li.calls.mu.Unlock()
		resets = nil
		r.setParticipants(ps)
		r.publish()
		return resets, li.State().Call.Participants
	}
	if reset, shown := set(me, wang); !slices.Equal(reset, []int{0, 1}) || len(shown) != 2 || !shown[0].Me || shown[1].Me || shown[1].User.Name != "Wang" {
		t.Fatalf("first state: reset %v, shown %+v", reset, shown)
	}
	mutedWang := wang
	mutedWang.Muted = true
	if reset, shown := set(me, mutedWang); len(reset) != 0 || !shown[1].Muted {
		t.Fatalf("Wang muted: reset %v, shown %+v", reset, shown)
	}
	if reset, shown := set(me, zhao); !slices.Equal(reset, []int{1}) || shown[1].User.ID != zhao.ID {
		t.Fatalf("Zhao in Wang's slot: reset %v, shown %+v", reset, shown)
	}

	tick := func(st call.Stats) *state.Call {
		li.calls.mu.Lock()
		defer li.calls.mu.Unlock()
		r.tick(st)
		return li.State().Call
	}
	slots := make([]call.SlotStats, proto.MaxGroupCall)
	slots[1] = call.SlotStats{Active: true, Level: 0.6, Speaking: true}
	loud := call.Stats{Level: 0.8, Heard: true, Slots: slots}
	c := tick(loud)
	if p := c.Participants; p[0].Level != 0.8 || !p[0].Speaking || p[1].Level != 0.6 || !p[1].Speaking || c.Level != 0.8 {
		t.Fatalf("levels shown %+v", c)
	}
	if again := tick(loud); again != c {
		t.Fatal("a snapshot that changed nothing was published")
	}
	li.Mute(true)
	if p := li.State().Call.Participants; !p[0].Muted || p[0].Speaking {
		t.Fatalf("muted, I am shown as %+v", p[0])
	}
	if reset, shown := set(me); !slices.Equal(reset, []int{1}) || len(shown) != 1 || !shown[0].Muted {
		t.Fatalf("Zhao left: reset %v, shown %+v", reset, shown)
	}
}
