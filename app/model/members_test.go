package model

import (
	"context"
	"slices"
	"testing"

	"parley/app/state"
	"parley/net/proto"
	"parley/server/node/nodetest"
)

// waitMembers waits until the open conversation's header counts the
// people in want and its member list is them.
func (tm *testModel) waitMembers(when string, want ...proto.UserID) {
	tm.t.Helper()
	slices.Sort(want)
	tm.waitFor("the members "+when, func(st state.State) bool {
		if st.Open == nil || st.Open.Conversation.Members != len(want) {
			return false
		}
		var ids []proto.UserID
		for _, mb := range st.Open.Members {
			ids = append(ids, mb.ID)
		}
		slices.Sort(ids)
		return slices.Equal(ids, want)
	})
	for _, c := range tm.State().Conversations {
		if c.ID == tm.State().Open.ID && c.Members != len(want) {
			tm.t.Fatalf("the list counts %d members %s, want %d", c.Members, when, len(want))
		}
	}
}

func TestMemberCountAndListFollowJoinsInvitesAndLeaves(t *testing.T) {
	srv := nodetest.Start(t)
	proxy := startCutter(t, srv.Addr)
	dir := t.TempDir()
	m := newTestModel(t, srv, dir)
	me := m.registerAndLoginAt(proxy.URL(), "A").ID
	ctx := context.Background()
	if err := m.CreateGroup(ctx, "club"); err != nil {
		t.Fatal(err)
	}
	conv := m.State().Open.ID
	m.waitMembers("at the start", me)
	b, c, d, e := srv.NewUser(t, "B"), srv.NewUser(t, "C"), srv.NewUser(t, "D"), srv.NewUser(t, "E")

	if _, err := b.Conn.JoinGroup(ctx, conv); err != nil {
		t.Fatal(err)
	}
	m.waitMembers("after B joined", me, b.ID)
	if _, err := b.Conn.Invite(ctx, c.ID, conv); err != nil {
		t.Fatal(err)
	}
	m.waitMembers("after B invited C", me, b.ID, c.ID)
	if err := b.Conn.Leave(ctx, conv); err != nil {
		t.Fatal(err)
	}
	m.waitMembers("after B left", me, c.ID)

	// D joins while A is offline.
	proxy.cut.Store(1)
	proxy.dropAll()
	m.waitFor("offline", func(st state.State) bool { return st.Conn != state.Online })
	if _, err := d.Conn.JoinGroup(ctx, conv); err != nil {
		t.Fatal(err)
	}
	proxy.cut.Store(0)
	m.Reconnect()
	m.online()
	m.waitMembers("after a reconnect", me, c.ID, d.ID)

	// E joins and C leaves while the app is closed.
	m.Close()
	if _, err := e.Conn.JoinGroup(ctx, conv); err != nil {
		t.Fatal(err)
	}
	if err := c.Conn.Leave(ctx, conv); err != nil {
		t.Fatal(err)
	}
	m = newTestModel(t, srv, dir)
	m.online()
	if err := m.Open(ctx, conv); err != nil {
		t.Fatal(err)
	}
	m.waitMembers("after a restart", me, d.ID, e.ID)
}
