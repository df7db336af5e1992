package model

import (
	"context"
	"fmt"
	"image/color"
	"slices"
	"testing"

	"parley/app/state"
	"parley/net/proto"
	"parley/server/node/nodetest"
)

// noticeWith reports whether st shows a notice of kind with args.
func noticeWith(st state.State, kind state.NoticeKind, args ...string) bool {
	return slices.ContainsFunc(st.Notices, func(n state.Notice) bool { return n.Kind == kind && slices.Equal(n.Args, args) })
}

// groupEvents returns the event types of the open conversation's group
// event rows, in order.
func groupEvents(st state.State) []string {
	var out []string
	if st.Open == nil {
		return nil
	}
	for _, m := range st.Open.Messages {
		if m.Kind == proto.MsgGroupEvent && m.Event != nil {
			out = append(out, m.Event.Type)
		}
	}
	return out
}

// An "ask" group made in the app: a request by ID shows up in the
// owner's app with the pushed request, approving it lets the requester
// in, and the approved event is a row of the history.
func TestAJoinRequestIsSeenAndApprovedInTheOwnersApp(t *testing.T) {
	srv := nodetest.Start(t)
	m := newTestModel(t, srv, t.TempDir())
	m.registerAndLogin(srv, "Li Hua")
	ctx := context.Background()
	if err := m.CreateGroupWith(ctx, "Study Group", proto.PolicyAsk); err != nil {
		t.Fatal(err)
	}
	conv := m.State().Open.ID
	tom := srv.NewUser(t, "Tom")
	if _, err := tom.Conn.JoinGroup(ctx, conv); err == nil {
		t.Fatal("joining an ask group by ID went straight in")
	}
	// The list and the notice come in two updates: wait for both.
	m.waitFor("the request and its notice", func(st state.State) bool {
		rs := st.JoinRequests[conv]
		return len(rs) == 1 && rs[0].User.ID == tom.ID &&
			noticeWith(st, state.NoticeJoinRequestIn, "Tom", fmt.Sprint(tom.ID), "Study Group", fmt.Sprint(conv))
	})
	if err := m.AnswerJoin(ctx, conv, tom.ID, true); err != nil {
		t.Fatal(err)
	}
	st := m.waitFor("the approved event", func(st state.State) bool { return slices.Contains(groupEvents(st), proto.EventApproved) })
	if len(st.JoinRequests[conv]) != 0 {
		t.Fatalf("the answered request is still listed: %+v", st.JoinRequests)
	}
	m.waitFor("two members", func(st state.State) bool { return st.Open.Conversation.Members == 2 })
}

// The requester's side: joining an ask group by ID says the request went
// to the admins, and the answer arrives as a notice; once approved the
// group is in the list.
func TestMyJoinRequestIsToldAndAnswered(t *testing.T) {
	srv := nodetest.Start(t)
	m := newTestModel(t, srv, t.TempDir())
	me := m.registerAndLogin(srv, "Tom")
	owner := srv.NewUser(t, "Li Hua")
	ctx := context.Background()
	g, err := owner.Conn.CreateGroupWith(ctx, proto.CreateGroupRequest{Name: "Study Group", Policy: proto.PolicyAsk})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.JoinGroup(ctx, fmt.Sprint(g.ID)); err != nil {
		t.Fatalf("a request is not an error: %v", err)
	}
	if st := m.State(); !noticeWith(st, state.NoticeJoinRequested, "Study Group", fmt.Sprint(g.ID)) || len(st.Conversations) != 0 {
		t.Fatalf("after the request: notices %+v, conversations %+v", st.Notices, st.Conversations)
	}
	if err := owner.Conn.AnswerJoin(ctx, g.ID, me.ID, false); err != nil {
		t.Fatal(err)
	}
	m.waitFor("declined", func(st state.State) bool {
		return noticeWith(st, state.NoticeJoinDeclined, "Study Group", fmt.Sprint(g.ID))
	})
	if err := m.JoinGroup(ctx, fmt.Sprint(g.ID)); err != nil {
		t.Fatal(err)
	}
	if err := owner.Conn.AnswerJoin(ctx, g.ID, me.ID, true); err != nil {
		t.Fatal(err)
	}
	m.waitFor("approved and listed", func(st state.State) bool {
		return noticeWith(st, state.NoticeJoinApproved, "Study Group", fmt.Sprint(g.ID)) &&
			slices.ContainsFunc(st.Conversations, func(c state.Conversation) bool { return c.ID == g.ID })
	})

	// An invite-only group refuses with its own code.
	inv, err := owner.Conn.CreateGroupWith(ctx, proto.CreateGroupRequest{Name: "Board", Policy: proto.PolicyInvite})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.JoinGroup(ctx, fmt.Sprint(inv.ID)); proto.CodeOf(err) != proto.CodeInviteOnly {
		t.Fatalf("joining an invite-only group: %v", err)
	}
}

// A pasted invite link shows the group it leads to, and Join joins it
// (also an invite-only group); a revoked link says so.
func TestJoiningByAPastedLink(t *testing.T) {
	srv := nodetest.Start(t)
	m := newTestModel(t, srv, t.TempDir())
	m.registerAndLogin(srv, "Tom")
	owner := srv.NewUser(t, "Li Hua")
	ctx := context.Background()
	g, err := owner.Conn.CreateGroupWith(ctx, proto.CreateGroupRequest{Name: "Board", Policy: proto.PolicyInvite})
	if err != nil {
		t.Fatal(err)
	}
	l, err := owner.Conn.CreateLink(ctx, proto.CreateLinkRequest{Group: g.ID})
	if err != nil {
		t.Fatal(err)
	}
	web, _ := state.ShareLinks(srv.HTTPURL, l.Path)
	if err := m.JoinByText(ctx, "  "+web+" "); err != nil {
		t.Fatal(err)
	}
	p := m.State().LinkPreview
	if p == nil || p.Token != l.Token || p.Info == nil || p.Info.Name != "Board" || p.Info.Members != 1 {
		t.Fatalf("preview %+v", p)
	}
	if err := m.JoinLink(ctx, l.Token); err != nil {
		t.Fatal(err)
	}
	st := m.State()
	if st.Open == nil || st.Open.ID != g.ID || st.LinkPreview != nil {
		t.Fatalf("after joining: open %+v, preview %+v", st.Open, st.LinkPreview)
	}

	if err := owner.Conn.RevokeLink(ctx, g.ID, l.ID); err != nil {
		t.Fatal(err)
	}
	if err := m.JoinByText(ctx, "parley://example.org/join/"+l.Token); proto.CodeOf(err) != proto.CodeNoSuchLink {
		t.Fatalf("a revoked link: %v", err)
	}
	if p := m.State().LinkPreview; p == nil || p.Error == nil || p.Error.Code != proto.CodeNoSuchLink {
		t.Fatalf("the card of a revoked link: %+v", p)
	}
	if err := m.JoinByText(ctx, "not a link"); err == nil {
		t.Fatal("junk was taken for a link or an ID")
	}
}

// A member removed, then (after coming back) banned, loses the group at
// once and is told who did it.
func TestARemovedOrBannedMemberIsTold(t *testing.T) {
	srv := nodetest.Start(t)
	m := newTestModel(t, srv, t.TempDir())
	me := m.registerAndLogin(srv, "Tom")
	owner := srv.NewUser(t, "Li Hua")
	conv := nodetest.Group(t, owner, "Study Group")
	ctx := context.Background()
	if err := m.JoinGroup(ctx, fmt.Sprint(conv)); err != nil {
		t.Fatal(err)
	}
	if err := owner.Conn.RemoveMember(ctx, conv, me.ID); err != nil {
		t.Fatal(err)
	}
	gone := func(st state.State) bool {
		return st.Open == nil && !slices.ContainsFunc(st.Conversations, func(c state.Conversation) bool { return c.ID == conv })
	}
	m.waitFor("removed", func(st state.State) bool {
		return gone(st) && noticeWith(st, state.NoticeRemovedMe, "Li Hua", "Study Group", fmt.Sprint(conv))
	})
	if err := m.JoinGroup(ctx, fmt.Sprint(conv)); err != nil {
		t.Fatal(err)
	}
	if err := owner.Conn.Ban(ctx, conv, me.ID); err != nil {
		t.Fatal(err)
	}
	m.waitFor("banned", func(st state.State) bool {
		return gone(st) && noticeWith(st, state.NoticeBannedMe, "Li Hua", "Study Group", fmt.Sprint(conv))
	})
	if err := m.JoinGroup(ctx, fmt.Sprint(conv)); proto.CodeOf(err) != proto.CodeBanned {
		t.Fatalf("rejoining while banned: %v", err)
	}
}

// Group events made while the app was closed arrive with the sync, are
// rows of the history in order, and a rename renames the conversation.
func TestGroupEventsAreStoredAndShownAfterSync(t *testing.T) {
	srv := nodetest.Start(t)
	dir := t.TempDir()
	m := newTestModel(t, srv, dir)
	me := m.registerAndLogin(srv, "Tom")
	owner := srv.NewUser(t, "Li Hua")
	wang := srv.NewUser(t, "Wang")
	conv := nodetest.Group(t, owner, "Study Group", wang)
	ctx := context.Background()
	if err := m.JoinGroup(ctx, fmt.Sprint(conv)); err != nil {
		t.Fatal(err)
	}
	m.Close()

	name := "学习小组"
	if _, err := owner.Conn.SetGroup(ctx, proto.SetGroupRequest{Group: conv, Name: &name}); err != nil {
		t.Fatal(err)
	}
	if err := owner.Conn.SetAdmin(ctx, conv, me.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := owner.Conn.RemoveMember(ctx, conv, wang.ID); err != nil {
		t.Fatal(err)
	}

	m = newTestModel(t, srv, dir)
	m.online()
	m.waitFor("the new name", func(st state.State) bool {
		return slices.ContainsFunc(st.Conversations, func(c state.Conversation) bool { return c.ID == conv && c.Name == name })
	})
	if err := m.Open(ctx, conv); err != nil {
		t.Fatal(err)
	}
	st := m.waitFor("the events", func(st state.State) bool { return len(groupEvents(st)) == 3 })
	if got, want := groupEvents(st), []string{proto.EventRenamed, proto.EventPromoted, proto.EventRemoved}; !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}

	// Live: the panel of a group I run shows its settings and follows a
	// rename by another admin.
	if err := m.OpenGroupSettings(ctx, conv); err != nil {
		t.Fatal(err)
	}
	if g := m.State().Group; g == nil || g.Info == nil || g.Info.Role != proto.RoleAdmin || !g.Admin() || g.Owner() {
		t.Fatalf("panel %+v", g)
	}
	again := "Study Group"
	if _, err := owner.Conn.SetGroup(ctx, proto.SetGroupRequest{Group: conv, Name: &again}); err != nil {
		t.Fatal(err)
	}
	m.waitFor("the panel renamed", func(st state.State) bool {
		return st.Group != nil && st.Group.Info != nil && st.Group.Info.Name == again && st.Open.Name == again
	})
}

// The app opened with an invite link (the browser app's ?join=TOKEN)
// shows its card once logged in and online; a link of a group that asks
// files a request.
func TestAnInviteLinkTheAppWasOpenedWithIsOfferedOnceOnline(t *testing.T) {
	srv := nodetest.Start(t)
	owner := srv.NewUser(t, "Li Hua")
	ctx := context.Background()
	g, err := owner.Conn.CreateGroupWith(ctx, proto.CreateGroupRequest{Name: "Study Group", Policy: proto.PolicyAsk})
	if err != nil {
		t.Fatal(err)
	}
	l, err := owner.Conn.CreateLink(ctx, proto.CreateLinkRequest{Group: g.ID})
	if err != nil {
		t.Fatal(err)
	}
	m := newTestModel(t, srv, t.TempDir())
	m.OfferJoinLink(l.Token)
	m.registerAndLogin(srv, "Tom")
	st := m.waitFor("the card", func(st state.State) bool { return st.LinkPreview != nil && st.LinkPreview.Info != nil })
	if p := st.LinkPreview; p.Token != l.Token || p.Info.Name != "Study Group" || p.Info.Policy != proto.PolicyAsk {
		t.Fatalf("card %+v %+v", p, p.Info)
	}
	if err := m.JoinLink(ctx, l.Token); err != nil {
		t.Fatal(err)
	}
	if st := m.State(); !noticeWith(st, state.NoticeJoinRequested, "Study Group", fmt.Sprint(g.ID)) || len(st.Conversations) != 0 {
		t.Fatalf("after the link: notices %+v, conversations %+v", st.Notices, st.Conversations)
	}
	reqs, err := owner.Conn.JoinRequests(ctx, g.ID)
	if err != nil || len(reqs) != 1 || reqs[0].User.Name != "Tom" {
		t.Fatalf("requests %+v, %v", reqs, err)
	}
}

// An admin's picture for a group reaches the other members at once (the
// picture event), shows after a restart without the server (the store
// keeps it), and goes when removed.
func TestAGroupPictureReachesTheMembersAndStays(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	li := newTestModel(t, srv, t.TempDir())
	li.registerAndLogin(srv, "李华")
	wangDir := t.TempDir()
	wang := newTestModel(t, srv, wangDir)
	wang.registerAndLogin(srv, "Wang")
	if err := li.CreateGroup(ctx, "Study Group"); err != nil {
		t.Fatal(err)
	}
	conv := li.State().Open.ID
	if err := wang.JoinGroup(ctx, fmt.Sprint(conv)); err != nil {
		t.Fatal(err)
	}
	wang.waitFor("the group", func(st state.State) bool { _, ok := convIn(st, conv); return ok })

	if err := li.SetGroupPictureFile(ctx, conv, pngFile(t, t.TempDir(), 300, 300, color.NRGBA{G: 200, A: 255})); err != nil {
		t.Fatal(err)
	}
	st := li.waitFor("the picture here", func(st state.State) bool {
		c, _ := convIn(st, conv)
		return c.Picture != "" && st.GroupPictures[conv] != nil
	})
	c, _ := convIn(st, conv)
	wang.waitFor("the picture at Wang's", func(st state.State) bool {
		w, _ := convIn(st, conv)
		return w.Picture == c.Picture && st.GroupPictures[conv] != nil && st.Pictures[proto.UserID(conv)] == nil
	})
	wang.Close()
	srv.Stop()
	wang = newTestModel(t, srv, wangDir)
	wang.waitFor("the picture offline", func(st state.State) bool {
		w, _ := convIn(st, conv)
		return st.Conn != state.Online && w.Picture == c.Picture && st.GroupPictures[conv] != nil
	})
	srv.Restart(t)
	wang.online()
	li.online()

	if err := li.RemoveGroupPicture(ctx, conv); err != nil {
		t.Fatal(err)
	}
	wang.waitFor("the picture gone", func(st state.State) bool {
		w, _ := convIn(st, conv)
		return w.Picture == "" && st.GroupPictures[conv] == nil
	})
}

// Another admin's decline takes the request off my list at once.
func TestAnotherAdminsAnswerTakesTheRequestAway(t *testing.T) {
	srv := nodetest.Start(t)
	m := newTestModel(t, srv, t.TempDir())
	me := m.registerAndLogin(srv, "Li Hua")
	ctx := context.Background()
	owner := srv.NewUser(t, "Wang")
	conv := nodetest.Group(t, owner, "Study Group")
	if err := m.JoinGroup(ctx, fmt.Sprint(conv)); err != nil {
		t.Fatal(err)
	}
	if err := owner.Conn.SetAdmin(ctx, conv, me.ID, true); err != nil {
		t.Fatal(err)
	}
	ask := proto.PolicyAsk
	if _, err := owner.Conn.SetGroup(ctx, proto.SetGroupRequest{Group: conv, Policy: &ask}); err != nil {
		t.Fatal(err)
	}
	tom := srv.NewUser(t, "Tom")
	if _, err := tom.Conn.RequestJoin(ctx, conv); err != nil {
		t.Fatal(err)
	}
	m.waitFor("the request", func(st state.State) bool { return len(st.JoinRequests[conv]) == 1 })
	if err := owner.Conn.AnswerJoin(ctx, conv, tom.ID, false); err != nil {
		t.Fatal(err)
	}
	m.waitFor("the request gone", func(st state.State) bool { return len(st.JoinRequests[conv]) == 0 })
}
