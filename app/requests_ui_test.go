package main

import (
	"log/slog"
	"testing"
	"time"

	"gioui.org/x/notify"

	"parley/app/state"
	"parley/net/proto"
	"parley/server/node/nodetest"
)

// The notifier reads each conversation's level by its clock: "mentions"
// rings only for a mention of me, "off" never (a mention neither), a
// request never, and after the level's end everything rings again.
func TestTheNotifierRespectsMutesAndRequests(t *testing.T) {
	fake := &fakeNotifier{}
	start := time.Date(2026, 3, 12, 15, 0, 0, 0, time.UTC)
	clock := nodetest.NewClock(start)
	n := &newsNotifier{open: func() (notify.Notifier, error) { return fake, nil }, log: slog.New(slog.DiscardHandler), now: clock.Now}
	me := proto.User{ID: 4821, Name: "李华"}
	wang := proto.User{ID: 4822, Name: "王芳"}
	group := state.Conversation{ID: 512, Kind: proto.KindGroup, Name: "学习小组", Notify: proto.NotifyMentions, NotifyUntil: start.Add(time.Hour).UnixMilli()}
	stranger := state.Conversation{ID: 9009, Kind: proto.KindDirect, Name: "Stranger", Peer: &proto.User{ID: 7788, Name: "Stranger"}, Request: true}
	seq := int64(0)
	msg := func(c state.Conversation, from proto.User, text string, mentions ...proto.UserID) *proto.Message {
		seq++
		return &proto.Message{Conv: c.ID, Seq: seq, Sender: from.ID, SenderName: from.Name, Kind: proto.MsgText, Text: text, Mentions: mentions}
	}
	frame := func(cs ...state.Conversation) { n.update(state.State{Me: &me, Conversations: cs}, false) }
	frame(group, stranger) // the first look: nothing is news

	group.Last, group.Unread = msg(group, wang, "plain"), 1
	frame(group, stranger)
	if len(fake.shown) != 0 {
		t.Fatalf("mentions only: a plain message notified %+v", fake.shown)
	}
	m := msg(group, wang, "@李华 look", me.ID)
	group.Last, group.Mentioned, group.MentionUnread, group.Unread = m, m, true, 2
	frame(group, stranger)
	if len(fake.shown) != 1 || fake.shown[0].text != "@李华 look" {
		t.Fatalf("mentions only: the mention notified %+v, want it", fake.shown)
	}

	group.Notify, group.NotifyUntil = proto.NotifyOff, 0
	m = msg(group, wang, "@李华 again", me.ID)
	group.Last, group.Mentioned, group.Unread = m, m, 3
	stranger.Last, stranger.Unread = msg(stranger, *stranger.Peer, "hello, we have not met"), 1
	frame(group, stranger)
	if len(fake.shown) != 1 {
		t.Fatalf("off, and a request: notified %+v", fake.shown[1:])
	}

	group.Notify, group.NotifyUntil = proto.NotifyMentions, start.Add(time.Hour).UnixMilli()
	clock.Advance(time.Hour)
	group.Last, group.Unread = msg(group, wang, "after the hour"), 4
	frame(group, stranger)
	if len(fake.shown) != 2 || fake.shown[1].text != "after the hour" {
		t.Fatalf("after the mute ended: notified %+v, want the plain message", fake.shown)
	}
}
