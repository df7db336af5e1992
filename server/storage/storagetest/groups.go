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
