package storagetest

import (
	"context"
	"slices"
	"sync"
	"testing"

	"parley/net/proto"
	"parley/server/storage"
)

// kindOf names a history entry for comparing sequences: its kind, and a
// system message's event type.
func kindOf(m proto.Message) string {
	if m.Event != nil {
		return m.Kind + ":" + m.Event.Type
	}
	return m.Kind
}

// Every kind of history entry — messages, replies, each change, a call,
// and every group event — takes the conversation's next seq, reaches
// OnCommit in commit order, and reads back from history in that order
// with the changes folded into their targets.
func testEveryHistoryEntryIsSequencedFoldedAndCommitted(t *testing.T, db Database) {
	var mu sync.Mutex
	var committed []storage.Committed
	d := open(t, db, storage.Options{OnCommit: func(cs []storage.Committed) {
		mu.Lock()
		committed = append(committed, cs...)
		mu.Unlock()
	}})
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	a, b, c, e := mustUser(t, d, "a"), mustUser(t, d, "b"), mustUser(t, d, "c"), mustUser(t, d, "e")
	g, err := d.CreateGroupWith(ctx, a, storage.NewGroup{Name: "g", Policy: proto.PolicyOpen})
	must(err)
	var want []string
	step := func(kind string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		want = append(want, kind)
	}
	want = append(want, "system:created")
	_, err = d.JoinGroup(ctx, b, g.ID)
	step("system:joined", err)
	_, _, err = d.Invite(ctx, a, c.ID, g.ID)
	step("system:invited", err)
	m1, _, err := d.Send(ctx, a, g.ID, "m1", "hello")
	step(proto.MsgText, err)
	// e is no member: the mention of e is dropped.
	reply, _, err := d.SendWith(ctx, b, g.ID, "r1", "hi a", storage.SendExtras{ReplyTo: m1.Seq, Mentions: []proto.UserID{a.ID, e.ID}})
	step(proto.MsgText, err)
	if reply.ReplyTo != m1.Seq || !slices.Equal(reply.Mentions, []proto.UserID{a.ID}) {
		t.Fatalf("reply: %+v", reply)
	}
	for i, x := range []struct {
		actor proto.User
		ch    storage.Change
	}{
		{b, storage.Change{Target: m1.Seq, Kind: proto.MsgReact, Emoji: "👍"}},
		{c, storage.Change{Target: m1.Seq, Kind: proto.MsgReact, Emoji: "👍"}},
		{c, storage.Change{Target: m1.Seq, Kind: proto.MsgUnreact, Emoji: "👍"}},
		{a, storage.Change{Target: m1.Seq, Kind: proto.MsgPin}},
		{a, storage.Change{Target: m1.Seq, Kind: proto.MsgEdit, Text: "hello!"}},
		{b, storage.Change{Target: reply.Seq, Kind: proto.MsgDelete}},
	} {
		x.ch.Conv, x.ch.ClientID = g.ID, "change-"+string(rune('a'+i))
		r, err := d.ApplyChange(ctx, x.actor, x.ch)
		step(x.ch.Kind, err)
		if r.Unchanged || r.Entry.Target != x.ch.Target {
			t.Fatalf("%s: %+v", x.ch.Kind, r)
		}
	}
	if pins, err := d.Pins(ctx, b.ID, g.ID); err != nil || len(pins) != 1 || pins[0].Seq != m1.Seq {
		t.Fatalf("pins: %+v %v", pins, err)
	}
	_, err = d.RecordCall(ctx, a, g.ID, "call-1", proto.CallEntry{Caller: a.ID, Outcome: proto.CallMissed, Reason: "timeout", Group: true})
	step(proto.MsgCall, err)
	name, desc, ask, admins := "g2", "about", proto.PolicyAsk, proto.AllowAdmins
	_, err = d.SetGroup(ctx, a, g.ID, storage.GroupChange{Name: &name})
	step("group_event:renamed", err)
	_, err = d.SetGroup(ctx, a, g.ID, storage.GroupChange{Description: &desc})
	step("group_event:described", err)
	_, err = d.SetGroup(ctx, a, g.ID, storage.GroupChange{Policy: &ask})
	step("group_event:policy", err)
	_, err = d.SetGroup(ctx, a, g.ID, storage.GroupChange{Invite: &admins})
	step("group_event:permissions", err)
	step("group_event:promoted", d.SetAdmin(ctx, a, g.ID, b.ID, true))
	step("group_event:demoted", d.SetAdmin(ctx, a, g.ID, b.ID, false))
	if j, err := d.JoinGroup(ctx, e, g.ID); err != nil || j.Request == nil {
		t.Fatalf("e asks to join: %+v %v", j, err)
	}
	_, err = d.AnswerJoin(ctx, a, g.ID, e.ID, true)
	step("group_event:approved", err)
	step("group_event:removed", d.RemoveMember(ctx, a, g.ID, e.ID))
	step("group_event:banned", d.Ban(ctx, a, g.ID, c.ID))
	step("group_event:unbanned", d.Unban(ctx, a, g.ID, c.ID))
	step("group_event:owner", d.TransferOwner(ctx, a, g.ID, b.ID))
	_, err = d.Leave(ctx, a, g.ID)
	step("system:left", err)

	ms, more, err := d.History(ctx, b.ID, proto.HistoryRequest{Conv: g.ID, After: new(int64(0)), Limit: proto.MaxHistoryLimit})
	if err != nil || more {
		t.Fatalf("history: more=%v %v", more, err)
	}
	var got []string
	for i, m := range ms {
		if m.Seq != int64(i+1) {
			t.Fatalf("history entry %d has seq %d: not gap-free", i, m.Seq)
		}
		got = append(got, kindOf(m))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("history\n got %v\nwant %v", got, want)
	}
	mu.Lock()
	var pushed []string
	for _, c := range committed {
		if c.Message.Conv == g.ID {
			if int64(len(pushed)+1) != c.Message.Seq {
				t.Fatalf("OnCommit gave seq %d after %d entries", c.Message.Seq, len(pushed))
			}
			pushed = append(pushed, kindOf(c.Message))
		}
	}
	mu.Unlock()
	if !slices.Equal(pushed, want) {
		t.Fatalf("OnCommit\n got %v\nwant %v", pushed, want)
	}
	first := ms[m1.Seq-1]
	if first.Text != "hello!" || first.Edited == 0 || !first.Pinned || len(first.Reactions) != 1 ||
		first.Reactions[0].Emoji != "👍" || !slices.Equal(first.Reactions[0].Users, []proto.UserID{b.ID}) {
		t.Fatalf("folded target: %+v", first)
	}
	if r := ms[reply.Seq-1]; !r.Deleted || r.Text != "" {
		t.Fatalf("deleted reply: %+v", r)
	}
	if info, err := d.GroupInfo(ctx, b.ID, g.ID); err != nil || info.Name != "g2" || info.Description != "about" ||
		info.Policy != proto.PolicyAsk || info.Invite != proto.AllowAdmins || info.Role != proto.RoleOwner {
		t.Fatalf("group info: %+v %v", info, err)
	}
}

// A change retried with the same client ID is answered with the first
// result and appends nothing; a change by someone who may not make it
// appends nothing either.
func testChangesAreIdempotentAndChecked(t *testing.T, db Database) {
	d := open(t, db, storage.Options{})
	ctx := context.Background()
	a, b := mustUser(t, d, "a"), mustUser(t, d, "b")
	g, err := d.CreateGroupWith(ctx, a, storage.NewGroup{Name: "g", Policy: proto.PolicyOpen})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.JoinGroup(ctx, b, g.ID); err != nil {
		t.Fatal(err)
	}
	m, _, err := d.Send(ctx, a, g.ID, "m", "hello")
	if err != nil {
		t.Fatal(err)
	}
	edit := storage.Change{Conv: g.ID, Target: m.Seq, ClientID: "e1", Kind: proto.MsgEdit, Text: "hello!"}
	first, err := d.ApplyChange(ctx, a, edit)
	if err != nil || first.Duplicate {
		t.Fatalf("edit: %+v %v", first, err)
	}
	again, err := d.ApplyChange(ctx, a, edit)
	if err != nil || !again.Duplicate || again.Entry.Seq != first.Entry.Seq || again.Target.Text != "hello!" {
		t.Fatalf("retried edit: %+v %v", again, err)
	}
	if _, err := d.ApplyChange(ctx, b, storage.Change{Conv: g.ID, Target: m.Seq, ClientID: "e2", Kind: proto.MsgEdit, Text: "mine now"}); err == nil {
		t.Fatal("b edited a's message")
	}
	if _, err := d.ApplyChange(ctx, a, storage.Change{Conv: g.ID, Target: 99, ClientID: "e3", Kind: proto.MsgEdit, Text: "x"}); err == nil {
		t.Fatal("edited a message that does not exist")
	}
	c, err := d.Conversation(ctx, a.ID, g.ID)
	if err != nil || c.LastSeq != first.Entry.Seq {
		t.Fatalf("last seq %d (%v), want %d: a retry or a refused change appended", c.LastSeq, err, first.Entry.Seq)
	}
}

// Hiding a message is the user's own: it is hidden in their history and
// sync, listed by HiddenAfter, and untouched for the others.
func testHideIsTheUsersOwn(t *testing.T, db Database) {
	d := open(t, db, storage.Options{})
	ctx := context.Background()
	a, b := mustUser(t, d, "a"), mustUser(t, d, "b")
	g, err := d.CreateGroupWith(ctx, a, storage.NewGroup{Name: "g", Policy: proto.PolicyOpen})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.JoinGroup(ctx, b, g.ID); err != nil {
		t.Fatal(err)
	}
	m, _, err := d.Send(ctx, a, g.ID, "m", "hello")
	if err != nil {
		t.Fatal(err)
	}
	h, err := d.Hide(ctx, b.ID, g.ID, m.Seq)
	if err != nil || h.Conv != g.ID || h.Seq != m.Seq {
		t.Fatalf("hide: %+v %v", h, err)
	}
	hs, err := d.HiddenAfter(ctx, b.ID, 0)
	if err != nil || len(hs) != 1 || hs[0] != h {
		t.Fatalf("hidden after 0: %+v %v", hs, err)
	}
	if hs, err := d.HiddenAfter(ctx, a.ID, 0); err != nil || len(hs) != 0 {
		t.Fatalf("a's hidden: %+v %v", hs, err)
	}
	for _, x := range []struct {
		user   proto.UserID
		hidden bool
	}{{a.ID, false}, {b.ID, true}} {
		ms, _, err := d.History(ctx, x.user, proto.HistoryRequest{Conv: g.ID, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(ms, func(h proto.Message) bool { return h.Seq == m.Seq })
		if i < 0 || ms[i].Hidden != x.hidden {
			t.Fatalf("user %d's history: %+v, want hidden %v", x.user, ms, x.hidden)
		}
	}
}
