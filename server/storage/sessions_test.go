package storage

import (
	"context"
	"testing"

	"parley/net/proto"
)

func TestRevokeUserSessionsEndsAllButTheOneKept(t *testing.T) {
	d := openTest(t, nil)
	ctx := context.Background()
	li, wang := mustUser(t, d, "李华"), mustUser(t, d, "Wang")
	a, b, c, w := []byte("hash-a"), []byte("hash-b"), []byte("hash-c"), []byte("hash-w")
	for _, s := range []struct {
		hash []byte
		user proto.UserID
	}{{a, li.ID}, {b, li.ID}, {c, li.ID}, {w, wang.ID}} {
		if err := d.StartSession(ctx, s.hash, s.user, NewSession{Device: "d", Platform: "p", Address: "127.0.0.1"}); err != nil {
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

func TestRevokeDeviceFindsOnlyTheUsersOwnSession(t *testing.T) {
	d := openTest(t, nil)
	ctx := context.Background()
	li, wang := mustUser(t, d, "李华"), mustUser(t, d, "Wang")
	hash := []byte("0123456789abcdef0123456789abcdef")
	if err := d.StartSession(ctx, hash, li.ID, NewSession{Device: "laptop"}); err != nil {
		t.Fatal(err)
	}
	id := DeviceID(hash)
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
