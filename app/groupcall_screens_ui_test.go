package main

import (
	"image"
	"testing"

	"parley/app/state"
	"parley/ui"
	"parley/ui/uitest"
)

// groupCallScreens saves the screenshots of group calls, drawn from
// states by the app's screens at the window's size with its fonts
// (headless, as the UI tests draw): the banner of a call in progress
// with the history's group call entries, the incoming card (Chinese,
// dark), and the call with its participants, 王芳 speaking and Tom muted,
// in English (light) and, sixteen people, Chinese (dark). Each shot is
// checked for what it shows.
func groupCallScreens(t *testing.T) {
	size := image.Pt(1280, 800)
	light, dark := ui.LightPalette, ui.DarkPalette
	shot := func(name string, st state.State, lang ui.Lang, isDark bool, check func(d *uitest.Driver, img *image.RGBA)) {
		t.Helper()
		d := uitest.NewDriver(uitest.NewUI(t, lang, isDark), size)
		d.Frame(st)
		d.Frame(st)
		r, err := uitest.NewRenderer(size)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Release()
		img, err := r.Render(&d.Ops)
		if err != nil {
			t.Fatal(err)
		}
		check(d, img)
		save(t, name, img)
	}
	find := func(d *uitest.Driver, s string) image.Rectangle {
		t.Helper()
		n, ok := d.Find(s)
		if !ok {
			t.Fatalf("%q is not on the screen; have %q", s, d.Texts())
		}
		return n.Visible
	}

	// The banner, over a history with two group calls.
	st := uitest.WithGroupCallInProgress(uitest.GroupCallEntries(uitest.Busy()), 3)
	st.Notices = nil
	shot("group-call-banner.png", st, ui.English, false, func(d *uitest.Driver, img *image.RGBA) {
		banner := find(d, "Call in progress · 3 people")
		row := image.Rect(330, banner.Min.Y-8, size.X, banner.Max.Y+8)
		if _, join := colours(img, row, light.Accept); join < 1500 {
			t.Errorf("the banner's Join has %d green pixels", join)
		}
		find(d, "Group call · 5:00 · 3 people · 15:20")
		find(d, "王芳 started a call · no one joined · 15:25")
	})

	// The card of a group call that rings.
	st = uitest.WithGroupCall(uitest.Busy(), state.CallIncoming, 4)
	st.Notices = nil
	shot("group-call-incoming.png", st, ui.Chinese, true, func(d *uitest.Driver, img *image.RGBA) {
		find(d, "王芳 在 学习小组 Study Group 发起了通话")
		mid := image.Rect(size.X/4, size.Y/4, size.X*3/4, size.Y*3/4)
		_, accept := colours(img, mid, dark.Accept)
		_, decline := colours(img, mid, dark.Reject)
		if accept < 2000 || decline < 2000 {
			t.Errorf("the card's Join and Decline have %d and %d pixels of their colours", accept, decline)
		}
	})

	// In the call: six people, then sixteen with the history under them.
	st = uitest.WithGroupCall(uitest.Busy(), state.CallActive, 6)
	st.Call.Carrier, st.Notices = state.CarrierUDP, nil
	shot("group-call.png", st, ui.English, false, func(d *uitest.Driver, img *image.RGBA) {
		find(d, "In call · 02:13 · 6 people · via UDP")
		if _, n := colours(img, find(d, "王芳 in the call · Speaking"), light.Accept); n < 300 {
			t.Errorf("王芳's speaking ring has %d pixels", n)
		}
		if _, n := colours(img, find(d, "Tom Baker is muted"), light.Danger); n < 100 {
			t.Errorf("Tom's muted badge has %d pixels", n)
		}
	})
	st = uitest.WithGroupCall(uitest.GroupCallEntries(uitest.Busy()), state.CallActive, 16)
	st.Call.Carrier, st.Notices = state.CarrierWebSocket, nil
	shot("group-call-zh.png", st, ui.Chinese, true, func(d *uitest.Driver, img *image.RGBA) {
		find(d, "通话中 · 02:13 · 16 人 · 经 WebSocket 传输")
		find(d, "吴芳")
		if _, n := colours(img, find(d, "王芳 在通话中 · 正在说话"), dark.Accept); n < 300 {
			t.Errorf("王芳's speaking ring has %d pixels", n)
		}
		if _, n := colours(img, find(d, "Tom Baker 已静音"), dark.Danger); n < 100 {
			t.Errorf("Tom's muted badge has %d pixels", n)
		}
	})
}
