package e2e

import (
	"testing"
	"time"

	"parley/net/client"
	"parley/net/proto"
)

// The seed's whole flow: register, log in, create a group, join it by ID,
// invite by user ID, chat in real time; strangers and wrong passwords are
// refused.
func TestSeedFlow(t *testing.T) {
	srv := start(t)
	ctx := testCtx(t)

	// Registration hands out numeric IDs of at least four digits; names may
	// be Chinese and may repeat.
	li := register(t, srv.URL, "李华")
	bob := register(t, srv.URL, "Bob")
	carol := register(t, srv.URL, "Carol")
	mallory := register(t, srv.URL, "Bob")
	ids := map[proto.UserID]bool{}
	for _, p := range []person{li, bob, carol, mallory} {
		if p.ID < 1000 {
			t.Errorf("user %q got ID %d, want at least 4 digits", p.Name, p.ID)
		}
		if ids[p.ID] {
			t.Errorf("ID %d given twice", p.ID)
		}
		ids[p.ID] = true
	}
	if li.Name != "李华" {
		t.Errorf("registered name = %q, want 李华", li.Name)
	}

	a := login(t, srv.URL, li)
	b := login(t, srv.URL, bob)
	c := login(t, srv.URL, carol)
	m := login(t, srv.URL, mallory)
	if me, err := a.WhoAmI(ctx); err != nil || me != li.User {
		t.Fatalf("WhoAmI = %+v, %v; want %+v", me, err, li.User)
	}

	// A creates a group and gets its ID.
	g, err := a.CreateGroup(ctx, "Study Group")
	if err != nil {
		t.Fatal(err)
	}
	if g.ID <= 0 || g.Kind != proto.KindGroup || g.Name != "Study Group" || g.Members != 1 {
		t.Fatalf("created group = %+v", g)
	}

	// B joins by ID; A sees it happen.
	joined, err := b.JoinGroup(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if joined.ID != g.ID || joined.Members != 2 {
		t.Fatalf("joined group = %+v, want %d with 2 members", joined, g.ID)
	}
	if ev := a.inbox.message(t, g.ID).Event; ev == nil || ev.Type != proto.EventCreated || ev.Actor.ID != li.ID {
		t.Fatalf("A saw %+v first, want the group's creation", ev)
	}
	if ev := a.inbox.message(t, g.ID).Event; ev == nil || ev.Type != proto.EventJoined || ev.Actor.ID != bob.ID {
		t.Fatalf("A saw %+v, want B's join", ev)
	}
	if _, err := b.JoinGroup(ctx, g.ID); proto.CodeOf(err) != proto.CodeAlreadyMember {
		t.Fatalf("joining twice: %v, want already_member", err)
	}
	if _, err := b.JoinGroup(ctx, g.ID+100000); proto.CodeOf(err) != proto.CodeNoSuchGroup {
		t.Fatalf("joining a missing group: %v, want no_such_group", err)
	}

	// A invites C by user ID; C is told on the spot.
	invited, err := a.Invite(ctx, carol.ID, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if invited != carol.User {
		t.Fatalf("Invite returned %+v, want %+v", invited, carol.User)
	}
	cp := c.inbox.take(t, "conversation push to the invitee", func(p client.Push) bool { return p.Conversation != nil })
	if cp.Conversation.Conversation.ID != g.ID || !cp.Conversation.Member || cp.Conversation.Conversation.Members != 3 {
		t.Fatalf("C was told %+v, want membership of %d with 3 members", cp.Conversation, g.ID)
	}
	if ev := b.inbox.message(t, g.ID).Event; ev == nil || ev.Type != proto.EventJoined || ev.Actor.ID != bob.ID {
		t.Fatalf("B saw %+v first, want its own join", ev)
	}
	for _, d := range []*device{a, b, c} {
		ev := d.inbox.message(t, g.ID).Event
		if ev == nil || ev.Type != proto.EventInvited || ev.Actor.ID != li.ID || ev.Subject == nil || ev.Subject.ID != carol.ID {
			t.Fatalf("%d saw %+v, want A inviting C", d.ID, ev)
		}
	}
	members, err := c.Members(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 3 {
		t.Fatalf("members = %+v, want 3", members)
	}
	for _, mb := range members {
		if !mb.Online {
			t.Errorf("member %d shown offline while connected", mb.ID)
		}
	}

	// A message reaches every member at once, with sender name, ID and time.
	before := time.Now().UnixMilli()
	sent := a.send(t, g.ID, "明天图书馆见 📚")
	after := time.Now().UnixMilli()
	for _, d := range []*device{a, b, c} {
		got := d.inbox.message(t, g.ID)
		if got.Seq != sent.Seq || got.Text != "明天图书馆见 📚" || got.Kind != proto.MsgText ||
			got.Sender != li.ID || got.SenderName != "李华" {
			t.Fatalf("%d received %+v, want A's message %+v", d.ID, got, sent)
		}
		if got.Time < before-1000 || got.Time > after+1000 {
			t.Fatalf("message time %d is not around the send (%d..%d)", got.Time, before, after)
		}
	}
	reply := c.send(t, g.ID, "ok")
	if b.inbox.message(t, g.ID).Seq != reply.Seq || reply.Seq != sent.Seq+1 {
		t.Fatalf("C's reply should follow A's message")
	}

	// A non-member is refused everything.
	refused := map[string]error{}
	_, refused["history"] = m.History(ctx, proto.HistoryRequest{Conv: g.ID})
	_, refused["send"] = m.Send(ctx, g.ID, client.NewClientID(), "let me in")
	_, refused["invite"] = m.Invite(ctx, mallory.ID, g.ID)
	_, refused["members"] = m.Members(ctx, g.ID)
	refused["leave"] = m.Leave(ctx, g.ID)
	for op, err := range refused {
		if proto.CodeOf(err) != proto.CodeNotMember {
			t.Errorf("non-member %s: %v, want not_member", op, err)
		}
	}
	convs, msgs, err := m.SyncAll(ctx, nil)
	if err != nil || len(convs) != 0 || len(msgs) != 0 {
		t.Fatalf("non-member sync = %d conversations, %d messages, %v; want nothing", len(convs), len(msgs), err)
	}
	if hist, err := b.History(ctx, proto.HistoryRequest{Conv: g.ID}); err != nil || int64(len(hist.Messages)) != reply.Seq {
		t.Fatalf("member history: %d messages, %v; want %d", len(hist.Messages), err, reply.Seq)
	}

	// Wrong passwords and unknown IDs get the same answer.
	wrong := dial(t, srv.URL, nil)
	if _, err := wrong.Login(ctx, li.ID, "not the password", ""); proto.CodeOf(err) != proto.CodeBadCredentials {
		t.Fatalf("wrong password: %v, want bad_credentials", err)
	}
	if _, err := wrong.Login(ctx, 99999999, password, ""); proto.CodeOf(err) != proto.CodeBadCredentials {
		t.Fatalf("unknown user: %v, want bad_credentials", err)
	}
	if _, err := wrong.Conversations(ctx); proto.CodeOf(err) != proto.CodeUnauthenticated {
		t.Fatalf("after failed logins: %v, want unauthenticated", err)
	}
}
