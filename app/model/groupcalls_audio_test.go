package model

import (
	"context"
	"testing"

	"parley/app/state"
	"parley/net/proto"
	"parley/server/node/nodetest"
)

// A group call's audio: Li's tone reaches Wang's engine on Li's slot,
// plays in Wang's mix, and shows Li speaking in both call bars.
func TestAGroupCallsAudioIsHeardAndShown(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	liAudio, wangAudio := &virtualAudio{voice: true}, &virtualAudio{}
	li, wang := newCallModel(t, srv, liAudio), newCallModel(t, srv, wangAudio)
	li.registerAndLogin(srv, "李华")
	wang.registerAndLogin(srv, "Wang")
	conv := newGroup(t, li, "Study Group", wang)
	if err := li.GroupCall(ctx, conv); err != nil {
		t.Fatal(err)
	}
	wang.callIs(state.CallIncoming)
	if err := wang.GroupCall(ctx, conv); err != nil { // joining from the conversation answers the ringing
		t.Fatal(err)
	}
	wang.participantsAre("李华@0", "Wang@1*")

	waitUntil(t, "Li's voice at Wang's", func() bool { return wangAudio.heard.Load() > 10 })
	wang.calls.mu.Lock()
	slots := wang.calls.run.engine.Stats().Slots
	wang.calls.mu.Unlock()
	if len(slots) != proto.MaxGroupCall || !slots[0].Active || slots[1].Active {
		t.Fatalf("Wang's engine's slots: %+v", slots)
	}
	speaking := func(st state.State) bool {
		return st.Call != nil && len(st.Call.Participants) == 2 && st.Call.Participants[0].Speaking && st.Call.Participants[0].Level > 0.4 &&
			!st.Call.Participants[1].Speaking
	}
	wang.waitFor("Li speaking, at Wang's", speaking)
	li.waitFor("Li speaking, at Li's", speaking)
	if err := li.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	wang.participantsAre("Wang@1*")
}
