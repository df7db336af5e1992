package main

import (
	"context"
	"log/slog"
	"slices"
	"testing"

	"gioui.org/x/notify"

	"parley/app/state"
	"parley/net/proto"
	"parley/server/node/nodetest"
	"parley/ui"
)

type shown struct{ title, text string }

// fakeNotifier records notifications instead of showing them.
type fakeNotifier struct {
	shown     []shown
	withdrawn []shown
}

func (f *fakeNotifier) CreateNotification(title, text string) (notify.Notification, error) {
	f.shown = append(f.shown, shown{title, text})
	return fakeNotification{f, shown{title, text}}, nil
}

type fakeNotification struct {
	f *fakeNotifier
	s shown
}

func (n fakeNotification) Cancel() error {
	n.f.withdrawn = append(n.f.withdrawn, n.s)
	return nil
}

func TestNewMessagesNotifyOnlyWhileTheWindowIsNotFocused(t *testing.T) {
	srv := nodetest.Start(t)
	me := seedUser(t, srv, t.TempDir(), "李华")
	wang := seedUser(t, srv, t.TempDir(), "王芳")
	group := me.group("学习小组", wang)
	fake := &fakeNotifier{}
	n := &newsNotifier{open: func() (notify.Notifier, error) { return fake, nil }, log: slog.New(slog.DiscardHandler)}
	received := func(text string) state.State {
		return me.until("“"+text+"”", func(st state.State) bool {
			return len(st.Conversations) == 1 && st.Conversations[0].Last != nil && st.Conversations[0].Last.Text == text
		})
	}
	n.update(me.m.State(), false) // what is there at start is not news

	wang.say(group, "while focused")
	n.update(received("while focused"), true)
	wang.say(group, "周四见 see you Thursday")
	n.update(received("周四见 see you Thursday"), false)
	me.say(group, "my own")
	n.update(received("my own"), false)
	n.update(received("my own"), false) // the same state again

	want := []shown{{"王芳 · 学习小组", "周四见 see you Thursday"}}
	if !slices.Equal(fake.shown, want) {
		t.Fatalf("notified %+v, want %+v", fake.shown, want)
	}
}

func TestAnIncomingCallNotifiesOnceWhileTheWindowIsNotFocusedAndIsWithdrawn(t *testing.T) {
	fake := &fakeNotifier{}
	lang := ui.English
	n := &newsNotifier{open: func() (notify.Notifier, error) { return fake, nil }, log: slog.New(slog.DiscardHandler),
		lang: func() ui.Lang { return lang }}
	me := proto.User{ID: 4821, Name: "李华"}
	ringing := func(id proto.CallID, s state.CallState) state.State {
		return state.State{Me: &me, Call: &state.Call{ID: id, State: s, Peer: proto.User{ID: 4822, Name: "王芳"}}}
	}
	n.update(ringing(7, state.CallIncoming), true) // the dialog shows it
	n.update(ringing(7, state.CallIncoming), false)
	n.update(ringing(7, state.CallIncoming), false)
	want := []shown{{"王芳 (4822) is calling", "Incoming voice call"}}
	if !slices.Equal(fake.shown, want) {
		t.Fatalf("notified %+v, want %+v", fake.shown, want)
	}
	n.update(ringing(7, state.CallConnecting), false) // answered
	if !slices.Equal(fake.withdrawn, want) {
		t.Fatalf("withdrew %+v once answered, want %+v", fake.withdrawn, want)
	}
	lang = ui.Chinese
	n.update(ringing(8, state.CallIncoming), false)
	if got := fake.shown[len(fake.shown)-1]; got != (shown{"王芳（4822）来电", "语音来电"}) {
		t.Fatalf("the next call, in Chinese: %+v", got)
	}
}

func TestASharedFileNotifiesWithItsNameAndSize(t *testing.T) {
	fake := &fakeNotifier{}
	n := &newsNotifier{open: func() (notify.Notifier, error) { return fake, nil }, log: slog.New(slog.DiscardHandler)}
	me := proto.User{ID: 4821, Name: "李华"}
	group := func(last *proto.Message) state.State {
		c := state.Conversation{ID: 512, Kind: proto.KindGroup, Name: "学习小组", Last: last, Unread: 1}
		return state.State{Me: &me, Conversations: []state.Conversation{c}}
	}
	n.update(group(&proto.Message{Conv: 512, Seq: 1, Sender: 4822, SenderName: "王芳", Kind: proto.MsgText, Text: "hi"}), false)
	n.update(group(&proto.Message{Conv: 512, Seq: 2, Sender: 4822, SenderName: "王芳", Kind: proto.MsgFile,
		File: &proto.File{ID: "f", Name: "report.pdf", Size: 12_400_000}}), false)
	want := []shown{{"王芳 · 学习小组", "report.pdf (12.4 MB)"}}
	if !slices.Equal(fake.shown, want) {
		t.Fatalf("notified %+v, want %+v", fake.shown, want)
	}
}

func TestReadingAConversationWithdrawsItsNotifications(t *testing.T) {
	srv := nodetest.Start(t)
	me := seedUser(t, srv, t.TempDir(), "李华")
	wang := seedUser(t, srv, t.TempDir(), "王芳")
	group := me.group("学习小组", wang)
	other := me.group("读书会", wang)
	if err := me.m.Open(context.Background(), 0); err != nil { // an open one counts as read
		t.Fatal(err)
	}
	fake := &fakeNotifier{}
	n := &newsNotifier{open: func() (notify.Notifier, error) { return fake, nil }, log: slog.New(slog.DiscardHandler)}
	last := func(conv proto.ConvID, text string) func(st state.State) bool {
		return func(st state.State) bool {
			return slices.ContainsFunc(st.Conversations, func(c state.Conversation) bool {
				return c.ID == conv && c.Last != nil && c.Last.Text == text
			})
		}
	}
	n.update(me.m.State(), false)

	wang.say(group, "周四见 see you Thursday")
	n.update(me.until("the first message", last(group, "周四见 see you Thursday")), false)
	wang.say(group, "带上讲义 bring the slides")
	n.update(me.until("the second message", last(group, "带上讲义 bring the slides")), false)
	wang.say(other, "第三章 chapter three")
	n.update(me.until("the other group's message", last(other, "第三章 chapter three")), false)
	if len(fake.shown) != 3 || len(fake.withdrawn) != 0 {
		t.Fatalf("shown %+v, withdrawn %+v; want three shown", fake.shown, fake.withdrawn)
	}

	if err := me.m.Open(context.Background(), group); err != nil {
		t.Fatal(err)
	}
	read := me.until("学习小组 read", func(st state.State) bool {
		i := slices.IndexFunc(st.Conversations, func(c state.Conversation) bool { return c.ID == group })
		return i >= 0 && st.Conversations[i].Unread == 0
	})
	n.update(read, true)
	want := fake.shown[:2]
	if !slices.Equal(fake.withdrawn, want) {
		t.Fatalf("withdrew %+v once 学习小组 was read, want its two: %+v", fake.withdrawn, want)
	}
	n.update(state.State{}, false) // logged out: the rest go too
	if want := fake.shown; !slices.Equal(fake.withdrawn, want) {
		t.Fatalf("withdrew %+v after logging out, want all %+v", fake.withdrawn, want)
	}
}
