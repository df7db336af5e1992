package ui_test

import (
	"fmt"
	"image"
	"slices"
	"strings"
	"testing"
	"time"

	"gioui.org/io/key"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui"
	"parley/ui/uitest"
)

// asRequest is Direct with the conversation with 王芳 a request waiting
// for my answer.
func asRequest() state.State {
	st := uitest.Direct()
	st.Conversations[1].Request = true
	o := *st.Open
	o.Request = true
	st.Open = &o
	return st
}

// lastPoint is where to click the last control labelled s (a card's
// button over one of the same name).
func lastPoint(t *testing.T, d *uitest.Driver, s string) image.Point {
	t.Helper()
	var at image.Point
	found := false
	for _, n := range d.Screen() {
		if n.Desc.Label == s && !n.Visible.Empty() {
			at, found = n.Visible.Min.Add(n.Visible.Max).Div(2), true
		}
	}
	if !found {
		t.Fatalf("no %q on screen; have %q", s, d.Texts())
	}
	return at
}

func events[E ui.Event](evs []ui.Event) []E {
	var out []E
	for _, e := range evs {
		if x, ok := e.(E); ok {
			out = append(out, x)
		}
	}
	return out
}

// A request is listed apart, behind "Message requests (1)"; open, it
// shows its messages and Block, Delete, Accept instead of the composer;
// each answers it (Block after a question).
func TestARequestHasAcceptBlockAndDeleteInsteadOfTheComposer(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := asRequest()
	d.Frame(st)
	onScreen(t, d, "Message requests (1)")
	if _, ok := d.FindContaining("周末一起去图书馆吗？"); !ok {
		t.Fatalf("the request's messages are not shown; have %q", d.Texts())
	}
	if _, ok := d.FieldText("Message"); ok {
		t.Fatal("a request offers the composer before it is accepted")
	}
	for _, s := range []string{"Accept", "Block", "Delete"} {
		onScreen(t, d, s)
	}
	must(t, d.Click("Accept"))
	if got := events[ui.AcceptRequest](d.Frame(st)); len(got) != 1 || got[0].Conv != 9001 {
		t.Fatalf("Accept emitted %+v", got)
	}
	must(t, d.Click("Delete"))
	if got := events[ui.DeleteRequest](d.Frame(st)); len(got) != 1 || got[0].Conv != 9001 {
		t.Fatalf("Delete emitted %+v", got)
	}
	must(t, d.Click("Block"))
	if got := events[ui.Block](d.Frame(st)); len(got) != 0 {
		t.Fatalf("Block did not ask first: %+v", got)
	}
	d.Frame(st)
	if _, ok := d.FindContaining("Block 王芳 (4822)?"); !ok {
		t.Fatalf("no question before blocking; have %q", d.Texts())
	}
	d.ClickAt(lastPoint(t, d, "Block"))
	if got := events[ui.Block](d.Frame(st)); len(got) != 1 || got[0].User != uitest.WangFang.ID {
		t.Fatalf("confirming emitted %+v, want Block of 4822", got)
	}

	// Accepted: the composer is back and the row is in the main list.
	st = uitest.Direct()
	d.Frame(st)
	d.Frame(st)
	if _, ok := d.Find("Message requests (1)"); ok {
		t.Fatal("the requests row stays after the request was accepted")
	}
	if _, ok := d.Find("Accept"); ok {
		t.Fatal("the request bar stays after the request was accepted")
	}
}

// The requests row opens the list of requests; the way back returns.
func TestTheRequestsRowOpensTheRequests(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := asRequest()
	st.Open = nil
	d.Frame(st)
	rows := func() int {
		n := 0
		for _, s := range d.Texts() {
			if s == "王芳" {
				n++
			}
		}
		return n
	}
	if rows() != 0 {
		t.Fatalf("the request is in the main list; have %q", d.Texts())
	}
	must(t, d.Click("Message requests (1)"))
	d.Frame(st)
	d.Frame(st)
	if rows() == 0 {
		t.Fatalf("the requests list does not show 王芳; have %q", d.Texts())
	}
	must(t, d.Click("All conversations · Message requests"))
	d.Frame(st)
	d.Frame(st)
	onScreen(t, d, "Message requests (1)")
}

// The header's menu sets notifications (a level, then for how long;
// "All" at once) and archives; the archived conversation waits behind
// "Archived (1)".
func TestTheMenuMutesAndArchives(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Busy()
	d.Frame(st)
	must(t, d.Click("More options"))
	d.Frame(st)
	onScreen(t, d, "Notifications")
	must(t, d.Click("Mentions only"))
	if got := events[ui.SetNotify](d.Frame(st)); len(got) != 0 {
		t.Fatalf("a level without a span was set: %+v", got)
	}
	must(t, d.Click("For 8 hours"))
	want := ui.SetNotify{Conv: uitest.StudyGroup, Level: proto.NotifyMentions, For: 8 * time.Hour}
	if got := events[ui.SetNotify](d.Frame(st)); len(got) != 1 || got[0] != want {
		t.Fatalf("emitted %+v, want %+v", got, want)
	}
	d.Frame(st)
	if _, ok := d.Find("Notifications"); ok {
		t.Fatal("the menu stays open after a choice")
	}

	// Muted: the menu says until when; All comes back at once.
	st.Open.Notify, st.Open.NotifyUntil = proto.NotifyMentions, uitest.Now.Add(8*time.Hour).UnixMilli()
	must(t, d.Click("More options"))
	d.Frame(st)
	onScreen(t, d, "  Mentions only · until 23:30")
	must(t, d.Click("All"))
	if got := events[ui.SetNotify](d.Frame(st)); len(got) != 1 || got[0] != (ui.SetNotify{Conv: uitest.StudyGroup, Level: proto.NotifyAll}) {
		t.Fatalf("All emitted %+v", got)
	}
	must(t, d.Click("More options"))
	d.Frame(st)
	must(t, d.Click("Archive"))
	if got := events[ui.Archive](d.Frame(st)); len(got) != 1 || got[0] != (ui.Archive{Conv: uitest.StudyGroup, Archived: true}) {
		t.Fatalf("Archive emitted %+v", got)
	}
	// Esc closes the menu.
	must(t, d.Click("More options"))
	d.Frame(st)
	onScreen(t, d, "Notifications")
	d.Press(key.NameEscape, 0)
	d.Frame(st)
	d.Frame(st)
	if _, ok := d.Find("Notifications"); ok {
		t.Fatal("Esc does not close the menu")
	}

	st.Conversations[2].Archived = true
	st.Open = nil
	d.Frame(st)
	onScreen(t, d, "Archived (1)")
	if _, ok := d.Find("Project Parley"); ok {
		t.Fatal("an archived conversation stays in the main list")
	}
}

// A muted conversation's unread badge is grey: no coloured pixels, where
// the same badge unmuted is the primary colour.
func TestAMutedConversationsBadgeIsGrey(t *testing.T) {
	coloured := func(st state.State) int {
		d, img := render(t, st, ui.English, false, desktop)
		n, ok := d.Find("5") // Project Parley's unread count
		if !ok {
			t.Fatalf("no badge 5; have %q", d.Texts())
		}
		box := n.Visible.Inset(-4)
		c := 0
		for y := box.Min.Y; y < box.Max.Y; y++ {
			for x := box.Min.X; x < box.Max.X; x++ {
				p := img.RGBAAt(x, y)
				if absDiff(p.R, p.G)+absDiff(p.G, p.B)+absDiff(p.R, p.B) > 60 {
					c++
				}
			}
		}
		return c
	}
	st := uitest.Busy()
	if n := coloured(st); n < 20 {
		t.Fatalf("the unmuted badge has %d coloured pixels; the test cannot tell", n)
	}
	st.Conversations[2].Notify = proto.NotifyOff
	if n := coloured(st); n != 0 {
		t.Fatalf("the muted badge has %d coloured pixels, want none (grey)", n)
	}
	st.Conversations[2].NotifyUntil = uitest.Now.Add(-time.Minute).UnixMilli() // the mute ended
	if n := coloured(st); n < 20 {
		t.Fatalf("the badge stays grey after the mute ended (%d coloured pixels)", n)
	}
}

// In a group, a message of a user I blocked is one line with Show, which
// shows it.
func TestABlockedUsersMessageIsCollapsedUntilShown(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Busy()
	st.Blocks = []proto.User{uitest.Tom}
	d.Frame(st)
	d.Frame(st)
	tom := func() int {
		n := 0
		for _, s := range d.Texts() {
			if strings.Contains(s, "could we record") || strings.Contains(s, "the train had no signal") {
				n++
			}
		}
		return n
	}
	if tom() != 0 {
		t.Fatalf("a blocked user's message is shown; have %q", d.Texts())
	}
	onScreen(t, d, "Message from a blocked user · 14:51")
	d.ClickAt(lastPoint(t, d, "Show"))
	d.Frame(st)
	d.Frame(st)
	if _, ok := d.FindContaining("the train had no signal"); !ok {
		t.Fatalf("Show did not show the message; have %q", d.Texts())
	}
	if tom() != 1 {
		t.Fatalf("Show showed %d messages, want the one", tom())
	}
}

// The request bar, the menu with its spans and the question before
// blocking fit every window size in both languages.
func TestRequestsAndTheMenuAreNotCutOff(t *testing.T) {
	type screen struct {
		name   string
		st     func() state.State
		clicks map[ui.Lang][]string
	}
	screens := []screen{
		{"request", asRequest, nil},
		{"menu, spans", uitest.Direct, map[ui.Lang][]string{ui.English: {"More options", "Mentions only"}, ui.Chinese: {"更多选项", "仅@我"}}},
		{"block?", uitest.Direct, map[ui.Lang][]string{ui.English: {"More options", "Block user"}, ui.Chinese: {"更多选项", "屏蔽此用户"}}},
		{"group, blocked", func() state.State {
			st := uitest.Busy()
			st.Blocks = []proto.User{uitest.Tom}
			st.Conversations[2].Notify = proto.NotifyOff
			return st
		}, nil},
	}
	for _, lang := range []ui.Lang{ui.English, ui.Chinese} {
		for _, dp := range windowSizes {
			for _, sc := range screens {
				name := fmt.Sprintf("%s/%dx%d/%s", lang, dp.X, dp.Y, sc.name)
				u := uitest.NewUI(t, lang, false)
				var cut []string
				ui.ReportClipped(u, func(s string) {
					if !slices.Contains(cut, s) {
						cut = append(cut, s)
					}
				})
				d := uitest.NewDriver(u, dp)
				st := sc.st()
				d.Frame(st)
				for _, c := range sc.clicks[lang] {
					if err := d.Click(c); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					d.Frame(st)
				}
				cut = nil
				d.Frame(st)
				if len(cut) > 0 {
					t.Errorf("%s: cut off: %q", name, cut)
				}
			}
		}
	}
}

// A request waiting for my answer cannot be called from its header until
// I accept it.
func TestARequestCannotBeCalledBeforeItIsAccepted(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := asRequest()
	d.Frame(st)
	n, ok := d.Find("Call 王芳")
	if !ok || !n.Desc.Disabled {
		t.Fatalf("the call button of a request: %+v (found %v), want it disabled", n.Desc, ok)
	}
	must(t, d.Click("Call 王芳"))
	if got := events[ui.Call](d.Frame(st)); len(got) != 0 {
		t.Fatalf("calling a request emitted %+v", got)
	}
	st = uitest.Direct()
	d.Frame(st)
	if n, ok := d.Find("Call 王芳"); !ok || n.Desc.Disabled {
		t.Fatalf("the call button once accepted: %+v (found %v)", n.Desc, ok)
	}
}
