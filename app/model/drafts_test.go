package model

import (
	"context"
	"fmt"
	"maps"
	"testing"

	"parley/app/state"
	"parley/net/proto"
	"parley/server/node/nodetest"
)

func TestTheLastOpenConversationAndTheDraftsComeBackAfterLoggingInAgainButNotOfAGroupLeft(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	tm := newTestModel(t, srv, t.TempDir())
	me := tm.registerAndLogin(srv, "Li")
	for _, name := range []string{"Alpha", "Beta"} {
		if err := tm.CreateGroup(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	st := tm.waitFor("both groups", func(st state.State) bool { return len(st.Conversations) == 2 })
	var alpha, beta proto.ConvID
	for _, c := range st.Conversations {
		switch c.Name {
		case "Alpha":
			alpha = c.ID
		case "Beta":
			beta = c.ID
		}
	}
	tm.SetDraft(beta, "never mind")
	if err := tm.Leave(ctx, beta); err != nil { // its draft goes with it
		t.Fatal(err)
	}
	if err := tm.Open(ctx, alpha); err != nil {
		t.Fatal(err)
	}
	tm.SetDraft(alpha, "half a thought")
	if err := tm.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if st := tm.State(); st.Open != nil || len(st.Drafts) != 0 {
		t.Fatalf("logged out, the state still has open %+v, drafts %v", st.Open, st.Drafts)
	}
	if err := tm.Login(ctx, srv.HTTPURL, fmt.Sprint(me.ID), "secret-password"); err != nil {
		t.Fatal(err)
	}
	st = tm.waitFor("Alpha open again", func(st state.State) bool { return st.Open != nil && st.Open.ID == alpha })
	if want := map[proto.ConvID]string{alpha: "half a thought"}; !maps.Equal(st.Drafts, want) {
		t.Fatalf("the drafts after logging in again are %v, want %v (none of the group left)", st.Drafts, want)
	}
}
