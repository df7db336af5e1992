package store

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"parley/net/proto"
)

// entry returns a change entry of conv at seq, from sender, targeting
// target.
func entry(conv proto.ConvID, seq int64, kind string, sender proto.UserID, target int64) proto.Message {
	m := msg(conv, seq, "")
	m.Kind, m.Sender, m.Target = kind, sender, target
	return m
}

func stored(t *testing.T, s Store, conv proto.ConvID, seq int64) proto.Message {
	t.Helper()
	ms, err := s.After(context.Background(), conv, seq-1, 1)
	if err != nil || len(ms) != 1 || ms[0].Seq != seq {
		t.Fatalf("message (%d, %d): %v, %v", conv, seq, ms, err)
	}
	return ms[0]
}

// Change entries are stored (seqs stay gap-free) and folded into their
// targets in the same write: text and edited mark, tombstone, reactions,
// pin. The search index follows the folded text; entries are never unread
// and never the conversation's Last. All of it survives a reopen.
func testFoldChanges(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, "a", Options{})
	must(t, s.PutConversations(ctx, proto.Conversation{ID: 1, Kind: proto.KindGroup, Name: "g", LastSeq: 3}))
	put(t, s, msg(1, 1, "大家好 hello"), msg(1, 2, "second"), msg(1, 3, "third 秘密"))
	must(t, s.MarkRead(ctx, 1, 3))
	edit := entry(1, 4, proto.MsgEdit, 4821, 1)
	edit.Text = "更新 updated"
	react := func(seq int64, kind string, who proto.UserID) proto.Message {
		e := entry(1, seq, kind, who, 2)
		e.Emoji = "👍"
		return e
	}
	put(t, s, edit, react(5, proto.MsgReact, 1234), react(6, proto.MsgReact, 4821))
	put(t, s, react(7, proto.MsgUnreact, 1234), entry(1, 8, proto.MsgPin, 1234, 2), entry(1, 9, proto.MsgDelete, 4821, 3))
	check := func(when string) {
		t.Helper()
		if got := seqs(mustLatest(t, s, 1)); !slices.Equal(got, seqRange(1, 9)) {
			t.Fatalf("%s: stored seqs %v", when, got)
		}
		if m := stored(t, s, 1, 1); m.Text != "更新 updated" || m.Edited != edit.Time {
			t.Fatalf("%s: edited message = %q edited %d", when, m.Text, m.Edited)
		}
		if m := stored(t, s, 1, 2); !m.Pinned || !reflect.DeepEqual(m.Reactions, []proto.Reaction{{Emoji: "👍", Users: []proto.UserID{4821}}}) {
			t.Fatalf("%s: reacted message = %+v", when, m)
		}
		if m := stored(t, s, 1, 3); !m.Deleted || m.Text != "" {
			t.Fatalf("%s: deleted message = %+v", when, m)
		}
		for q, want := range map[string][]int64{"大家": nil, "hello": nil, "秘密": nil, "third": nil, "更新": {1}, "updated": {1}, "second": {2}} {
			if got := seqs(search(t, s, SearchQuery{Text: q})); !slices.Equal(got, want) && len(got)+len(want) > 0 {
				t.Fatalf("%s: search %q = %v, want %v", when, q, got, want)
			}
		}
		c := conv(t, s, 1)
		if c.LastSeq != 9 || c.Unread != 0 || c.Last == nil || c.Last.Seq != 3 || !c.Last.Deleted {
			t.Fatalf("%s: conversation last seq %d unread %d last %+v", when, c.LastSeq, c.Unread, c.Last)
		}
	}
	check("folded")
	r := react(11, proto.MsgReact, 1234)
	r.Target = 10
	live(t, s, msg(1, 10, "new"), r) // pushed together
	if c := conv(t, s, 1); c.Unread != 1 || c.Last.Seq != 10 {
		t.Fatalf("one message and one reaction after the read mark: unread %d, last %+v", c.Unread, c.Last)
	}
	// A summary whose last is an entry moves LastSeq, not Last.
	must(t, s.PutConversations(ctx, proto.Conversation{ID: 1, Kind: proto.KindGroup, Name: "g", LastSeq: 12,
		Last: &proto.Message{Conv: 1, Seq: 12, Kind: proto.MsgPin, Target: 10, Time: t0 + 12000}}))
	if c := conv(t, s, 1); c.LastSeq != 12 || c.Last.Seq != 10 {
		t.Fatalf("summary with a pin last: last seq %d, last %+v", c.LastSeq, c.Last)
	}
	must(t, s.Close())
	s = open(t, "a", Options{})
	if m := stored(t, s, 1, 10); !reflect.DeepEqual(m.Reactions, []proto.Reaction{{Emoji: "👍", Users: []proto.UserID{1234}}}) {
		t.Fatalf("reopened: reactions %+v", m.Reactions)
	}
	if m := stored(t, s, 1, 2); !m.Pinned || m.Reactions[0].Users[0] != 4821 {
		t.Fatalf("reopened: %+v", m)
	}
}

func mustLatest(t *testing.T, s Store, conv proto.ConvID) []proto.Message {
	t.Helper()
	ms, err := s.Latest(context.Background(), conv, MaxLimit)
	must(t, err)
	return ms
}

// A target the server sends folded ("as it is now") is not folded again
// by the entries that made it so, in the same page or later, and an entry
// older than the state stored never undoes it; a newer one applies once.
func testFoldIdempotentAndOrderSafe(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, "a", Options{})
	target := msg(1, 1, "hi")
	target.Reactions = []proto.Reaction{{Emoji: "👍", Users: []proto.UserID{1234}}}
	target.Edited, target.Text = t0+4000, "hi!"
	react := func(seq int64, kind string) proto.Message {
		e := entry(1, seq, kind, 1234, 1)
		e.Emoji = "👍"
		return e
	}
	edit := entry(1, 4, proto.MsgEdit, 4821, 1)
	edit.Text = "hi!"
	put(t, s, target, react(2, proto.MsgReact), react(3, proto.MsgUnreact), edit, react(5, proto.MsgReact))
	if m := stored(t, s, 1, 1); !reflect.DeepEqual(m.Reactions, target.Reactions) || m.Text != "hi!" {
		t.Fatalf("folded target with its entries in one page: %+v", m)
	}
	// Conversation 2: the summary says seq 5; the target comes folded
	// (unpinned at 5), then the older entries.
	must(t, s.PutConversations(ctx, proto.Conversation{ID: 2, Kind: proto.KindGroup, Name: "h", LastSeq: 5}))
	put(t, s, msg(2, 1, "x"))
	put(t, s, entry(2, 4, proto.MsgPin, 1234, 1))
	put(t, s, entry(2, 5, proto.MsgUnpin, 1234, 1))
	if m := stored(t, s, 2, 1); m.Pinned {
		t.Fatal("an entry older than the stored state pinned it again")
	}
	pin := entry(2, 6, proto.MsgPin, 1234, 1)
	put(t, s, pin)
	put(t, s, pin) // a duplicate push
	if m := stored(t, s, 2, 1); !m.Pinned {
		t.Fatal("a new pin did not apply")
	}
	if c := conv(t, s, 2); c.Unread != 3 || c.LastSeq != 6 {
		t.Fatalf("a message, seqs 2 and 3 not stored, three entries: unread %d (want 3) last seq %d", c.Unread, c.LastSeq)
	}
}

func live(t *testing.T, s Store, ms ...proto.Message) {
	t.Helper()
	if _, err := s.PutLive(context.Background(), ms); err != nil {
		t.Fatalf("PutLive: %v", err)
	}
}

// Hide marks a stored message hidden, across a reopen; an uncached one is
// no error.
func testHide(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, "a", Options{})
	put(t, s, msg(1, 1, "one"), msg(1, 2, "two"))
	must(t, s.Hide(ctx, 1, 2))
	must(t, s.Hide(ctx, 1, 2))
	must(t, s.Hide(ctx, 1, 9))
	must(t, s.Hide(ctx, 7, 1))
	must(t, s.Close())
	s = open(t, "a", Options{})
	if a, b := stored(t, s, 1, 1), stored(t, s, 1, 2); a.Hidden || !b.Hidden || b.Text != "two" {
		t.Fatalf("hid 2: %+v, %+v", a, b)
	}
}
