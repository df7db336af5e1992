package hub

import (
	"context"
	"testing"

	"parley/net/proto"
	"parley/server/auth"
	"parley/server/storage"
)

// A login or resume that binds its connection after a revocation looked
// for the account's connections must not survive it: confirmBound finds
// the session gone, or the account disabled, and unbinds.
func TestABindAfterARevocationDoesNotSurviveIt(t *testing.T) {
	ctx := context.Background()
	db, err := storage.Open(ctx, t.TempDir(), storage.Options{Synchronous: "OFF"})
	if err != nil {
		t.Fatal(err)
	}
	h := New(Config{DB: db, Hasher: auth.NewHasher(auth.Params{Memory: 8, Time: 1, Threads: 1}, 1)})
	t.Cleanup(func() { db.Close(); h.Close() })
	u, err := db.CreateUser(ctx, "Tom", "hash")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		revoke func([]byte)
		want   proto.Code
	}{
		// The session was revoked between the resume's look-up and its bind.
		{"reset", func([]byte) {
			if err := db.ResetPassword(ctx, u.ID, "new hash"); err != nil {
				t.Fatal(err)
			}
		}, proto.CodeBadToken},
		// The login made its session just after the disable committed.
		{"disable", func(hash []byte) {
			if err := db.SetDisabled(ctx, u.ID, true); err != nil {
				t.Fatal(err)
			}
			if err := db.CreateSession(ctx, hash, u.ID, ""); err != nil {
				t.Fatal(err)
			}
		}, proto.CodeAccountDisabled},
	} {
		_, hash, err := auth.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CreateSession(ctx, hash, u.ID, ""); err != nil {
			t.Fatal(err)
		}
		tc.revoke(hash)
		if n := h.DropSessions(u.ID, nil); n != 0 {
			t.Fatalf("%s: the revocation closed %d connections before any was bound", tc.name, n)
		}
		c := newConn(h, nil, nil, "test")
		h.bind(c, u, hash)
		if err := h.confirmBound(ctx, c, hash); proto.CodeOf(err) != tc.want {
			t.Fatalf("%s: confirmBound = %v, want %s", tc.name, err, tc.want)
		}
		if h.Online(u.ID) || c.user.ID != 0 {
			t.Fatalf("%s: the connection is still bound to %d", tc.name, c.user.ID)
		}
	}
}
