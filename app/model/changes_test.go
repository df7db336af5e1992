package model

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
	"parley/server/node/nodetest"
)

// change sends a history change as u and returns the entry.
func change(t *testing.T, u *nodetest.User, typ string, req any) proto.Message {
	t.Helper()
	var r proto.SendReply
	if err := u.Conn.Call(context.Background(), typ, req, &r); err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
	return r.Message
}

func send(t *testing.T, u *nodetest.User, conv proto.ConvID, text string) proto.Message {
	t.Helper()
	r, err := u.Conn.Send(context.Background(), conv, client.NewClientID(), text)
	if err != nil {
		t.Fatal(err)
	}
	return r.Message
}

func openMsg(st state.State, seq int64) (state.Message, bool) {
	if st.Open == nil {
		return state.Message{}, false
	}
	for _, m := range st.Open.Messages {
		if m.Seq == seq {
			return m, true
		}
	}
	return state.Message{}, false
}

// An offline device learns of an edit, a delete and reactions through
// sync: it shows them folded into their messages, each message once, no
// row for an entry, the unread count unchanged by them, and search finds
// neither the deleted nor the edited-away text.
func TestAnOfflineDeviceFoldsEditsDeletesAndReactionsFromSync(t *testing.T) {
	srv := nodetest.Start(t)
	dir := t.TempDir()
	ctx := context.Background()
	m := newTestModel(t, srv, dir)
	m.registerAndLogin(srv, "reader")
	writer, other := srv.NewUser(t, "writer"), srv.NewUser(t, "other")
	conv := nodetest.Group(t, writer, "g", other)
	if err := m.JoinGroup(ctx, fmt.Sprint(conv)); err != nil {
		t.Fatal(err)
	}
	// Closed, so that the restarts do not open it again (and read it).
	if err := m.Open(ctx, 0); err != nil {
		t.Fatal(err)
	}
	m.Close()
	one, two, three := send(t, writer, conv, "one 原文"), send(t, writer, conv, "two 秘密"), send(t, writer, conv, "three")
	m = newTestModel(t, srv, dir) // caches the three, unread
	if got := unreadIn(m.online(), conv); got != 3 {
		t.Fatalf("unread = %d, want 3", got)
	}
	m.Close()

	change(t, writer, proto.TypeEdit, proto.EditRequest{Conv: conv, Seq: one.Seq, ClientID: "e1", Text: "one fixed"})
	change(t, writer, proto.TypeDelete, proto.TargetRequest{Conv: conv, Seq: two.Seq, ClientID: "d1"})
	change(t, writer, proto.TypeReact, proto.ReactRequest{Conv: conv, Seq: three.Seq, ClientID: "r1", Emoji: "👍"})
	change(t, other, proto.TypeReact, proto.ReactRequest{Conv: conv, Seq: three.Seq, ClientID: "r2", Emoji: "❤️"})
	change(t, other, proto.TypeReact, proto.ReactRequest{Conv: conv, Seq: three.Seq, ClientID: "r3", Emoji: "👍"})
	change(t, other, proto.TypeReact, proto.ReactRequest{Conv: conv, Seq: three.Seq, ClientID: "r4", Emoji: "👍", Remove: true})

	m = newTestModel(t, srv, dir)
	st := m.online()
	if got := unreadIn(st, conv); got != 3 {
		t.Fatalf("unread after the changes = %d, want 3 (changes are never unread)", got)
	}
	for _, c := range st.Conversations {
		if c.ID == conv && (c.Last == nil || c.Last.Seq != three.Seq) {
			t.Fatalf("preview = %+v, want the message three", c.Last)
		}
	}
	if err := m.Open(ctx, conv); err != nil {
		t.Fatal(err)
	}
	st = m.waitFor("the folded messages", func(st state.State) bool {
		m3, ok := openMsg(st, three.Seq)
		return ok && len(m3.Reactions) == 2
	})
	seen := map[int64]int{}
	for _, msg := range st.Open.Messages {
		seen[msg.Seq]++
		if proto.IsChange(msg.Kind) {
			t.Fatalf("a change entry is a row: %+v", msg)
		}
	}
	for seq, n := range seen {
		if n != 1 {
			t.Fatalf("seq %d shown %d times", seq, n)
		}
	}
	m1, _ := openMsg(st, one.Seq)
	m2, _ := openMsg(st, two.Seq)
	m3, _ := openMsg(st, three.Seq)
	if m1.Text != "one fixed" || m1.Edited == 0 {
		t.Errorf("edited message = %q, edited %d", m1.Text, m1.Edited)
	}
	if !m2.Deleted || m2.Text != "" {
		t.Errorf("deleted message = %+v", m2.Message)
	}
	want := []proto.Reaction{{Emoji: "👍", Users: []proto.UserID{writer.ID}}, {Emoji: "❤️", Users: []proto.UserID{other.ID}}}
	if !reflect.DeepEqual(m3.Reactions, want) {
		t.Errorf("reactions = %+v, want %+v", m3.Reactions, want)
	}
	for q, wantN := range map[string]int{"秘密": 0, "原文": 0, "fixed": 1} {
		if err := m.Search(ctx, q); err != nil {
			t.Fatal(err)
		}
		if got := len(m.State().Search.Results); got != wantN {
			t.Errorf("search %q found %d, want %d", q, got, wantN)
		}
	}
}

// My own changes go through the queue: react and take it back, edit and
// delete my message, reply, pin; a refused change becomes a notice with
// the server's code. The unread count stays where it was.
func TestMyHistoryChangesApplyOnceAndRefusalsAreNotices(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	m := newTestModel(t, srv, t.TempDir())
	me := m.registerAndLogin(srv, "me")
	writer := srv.NewUser(t, "writer")
	conv := nodetest.Group(t, writer, "g")
	if err := m.JoinGroup(ctx, fmt.Sprint(conv)); err != nil {
		t.Fatal(err)
	}
	if err := m.Open(ctx, conv); err != nil {
		t.Fatal(err)
	}
	theirs := send(t, writer, conv, "theirs")
	if err := m.SendTo(ctx, conv, "mine"); err != nil {
		t.Fatal(err)
	}
	st := m.waitFor("my message sent", func(st state.State) bool {
		return st.Open != nil && slices.ContainsFunc(st.Open.Messages, func(x state.Message) bool { return x.Text == "mine" && x.Seq > 0 })
	})
	var mine int64
	for _, x := range st.Open.Messages {
		if x.Text == "mine" {
			mine = x.Seq
		}
	}

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(m.React(ctx, conv, theirs.Seq, "🎉"))
	m.waitFor("my reaction", func(st state.State) bool {
		x, _ := openMsg(st, theirs.Seq)
		return reflect.DeepEqual(x.Reactions, []proto.Reaction{{Emoji: "🎉", Users: []proto.UserID{me.ID}}})
	})
	must(m.Unreact(ctx, conv, theirs.Seq, "🎉"))
	must(m.Edit(ctx, conv, mine, "mine, edited"))
	must(m.Pin(ctx, conv, theirs.Seq, true))
	must(m.Reply(ctx, conv, theirs.Seq, "an answer"))
	st = m.waitFor("the changes", func(st state.State) bool {
		x, _ := openMsg(st, theirs.Seq)
		y, _ := openMsg(st, mine)
		return x.Pinned && len(x.Reactions) == 0 && y.Edited != 0 && y.Text == "mine, edited" &&
			slices.ContainsFunc(st.Open.Messages, func(z state.Message) bool { return z.ReplyTo == theirs.Seq && z.Reply != nil && z.Seq > 0 })
	})
	var rows []string
	for _, x := range st.Open.Messages {
		if x.Kind != proto.MsgSystem {
			rows = append(rows, x.Text)
		}
	}
	if !slices.Equal(rows, []string{"theirs", "mine, edited", "an answer"}) {
		t.Fatalf("rows after the changes and one reply: %q", rows)
	}
	must(m.Delete(ctx, conv, mine))
	m.waitFor("my message deleted", func(st state.State) bool {
		y, _ := openMsg(st, mine)
		return y.Deleted && y.Text == ""
	})
	must(m.Edit(ctx, conv, theirs.Seq, "not mine"))
	m.waitFor("a not_sender notice", func(st state.State) bool {
		return slices.ContainsFunc(st.Notices, func(n state.Notice) bool { return n.Code == proto.CodeNotSender })
	})
	must(m.DeleteForMe(ctx, conv, theirs.Seq))
	m.waitFor("the hidden message gone", func(st state.State) bool {
		_, ok := openMsg(st, theirs.Seq)
		return !ok
	})
	must(m.Search(ctx, "theirs"))
	if n := len(m.State().Search.Results); n != 0 {
		t.Fatalf("search finds the message I hid (%d results)", n)
	}
	if got := unreadIn(m.State(), conv); got != 0 {
		t.Fatalf("unread = %d in the open conversation", got)
	}
}

// Every call leaves an entry in the direct conversation for both sides:
// answered with its duration, declined, missed. Each is one row, offering
// the peer to call back.
func TestCallsLeaveEntriesInTheDirectConversationForBothSides(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	li, wang := newCallModel(t, srv, &virtualAudio{voice: true}), newCallModel(t, srv, &virtualAudio{})
	liU, wangU := li.registerAndLogin(srv, "李华"), wang.registerAndLogin(srv, "Wang")

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(li.Call(ctx, fmt.Sprint(wangU.ID)))
	wang.callIs(state.CallIncoming)
	must(wang.Accept(ctx))
	li.callIs(state.CallActive)
	must(li.Hangup(ctx))
	li.ended(proto.EndHangup, liU.ID)
	wang.ended(proto.EndHangup, liU.ID)
	li.DismissCall()
	wang.DismissCall()

	must(wang.Call(ctx, fmt.Sprint(liU.ID)))
	li.callIs(state.CallIncoming)
	must(li.Decline(ctx))
	wang.ended(proto.EndDeclined, liU.ID)
	li.DismissCall()
	wang.DismissCall()

	must(li.Call(ctx, fmt.Sprint(wangU.ID)))
	wang.callIs(state.CallIncoming)
	must(li.Hangup(ctx)) // before an answer: missed
	wang.ended(proto.EndCancelled, liU.ID)

	calls := func(st state.State) []proto.CallEntry {
		var out []proto.CallEntry
		if st.Open == nil {
			return nil
		}
		for _, m := range st.Open.Messages {
			if m.Kind == proto.MsgCall && m.Call != nil {
				out = append(out, *m.Call)
			}
		}
		return out
	}
	for _, side := range []struct {
		m    *testModel
		peer proto.UserID
	}{{li, wangU.ID}, {wang, liU.ID}} {
		must(side.m.OpenDirect(ctx, fmt.Sprint(side.peer)))
		st := side.m.waitFor("three call entries", func(st state.State) bool { return len(calls(st)) == 3 })
		cs := calls(st)
		// The server appends each entry when its call has ended, on a
		// goroutine of its own: in no particular order.
		outcomes := map[string]int{}
		for _, c := range cs {
			outcomes[c.Outcome]++
			if (c.Outcome == proto.CallAnswered) != (c.DurationMs > 0) {
				t.Fatalf("call entry %+v: a duration for answered calls only", c)
			}
		}
		if outcomes[proto.CallAnswered] != 1 || outcomes[proto.CallDeclined] != 1 || outcomes[proto.CallMissed] != 1 {
			t.Fatalf("call entries: %+v", cs)
		}
		for _, c := range cs {
			if peer := map[bool]proto.UserID{true: c.Callee, false: c.Caller}[c.Caller == st.Me.ID]; peer != side.peer {
				t.Fatalf("call back would call %d, want %d", peer, side.peer)
			}
		}
		if n := len(st.Open.Messages); n != 3 {
			t.Fatalf("%d rows in the direct conversation, want the 3 calls", n)
		}
	}
}
