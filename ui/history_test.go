package ui_test

import (
	"image"
	"slices"
	"testing"

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
