package main

import (
	"log/slog"
	"slices"
	"testing"

	"gioui.org/x/notify"

	"parley/app/state"
	"parley/net/proto"
)

// A message that mentions me notifies even where others would not: with
// the window focused, and when a later entry is the conversation's
// newest; once; never my own.
func TestAMentionAlwaysNotifiesButNotMyOwn(t *testing.T) {
	fake := &fakeNotifier{}
	n := &newsNotifier{open: func() (notify.Notifier, error) { return fake, nil }, log: slog.New(slog.DiscardHandler)}
	me := proto.User{ID: 4821, Name: "李华"}
	wang := proto.User{ID: 4822, Name: "王芳"}
	msg := func(seq int64, from proto.User, kind, text string, mentions ...proto.UserID) *proto.Message {
		return &proto.Message{Conv: 512, Seq: seq, Sender: from.ID, SenderName: from.Name, Kind: kind, Text: text, Mentions: mentions}
	}
	group := func(last, mentioned *proto.Message, unread int64) state.State {
		c := state.Conversation{ID: 512, Kind: proto.KindGroup, Name: "学习小组", Last: last, Unread: unread,
			Mentioned: mentioned, MentionUnread: mentioned != nil && unread > 0}
		return state.State{Me: &me, Conversations: []state.Conversation{c}}
	}
	n.update(group(msg(1, wang, proto.MsgText, "hi"), nil, 1), true) // what is there at start is not news

	n.update(group(msg(2, wang, proto.MsgText, "focused: no notice"), nil, 2), true)
	at := msg(3, wang, proto.MsgText, "@李华 看这个", me.ID)
	n.update(group(at, at, 3), true) // focused, yet a mention
	n.update(group(at, at, 3), true) // the same state again
	at2 := msg(4, wang, proto.MsgText, "@李华 还有这个", me.ID)
	react := msg(5, wang, proto.MsgReact, "")
	n.update(group(react, at2, 4), false) // a newer entry hides it from the usual rule
	mine := msg(6, me, proto.MsgText, "@李华 note to self", me.ID)
	n.update(group(mine, mine, 0), false)
	// Open in the focused window: seen as it comes, not notified.
	looking := msg(7, wang, proto.MsgText, "@李华 你在看吧", me.ID)
	st := group(looking, looking, 1)
	st.Open = &state.Open{Conversation: st.Conversations[0]}
	n.update(st, true)

	want := []shown{{"王芳 mentioned you · 学习小组", "@李华 看这个"}, {"王芳 mentioned you · 学习小组", "@李华 还有这个"}}
	if !slices.Equal(fake.shown, want) {
		t.Fatalf("notified %+v, want %+v", fake.shown, want)
	}
}
