package ui_test

import (
	"image"
	"slices"
	"testing"

	"gioui.org/f32"
	"gioui.org/io/pointer"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui"
	"parley/ui/uitest"
)

// folded is the direct chat with 王芳 as the model shows it after edits,
// a delete, reactions, a reply, a forward and two calls: the change
// entries are folded into their messages, never rows of their own.
func folded() state.State {
	st := uitest.Direct()
	o := *st.Open
	ms := slices.Clone(o.Messages)
	ms[0].Text, ms[0].Edited = "你今晚有空吗？", ms[0].Time+60_000
	ms[1].Text, ms[1].Deleted = "", true
	ms[2].Reactions = []proto.Reaction{
		{Emoji: "👍", Users: []proto.UserID{uitest.WangFang.ID, uitest.LiHua.ID}},
		{Emoji: "❤️", Users: []proto.UserID{uitest.WangFang.ID}},
	}
	next := func(seq int64, from proto.User, kind string) state.Message {
		last := ms[len(ms)-1]
		m := last
		m.Seq, m.ClientID, m.Sender, m.SenderName, m.Time, m.Kind = seq, "", from.ID, from.Name, last.Time+60_000, kind
		m.Text, m.Reactions, m.Mine = "", nil, from.ID == uitest.LiHua.ID
		m.ReplyTo, m.Reply, m.Forwarded, m.Edited, m.Deleted = 0, nil, nil, 0, false
		return m
	}
	reply := next(10, uitest.WangFang, proto.MsgText)
	reply.Text, reply.ReplyTo = "算了，不用了", ms[1].Seq
	// The quote as it was fetched, before the delete: the window's
	// original, deleted since, wins.
	reply.Reply = &proto.Quote{Seq: ms[1].Seq, Sender: uitest.LiHua.ID, SenderName: uitest.LiHua.Name, Text: "有空，我现在打给你"}
	ms = append(ms, reply)
	fwd := next(11, uitest.WangFang, proto.MsgText)
	fwd.Text, fwd.Forwarded = "Chapter three slides are up", &proto.Forwarded{From: uitest.Tom.ID, FromName: uitest.Tom.Name}
	ms = append(ms, fwd)
	answered := next(12, uitest.LiHua, proto.MsgCall)
	answered.Call = &proto.CallEntry{Caller: uitest.LiHua.ID, Callee: uitest.WangFang.ID, Outcome: proto.CallAnswered, Reason: proto.EndHangup, DurationMs: 221_000}
	ms = append(ms, answered)
	missed := next(13, uitest.WangFang, proto.MsgCall)
	missed.Call = &proto.CallEntry{Caller: uitest.WangFang.ID, Callee: uitest.LiHua.ID, Outcome: proto.CallMissed, Reason: proto.EndCancelled}
	ms = append(ms, missed)
	o.Messages, o.Revision = ms, o.Revision+1
	last := missed.Message
	o.Last = &last
	st.Open = &o
	return st
}

func TestFoldedHistoryShowsMarksTombstonesReactionsQuotesAndCalls(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := folded()
	d.Frame(st)
	for _, s := range []string{"你今晚有空吗？", "edited", "Message deleted", "👍 2", "❤️ 1", "Forwarded from Tom Baker",
		"Chapter three slides are up", "Voice call · 3:41", "Missed call"} {
		if _, ok := d.FindContaining(s); !ok {
			t.Errorf("%q is not on screen; have %q", s, d.Texts())
		}
	}
	if _, ok := d.FindContaining("有空，我现在打给你"); ok {
		t.Error("the deleted message still shows its text")
	}
	places := map[image.Rectangle]bool{}
	for _, n := range d.Screen() {
		if n.Desc.Label == "Message deleted" {
			places[n.Visible] = true // a row may be measured twice
		}
	}
	if deleted := len(places); deleted != 2 {
		t.Errorf("\"Message deleted\" shows %d times, want 2 (the tombstone and the reply's quote)", deleted)
	}

	// My own reaction: pressing it takes it back; another's adds mine.
	if err := d.Click("👍 2"); err != nil {
		t.Fatal(err)
	}
	evs := d.Frame(st)
	if want := (ui.React{Conv: st.Open.ID, Seq: 9, Emoji: "👍", Remove: true}); count(evs, want) != 1 {
		t.Fatalf("events after pressing my 👍: %+v, want %+v", evs, want)
	}
	if err := d.Click("❤️ 1"); err != nil {
		t.Fatal(err)
	}
	evs = d.Frame(st)
	if want := (ui.React{Conv: st.Open.ID, Seq: 9, Emoji: "❤️"}); count(evs, want) != 1 {
		t.Fatalf("events after pressing her ❤️: %+v, want %+v", evs, want)
	}
	if err := d.Click("Call back"); err != nil {
		t.Fatal(err)
	}
	evs = d.Frame(st)
	if want := (ui.Call{UserID: "4822"}); count(evs, want) != 1 {
		t.Fatalf("events after Call back: %+v, want %+v", evs, want)
	}
}

func TestFoldedHistoryInChinese(t *testing.T) {
	d := newDriver(t, ui.Chinese, desktop)
	d.Frame(folded())
	for _, s := range []string{"已编辑", "消息已删除", "转发自 Tom Baker", "语音通话 · 3:41", "未接来电", "回拨"} {
		if _, ok := d.FindContaining(s); !ok {
			t.Errorf("%q is not on screen; have %q", s, d.Texts())
		}
	}
}

// rightClick queues a secondary click on the text s in the message list
// (right of the sidebar, which may show it as a preview).
func rightClick(t *testing.T, d *uitest.Driver, s string) {
	t.Helper()
	var at image.Rectangle
	for _, n := range d.Screen() {
		if n.Desc.Label == s && n.Visible.Min.X > 330 && !n.Visible.Empty() {
			at = n.Visible
			break // the first: a reply's quote may repeat it below
		}
	}
	if at.Empty() {
		t.Fatalf("%q is not in the list; have %q", s, d.Texts())
	}
	c := at.Min.Add(at.Max).Div(2)
	pos := f32.Pt(float32(c.X), float32(c.Y))
	d.Router.Queue(
		pointer.Event{Kind: pointer.Press, Source: pointer.Mouse, Buttons: pointer.ButtonSecondary, Position: pos},
		pointer.Event{Kind: pointer.Release, Source: pointer.Mouse, Position: pos},
	)
}

// A right-click on a message opens its menu: quick reactions, Copy,
// Delete for everyone (my own only), Delete for me, Pin; each does what
// it says and closes the menu.
func TestContextMenuOffersWhatAMessageAllows(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := folded()
	conv := st.Open.ID
	d.Frame(st)
	rightClick(t, d, "周末一起去图书馆吗？") // hers, seq 9, my 👍 on it
	d.Frame(st)
	for _, s := range []string{"Copy", "Delete for me", "Pin", "Cancel"} {
		onScreen(t, d, s)
	}
	if _, ok := d.Find("Delete for everyone"); ok {
		t.Fatal("the menu offers to delete someone else's message for everyone")
	}
	must(t, d.Click("👍"))
	if want := (ui.React{Conv: conv, Seq: 9, Emoji: "👍", Remove: true}); count(d.Frame(st), want) != 1 {
		t.Fatal("the menu's 👍 did not take my 👍 back")
	}
	d.Frame(st)
	if _, ok := d.Find("Delete for me"); ok {
		t.Fatal("the menu stays open after an action")
	}

	rightClick(t, d, "Chapter three slides are up")
	d.Frame(st)
	must(t, d.Click("🙏"))
	if want := (ui.React{Conv: conv, Seq: 11, Emoji: "🙏"}); count(d.Frame(st), want) != 1 {
		t.Fatal("the menu's 🙏 sent no reaction")
	}
	d.Frame(st)
	rightClick(t, d, "Chapter three slides are up")
	d.Frame(st)
	must(t, d.Click("Pin"))
	if want := (ui.PinMessage{Conv: conv, Seq: 11}); count(d.Frame(st), want) != 1 {
		t.Fatal("Pin sent nothing")
	}

	// My message (deleted: only Delete for me); then a live one of mine.
	o := *st.Open
	o.Messages = slices.Clone(o.Messages)
	o.Messages[1].Text, o.Messages[1].Deleted = "有空，我现在打给你", false
	o.Revision++
	st.Open = &o
	d.Frame(st)
	rightClick(t, d, "有空，我现在打给你")
	d.Frame(st)
	must(t, d.Click("Delete for everyone"))
	if want := (ui.DeleteMessage{Conv: conv, Seq: 8}); count(d.Frame(st), want) != 1 {
		t.Fatal("Delete for everyone sent nothing")
	}
	d.Frame(st)
	rightClick(t, d, "有空，我现在打给你")
	d.Frame(st)
	must(t, d.Click("Delete for me"))
	if want := (ui.DeleteMessage{Conv: conv, Seq: 8, ForMe: true}); count(d.Frame(st), want) != 1 {
		t.Fatal("Delete for me sent nothing")
	}
}
