package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"strings"
	"testing"

	"parley/app/model"
	"parley/app/state"
	"parley/media/audio"
	"parley/server/node/nodetest"
	"parley/ui/uitest"
)

// twoPeople are 李华 and 王芳, each in their own app against one server.
func twoPeople(t *testing.T) (li, wang *uiHarness, wangID string) {
	srv := nodetest.Start(t)
	li, wang = newUIHarness(t, srv), newUIHarness(t, srv)
	li.loggedIn(srv, "李华")
	w := wang.loggedIn(srv, "王芳")
	return li, wang, fmt.Sprint(w.ID)
}

func callState(s state.CallState) func(st state.State) bool {
	return func(st state.State) bool { return st.Call != nil && st.Call.State == s }
}

// placeCall places a call from li's "Call a user ID…" dialog and waits
// until wang's phone rings.
func placeCall(li, wang *uiHarness, wangID string) {
	li.t.Helper()
	li.click("Call a user ID…")
	li.fill("User ID to call", wangID)
	li.click("Call")
	li.until("ringing", func(st state.State) bool {
		return st.Call != nil && st.Call.State == state.CallRinging && st.Call.ID != 0
	})
	li.see("王芳 (" + wangID + ")")
	li.see("Ringing…")
	wang.until("the phone ringing", callState(state.CallIncoming))
	wang.see("Incoming voice call")
	wang.see("李华")
	if n := wang.d.Screen(); countPlaces(n, "is calling you…") != 1 {
		li.t.Errorf("\"is calling you…\" is on screen %d times", countPlaces(n, "is calling you…"))
	}
}

// countPlaces counts the places on screen whose label contains s.
func countPlaces(sc uitest.Screen, s string) int {
	places := map[image.Rectangle]bool{}
	for _, n := range sc {
		if strings.Contains(n.Desc.Label, s) && !n.Visible.Empty() {
			places[n.Visible] = true
		}
	}
	return len(places)
}

func TestACallByUserIDIsAnsweredAndHungUp(t *testing.T) {
	li, wang, wangID := twoPeople(t)
	if _, ok := li.d.Find("User ID to call"); ok {
		t.Fatal("a user-ID field is on screen without a call")
	}
	placeCall(li, wang, wangID)

	wang.click("Accept")
	wang.until("in call", callState(state.CallActive))
	li.until("in call", callState(state.CallActive))
	li.seeContaining("In call · 00:")
	wang.seeContaining("In call · 00:")
	if _, ok := wang.d.Find("Accept"); ok {
		t.Error("the incoming-call dialog stays after answering")
	}

	li.click("Mute")
	li.until("muted", func(st state.State) bool { return st.Call.Muted })
	li.seeContaining(" · Muted")

	li.click("Hang up")
	for _, h := range []*uiHarness{li, wang} {
		st := h.until("the call over", callState(state.CallEnded))
		if st.Call.EndReason != "hangup" {
			t.Errorf("the call ended with %q, want hangup", st.Call.EndReason)
		}
		h.seeContaining("Call ended (0:")
	}
	// Both can call again at once: nobody is left busy.
	wang.click("Call again")
	li.until("ringing again", callState(state.CallIncoming))
	li.click("Decline")
	wang.see("李华 declined")
}

func TestADeclinedCallEndsOnBothSides(t *testing.T) {
	li, wang, wangID := twoPeople(t)
	placeCall(li, wang, wangID)
	wang.click("Decline")
	li.see("王芳 declined")
	wang.see("You declined the call")
	li.click("Clear")
	li.until("the call bar gone", func(st state.State) bool { return st.Call == nil })
	if _, ok := li.d.Find("Clear"); ok {
		t.Error("the call bar stays after the call is cleared")
	}
}

func TestCancellingWhileItRingsIsAMissedCall(t *testing.T) {
	li, wang, wangID := twoPeople(t)
	placeCall(li, wang, wangID)
	li.click("Cancel call")
	li.see("Call cancelled")
	wang.see("Missed call from 李华")
}

func TestCallingAnIDNobodyHasSaysSo(t *testing.T) {
	srv := nodetest.Start(t)
	li := newUIHarness(t, srv)
	li.loggedIn(srv, "李华")
	li.click("Call a user ID…")
	li.fill("User ID to call", "987654")
	li.click("Call")
	li.see("No user with ID 987654")
	if _, ok := li.d.Find("Call again"); ok {
		t.Error("the call bar offers to call a user who does not exist")
	}
}

// Calls start from a person: the direct chat's header calls them, and
// both sides see names, not IDs.
func TestACallFromTheChatHeaderNamesBothPeople(t *testing.T) {
	li, wang, wangID := twoPeople(t)
	li.click("Direct")
	li.fill("User ID", wangID)
	li.click("Chat")
	li.until("the direct chat", func(st state.State) bool { return st.Open != nil && st.Open.Peer != nil })
	li.click("Call 王芳")
	li.until("ringing", callState(state.CallRinging))
	li.see("王芳 (" + wangID + ")")
	wang.until("the phone ringing", callState(state.CallIncoming))
	wang.see("李华")
	wang.click("Decline")
	li.see("王芳 declined")
}

// A callee whose sound devices fail as they answer: the call ends on
// both sides, and each says why in plain words.
func TestAnAnswerWithoutSoundEndsTheCallAndSaysWhy(t *testing.T) {
	srv := nodetest.Start(t)
	li := newUIHarness(t, srv)
	wang := newUIHarnessWith(t, srv, t.TempDir(), failingAudio{})
	li.loggedIn(srv, "李华")
	w := wang.loggedIn(srv, "王芳")
	placeCall(li, wang, fmt.Sprint(w.ID))
	wang.click("Accept")
	wang.see("No microphone or speaker found — check your sound settings")
	li.see("王芳's device has no sound — the call ended")
}

// failingAudio is a machine whose sound devices do not open.
type failingAudio struct{}

func (failingAudio) Devices() (inputs, outputs []audio.Device, err error) {
	return nil, nil, errors.New("ma_context_init: no backend")
}

func (failingAudio) Open(context.Context, string, string, bool) (model.AudioStream, error) {
	return nil, errors.New("ma_device_init: no backend")
}
