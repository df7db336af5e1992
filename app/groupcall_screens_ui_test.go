package main

import (
	"context"
	"fmt"
	"image"
	"testing"
	"time"

	"parley/app/state"
	"parley/net/proto"
	"parley/server/node"
	"parley/server/node/nodetest"
	"parley/server/rtc"
	"parley/ui"
	"parley/ui/uitest"
)

// groupCallScreens runs a real group call between two desktop apps, each
// on its own X display on the null sound backend, and two people driven
// through the model, through a real server: Tom starts a call in the
// study group; both apps ring; 陈静 (whose microphone talks) joins; 王芳
// (Chinese, dark) joins from the card; 李华 (English, light) declines,
// sees "Call in progress · 3 people" and joins from it; Tom mutes. Both
// apps show the four of them, 陈静 speaking and Tom muted; then everyone
// leaves and the history has the call. The apps' logs say what each
// drew; the screenshots show it.
func groupCallScreens(t *testing.T, bin string) {
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { // UDP on, as a real server has it
		c.UDP, c.UDPPublicIP = &rtc.Ports{}, "127.0.0.1"
	}))
	size := image.Pt(1280, 800)
	ctx := context.Background()
	liDir, wangDir := t.TempDir(), t.TempDir()
	li := seedUser(t, srv, liDir, "李华")
	wang := seedUser(t, srv, wangDir, "王芳")
	tom := seedUser(t, srv, t.TempDir(), "Tom Baker")
	chen := seedSpeaker(t, srv, t.TempDir(), "陈静", 220)
	const name = "学习小组 Study Group"
	group := li.group(name, wang, tom, chen)
	wang.say(group, "今晚七点语音讨论第三章，大家有空吗？")
	tom.say(group, "Works for me — I'll start the call at seven.")
	chen.say(group, "好的，我会准时加入。")
	li.say(group, "I'll join from the office.")
	last := func(st state.State) bool {
		return st.Open != nil && st.Open.ID == group && len(st.Open.Messages) > 0 && st.Open.Messages[len(st.Open.Messages)-1].Text == "I'll join from the office."
	}
	liSt := li.until("the chat", last)
	if err := wang.m.Open(ctx, group); err != nil {
		t.Fatal(err)
	}
	wangSt := wang.until("the chat", last)
	li.m.Close()
	wang.m.Close()
	liSt.Notices, liSt.Search = nil, nil
	wangSt.Notices, wangSt.Search = nil, nil

	xa, xb := startXvfb(t, size), startXvfb(t, size)
	args := func(dir, lang, theme string) []string {
		return []string{"-server", srv.HTTPURL, "-data", dir, "-size", fmt.Sprintf("%dx%d", size.X, size.Y), "-lang", lang, "-theme", theme, "-audio", "null"}
	}
	a := startApp(t, bin, xa, args(liDir, "en", "light")...)
	b := startApp(t, bin, xb, args(wangDir, "zh-CN", "dark")...)
	openOnXvfb(t, xa, liSt, size, ui.English, false, name)
	openOnXvfb(t, xb, wangSt, size, ui.Chinese, true, name)
	light, dark := ui.LightPalette, ui.DarkPalette

	// inProgress is st with a call of n people in the group, to lay out
	// the screen as the app shows it (who they are does not move a thing).
	inProgress := func(st state.State, n int) state.State {
		gc := &state.GroupCall{Call: 1, StartedBy: tom.me.ID}
		for i := range n {
			gc.Participants = append(gc.Participants, proto.CallParticipant{ID: proto.UserID(9000 + i), Name: "X", Slot: i})
		}
		o := *st.Open
		o.GroupCall = gc
		st.Open = &o
		return st
	}

	// Tom starts the call: both apps ring; 陈静 joins.
	if err := tom.m.GroupCall(ctx, group); err != nil {
		t.Fatal(err)
	}
	a.waitLog(t, 0, `msg=call`, `state=incoming`)
	b.waitLog(t, 0, `msg=call`, `state=incoming`)
	if err := chen.m.GroupCall(ctx, group); err != nil {
		t.Fatal(err)
	}
	people := func(s *seeded, n int) state.State {
		return s.until(fmt.Sprintf("%d in the call", n), func(st state.State) bool { return st.Call != nil && len(st.Call.Participants) == n })
	}
	people(tom, 2)
	ringing := func(st state.State) state.State {
		st.Call = &state.Call{ID: 1, State: state.CallIncoming, Peer: tom.me, Group: group, GroupName: name}
		return st
	}
	// The card, once it shows the two in the call: their faces left of
	// "2 人".
	two := locateAfter(t, inProgress(ringing(wangSt), 2), size, ui.Chinese, true, nil, "2 人").Visible
	faces := image.Rect(two.Min.X-90, two.Min.Y-8, two.Min.X-8, two.Max.Y+8)
	card := xb.waitForScreen(t, "the group call's card with two in the call", func(img image.Image) bool {
		mid := image.Rect(size.X/4, size.Y/4, size.X*3/4, size.Y*3/4)
		_, accept := colours(img, mid, dark.Accept)
		_, decline := colours(img, mid, dark.Reject)
		_, bg := colours(img, faces, dark.Surface)
		return accept > 2000 && decline > 2000 && bg < faces.Dx()*faces.Dy()-900
	})
	save(t, "group-call-incoming.png", crop(card, size))

	// 王芳 joins from the card; 李华 declines, and joins from the banner.
	xb.clickAt(t, locate(t, inProgress(ringing(wangSt), 2), size, ui.Chinese, true, "加入"))
	b.waitLog(t, 0, `msg=call`, `state="in call"`)
	people(tom, 3)
	xa.clickAt(t, locate(t, inProgress(ringing(liSt), 3), size, ui.English, false, "Decline"))
	declined := inProgress(liSt, 3) // the call bar says so, over the banner
	declined.Call = &state.Call{ID: 1, State: state.CallEnded, EndReason: proto.EndDeclined, Peer: tom.me, Group: group, GroupName: name}
	bannerAt := locateAfter(t, declined, size, ui.English, false, nil, "Call in progress · 3 people").Visible
	banner := xa.waitForScreen(t, "the banner", func(img image.Image) bool {
		row := image.Rect(330, bannerAt.Min.Y-6, size.X, bannerAt.Max.Y+6)
		_, join := colours(img, row, light.Accept)
		_, tint := colours(img, row, tint(light.Surface, light.Accept, 0x1c))
		_, card := colours(img, image.Rect(size.X/4, size.Y/4, size.X*3/4, size.Y*3/4), light.Reject)
		return join > 1500 && tint > 20000 && card == 0
	})
	save(t, "group-call-banner.png", crop(banner, size))
	xa.clickAt(t, beside(t, declined, size, "Join", "Call in progress · 3 people"))
	a.waitLog(t, 0, `msg=call`, `state="in call"`)
	people(tom, 4)
	tom.m.Mute(true)

	// Everyone sees the four: 陈静 speaking, Tom muted.
	inCall := func(st state.State) state.State {
		st.Call = &state.Call{ID: 1, State: state.CallActive, Group: group, GroupName: name, Peer: tom.me, Started: time.Now().UnixMilli()}
		for i, p := range []proto.User{tom.me, chen.me, wang.me, li.me} {
			st.Call.Participants = append(st.Call.Participants, state.CallParticipant{User: p, Slot: i})
		}
		return st
	}
	tiles := func(p ui.Palette) func(image.Image) bool {
		return func(img image.Image) bool {
			band := image.Rect(330, 125, size.X, 240)
			_, ring := colours(img, band, p.Accept)
			_, muted := colours(img, band, p.Danger)
			return ring > 300 && muted > 100
		}
	}
	// Let the timer run a few seconds: the call is real, and so is its
	// length.
	st := inCall(liSt)
	st.Call.Carrier = state.CarrierUDP
	xa.waitForTicks(t, locateAfter(t, st, size, ui.English, false, nil, "In call · 00:00 · 4 people · via UDP").Visible, 3)
	active := xa.waitForScreen(t, "the four in the call, 陈静 speaking, Tom muted", tiles(light))
	save(t, "group-call.png", crop(active, size))
	activeZh := xb.waitForScreen(t, "the four in the call (王芳's app)", tiles(dark))
	save(t, "group-call-zh.png", crop(activeZh, size))

	// They leave: the history keeps the call.
	for _, s := range []*seeded{tom, chen} {
		if err := s.m.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
	}
	xb.clickAt(t, locate(t, inCall(wangSt), size, ui.Chinese, true, "退出通话"))
	xa.clickAt(t, locate(t, inCall(liSt), size, ui.English, false, "Leave"))
	a.waitLog(t, 0, `msg=call`, `state=ended`)
	b.waitLog(t, 0, `msg=call`, `state=ended`)
	// The last one out ends the call; the server writes it into the
	// group's history (a seeded member waits for it there), and 李华's
	// app shows it under the call bar that says she left.
	entry := tom.until("the call in the history", func(st state.State) bool {
		ms := st.Open.Messages
		return len(ms) > 0 && ms[len(ms)-1].Kind == proto.MsgCall
	}).Open.Messages
	ended := liSt
	o := *ended.Open
	o.Messages = append(append([]state.Message(nil), o.Messages...), entry[len(entry)-1])
	o.Messages[len(o.Messages)-1].Mine = false
	o.Revision++
	ended.Open = &o
	ended.Call = &state.Call{ID: 1, State: state.CallEnded, EndReason: proto.EndHangup, Duration: 5000, Peer: tom.me, Group: group, GroupName: name}
	callAt := locateAfter(t, ended, size, ui.English, false, nil, "Call").Visible
	xa.xdo(t, "mousemove", "700", "300") // off the buttons: no tooltip in the picture
	history := xa.waitForScreen(t, "the call in the history", func(img image.Image) bool {
		_, call := colours(img, callAt, light.Primary)
		_, leave := colours(img, image.Rect(330, 70, size.X, 125), light.Reject)
		return call > 8 && leave == 0
	})
	save(t, "group-call-ended.png", crop(history, size))
}

// beside finds the control labelled s on the same row as the label row
// of the app's screen (the banner's Join, not the sidebar's).
func beside(t testing.TB, st state.State, size image.Point, s, row string) image.Point {
	t.Helper()
	d := uitest.NewDriver(uitest.NewUI(t, ui.English, false), size)
	d.Frame(st)
	d.Frame(st)
	r, ok := d.Find(row)
	if !ok {
		t.Fatalf("%q is not on the screen; have %q", row, d.Texts())
	}
	mid := (r.Visible.Min.Y + r.Visible.Max.Y) / 2
	for _, n := range d.Screen() {
		if n.Desc.Label == s && n.Visible.Min.Y <= mid && mid <= n.Visible.Max.Y {
			return n.Visible.Min.Add(n.Visible.Max).Div(2)
		}
	}
	t.Fatalf("no %q beside %q; have %q", s, row, d.Texts())
	return image.Point{}
}
