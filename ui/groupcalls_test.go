package ui_test

import (
	"image"
	"strings"
	"testing"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui"
	"parley/ui/uitest"
)

// A group with a call I am not in says so over its messages, with the
// count, and Join joins it; its row in the list has the call marker.
func TestGroupCallBannerShowsTheCountAndJoins(t *testing.T) {
	for _, c := range []struct {
		lang             ui.Lang
		three, one, join string
		marker           string
	}{
		{ui.English, "Call in progress · 3 people", "Call in progress · 1 person", "Join", "Call in progress"},
		{ui.Chinese, "通话进行中 · 3 人", "通话进行中 · 1 人", "加入", "通话进行中"},
	} {
		d := newDriver(t, c.lang, desktop)
		d.Frame(uitest.Busy())
		if _, ok := d.FindContaining(c.marker + " ·"); ok {
			t.Fatalf("%v: the banner is on screen without a call", c.lang)
		}
		if n := described(d, c.marker); n != 0 {
			t.Fatalf("%v: %d call markers without a call", c.lang, n)
		}
		st := uitest.WithGroupCallInProgress(uitest.Busy(), 3)
		d.Frame(st)
		banner := onScreenNode(t, d, c.three)
		d.ClickAt(beside(t, d, c.join, banner))
		d.Frame(st)
		wantEvents(t, c.join, d.Take(), ui.GroupCall{Conv: uitest.StudyGroup})
		// The marker is on the study group's row, and only there.
		row := onScreenNode(t, d, "学习小组 Study Group")
		if n := described(d, c.marker); n != 1 {
			t.Errorf("%v: %d call markers in the list, want 1", c.lang, n)
		}
		if m, _ := d.Find(c.marker); m.Visible.Min.Y > row.Visible.Max.Y+40 || m.Visible.Max.Y < row.Visible.Min.Y {
			t.Errorf("%v: the call marker at %v is not on the group's row at %v", c.lang, m.Visible, row.Visible)
		}

		d.Frame(uitest.WithGroupCallInProgress(uitest.Busy(), 1))
		onScreen(t, d, c.one)

		// In another call, Join does nothing.
		busy := uitest.WithGroupCallInProgress(uitest.Busy(), 3)
		busy.Call = uitest.WithCall(uitest.Direct(), state.CallActive).Call
		d.Frame(busy)
		d.ClickAt(beside(t, d, c.join, onScreenNode(t, d, c.three)))
		d.Frame(busy)
		wantEvents(t, c.join+" during another call", d.Take())
	}

	// In it on another of my devices: the banner says so and has no
	// Join, and the header's button is off (the server would refuse).
	for _, c := range []struct {
		lang ui.Lang
		says string
	}{
		{ui.English, "Call in progress · 3 people · You are in it on another device"},
		{ui.Chinese, "通话进行中 · 3 人 · 你已在另一台设备上加入"},
	} {
		d := newDriver(t, c.lang, desktop)
		away := uitest.WithGroupCallElsewhere(uitest.Busy(), 3)
		d.Frame(away)
		onScreen(t, d, c.says)
		if n := described(d, map[ui.Lang]string{ui.English: "Join", ui.Chinese: "加入"}[c.lang]); n != 0 {
			t.Errorf("%v: %d Join buttons while I am in the call elsewhere", c.lang, n)
		}
	}
	d := newDriver(t, ui.English, desktop)
	away := uitest.WithGroupCallElsewhere(uitest.Busy(), 3)
	d.Frame(away)
	wantEvents(t, "the header's button while I am in the call elsewhere", step(t, d, "You are in it on another device"))

	// Once I am in it, the call bar shows it instead.
	d = newDriver(t, ui.English, desktop)
	d.Frame(uitest.WithGroupCall(uitest.Busy(), state.CallActive, 4))
	if _, ok := d.FindContaining("Call in progress ·"); ok {
		t.Error("the banner shows the call I am in")
	}
}

// A group's header has a call button: it starts the group's call, or
// joins the one in progress.
func TestGroupHeaderCallButtonStartsOrJoinsTheCall(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.Busy())
	wantEvents(t, "the header's call button", step(t, d, "Start a group call"), ui.GroupCall{Conv: uitest.StudyGroup})
	d.Frame(uitest.WithGroupCallInProgress(uitest.Busy(), 2))
	wantEvents(t, "the header's join button", step(t, d, "Join the call"), ui.GroupCall{Conv: uitest.StudyGroup})
	// During a call it is off.
	d.Frame(uitest.WithGroupCall(uitest.Busy(), state.CallActive, 3))
	wantEvents(t, "the header's call button in the call", step(t, d, "Join the call"))
	// A direct chat calls its person instead.
	d.Frame(uitest.Direct())
	if _, ok := d.Find("Start a group call"); ok {
		t.Error("a direct chat offers a group call")
	}

	zh := newDriver(t, ui.Chinese, desktop)
	zh.Frame(uitest.Busy())
	wantEvents(t, "发起群通话", step(t, zh, "发起群通话"), ui.GroupCall{Conv: uitest.StudyGroup})
}

// A group call that rings here says who started it in which group, with
// Join (which answers: the model joins) and Decline.
func TestIncomingGroupCallCardJoinsOrDeclines(t *testing.T) {
	for _, c := range []struct {
		lang                       ui.Lang
		title, says, join, decline string
	}{
		{ui.English, "Group call", "王芳 started a call in 学习小组 Study Group", "Join", "Decline"},
		{ui.Chinese, "群通话", "王芳 在 学习小组 Study Group 发起了通话", "加入", "拒绝"},
	} {
		d := newDriver(t, c.lang, desktop)
		st := uitest.WithGroupCall(uitest.Busy(), state.CallIncoming, 3)
		d.Frame(st)
		onScreen(t, d, c.title)
		onScreen(t, d, c.says)
		wantEvents(t, c.join, step(t, d, c.join), ui.AcceptCall{})
		wantEvents(t, c.decline, step(t, d, c.decline), ui.DeclineCall{})
	}
	title, text := ui.CallNotification(ui.English, *uitest.WithGroupCall(uitest.Busy(), state.CallIncoming, 3).Call)
	if title != "王芳 started a call in 学习小组 Study Group" || text != "Group call" {
		t.Errorf("the notification says %q, %q", title, text)
	}
}

// In a group call the bar has the group's name, the timer, the count and
// the carrier, Mute and Leave; when I left, Join takes me back.
func TestGroupCallBarNamesTheGroupAndLeaves(t *testing.T) {
	for _, c := range []struct {
		lang                       ui.Lang
		status, mute, leave, ended string
		join                       string
	}{
		{ui.English, "In call · 02:13 · 4 people · via UDP", "Mute", "Leave", "You left the call (3:41)", "Join"},
		{ui.Chinese, "通话中 · 02:13 · 4 人 · 经 UDP 传输", "静音", "退出通话", "你已退出通话（3:41）", "加入"},
	} {
		d := newDriver(t, c.lang, desktop)
		st := uitest.WithGroupCall(uitest.Busy(), state.CallActive, 4)
		st.Call.Carrier = state.CarrierUDP
		d.Frame(st)
		onScreen(t, d, c.status)
		if n := labelledCount(d, "学习小组 Study Group"); n < 3 { // the list, the header and the bar
			t.Errorf("%v: the bar does not name the group", c.lang)
		}
		wantEvents(t, c.mute, step(t, d, c.mute), ui.Mute{Muted: true})
		wantEvents(t, c.leave, step(t, d, c.leave), ui.HangUp{})

		// In its group, the banner under the bar has the one Join; in
		// another conversation, the bar has it.
		st = uitest.WithGroupCall(uitest.Busy(), state.CallEnded, 3)
		d.Frame(st)
		onScreen(t, d, c.ended)
		banner := onScreenNode(t, d, map[ui.Lang]string{ui.English: "Call in progress · 2 people", ui.Chinese: "通话进行中 · 2 人"}[c.lang])
		if n := labelledCount(d, c.join); c.lang == ui.Chinese && n != 1 {
			t.Errorf("%v: %d Join buttons in the group after I left", c.lang, n)
		}
		d.ClickAt(beside(t, d, c.join, banner))
		d.Frame(st)
		wantEvents(t, "the banner's "+c.join, d.Take(), ui.GroupCall{Conv: uitest.StudyGroup})
		st.Open = uitest.Direct().Open
		d.Frame(st)
		onScreen(t, d, c.ended)
		wantEvents(t, c.join, step(t, d, c.join), ui.GroupCall{Conv: uitest.StudyGroup})
	}
}

// tiles are the participants' tiles on screen, by the name they show.
func tiles(d *uitest.Driver) map[string]uitest.Node {
	out := map[string]uitest.Node{}
	for _, n := range d.Screen() {
		if name, ok := strings.CutSuffix(strings.TrimSuffix(n.Desc.Description, " · Speaking"), " in the call"); ok {
			out[name] = n
		}
	}
	return out
}

// Sixteen people fit a wide window's call bar without scrolling, each
// tile whole and apart from the others; on a phone the tiles scroll in
// their own band, and the messages and composer stay in sight.
func TestGroupCallScreenLaysOutSixteenPeople(t *testing.T) {
	st := uitest.WithGroupCall(uitest.Busy(), state.CallActive, 16)
	d := newDriver(t, ui.English, desktop)
	d.Frame(st)
	d.Frame(st)
	ts := tiles(d)
	if len(ts) != 16 {
		t.Fatalf("%d tiles, want 16: %q", len(ts), d.Texts())
	}
	onScreen(t, d, "You")
	for name, n := range ts {
		if n.Visible != n.Desc.Bounds || !n.Visible.In(image.Rectangle{Max: desktop}) {
			t.Errorf("%s's tile is cut: %v of %v", name, n.Visible, n.Desc.Bounds)
		}
		for other, o := range ts {
			if other != name && n.Visible.Overlaps(o.Visible) {
				t.Errorf("%s's tile overlaps %s's", name, other)
			}
		}
		if label, ok := d.Find(name); name != "李华" && (!ok || !label.Visible.In(image.Rectangle{Max: desktop})) {
			t.Errorf("%s's name is not on screen", name)
		}
	}
	onScreen(t, d, "可以，我来录。Recording is on me.")

	phone := image.Pt(400, 760)
	d = newDriver(t, ui.English, phone)
	d.Frame(st)
	d.Frame(st)
	ts = tiles(d)
	whole, cut := 0, 0
	var band image.Rectangle
	for _, n := range ts {
		switch {
		case n.Visible == n.Desc.Bounds:
			whole++
		case !n.Visible.Empty():
			cut++
		}
		band = band.Union(n.Visible)
	}
	if whole < 4 || whole >= 16 {
		t.Fatalf("on a phone %d tiles are whole, want a scrolling band of some", whole)
	}
	if band.Dy() > phone.Y/2 {
		t.Errorf("the tiles take %d of %d px", band.Dy(), phone.Y)
	}
	composer := onScreenNode(t, d, "Message 学习小组 Study Group")
	if composer.Visible.Min.Y < band.Max.Y {
		t.Errorf("the composer at %v is under the tiles at %v", composer.Visible, band)
	}
	if last, ok := ts["吴芳"]; ok && last.Visible == last.Desc.Bounds {
		t.Fatal("the last tile is in sight before scrolling")
	}
	first := ts["李华"] // me: "You" under my avatar
	d.Scroll(first.Visible.Min.Add(first.Visible.Max).Div(2), 2000)
	d.Frame(st)
	d.Frame(st)
	if last, ok := tiles(d)["吴芳"]; !ok || last.Visible != last.Desc.Bounds || last.Visible.Empty() {
		t.Errorf("scrolling the tiles does not bring the last one in sight: %v of %v", last.Visible, last.Desc.Bounds)
	}
}

// The speaking ring is drawn round who speaks (thicker the louder), the
// muted microphone on who is muted, and neither on the others.
func TestSpeakingAndMutedAreDrawnForTheRightPeople(t *testing.T) {
	for _, dark := range []bool{false, true} {
		p := ui.LightPalette
		if dark {
			p = ui.DarkPalette
		}
		st := uitest.WithGroupCall(uitest.Busy(), state.CallActive, 5)
		d, img := render(t, st, ui.English, dark, desktop)
		ts := tiles(d)
		if len(ts) != 5 {
			t.Fatalf("%d tiles, want 5: %q", len(ts), d.Texts())
		}
		for name, n := range ts {
			ring := matching(img, n.Visible, p.Accept)
			muted := matching(img, n.Visible, p.Danger)
			speaking, isMuted := name == "王芳", name == "Tom Baker"
			if speaking != strings.HasSuffix(n.Desc.Description, " · Speaking") {
				t.Errorf("dark %v: %s's tile says %q", dark, name, n.Desc.Description)
			}
			if speaking && ring < 300 || !speaking && ring > 10 {
				t.Errorf("dark %v: %s's tile has %d pixels of the speaking ring", dark, name, ring)
			}
			if isMuted && muted < 30 || !isMuted && muted > 0 {
				t.Errorf("dark %v: %s's tile has %d pixels of the muted microphone", dark, name, muted)
			}
			if _, ok := d.Find(name + " is muted"); ok != isMuted {
				t.Errorf("dark %v: %s described muted: %v", dark, name, ok)
			}
		}
		// Louder, thicker.
		quiet := uitest.WithGroupCall(uitest.Busy(), state.CallActive, 5)
		for i := range quiet.Call.Participants {
			if quiet.Call.Participants[i].Speaking {
				quiet.Call.Participants[i].Level = 0
			}
		}
		dq, imgq := render(t, quiet, ui.English, dark, desktop)
		loud, soft := matching(img, ts["王芳"].Visible, p.Accept), matching(imgq, tiles(dq)["王芳"].Visible, p.Accept)
		if loud <= soft*5/4 {
			t.Errorf("dark %v: the ring at level 0.8 has %d pixels, at 0 %d", dark, loud, soft)
		}
	}
}

// Group calls in the history: how long and how many, or who started one
// nobody joined; each offers to call the group, or to join its call in
// progress. The list's preview says the same.
func TestGroupCallEntriesInTheHistory(t *testing.T) {
	for _, c := range []struct {
		lang                   ui.Lang
		answered, missed, mine string
		call, join             string
	}{
		{ui.English, "Group call · 5:00 · 3 people", "王芳 started a call · no one joined", "You started a call · no one joined", "Call", "Join"},
		{ui.Chinese, "群通话 · 5:00 · 3 人", "王芳 发起了通话 · 无人加入", "你发起了通话 · 无人加入", "呼叫", "加入"},
	} {
		d := newDriver(t, c.lang, desktop)
		st := uitest.GroupCallEntries(uitest.Busy())
		d.Frame(st)
		d.Frame(st)
		onScreenContaining(t, d, c.answered+" · ")
		onScreenContaining(t, d, c.missed+" · ")
		wantEvents(t, c.call, step(t, d, c.call), ui.GroupCall{Conv: uitest.StudyGroup})

		// With a call in progress, the entries offer to join it.
		st = uitest.WithGroupCallInProgress(st, 2)
		d.Frame(st)
		wantEvents(t, c.join, step(t, d, c.join), ui.GroupCall{Conv: uitest.StudyGroup})

		// The one I started, and the list's preview.
		o := *st.Open
		o.Messages = append([]state.Message(nil), o.Messages...)
		missed := o.Messages[len(o.Messages)-2]
		call := *missed.Call
		call.Caller = uitest.LiHua.ID
		missed.Call, missed.Sender, missed.SenderName = &call, uitest.LiHua.ID, uitest.LiHua.Name
		o.Messages[len(o.Messages)-2] = missed
		o.Revision++
		st.Open = &o
		st.Conversations = append([]state.Conversation(nil), st.Conversations...)
		st.Conversations[0].Last = &o.Messages[len(o.Messages)-3].Message
		d.Frame(st)
		onScreenContaining(t, d, c.mine+" · ")
		onScreen(t, d, c.answered)
	}
	// An entry without a name for who started it says their ID.
	m := proto.Message{Sender: 99, Kind: proto.MsgCall, Call: &proto.CallEntry{Caller: 99, Outcome: proto.CallMissed, Group: true}}
	st := uitest.Busy()
	st.Conversations[0].Last = &m
	d := newDriver(t, ui.English, desktop)
	d.Frame(st)
	onScreen(t, d, "ID 99 started a call · no one joined")
}

// labelledCount counts the places on screen where a label says s (a
// button's label is two nodes in one place).
func labelledCount(d *uitest.Driver, s string) int {
	places := map[image.Rectangle]bool{}
	for _, nd := range d.Screen() {
		if nd.Desc.Label == s && !nd.Visible.Empty() {
			places[nd.Visible] = true
		}
	}
	return len(places)
}

// beside is where to click the control labelled s on the same row as
// node n (the banner's Join, not the sidebar's).
func beside(t *testing.T, d *uitest.Driver, s string, n uitest.Node) image.Point {
	t.Helper()
	mid := (n.Visible.Min.Y + n.Visible.Max.Y) / 2
	for _, c := range d.Screen() {
		if c.Desc.Label == s && !c.Visible.Empty() && c.Visible.Min.Y <= mid && mid <= c.Visible.Max.Y {
			return c.Visible.Min.Add(c.Visible.Max).Div(2)
		}
	}
	t.Fatalf("no %q beside %q; have %q", s, n.Desc.Label, d.Texts())
	return image.Point{}
}
