package ui_test

import (
	"image"
	"slices"
	"testing"

	"gioui.org/io/key"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui"
	"parley/ui/uitest"
)

func TestEnterSendsAndShiftEnterBreaksTheLine(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.Busy()) // opening a conversation focuses the composer
	d.Frame(d.State)
	d.Type("第一行 first line")
	d.Frame(d.State)
	d.Press(key.NameReturn, key.ModShift)
	d.Frame(d.State)
	if evs := withoutDrafts(d.Take()); len(evs) != 0 {
		t.Fatalf("Shift+Enter sent something: %#v", evs)
	}
	d.Type("second line")
	d.Frame(d.State)
	d.Press(key.NameReturn, 0)
	d.Frame(d.State)
	conv := d.State.Open.ID
	want := ui.Send{Conv: conv, Text: "第一行 first line\nsecond line"}
	evs := d.Take()
	if !slices.Equal(withoutDrafts(slices.Clone(evs)), []ui.Event{want}) || evs[len(evs)-1] != (ui.Draft{Conv: conv}) {
		t.Fatalf("Enter gave %#v, want %#v and the draft cleared", evs, want)
	}
	// The composer is empty again: Enter now sends nothing.
	d.Press(key.NameReturn, 0)
	d.Frame(d.State)
	if evs := d.Take(); len(evs) != 0 {
		t.Fatalf("an empty composer sent %#v", evs)
	}
}

func TestSidebarFormsAskForWhatTheySay(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.Busy())
	steps := []struct {
		tab    string
		fields [][2]string
		want   ui.Event
	}{
		{"New group", [][2]string{{"Group name", "读书会 Book Club"}}, ui.CreateGroup{Name: "读书会 Book Club", Policy: proto.PolicyAsk}},
		{"Join", [][2]string{{"Group ID or invite link", "512"}}, ui.JoinGroup{GroupID: "512"}},
		{"Join", [][2]string{{"Group ID or invite link", "https://chat.example.org/join/q3Jx0Lw1Zr9mUe5hT2aPkA"}}, ui.JoinByText{Text: "https://chat.example.org/join/q3Jx0Lw1Zr9mUe5hT2aPkA"}},
		{"Invite", [][2]string{{"User ID", "4830"}}, ui.Invite{UserID: "4830"}}, // group: the open one
		{"Invite", [][2]string{{"User ID", "4830"}, {"Group ID (optional)", "517"}}, ui.Invite{UserID: "4830", GroupID: "517"}},
		{"Direct", [][2]string{{"User ID", "4822"}}, ui.OpenDirect{UserID: "4822"}},
	}
	for _, s := range steps {
		must(t, d.Click(s.tab))
		d.Frame(d.State)
		for _, f := range s.fields {
			must(t, d.Fill(f[0], f[1]))
		}
		d.Press(key.NameReturn, 0)
		d.Frame(d.State)
		if evs := d.Take(); !slices.Equal(evs, []ui.Event{s.want}) {
			t.Fatalf("%s: got %#v, want %#v", s.tab, evs, s.want)
		}
	}
}

func TestConversationListOpensWhatIsClicked(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.Busy())
	onScreen(t, d, "5") // Project Parley's unread badge
	onScreen(t, d, "Tom Baker: The server build is green again.")
	must(t, d.Click("Project Parley"))
	d.Frame(d.State)
	if evs := d.Take(); !slices.Equal(evs, []ui.Event{ui.Open{Conv: 517}}) {
		t.Fatalf("got %#v, want to open 517", evs)
	}
}

func TestNarrowWindowShowsOnePaneWithBackNavigation(t *testing.T) {
	d := newDriver(t, ui.English, image.Pt(400, 760))
	st := uitest.Busy()
	d.Frame(st)
	if _, ok := d.Find("Search messages"); ok {
		t.Fatal("the sidebar shows next to an open conversation on a phone-sized window")
	}
	must(t, d.Click("Back"))
	d.Frame(st)
	if evs := d.Take(); !slices.Equal(evs, []ui.Event{ui.Open{Conv: 0}}) {
		t.Fatalf("Back gave %#v, want to close the conversation", evs)
	}
	st.Open = nil
	d.Frame(st)
	onScreen(t, d, "Search messages")
	onScreen(t, d, "学习小组 Study Group")
}

func TestEmptyStatesSayWhatToDo(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.Empty())
	onScreen(t, d, "No conversations yet — create or join a group")
	onScreen(t, d, "Pick a conversation, or create a group to start")
	st := uitest.Busy()
	st.Open.Messages, st.Open.HasOlder = nil, false
	d.Frame(st)
	onScreen(t, d, "No messages yet — say hello!")
}

func TestNoticeBarShowsNewestFirstAndDismisses(t *testing.T) {
	d := newDriver(t, ui.Chinese, desktop)
	d.Frame(uitest.Busy())
	created, ok1 := d.Find("已创建群聊“Project Parley”，ID 为 517")
	joined, ok2 := d.Find("已加入群聊 家庭群（530）")
	if !ok1 || !ok2 {
		t.Fatalf("notices missing; have %q", d.Texts())
	}
	if created.Visible.Min.Y > joined.Visible.Min.Y {
		t.Error("the older notice is above the newer one")
	}
	must(t, d.Click("关闭"))
	d.Frame(d.State)
	if evs := d.Take(); !slices.Equal(evs, []ui.Event{ui.DismissNotice{ID: 2}}) {
		t.Fatalf("dismiss gave %#v, want the newest notice (2)", evs)
	}
}

func TestSearchShowsResultsAndOpensTheirConversation(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Busy()
	d.Frame(st)
	must(t, d.Fill("Search messages", "读书会"))
	d.Press(key.NameReturn, 0)
	d.Frame(st)
	if evs := d.Take(); !slices.Equal(evs, []ui.Event{ui.Search{Query: "读书会"}}) {
		t.Fatalf("got %#v", evs)
	}
	st.Search = &state.Search{Query: "读书会", Results: []state.Message{st.Open.Messages[3]}}
	d.Frame(st)
	onScreen(t, d, "1 result for “读书会”")
	must(t, d.Click("大家好！这周的读书会定在周四晚上七点，可以吗？"))
	d.Frame(st)
	must(t, d.Click("Clear search"))
	d.Frame(st)
	m := st.Open.Messages[3] // opened at the message, the words found marked (jump_test.go)
	want := []ui.Event{ui.JumpTo{Conv: uitest.StudyGroup, Seq: m.Seq, Highlight: "读书会"}, ui.Search{}}
	if evs := d.Take(); !slices.Equal(evs, want) {
		t.Fatalf("got %#v, want %#v", evs, want)
	}
}

func TestLeavingAGroupAsksFirst(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.Busy())
	must(t, d.Click("Leave group"))
	d.Frame(d.State)
	if evs := d.Take(); len(evs) != 0 {
		t.Fatalf("left without asking: %#v", evs)
	}
	must(t, d.Click("Leave"))
	d.Frame(d.State)
	if evs := d.Take(); !slices.Equal(evs, []ui.Event{ui.Leave{Conv: uitest.StudyGroup}}) {
		t.Fatalf("got %#v", evs)
	}
}

func TestHeaderShowsMembersAndWhoIsOnline(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.Busy())
	onScreen(t, d, "#512 · 5 members · 3 online")
	must(t, d.Click("Members"))
	d.Frame(d.State)
	onScreen(t, d, "Sofia Rossi")
	onScreen(t, d, "4830")
}

func TestProfileShowsConnectionAndLogOutAsksFirst(t *testing.T) {
	d := newDriver(t, ui.Chinese, desktop)
	st := uitest.Busy()
	d.Frame(st)
	onScreen(t, d, "李华")
	onScreen(t, d, "ID 4821")
	onScreen(t, d, "在线")
	st.Conn = state.Offline
	d.Frame(st)
	onScreen(t, d, "离线")
	must(t, d.Click("退出登录"))
	d.Frame(st)
	if evs := d.Take(); len(evs) != 0 {
		t.Fatalf("the log-out button logged out without asking: %#v", evs)
	}
	onScreen(t, d, "确定退出登录？再次登录需要你的 ID（4821）和密码。")
	must(t, d.Click("取消"))
	d.Frame(st)
	if _, ok := d.FindContaining("确定退出登录"); ok {
		t.Fatal("Cancel left the question open")
	}
	must(t, d.Click("退出登录"))
	d.Frame(st)
	confirm := labelled(t, d, "退出登录") // the question's button, not the icon
	d.ClickAt(center(confirm.Visible))
	d.Frame(st)
	if evs := d.Take(); !slices.Equal(evs, []ui.Event{ui.Logout{}}) {
		t.Fatalf("confirming gave %#v, want Logout", evs)
	}
}

// labelled returns the node whose label (not description) is s.
func labelled(t *testing.T, d *uitest.Driver, s string) uitest.Node {
	t.Helper()
	for _, n := range d.Screen() {
		if n.Desc.Label == s && !n.Visible.Empty() {
			return n
		}
	}
	t.Fatalf("no label %q on screen; have %q", s, d.Texts())
	return uitest.Node{}
}

func TestMyMessagesShowTheirDeliveryState(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Busy()
	last := &st.Open.Messages[len(st.Open.Messages)-1]
	last.Status = state.Failed
	last.Error = &state.Notice{Kind: state.NoticeError, Code: proto.CodeNotMember}
	d.Frame(st)
	onScreen(t, d, "15:02 · Sent")
	onScreen(t, d, "15:29 · Not sent — You are not a member of that group")
	onScreen(t, d, "ID 4823") // other people's messages name their sender
	onScreen(t, d, "Today")
	onScreen(t, d, "陈静 joined · 08:55")
}

// withoutDrafts drops the Draft events (every change to the composer
// reports one).
func withoutDrafts(evs []ui.Event) []ui.Event {
	return slices.DeleteFunc(evs, func(ev ui.Event) bool {
		_, ok := ev.(ui.Draft)
		return ok
	})
}
