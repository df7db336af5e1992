package storagetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"parley/net/proto"
	"parley/server/storage"
)

func testRevokeUserSessionsEndsAllButTheOneKept(t *testing.T, db Database) {
	d := open(t, db, storage.Options{})
	ctx := context.Background()
	li, wang := mustUser(t, d, "李华"), mustUser(t, d, "Wang")
	a, b, c, w := []byte("hash-a"), []byte("hash-b"), []byte("hash-c"), []byte("hash-w")
	for _, s := range []struct {
		hash []byte
		user proto.UserID
	}{{a, li.ID}, {b, li.ID}, {c, li.ID}, {w, wang.ID}} {
		if err := d.StartSession(ctx, s.hash, s.user, storage.NewSession{Device: "d", Platform: "p", Address: "127.0.0.1"}); err != nil {
			t.Fatal(err)
		}
	}
	alive := func(hash []byte) bool {
		_, err := d.SessionUser(ctx, hash)
		if err != nil && proto.CodeOf(err) != proto.CodeBadToken {
			t.Fatal(err)
		}
		return err == nil
	}
	n, err := d.RevokeUserSessions(ctx, li.ID, a)
	if err != nil || n != 2 {
		t.Fatalf("RevokeUserSessions = %d, %v; want 2", n, err)
	}
	if !alive(a) || alive(b) || alive(c) || !alive(w) {
		t.Fatal("want only li's kept session and wang's left")
	}
	if n, err := d.RevokeUserSessions(ctx, li.ID, nil); err != nil || n != 1 || alive(a) || !alive(w) {
		t.Fatalf("RevokeUserSessions(nil) = %d, %v; want 1, and only wang's left", n, err)
	}
}

func testRevokeDeviceFindsOnlyTheUsersOwnSession(t *testing.T, db Database) {
	d := open(t, db, storage.Options{})
	ctx := context.Background()
	li, wang := mustUser(t, d, "李华"), mustUser(t, d, "Wang")
	hash := []byte("0123456789abcdef0123456789abcdef")
	if err := d.StartSession(ctx, hash, li.ID, storage.NewSession{Device: "laptop"}); err != nil {
		t.Fatal(err)
	}
	id := storage.DeviceID(hash)
	if _, err := d.RevokeDevice(ctx, wang.ID, id); proto.CodeOf(err) != proto.CodeNoSuchDevice {
		t.Fatalf("another user's revoke: %v", err)
	}
	got, err := d.RevokeDevice(ctx, li.ID, id)
	if err != nil || string(got) != string(hash) {
		t.Fatalf("RevokeDevice = %q, %v", got, err)
	}
	if _, err := d.SessionUser(ctx, hash); proto.CodeOf(err) != proto.CodeBadToken {
		t.Fatalf("revoked session: %v", err)
	}
}

// A registration code is spent in the registration's transaction: a
// refused one (unknown, used up, expired) stores no user and spends
// nothing.
func testRegistrationCodesAreSpentWithTheRegistration(t *testing.T, db Database) {
	ctx := context.Background()
	now := time.UnixMilli(1_000_000_000_000)
	var mu sync.Mutex
	d := open(t, db, storage.Options{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	if _, err := d.CreateRegCode(ctx, "twice", 2, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateRegCode(ctx, "hour", 1, time.Hour); err != nil {
		t.Fatal(err)
	}
	for i, want := range []proto.Code{"", "", proto.CodeCodeUsedUp} {
		if _, err := d.CreateUserWithCode(ctx, "Li", "h", "twice"); proto.CodeOf(err) != want {
			t.Fatalf("registration %d with a code of 2 uses: %v, want %q", i+1, err, want)
		}
	}
	if _, err := d.CreateUserWithCode(ctx, "Li", "h", "nope"); proto.CodeOf(err) != proto.CodeBadCode {
		t.Fatalf("unknown code: %v, want bad_code", err)
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	if _, err := d.CreateUserWithCode(ctx, "Li", "h", "hour"); proto.CodeOf(err) != proto.CodeCodeExpired {
		t.Fatalf("a code an hour old: %v, want code_expired", err)
	}
	us, err := d.Accounts(ctx)
	if err != nil || len(us) != 2 {
		t.Fatalf("accounts after 2 good and 3 refused registrations: %d, %v", len(us), err)
	}
	cs, err := d.RegCodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]storage.RegCode{}
	for _, c := range cs {
		got[c.Code] = c
	}
	if c := got["twice"]; c.Uses != 2 || c.State != storage.CodeUsedUp || c.Expires != 0 {
		t.Errorf("code twice: %+v", c)
	}
	if c := got["hour"]; c.Uses != 0 || c.State != storage.CodeExpired || c.Expires != c.Created+time.Hour.Milliseconds() {
		t.Errorf("code hour: %+v", c)
	}
}

// Disabling an account and resetting its password delete its sessions in
// the same transaction; a disabled account's sessions are not live.
func testDisableAndResetRevokeSessions(t *testing.T, db Database) {
	ctx := context.Background()
	d := open(t, db, storage.Options{})
	u := mustUser(t, d, "Tom")
	other := mustUser(t, d, "Li")
	for _, tok := range []string{"a", "b"} {
		if err := d.CreateSession(ctx, []byte(tok), u.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.CreateSession(ctx, []byte("c"), other.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := d.ResetPassword(ctx, u.ID, "new hash"); err != nil {
		t.Fatal(err)
	}
	if _, h, _ := d.PasswordHash(ctx, u.ID); h != "new hash" {
		t.Fatalf("hash after reset: %q", h)
	}
	if err := d.SessionLive(ctx, []byte("a")); proto.CodeOf(err) != proto.CodeBadToken {
		t.Fatalf("session after a reset: %v, want bad_token", err)
	}
	if err := d.SessionLive(ctx, []byte("c")); err != nil {
		t.Fatalf("another user's session after a reset: %v", err)
	}
	if err := d.CreateSession(ctx, []byte("d"), u.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := d.SetDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := d.CheckEnabled(ctx, u.ID); proto.CodeOf(err) != proto.CodeAccountDisabled {
		t.Fatalf("disabled account: %v, want account_disabled", err)
	}
	if err := d.SessionLive(ctx, []byte("d")); proto.CodeOf(err) != proto.CodeBadToken {
		t.Fatalf("session after disabling: %v, want bad_token", err)
	}
	// A session made by a login that raced with the disable is not live.
	if err := d.CreateSession(ctx, []byte("e"), u.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := d.SessionLive(ctx, []byte("e")); proto.CodeOf(err) != proto.CodeAccountDisabled {
		t.Fatalf("new session of a disabled account: %v, want account_disabled", err)
	}
	if err := d.SetDisabled(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := d.CheckEnabled(ctx, u.ID); err != nil {
		t.Fatalf("enabled again: %v", err)
	}
	for _, err := range []error{d.SetDisabled(ctx, 999999, true), d.ResetPassword(ctx, 999999, "h")} {
		if proto.CodeOf(err) != proto.CodeNoSuchUser {
			t.Errorf("unknown user: %v, want no_such_user", err)
		}
	}
}
