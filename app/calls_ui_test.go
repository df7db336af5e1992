package main

import (
	"fmt"
	"testing"

	"parley/app/state"
	"parley/server/node/nodetest"
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

// placeCall places a call from li's call bar and waits until wang's phone
// rings.
func placeCall(li, wang *uiHarness, wangID string) {
	li.t.Helper()
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
}

func TestACallFromTheCallBarIsAnsweredAndHungUp(t *testing.T) {
	li, wang, wangID := twoPeople(t)
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
	li.until("the call bar idle", func(st state.State) bool { return st.Call == nil })
	li.see("User ID to call")
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
	li.fill("User ID to call", "987654")
	li.click("Call")
	li.see("No user with ID 987654")
	if _, ok := li.d.Find("Call again"); ok {
		t.Error("the call bar offers to call a user who does not exist")
	}
}
