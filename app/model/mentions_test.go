package model

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
	"parley/server/node/nodetest"
)

// mentioning sends text to conv as u, mentioning ids.
func mentioning(t *testing.T, u *nodetest.User, conv proto.ConvID, text string, ids ...proto.UserID) proto.Message {
	t.Helper()
	return change(t, u, proto.TypeSend, proto.SendRequest{Conv: conv, ClientID: client.NewClientID(), Text: text, Mentions: ids})
}

func convIn(st state.State, conv proto.ConvID) (state.Conversation, bool) {
	for _, c := range st.Conversations {
		if c.ID == conv {
			return c, true
		}
	}
	return state.Conversation{}, false
}

// A message I send mentioning a member reaches the server with the
// mention, and comes back (the reply, and everyone's copy) with it; a
// non-member's ID is dropped by the server; the mention counts for the
// person mentioned, not for me.
func TestASendWithMentionsReachesTheServerAndComesBackWithThem(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	m := newTestModel(t, srv, t.TempDir())
	me := m.registerAndLogin(srv, "李华")
	wang, stranger := srv.NewUser(t, "Wang"), srv.NewUser(t, "stranger")
	conv := nodetest.Group(t, wang, "g")
	if err := m.JoinGroup(ctx, fmt.Sprint(conv)); err != nil {
		t.Fatal(err)
	}
	if err := m.Open(ctx, conv); err != nil {
		t.Fatal(err)
	}
	if err := m.SendMentioning(ctx, conv, 0, "@Wang 周四见", []proto.UserID{wang.ID, stranger.ID, wang.ID}); err != nil {
		t.Fatal(err)
	}
	st := m.waitFor("the mention sent", func(st state.State) bool {
		ms := st.Open.Messages
		return len(ms) > 0 && ms[len(ms)-1].Text == "@Wang 周四见" && ms[len(ms)-1].Status.Stored()
	})
	sent := st.Open.Messages[len(st.Open.Messages)-1]
	if !slices.Equal(sent.Mentions, []proto.UserID{wang.ID}) {
		t.Fatalf("my message came back mentioning %v, want [%d] (the stranger is no member)", sent.Mentions, wang.ID)
	}
	h, err := wang.Conn.History(ctx, proto.HistoryRequest{Conv: conv, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	last := h.Messages[len(h.Messages)-1]
	if last.Text != "@Wang 周四见" || last.Sender != me.ID || !slices.Equal(last.Mentions, []proto.UserID{wang.ID}) {
		t.Fatalf("the server holds %+v, want my text mentioning %d", last, wang.ID)
	}
	if c, _ := convIn(st, conv); c.MentionUnread || c.Mentioned != nil {
		t.Fatalf("my own mention of Wang marks the conversation for me: %+v", c)
	}
}

// A mention that arrives while this device is away is known after the
// sync and after a restart: the conversation has an unread mention until
// it is read; a deleted mention no longer counts, and a message
// mentioning someone else never did.
func TestAnUnreadMentionSurvivesSyncAndRestartUntilRead(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	dir := t.TempDir()
	m := newTestModel(t, srv, dir)
	me := m.registerAndLogin(srv, "李华")
	wang, tom := srv.NewUser(t, "Wang"), srv.NewUser(t, "Tom")
	conv := nodetest.Group(t, wang, "g", tom)
	other := nodetest.Group(t, wang, "other", tom)
	for _, c := range []proto.ConvID{conv, other} {
		if err := m.JoinGroup(ctx, fmt.Sprint(c)); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Open(ctx, 0); err != nil {
		t.Fatal(err)
	}
	m.Close()

	send(t, wang, conv, "no mention")
	hi := mentioning(t, wang, conv, "@李华 are you coming?", me.ID)
	send(t, tom, conv, "later")
	gone := mentioning(t, wang, other, "@李华 oops", me.ID)
	change(t, wang, proto.TypeDelete, proto.TargetRequest{Conv: other, Seq: gone.Seq, ClientID: "del"})
	mentioning(t, tom, other, "@Wang only", wang.ID)

	m = newTestModel(t, srv, dir)
	st := m.waitFor("the mention synced", func(st state.State) bool {
		c, _ := convIn(st, conv)
		return c.MentionUnread
	})
	c, _ := convIn(st, conv)
	if c.Mentioned == nil || c.Mentioned.Seq != hi.Seq || c.Unread != 3 {
		t.Fatalf("after the sync %+v (mentioned %+v), want the mention at seq %d and 3 unread", c, c.Mentioned, hi.Seq)
	}
	st = m.waitFor("the other conversation synced", func(st state.State) bool {
		o, _ := convIn(st, other)
		return o.Last != nil && o.Last.Text == "@Wang only"
	})
	if o, _ := convIn(st, other); o.MentionUnread {
		t.Fatalf("a deleted mention, or one of someone else, marks %+v", o)
	}
	m.Close()

	m = newTestModel(t, srv, dir) // from the cache, before and after connecting
	if c, _ := convIn(m.online(), conv); !c.MentionUnread {
		t.Fatalf("after a restart: %+v, want the unread mention", c)
	}
	change(t, wang, proto.TypeDelete, proto.TargetRequest{Conv: conv, Seq: hi.Seq, ClientID: "del-hi"})
	m.waitFor("the deleted mention gone", func(st state.State) bool {
		c, ok := convIn(st, conv)
		return ok && !c.MentionUnread && c.Unread == 3
	})
	again := mentioning(t, wang, conv, "@李华 again", me.ID)
	m.waitFor("the new mention", func(st state.State) bool {
		c, _ := convIn(st, conv)
		return c.MentionUnread && c.Mentioned != nil && c.Mentioned.Seq == again.Seq
	})
	if err := m.Open(ctx, conv); err != nil {
		t.Fatal(err)
	}
	m.waitFor("the mention read", func(st state.State) bool {
		c, ok := convIn(st, conv)
		return ok && !c.MentionUnread && c.Unread == 0
	})
}
