package hub

import (
	"context"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/net/proto"
)

// A resume whose session is revoked between its lookup and binding the
// connection (the revocation's DropSessions found nothing to close) is
// refused, and the connection stays logged out.
func TestAResumeRacingARevocationIsRefused(t *testing.T) {
	noLeaks(t)
	h, srv := loginHub(t, Config{})
	a := dialClient(t, srv)
	var reg proto.RegisterReply
	a.ok(proto.TypeRegister, proto.RegisterRequest{Name: "李华", Password: "secret-password"}, &reg)
	var l proto.LoginReply
	a.ok(proto.TypeLogin, proto.LoginRequest{User: reg.User.ID, Password: "secret-password"}, &l)
	h.beforeBind = func() {
		if _, err := h.db.RevokeUserSessions(context.Background(), reg.User.ID, nil); err != nil {
			t.Error(err)
		}
		h.DropSessions(reg.User.ID, nil)
	}
	b := dialClient(t, srv)
	frame, _ := proto.EncodeRequest(proto.TypeResume, "r", proto.ResumeRequest{Token: l.Token})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.ws.Write(ctx, websocket.MessageText, frame); err != nil {
		t.Fatal(err)
	}
	for {
		f := b.next()
		if f.Type != proto.TypeReply {
			continue
		}
		if f.Error == nil || f.Error.Code != proto.CodeBadToken {
			t.Fatalf("resume during a revocation answered %s %v, want bad_token", f.Body, f.Error)
		}
		break
	}
	frame, _ = proto.EncodeRequest(proto.TypeWhoAmI, "w", nil)
	b.ws.Write(ctx, websocket.MessageText, frame)
	for {
		f := b.next()
		if f.Type == proto.TypeReply {
			if f.Error == nil || f.Error.Code != proto.CodeUnauthenticated {
				t.Fatalf("whoami after the refused resume: %s %v", f.Body, f.Error)
			}
			break
		}
	}
}

// A login whose password was changed between its check and storing its
// session gets no session: the change ended every other session, and
// this one must not slip in after it.
func TestALoginRacingAPasswordChangeIsRefused(t *testing.T) {
	noLeaks(t)
	h, srv := loginHub(t, Config{})
	a := dialClient(t, srv)
	var reg proto.RegisterReply
	a.ok(proto.TypeRegister, proto.RegisterRequest{Name: "李华", Password: "secret-password"}, &reg)
	a.ok(proto.TypeLogin, proto.LoginRequest{User: reg.User.ID, Password: "secret-password"}, nil)
	h.beforeSession = func() {
		h.beforeSession = nil // only the racing login below
		hash, err := h.cfg.Hasher.Hash("new password")
		if err == nil {
			err = h.db.SetPassword(context.Background(), reg.User.ID, hash, nil)
		}
		if err != nil {
			t.Error(err)
		}
	}
	b := dialClient(t, srv)
	frame, _ := proto.EncodeRequest(proto.TypeLogin, "l", proto.LoginRequest{User: reg.User.ID, Password: "secret-password"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.ws.Write(ctx, websocket.MessageText, frame); err != nil {
		t.Fatal(err)
	}
	for {
		f := b.next()
		if f.Type == proto.TypeReply {
			if f.Error == nil || f.Error.Code != proto.CodeBadCredentials {
				t.Fatalf("a login racing a password change answered %s %v, want bad_credentials", f.Body, f.Error)
			}
			break
		}
	}
}
