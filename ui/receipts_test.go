package ui_test

import (
	"image"
	"slices"
	"testing"
	"time"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui"
	"parley/ui/uitest"
)

// withStatus returns st with message seq of the open conversation set to
// status s and seen by n.
func withStatus(st state.State, seq int64, s state.Status, n int) state.State {
	o := *st.Open
	o.Messages = slices.Clone(o.Messages)
	for i := range o.Messages {
		if o.Messages[i].Seq == seq {
			o.Messages[i].Status, o.Messages[i].SeenBy = s, n
		}
	}
	o.Revision++
	st.Open = &o
	return st
}

// My messages in a direct chat say Sent, Delivered or Read, with a
// tooltip that says what it means.
func TestMyMessagesShowSentDeliveredRead(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Direct()
	d.Frame(st)
	onScreen(t, d, "15:11 · Sent")
	st = withStatus(st, 8, state.Delivered, 0)
	d.Frame(st)
	onScreen(t, d, "15:11 · Delivered")
	st = withStatus(st, 8, state.Read, 0)
	d.Frame(st)
	n, ok := d.Find("15:11 · Read")
	if !ok {
		t.Fatalf("no Read; have %q", d.Texts())
	}
	d.Hover(n.Visible.Min.Add(n.Visible.Max).Div(2))
	d.Frame(st)
	d.Now = d.Now.Add(time.Second)
	d.Frame(st)
	onScreen(t, d, "Read: they have seen it")

	zh := newDriver(t, ui.Chinese, desktop)
	zh.Frame(st)
	onScreen(t, zh, "15:11 · 已读")
}

// In a group, "Seen by N" under my message opens the list of who saw it:
// loading, then the names; Close closes it.
func TestSeenByOpensTheListOfWhoSawIt(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := withStatus(uitest.Busy(), 13, state.Sent, 2)
	d.Frame(st)
	must(t, d.Click("Seen by 2"))
	evs := d.Frame(st)
	if want := (ui.ShowSeenBy{Conv: uitest.StudyGroup, Seq: 13}); count(evs, want) != 1 {
		t.Fatalf("events %#v, want %#v", evs, want)
	}
	st.SeenBy = &state.SeenList{Conv: uitest.StudyGroup, Seq: 13, Loading: true}
	d.Frame(st)
	onScreen(t, d, "Loading…")
	zhao := proto.User{ID: 4840, Name: "赵磊"}
	st.SeenBy = &state.SeenList{Conv: uitest.StudyGroup, Seq: 13, Users: []proto.User{uitest.Sofia, zhao}}
	d.Frame(st)
	onScreen(t, d, "Seen by")
	for _, name := range []string{"Sofia Rossi", "赵磊"} {
		if !inList(d, name) {
			t.Fatalf("%q is not in the list; have %q", name, d.Texts())
		}
	}
	must(t, d.Click("Close"))
	d.Frame(st)
	d.Frame(st)
	if _, ok := d.Find("Seen by"); ok || inList(d, "赵磊") {
		t.Fatal("the list stays after Close")
	}

	zh := newDriver(t, ui.Chinese, desktop)
	zh.Frame(withStatus(uitest.Busy(), 13, state.Sent, 2))
	onScreen(t, zh, "2 人已读")
}

// inList reports whether s shows right of the sidebar (which may list it
// as a conversation or a preview).
func inList(d *uitest.Driver, s string) bool {
	return listPointOf(d, s) != (image.Point{})
}

func listPointOf(d *uitest.Driver, s string) image.Point {
	for _, n := range d.Screen() {
		if n.Desc.Label == s && n.Visible.Min.X > 330 && !n.Visible.Empty() {
			return n.Visible.Min.Add(n.Visible.Max).Div(2)
		}
	}
	return image.Point{}
}

// The menu's Forward opens a chooser of my conversations; the filter
// narrows it, and picking one forwards the message there.
func TestForwardChooserSendsToThePickedConversation(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := folded()
	d.Frame(st)
	d.Frame(st)
	rightClick(t, d, "Chapter three slides are up")
	d.Frame(st)
	must(t, d.Click("Forward"))
	d.Frame(st)
	d.Frame(st)
	onScreen(t, d, "Forward to…")
	for _, name := range []string{"家庭群", "Project Parley", "Reading Club"} {
		if !inList(d, name) {
			t.Fatalf("%q is not in the chooser; have %q", name, d.Texts())
		}
	}
	must(t, d.Fill("Filter conversations", "proj"))
	d.Frame(st)
	if inList(d, "家庭群") || !inList(d, "Project Parley") {
		t.Fatalf("the filter does not narrow the list; have %q", d.Texts())
	}
	d.Take()
	d.ClickAt(listPointOf(d, "Project Parley"))
	evs := d.Frame(st)
	want := ui.Forward{From: proto.MessageRef{Conv: st.Open.ID, Seq: 11}, To: 517}
	if count(evs, want) != 1 {
		t.Fatalf("events %#v, want %#v", evs, want)
	}
	d.Frame(st)
	if _, ok := d.Find("Forward to…"); ok {
		t.Fatal("the chooser stays after forwarding")
	}

	// Esc-free: Cancel closes it and forwards nothing.
	rightClick(t, d, "Chapter three slides are up")
	d.Frame(st)
	must(t, d.Click("Forward"))
	d.Frame(st)
	must(t, d.Click("Cancel"))
	evs = d.Frame(st)
	if slices.ContainsFunc(evs, func(e ui.Event) bool { _, ok := e.(ui.Forward); return ok }) {
		t.Fatalf("Cancel forwarded: %#v", evs)
	}
	d.Frame(st)
	if _, ok := d.Find("Forward to…"); ok {
		t.Fatal("the chooser stays after Cancel")
	}
}

// "Wang is typing…" shows while a typing lasts, names two, counts three,
// and goes when it expires: the UI asks to be redrawn then.
func TestTypingLineShowsAndExpires(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Busy()
	now := uitest.Now.UnixMilli()
	st.Typing = map[proto.ConvID][]state.Typist{uitest.StudyGroup: {
		{User: uitest.WangFang.ID, Name: "王芳", Until: now + 3100},
		{User: uitest.Tom.ID, Name: "Tom Baker", Until: now + 5000},
	}}
	d.Frame(st)
	onScreen(t, d, "王芳 and Tom Baker are typing…")
	// Frames come when asked for (other things ask too: the caret); one
	// is asked for when 王芳's typing expires.
	expiry := uitest.Now.Add(3100 * time.Millisecond)
	for d.Now.Before(expiry) {
		at, ok := d.Router.WakeupTime()
		if !ok || at.After(expiry) {
			t.Fatalf("no redraw asked for by %v (next: %v, %v)", expiry, at, ok)
		}
		d.Now = at
		d.Frame(st)
	}
	if !d.Now.Equal(expiry) {
		t.Fatalf("redrawn at %v, not at the expiry %v", d.Now, expiry)
	}
	onScreen(t, d, "Tom Baker is typing…")
	d.Now = uitest.Now.Add(5 * time.Second)
	d.Frame(st)
	if _, ok := d.FindContaining("typing"); ok {
		t.Fatalf("typing still shown after it expired; have %q", d.Texts())
	}

	d.Now = uitest.Now
	st.Typing = map[proto.ConvID][]state.Typist{uitest.StudyGroup: {
		{User: 1, Name: "a", Until: now + 5000}, {User: 2, Name: "b", Until: now + 5000}, {User: 3, Name: "c", Until: now + 5000},
	}}
	d.Frame(st)
	onScreen(t, d, "3 people are typing…")
	zh := newDriver(t, ui.Chinese, desktop)
	zh.Frame(st)
	onScreen(t, zh, "3 人正在输入…")
}

// The profile card's switch turns read receipts off and on.
func TestReadReceiptsSwitch(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Busy()
	d.Frame(st)
	must(t, d.Click("Send read receipts: on (click to turn off)"))
	if evs := d.Frame(st); count(evs, ui.SetReadReceipts{On: false}) != 1 {
		t.Fatalf("events %#v", evs)
	}
	st.ReceiptsOff = true
	d.Frame(st)
	must(t, d.Click("Send read receipts: off (click to turn on)"))
	if evs := d.Frame(st); count(evs, ui.SetReadReceipts{On: true}) != 1 {
		t.Fatalf("events %#v", evs)
	}
}

// The list tells the app when it leaves the newest message and comes
// back: the app reads only at the bottom.
func TestTheListReportsWhetherItIsAtTheBottom(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Long(100_000, 200)
	conv := st.Open.ID
	d.Frame(st)
	if evs := d.Take(); slices.ContainsFunc(evs, func(e ui.Event) bool { _, ok := e.(ui.AtBottom); return ok }) {
		t.Fatalf("a conversation opens at the bottom: no report needed; got %#v", evs)
	}
	for range 3 {
		d.Scroll(listPoint, -600)
		d.Frame(st)
	}
	if n := count(d.Take(), ui.AtBottom{Conv: conv, AtBottom: false}); n != 1 {
		t.Fatalf("scrolling up reported %d times, want once", n)
	}
	for range 3 {
		d.Scroll(listPoint, 100_000)
		d.Frame(st)
	}
	if n := count(d.Take(), ui.AtBottom{Conv: conv, AtBottom: true}); n != 1 {
		t.Fatalf("back at the bottom reported %d times, want once; have %q", n, d.Texts())
	}
}

// A forwarded file says so over its card, as a forwarded text does in
// its bubble.
func TestAForwardedFileSaysFromWhom(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Files()
	o := *st.Open
	o.Messages = slices.Clone(o.Messages)
	found := false
	for i := len(o.Messages) - 1; i >= 0 && !found; i-- {
		if o.Messages[i].Kind == proto.MsgFile && !o.Messages[i].Mine {
			o.Messages[i].Forwarded = &proto.Forwarded{From: uitest.Sofia.ID, FromName: uitest.Sofia.Name}
			found = true
		}
	}
	if !found {
		t.Fatal("the fixture has no file message of someone else's")
	}
	o.Revision++
	st.Open = &o
	d.Frame(st)
	onScreen(t, d, "Forwarded from Sofia Rossi")
}
