package model

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"parley/app/state"
	"parley/net/proto"
	"parley/server/node/nodetest"
)

// who lists a call's participants as "name@slot" (me marked with *,
// muted with m), for comparing and for failure messages.
func who(ps []state.CallParticipant) []string {
	var out []string
	for _, p := range ps {
		s := fmt.Sprintf("%s@%d", p.User.Name, p.Slot)
		if p.Me {
			s += "*"
		}
		if p.Muted {
			s += "m"
		}
		out = append(out, s)
	}
	return out
}

// participantsAre waits for tm's call bar to show the participants want
// (see who).
func (tm *testModel) participantsAre(want ...string) state.Call {
	tm.t.Helper()
	st := tm.waitFor(fmt.Sprint("participants ", want), func(st state.State) bool {
		return st.Call != nil && st.Call.State == state.CallActive && slices.Equal(who(st.Call.Participants), want)
	})
	return *st.Call
}

// groupCallOf waits for conv's call as tm's list shows it to satisfy ok
// (gc is nil when there is none).
func (tm *testModel) groupCallOf(conv proto.ConvID, what string, ok func(gc *state.GroupCall) bool) *state.GroupCall {
	tm.t.Helper()
	st := tm.waitFor(what, func(st state.State) bool {
		gc, listed := groupCallIn(st, conv)
		return listed && ok(gc)
	})
	gc, _ := groupCallIn(st, conv)
	return gc
}

func peopleIn(gc *state.GroupCall) (ids []proto.UserID) {
	if gc == nil {
		return nil
	}
	for _, p := range gc.Participants {
		ids = append(ids, p.ID)
	}
	return ids
}

// A group call from start to end, three apps of three members: one
// starts it and the others' ring; one joins, one declines; mutes are
// seen; people leave and join; the last one out ends it, and the history
// keeps it.
func TestAGroupCallFromStartToEnd(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	liAudio, wangAudio, zhaoAudio := &virtualAudio{voice: true}, &virtualAudio{}, &virtualAudio{}
	li, wang, zhao := newCallModel(t, srv, liAudio), newCallModel(t, srv, wangAudio), newCallModel(t, srv, zhaoAudio)
	liU, wangU, zhaoU := li.registerAndLogin(srv, "李华"), wang.registerAndLogin(srv, "Wang"), zhao.registerAndLogin(srv, "Zhao")
	conv := newGroup(t, li, "Study Group", wang, zhao)
	var resetMu sync.Mutex
	var resets []int // the slots Wang's engine started afresh
	wang.calls.mu.Lock()
	wang.calls.onResetSlot = func(slot int) {
		resetMu.Lock()
		resets = append(resets, slot)
		resetMu.Unlock()
	}
	wang.calls.mu.Unlock()

	// Li starts it: in it at once (alone), the others' apps ring.
	if err := li.GroupCall(ctx, conv); err != nil {
		t.Fatal(err)
	}
	if c := li.participantsAre("李华@0*"); c.Group != conv || c.GroupName != "Study Group" || c.Peer.ID != liU.ID || c.ID == 0 || c.Started == 0 {
		t.Fatalf("the starter's call bar: %+v", c)
	}
	for _, m := range []*testModel{wang, zhao} {
		if c := m.callIs(state.CallIncoming); c.Group != conv || c.GroupName != "Study Group" || c.Peer != liU {
			t.Fatalf("a member's ringing: %+v", c)
		}
	}
	waitUntil(t, "the ring tone", func() bool { return wangAudio.toneHeard.Load() > 0 })
	if err := li.GroupCall(ctx, conv); proto.CodeOf(err) != proto.CodeInCall {
		t.Fatalf("joining my own call again: %v", err)
	}

	// Wang joins; Zhao's app shows the call with two people in it.
	if err := wang.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	if c := wang.participantsAre("李华@0", "Wang@1*"); c.Peer.ID != liU.ID {
		t.Fatalf("the joiner's call bar: %+v", c)
	}
	li.participantsAre("李华@0*", "Wang@1")
	if gc := zhao.groupCallOf(conv, "two people in the call", func(gc *state.GroupCall) bool { return len(peopleIn(gc)) == 2 }); gc.Joined || gc.StartedBy != liU.ID {
		t.Fatalf("Zhao's conversation shows %+v", gc)
	}
	li.groupCallOf(conv, "Li's conversation: joined", func(gc *state.GroupCall) bool { return gc != nil && gc.Joined })

	// Zhao declines: his ringing ends, the call goes on.
	if err := zhao.Decline(ctx); err != nil {
		t.Fatal(err)
	}
	zhao.ended(proto.EndDeclined, zhaoU.ID)
	if c := li.State().Call; c.State != state.CallActive {
		t.Fatalf("after a decline, the call is %v", c.State)
	}

	// A device of Zhao's that logs in now shows the call in the group,
	// which it learns of before it has the group (no ringing there).
	zhao2 := newCallModel(t, srv, &virtualAudio{})
	if err := zhao2.Login(ctx, srv.HTTPURL, fmt.Sprint(zhaoU.ID), "secret-password"); err != nil {
		t.Fatal(err)
	}
	zhao2.groupCallOf(conv, "the call on a new device", func(gc *state.GroupCall) bool { return len(peopleIn(gc)) == 2 })
	if c := zhao2.State().Call; c != nil {
		t.Fatalf("a device that logs in during a group call rings: %+v", c)
	}

	// Wang mutes: Li sees it.
	wang.Mute(true)
	wang.participantsAre("李华@0", "Wang@1*m")
	li.participantsAre("李华@0*", "Wang@1m")

	// Li leaves: Wang stays, alone.
	if err := li.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	li.ended(proto.EndHangup, liU.ID)
	wang.participantsAre("Wang@1*m")
	li.groupCallOf(conv, "Li's conversation: one person, not joined", func(gc *state.GroupCall) bool {
		return slices.Equal(peopleIn(gc), []proto.UserID{wangU.ID}) && !gc.Joined
	})

	// Zhao joins from the conversation: he takes slot 0, which Wang's
	// engine starts afresh (it did when Li left, too).
	zhao.DismissCall()
	if err := zhao.GroupCall(ctx, conv); err != nil {
		t.Fatal(err)
	}
	zhao.participantsAre("Zhao@0*", "Wang@1m")
	wang.participantsAre("Zhao@0", "Wang@1*m")
	resetMu.Lock()
	got := slices.Clone(resets)
	resetMu.Unlock()
	if want := []int{0, 1, 0, 0}; !slices.Equal(got, want) {
		t.Fatalf("Wang's engine reset slots %v, want %v", got, want)
	}

	// The last ones leave: the call is over everywhere, and in the history.
	if err := wang.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	wang.ended(proto.EndHangup, wangU.ID)
	zhao.participantsAre("Zhao@0*")
	if err := zhao.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	zhao.ended(proto.EndHangup, zhaoU.ID)
	for _, m := range []*testModel{li, wang, zhao, zhao2} {
		m.groupCallOf(conv, "no call", func(gc *state.GroupCall) bool { return gc == nil })
	}
	st := li.waitFor("the call in the history", func(st state.State) bool {
		return slices.ContainsFunc(st.Open.Messages, func(m state.Message) bool { return m.Kind == proto.MsgCall })
	})
	i := slices.IndexFunc(st.Open.Messages, func(m state.Message) bool { return m.Kind == proto.MsgCall })
	e := st.Open.Messages[i].Call
	if e == nil || !e.Group || e.Started == 0 || e.Outcome != proto.CallAnswered ||
		!slices.Equal(e.Participants, []proto.UserID{liU.ID, wangU.ID, zhaoU.ID}) {
		t.Fatalf("history entry %+v", e)
	}
}

// Joining a group's call fails as a 1:1 call that cannot ring does: the
// call bar ends with the code.
func TestAGroupCallThatCannotBeJoined(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	li, wang, zhao := newCallModel(t, srv, &virtualAudio{}), newCallModel(t, srv, &virtualAudio{}), newCallModel(t, srv, brokenAudio())
	liU := li.registerAndLogin(srv, "李华")
	wang.registerAndLogin(srv, "Wang")
	zhaoU := zhao.registerAndLogin(srv, "Zhao")
	conv := newGroup(t, li, "Study Group", zhao)
	zhaoPhone := newCallModel(t, srv, &virtualAudio{}) // his other device
	if err := zhaoPhone.Login(ctx, srv.HTTPURL, fmt.Sprint(zhaoU.ID), "secret-password"); err != nil {
		t.Fatal(err)
	}
	zhaoPhone.online()
	if err := wang.GroupCall(ctx, conv); proto.CodeOf(err) != proto.CodeNotMember {
		t.Fatalf("an outsider joins: %v", err)
	}
	wang.ended(string(proto.CodeNotMember), 0)

	// Li is in the call on one device: another of his cannot join too.
	if err := li.GroupCall(ctx, conv); err != nil {
		t.Fatal(err)
	}
	li.participantsAre("李华@0*")

	// The sound devices of Zhao's computer do not open: he does not
	// join, it says why, and his phone stops ringing (he declined).
	zhaoPhone.callIs(state.CallIncoming)
	zhao.callIs(state.CallIncoming)
	if err := zhao.Accept(ctx); err == nil {
		t.Fatal("joined a group call without sound devices")
	}
	zhao.ended(proto.EndNoAudio, zhaoU.ID)
	zhaoPhone.ended(proto.EndDeclined, zhaoU.ID)
	li2 := newCallModel(t, srv, &virtualAudio{})
	if err := li2.Login(ctx, srv.HTTPURL, fmt.Sprint(liU.ID), "secret-password"); err != nil {
		t.Fatal(err)
	}
	li2.online()
	li2.groupCallOf(conv, "the call on Li's other device", func(gc *state.GroupCall) bool { return gc != nil && !gc.Joined })
	if err := li2.GroupCall(ctx, conv); proto.CodeOf(err) != proto.CodeInCall {
		t.Fatalf("joining from a second device: %v", err)
	}
	li2.ended(string(proto.CodeInCall), 0)
	if c := li.State().Call; c.State != state.CallActive {
		t.Fatalf("the first device's call is %v", c.State)
	}
}
