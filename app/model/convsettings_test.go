package model

import (
	"context"
	"fmt"
	"testing"
	"time"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
	"parley/server/node"
	"parley/server/node/nodetest"
)

// withRequests is a test server where a direct conversation between
// people who share no group is a first-contact request, as in production.
func withRequests(t *testing.T) *nodetest.Server {
	return nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.NoRequests = false }))
}

// request makes stranger open a direct conversation with me and write in
// it; it returns the conversation.
func request(t *testing.T, stranger *nodetest.User, me proto.UserID, text string) proto.ConvID {
	t.Helper()
	ctx := context.Background()
	cv, err := stranger.Conn.Direct(ctx, me)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stranger.Conn.Send(ctx, cv.ID, client.NewClientID(), text); err != nil {
		t.Fatal(err)
	}
	return cv.ID
}

func blockedIDs(st state.State) []proto.UserID {
	var ids []proto.UserID
	for _, u := range st.Blocks {
		ids = append(ids, u.ID)
	}
	return ids
}

// Three strangers write to me: their conversations are requests. Accept
// makes one ordinary at once; Delete takes one away; Block takes the
// third away and lists its sender as blocked, until Unblock.
func TestRequestsAreMarkedAndAcceptDeleteAndBlockAnswerThemAtOnce(t *testing.T) {
	srv := withRequests(t)
	ctx := context.Background()
	m := newTestModel(t, srv, t.TempDir())
	me := m.registerAndLogin(srv, "李华")
	s1, s2, s3 := srv.NewUser(t, "Stranger 1"), srv.NewUser(t, "Stranger 2"), srv.NewUser(t, "Stranger 3")
	c1, c2, c3 := request(t, s1, me.ID, "hello 1"), request(t, s2, me.ID, "hello 2"), request(t, s3, me.ID, "hello 3")
	m.waitFor("three requests", func(st state.State) bool {
		n := 0
		for _, c := range st.Conversations {
			if c.Request && c.Last != nil {
				n++
			}
		}
		return n == 3
	})

	if err := m.AcceptRequest(ctx, c1); err != nil {
		t.Fatal(err)
	}
	if c, ok := convIn(m.State(), c1); !ok || c.Request {
		t.Fatalf("after Accept the conversation is %+v (listed %v), want no request", c, ok)
	}
	if err := m.DeleteRequest(ctx, c2); err != nil {
		t.Fatal(err)
	}
	if _, ok := convIn(m.State(), c2); ok {
		t.Fatal("a deleted request is still listed")
	}
	if err := m.Block(ctx, s3.ID); err != nil {
		t.Fatal(err)
	}
	st := m.State()
	if _, ok := convIn(st, c3); ok {
		t.Fatal("the request of a user I blocked is still listed")
	}
	if ids := blockedIDs(st); len(ids) != 1 || ids[0] != s3.ID {
		t.Fatalf("blocked %v, want [%d]", ids, s3.ID)
	}
	if err := m.Unblock(ctx, s3.ID); err != nil {
		t.Fatal(err)
	}
	if ids := blockedIDs(m.State()); len(ids) != 0 {
		t.Fatalf("blocked %v after Unblock, want none", ids)
	}
	// The server agrees: only the accepted one is left, not a request.
	cvs, err := serverConversations(t, srv, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(cvs) != 1 || cvs[0].ID != c1 || cvs[0].Request {
		t.Fatalf("the server lists %+v, want only %d, accepted", cvs, c1)
	}
}

// serverConversations lists my conversations as the server has them.
func serverConversations(t *testing.T, srv *nodetest.Server, m *testModel) ([]proto.Conversation, error) {
	t.Helper()
	ctx := context.Background()
	c, err := client.Dial(ctx, srv.URL, client.DialOptions{})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := c.Resume(ctx, m.account().token); err != nil {
		return nil, err
	}
	return c.Conversations(ctx)
}

// A block made on another device reaches this one (the blocks push),
// and a new connection loads the list.
func TestBlocksComeFromThePushAndFromTheConnect(t *testing.T) {
	srv := nodetest.Start(t)
	m := newTestModel(t, srv, t.TempDir())
	me := m.registerAndLogin(srv, "李华")
	wang := srv.NewUser(t, "Wang")
	other := newTestModel(t, srv, t.TempDir())
	if err := other.Login(context.Background(), srv.HTTPURL, fmt.Sprint(me.ID), "secret-password"); err != nil {
		t.Fatal(err)
	}
	other.online()
	if err := other.Block(context.Background(), wang.ID); err != nil {
		t.Fatal(err)
	}
	m.waitFor("the block pushed", func(st state.State) bool { return len(st.Blocks) == 1 && st.Blocks[0].ID == wang.ID })

	third := newTestModel(t, srv, t.TempDir())
	if err := third.Login(context.Background(), srv.HTTPURL, fmt.Sprint(me.ID), "secret-password"); err != nil {
		t.Fatal(err)
	}
	third.waitFor("the blocks loaded on connect", func(st state.State) bool { return len(st.Blocks) == 1 && st.Blocks[0].Name == "Wang" })
}

// Muting for an hour: every device of mine shows the level; a plain
// message does not ring, a mention of me does; with notifications off
// nothing rings; an hour later it is "all" again by the device's clock.
func TestMuteLevelsReachEveryDeviceAndDecideWhatRings(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	clock := nodetest.NewClock(time.Now())
	m := newTestModel(t, srv, t.TempDir(), func(c *Config) { c.Now = clock.Now })
	me := m.registerAndLogin(srv, "李华")
	other := newTestModel(t, srv, t.TempDir())
	if err := other.Login(ctx, srv.HTTPURL, fmt.Sprint(me.ID), "secret-password"); err != nil {
		t.Fatal(err)
	}
	other.online()
	wang := srv.NewUser(t, "Wang")
	conv := nodetest.Group(t, wang, "g")
	if err := m.JoinGroup(ctx, fmt.Sprint(conv)); err != nil {
		t.Fatal(err)
	}
	other.waitFor("the group", func(st state.State) bool { _, ok := convIn(st, conv); return ok })

	if err := m.SetNotify(ctx, conv, proto.NotifyMentions, time.Hour); err != nil {
		t.Fatal(err)
	}
	until := clock.Now().Add(time.Hour).UnixMilli()
	c, _ := convIn(m.State(), conv)
	if c.Notify != proto.NotifyMentions || c.NotifyUntil != until {
		t.Fatalf("after SetNotify: notify %q until %d, want mentions until %d", c.Notify, c.NotifyUntil, until)
	}
	other.waitFor("the level on my other device", func(st state.State) bool {
		c, _ := convIn(st, conv)
		return c.Notify == proto.NotifyMentions && c.NotifyUntil == until
	})
	plain := send(t, wang, conv, "plain")
	mention := mentioning(t, wang, conv, "@李华 look", me.ID)
	now := clock.Now().UnixMilli()
	if c.Rings(plain, me.ID, now) || !c.Rings(mention, me.ID, now) {
		t.Fatalf("mentions only: plain rings %v, mention rings %v; want false, true", c.Rings(plain, me.ID, now), c.Rings(mention, me.ID, now))
	}
	if !c.Muted(now) {
		t.Fatal("a conversation notifying mentions only is not muted (its badge would not be grey)")
	}
	clock.Advance(time.Hour)
	if l := c.Level(clock.Now().UnixMilli()); l != proto.NotifyAll {
		t.Fatalf("an hour later the level is %q, want all", l)
	}

	if err := m.SetNotify(ctx, conv, proto.NotifyOff, 0); err != nil {
		t.Fatal(err)
	}
	c, _ = convIn(m.State(), conv)
	now = clock.Now().UnixMilli()
	if c.Notify != proto.NotifyOff || c.NotifyUntil != 0 || c.Rings(mention, me.ID, now) {
		t.Fatalf("off: %+v rings a mention %v", c, c.Rings(mention, me.ID, now))
	}
	if err := m.SetNotify(ctx, conv, proto.NotifyAll, 0); err != nil {
		t.Fatal(err)
	}
	if c, _ = convIn(m.State(), conv); c.Muted(now) || !c.Rings(plain, me.ID, now) {
		t.Fatalf("back to all: %+v", c)
	}
}

// An archived conversation comes back with the next message that reaches
// me, on this device at once and in the server's summary after a
// reconnect.
func TestAnArchivedConversationComesBackWithANewMessage(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	m := newTestModel(t, srv, t.TempDir())
	me := m.registerAndLogin(srv, "李华")
	wang := srv.NewUser(t, "Wang")
	cv, err := wang.Conn.Direct(ctx, me.ID)
	if err != nil {
		t.Fatal(err)
	}
	hi := send(t, wang, cv.ID, "hi")
	m.waitFor("the conversation", func(st state.State) bool { c, ok := convIn(st, cv.ID); return ok && c.Last != nil })
	if err := m.Archive(ctx, cv.ID, true); err != nil {
		t.Fatal(err)
	}
	if c, _ := convIn(m.State(), cv.ID); !c.Archived {
		t.Fatalf("after Archive: %+v", c)
	}
	// A reaction does not bring it back; a message does.
	change(t, wang, proto.TypeReact, proto.ReactRequest{Conv: cv.ID, Seq: hi.Seq, ClientID: client.NewClientID(), Emoji: "👍"})
	send(t, wang, cv.ID, "are you there?")
	m.waitFor("the new message", func(st state.State) bool {
		c, _ := convIn(st, cv.ID)
		return c.Last != nil && c.Last.Text == "are you there?"
	})
	if c, _ := convIn(m.State(), cv.ID); c.Archived {
		t.Fatalf("a new message left it archived: %+v", c)
	}
	connects := m.account().connects.Load()
	srv.Restart(t) // the model reconnects and syncs the server's summary
	m.waitFor("reconnected", func(st state.State) bool {
		return st.Conn == state.Online && m.account().connects.Load() > connects
	})
	if c, ok := convIn(m.State(), cv.ID); !ok || c.Archived {
		t.Fatalf("after the sync: %+v (listed %v), want not archived", c, ok)
	}
}

// My settings are kept on this device: an app started while the server
// is down shows a muted conversation muted, a request as a request, and
// an archived one archived.
func TestSettingsShowAfterARestartWithoutTheServer(t *testing.T) {
	srv := withRequests(t)
	ctx := context.Background()
	dir := t.TempDir()
	m := newTestModel(t, srv, dir)
	me := m.registerAndLogin(srv, "李华")
	wang, stranger := srv.NewUser(t, "Wang"), srv.NewUser(t, "Stranger")
	conv := nodetest.Group(t, wang, "g")
	if err := m.JoinGroup(ctx, fmt.Sprint(conv)); err != nil {
		t.Fatal(err)
	}
	asked := request(t, stranger, me.ID, "hello")
	m.waitFor("the request", func(st state.State) bool { c, ok := convIn(st, asked); return ok && c.Request })
	if err := m.SetNotify(ctx, conv, proto.NotifyOff, 0); err != nil {
		t.Fatal(err)
	}
	if err := m.Archive(ctx, conv, true); err != nil {
		t.Fatal(err)
	}
	m.Close()
	srv.Stop()

	m2 := newTestModel(t, srv, dir)
	m2.waitFor("the settings of both conversations, offline", func(st state.State) bool {
		g, ok1 := convIn(st, conv)
		r, ok2 := convIn(st, asked)
		return st.Conn != state.Online && ok1 && ok2 && g.Notify == proto.NotifyOff && g.Archived && r.Request && !g.Request
	})
}
