package storagetest

import (
	"context"
	"slices"
	"testing"

	"parley/net/proto"
	"parley/server/storage"
)

// Profiles change by revision, reach the user's contacts, and a deleted
// account keeps only its ID.
func testProfilesContactsAndDeletedAccounts(t *testing.T, db Database) {
	d := open(t, db, storage.Options{})
	ctx := context.Background()
	a, b, c := mustUser(t, d, "a"), mustUser(t, d, "b"), mustUser(t, d, "c")
	g, err := d.CreateGroup(ctx, a, "g")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Invite(ctx, a, b.ID, g.ID); err != nil {
		t.Fatal(err)
	}
	contacts, err := d.Contacts(ctx, a.ID)
	want := []proto.UserID{a.ID, b.ID}
	slices.Sort(contacts)
	slices.Sort(want)
	if err != nil || !slices.Equal(contacts, want) {
		t.Fatalf("contacts: %v %v", contacts, err)
	}
	_, rev, err := d.ProfilesAfter(ctx, b.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	name, about := "Ana", "hello"
	u, _, err := d.SetProfile(ctx, a.ID, storage.ProfileChange{Name: &name, About: &about})
	if err != nil || u.Name != "Ana" || u.About != "hello" {
		t.Fatalf("set profile: %+v %v", u, err)
	}
	if p, err := d.Profile(ctx, a.ID); err != nil || p.Name != "Ana" || p.About != "hello" {
		t.Fatalf("profile: %+v %v", p, err)
	}
	ps, rev2, err := d.ProfilesAfter(ctx, b.ID, rev)
	if err != nil || rev2 <= rev || len(ps) != 1 || ps[0].ID != a.ID || ps[0].Name != "Ana" {
		t.Fatalf("profiles after %d: %+v %d %v", rev, ps, rev2, err)
	}
	if ps, _, err := d.ProfilesAfter(ctx, c.ID, rev); err != nil || len(ps) != 0 {
		t.Fatalf("profiles for someone who shares nothing: %+v %v", ps, err)
	}
	// History shows the sender's current name.
	if _, _, err := d.Send(ctx, a, g.ID, "m", "hi"); err != nil {
		t.Fatal(err)
	}
	ms, _, err := d.History(ctx, b.ID, proto.HistoryRequest{Conv: g.ID, Limit: 10})
	if err != nil || ms[len(ms)-1].SenderName != "Ana" {
		t.Fatalf("history after the rename: %+v %v", ms, err)
	}

	if err := d.StartSession(ctx, []byte("b-session"), b.ID, storage.NewSession{Device: "phone"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeleteAccount(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SessionUser(ctx, []byte("b-session")); proto.CodeOf(err) != proto.CodeBadToken {
		t.Fatalf("a deleted account's session: %v", err)
	}
	if p, err := d.Profile(ctx, b.ID); err != nil || !p.Deleted || p.Name != proto.DeletedName {
		t.Fatalf("a deleted account's profile: %+v %v", p, err)
	}
	if ok, err := d.IsMember(ctx, g.ID, b.ID); err != nil || ok {
		t.Fatalf("a deleted account still in the group: %v %v", ok, err)
	}
}

// Sessions are listed with their devices, touched, ended one by one or
// all but one by a password change, and refused for a login that raced a
// password change.
func testSessionsAndPasswords(t *testing.T, db Database) {
	d := open(t, db, storage.Options{})
	ctx := context.Background()
	u := mustUser(t, d, "u")
	if got, hash, err := d.PasswordHash(ctx, u.ID); err != nil || got.ID != u.ID || hash != "hash" {
		t.Fatalf("password hash: %+v %q %v", got, hash, err)
	}
	for _, s := range []struct{ token, device string }{{"t1", "laptop"}, {"t2", "phone"}, {"t3", "tablet"}} {
		if err := d.StartSession(ctx, []byte(s.token), u.ID, storage.NewSession{Device: s.device, Platform: "linux", Address: "192.0.2.1"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.TouchSession(ctx, []byte("t2"), "192.0.2.9"); err != nil {
		t.Fatal(err)
	}
	ss, err := d.Sessions(ctx, u.ID)
	if err != nil || len(ss) != 3 {
		t.Fatalf("sessions: %+v %v", ss, err)
	}
	if got, err := d.SessionUser(ctx, []byte("t1")); err != nil || got.ID != u.ID {
		t.Fatalf("session user: %+v %v", got, err)
	}
	if err := d.DeleteSession(ctx, []byte("t1")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SessionUser(ctx, []byte("t1")); proto.CodeOf(err) != proto.CodeBadToken {
		t.Fatalf("ended session: %v", err)
	}
	if err := d.SetPassword(ctx, u.ID, "new hash", []byte("t2")); err != nil {
		t.Fatal(err)
	}
	if _, hash, err := d.PasswordHash(ctx, u.ID); err != nil || hash != "new hash" {
		t.Fatalf("hash after the change: %q %v", hash, err)
	}
	if _, err := d.SessionUser(ctx, []byte("t2")); err != nil {
		t.Fatalf("the kept session: %v", err)
	}
	if _, err := d.SessionUser(ctx, []byte("t3")); proto.CodeOf(err) != proto.CodeBadToken {
		t.Fatalf("another session after the change: %v", err)
	}
	// A login checked against the old hash gets no session.
	if err := d.StartSession(ctx, []byte("t4"), u.ID, storage.NewSession{PasswordHash: "hash"}); proto.CodeOf(err) != proto.CodeBadCredentials {
		t.Fatalf("a login that raced the change: %v", err)
	}
}
