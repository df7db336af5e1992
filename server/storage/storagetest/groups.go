package storagetest

import (
	"context"
	"slices"
	"testing"

	"parley/net/proto"
	"parley/server/storage"
)

// A deleted group is answered for as no group at all, also from the
// sequencer's cache. (That its ID is never given again is each
// implementation's: SQLite keeps the row.)
func testDeletedGroupIsGone(t *testing.T, db Database) {
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
	if _, _, err := d.Send(ctx, b, g.ID, "m1", "hello"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeleteGroup(ctx, b, g.ID); proto.CodeOf(err) != proto.CodeNotOwner {
		t.Fatalf("a member deletes: %v", err)
	}
	del, err := d.DeleteGroup(ctx, a, g.ID)
	if err != nil || len(del.Members) != 2 || del.Conv.Name != "g" {
		t.Fatalf("delete: %+v, %v", del, err)
	}
	if _, _, err := d.Send(ctx, b, g.ID, "m2", "anyone?"); proto.CodeOf(err) != proto.CodeNoSuchConv {
		t.Fatalf("send to a deleted group: %v", err)
	}
	if _, err := d.JoinGroup(ctx, b, g.ID); proto.CodeOf(err) != proto.CodeNoSuchGroup {
		t.Fatalf("join a deleted group: %v", err)
	}
	if _, err := d.GroupInfo(ctx, a.ID, g.ID); proto.CodeOf(err) != proto.CodeNoSuchGroup {
		t.Fatalf("info of a deleted group: %v", err)
	}
	if _, _, err := d.History(ctx, a.ID, proto.HistoryRequest{Conv: g.ID, Limit: 5}); err == nil {
		t.Fatal("history of a deleted group")
	}
}

// A group's picture is a thumbnail file of the group's: set and removed
// with an event each, in the group's info and summaries, kept when the
// admin who set it deletes their account, and released with the group.
func testAGroupPictureGoesWithTheGroup(t *testing.T, db Database) {
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
	thumb := proto.File{ID: "0123456789abcdef0123456789abcdef", Name: "picture.jpg", Size: 3, SHA256: "abcd", Type: "image/jpeg"}
	if err := d.AddThumb(ctx, b.ID, g.ID, thumb); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SetGroup(ctx, b, g.ID, storage.GroupChange{Picture: &thumb.ID}); proto.CodeOf(err) != proto.CodeNotAdmin {
		t.Fatalf("a member sets the picture: %v", err)
	}
	if err := d.SetAdmin(ctx, a, g.ID, b.ID, true); err != nil {
		t.Fatal(err)
	}
	if shas, err := d.SetGroup(ctx, b, g.ID, storage.GroupChange{Picture: &thumb.ID}); err != nil || len(shas) != 0 {
		t.Fatalf("set the picture: %v %v", shas, err)
	}
	info, err := d.GroupInfo(ctx, a.ID, g.ID)
	if err != nil || info.Picture != thumb.ID {
		t.Fatalf("info: %+v %v", info, err)
	}
	c, err := d.Conversation(ctx, a.ID, g.ID)
	if err != nil || c.Picture != thumb.ID || c.Last == nil || c.Last.Event.Type != proto.EventPicture || c.Last.Event.Picture != thumb.ID {
		t.Fatalf("summary: %+v %v", c, err)
	}
	if _, err := d.DeleteAccount(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if f, err := d.File(ctx, thumb.ID); err != nil || f.Conv != g.ID {
		t.Fatalf("the picture after its setter left: %+v %v", f, err)
	}
	del, err := d.DeleteGroup(ctx, a, g.ID)
	if err != nil || !slices.Contains(del.Released, thumb.SHA256) {
		t.Fatalf("delete: %+v %v", del, err)
	}
	if _, err := d.File(ctx, thumb.ID); proto.CodeOf(err) != proto.CodeNoSuchFile {
		t.Fatalf("the picture after the group went: %v", err)
	}
}

// Invite links join people by token within their limits; a group that
// asks turns a join into a request the admins answer; a ban keeps its
// subject out until lifted; who may invite is the group's setting.
func testLinksRequestsBansAndPermissions(t *testing.T, db Database) {
	d := open(t, db, storage.Options{})
	ctx := context.Background()
	a, b, c, e := mustUser(t, d, "a"), mustUser(t, d, "b"), mustUser(t, d, "c"), mustUser(t, d, "e")
	g, err := d.CreateGroupWith(ctx, a, storage.NewGroup{Name: "g", Policy: proto.PolicyInvite})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.JoinGroup(ctx, b, g.ID); err == nil {
		t.Fatal("joined an invite-only group by its ID")
	}
	token := hexOf('t', 22)
	l, err := d.CreateLink(ctx, a, g.ID, storage.NewLink{Token: token, MaxUses: 1})
	if err != nil || l.Token != token || l.Group != g.ID || l.MaxUses != 1 {
		t.Fatalf("create link: %+v %v", l, err)
	}
	if info, err := d.LinkInfo(ctx, token); err != nil || info.Group != g.ID || info.Name != "g" || info.Members != 1 {
		t.Fatalf("link info: %+v %v", info, err)
	}
	if j, err := d.JoinLink(ctx, b, token); err != nil || j.Conv == nil || j.Conv.ID != g.ID {
		t.Fatalf("join by link: %+v %v", j, err)
	}
	if _, err := d.JoinLink(ctx, c, token); err == nil {
		t.Fatal("a link of one use joined a second person")
	}
	if ls, err := d.Links(ctx, a.ID, g.ID); err != nil || len(ls) != 1 || ls[0].Uses != 1 {
		t.Fatalf("links: %+v %v", ls, err)
	}
	if err := d.RevokeLink(ctx, a, g.ID, l.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.LinkInfo(ctx, token); err == nil {
		t.Fatal("info of a revoked link")
	}

	ask := proto.PolicyAsk
	if _, err := d.SetGroup(ctx, a, g.ID, storage.GroupChange{Policy: &ask}); err != nil {
		t.Fatal(err)
	}
	j, err := d.JoinGroup(ctx, c, g.ID)
	if err != nil || j.Conv != nil || j.Request == nil || j.Request.User.ID != c.ID || !slices.Equal(j.Answerers, []proto.UserID{a.ID}) {
		t.Fatalf("c asks: %+v %v", j, err)
	}
	if _, err := d.JoinRequests(ctx, b.ID, g.ID); proto.CodeOf(err) != proto.CodeNotAdmin {
		t.Fatalf("a member lists requests: %v", err)
	}
	if rs, err := d.JoinRequests(ctx, a.ID, g.ID); err != nil || len(rs) != 1 || rs[0].User.ID != c.ID {
		t.Fatalf("requests: %+v %v", rs, err)
	}
	if ans, err := d.AnswerJoin(ctx, a, g.ID, c.ID, false); err != nil || ans.Joined {
		t.Fatalf("decline: %+v %v", ans, err)
	}
	if ok, err := d.IsMember(ctx, g.ID, c.ID); err != nil || ok {
		t.Fatalf("declined c is a member: %v %v", ok, err)
	}

	if err := d.Ban(ctx, a, g.ID, e.ID); err != nil {
		t.Fatal(err)
	}
	if bans, err := d.Bans(ctx, a.ID, g.ID); err != nil || len(bans) != 1 || bans[0].User.ID != e.ID || bans[0].By.ID != a.ID {
		t.Fatalf("bans: %+v %v", bans, err)
	}
	if _, err := d.JoinGroup(ctx, e, g.ID); proto.CodeOf(err) != proto.CodeBanned {
		t.Fatalf("a banned user joins: %v", err)
	}
	if _, _, err := d.Invite(ctx, a, e.ID, g.ID); proto.CodeOf(err) != proto.CodeBanned {
		t.Fatalf("a banned user invited: %v", err)
	}
	if err := d.Unban(ctx, a, g.ID, e.ID); err != nil {
		t.Fatal(err)
	}

	admins := proto.AllowAdmins
	if _, err := d.SetGroup(ctx, a, g.ID, storage.GroupChange{Invite: &admins, Send: &admins}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Invite(ctx, b, e.ID, g.ID); proto.CodeOf(err) != proto.CodeNotAdmin {
		t.Fatalf("a member invites when only admins may: %v", err)
	}
	if _, _, err := d.Send(ctx, b, g.ID, "b1", "hi"); err == nil {
		t.Fatal("a member sent when only admins may")
	}
	if err := d.SetAdmin(ctx, a, g.ID, b.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Invite(ctx, b, e.ID, g.ID); err != nil {
		t.Fatalf("an admin invites: %v", err)
	}
	if _, _, err := d.Send(ctx, b, g.ID, "b2", "hi"); err != nil {
		t.Fatalf("an admin sends: %v", err)
	}
	// The owner leaving passes the group on; a group deleted by the
	// operator is gone for everyone.
	if _, err := d.Leave(ctx, a, g.ID); err != nil {
		t.Fatal(err)
	}
	if info, err := d.GroupInfo(ctx, b.ID, g.ID); err != nil || info.Role != proto.RoleOwner {
		t.Fatalf("b after the owner left: %+v %v", info, err)
	}
	del, err := d.DeleteGroupAsOperator(ctx, g.ID)
	if err != nil || len(del.Members) != 2 {
		t.Fatalf("operator deletes: %+v %v", del, err)
	}
	if _, err := d.GroupInfo(ctx, b.ID, g.ID); proto.CodeOf(err) != proto.CodeNoSuchGroup {
		t.Fatalf("info after the operator deleted it: %v", err)
	}
}
