package hub_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/net/proto"
	"parley/server/node"
	"parley/server/node/nodetest"
)

func TestProfileAndDeviceRequestsNeedALogin(t *testing.T) {
	s := nodetest.Start(t)
	r := dialRaw(t, s)
	name := "x"
	for _, c := range []struct {
		typ  string
		body any
	}{
		{proto.TypeDevices, nil},
		{proto.TypeRevokeDevice, proto.RevokeDeviceRequest{ID: "00"}},
		{proto.TypeSetPassword, proto.SetPasswordRequest{Current: "a", New: "bbbbbbbb"}},
		{proto.TypeSetProfile, proto.SetProfileRequest{Name: &name}},
		{proto.TypeUserProfile, proto.UserRequest{User: 1000}},
		{proto.TypeDeleteAccount, proto.DeleteAccountRequest{Password: "a"}},
	} {
		wantCode(t, r.call(c.typ, c.body), proto.CodeUnauthenticated)
	}
}

// A revoked session can do nothing: its connections are closed with
// 4001, and on a new connection its token resumes nothing, so every
// request answers unauthenticated.
func TestARevokedSessionCannotDoAnything(t *testing.T) {
	s := nodetest.Start(t)
	a := dialRaw(t, s)
	var reg proto.RegisterReply
	a.ok(proto.TypeRegister, proto.RegisterRequest{Name: "李华", Password: "secret-password"}, &reg)
	var la, lb proto.LoginReply
	a.ok(proto.TypeLogin, proto.LoginRequest{User: reg.User.ID, Password: "secret-password", Device: "a"}, &la)
	b := dialRaw(t, s)
	b.ok(proto.TypeLogin, proto.LoginRequest{User: reg.User.ID, Password: "secret-password", Device: "b"}, &lb)
	var ds proto.DevicesReply
	a.ok(proto.TypeDevices, nil, &ds)
	var other string
	for _, d := range ds.Devices {
		if !d.Current {
			other = d.ID
		}
	}
	a.ok(proto.TypeRevokeDevice, proto.RevokeDeviceRequest{ID: other}, nil)
	wantClose(t, b.ws, websocket.StatusCode(proto.CloseRevoked), proto.ReasonRevoked)

	c := dialRaw(t, s)
	wantCode(t, c.call(proto.TypeResume, proto.ResumeRequest{Token: lb.Token}), proto.CodeBadToken)
	for _, typ := range []string{proto.TypeWhoAmI, proto.TypeConversations, proto.TypeDevices, proto.TypeSync} {
		wantCode(t, c.call(typ, nil), proto.CodeUnauthenticated)
	}
	wantCode(t, c.call(proto.TypeSend, proto.SendRequest{Conv: 1, ClientID: "x", Text: "hi"}), proto.CodeUnauthenticated)
	a.ok(proto.TypePing, nil, nil)
}

// Revoking a device also closes the call audio connection it attached
// with its token.
func TestRevokingADeviceClosesItsCallAudioConnection(t *testing.T) {
	s := nodetest.Start(t)
	laptop := dialRaw(t, s)
	li := laptop.registerAndLogin("李华")
	wang := dialRaw(t, s)
	w := wang.registerAndLogin("Wang")
	phone := dialRaw(t, s)
	var lp proto.LoginReply
	phone.ok(proto.TypeLogin, proto.LoginRequest{User: li.ID, Password: "secret-password", Device: "phone"}, &lp)
	var call proto.CallReply
	phone.ok(proto.TypeCall, proto.CallRequest{User: w.ID}, &call)
	media := dialRaw(t, s)
	media.ok(proto.TypeCallMedia, proto.CallMediaRequest{Call: call.Call, Token: lp.Token}, nil)

	var ds proto.DevicesReply
	laptop.ok(proto.TypeDevices, nil, &ds)
	for _, d := range ds.Devices {
		if d.Name == "phone" {
			laptop.ok(proto.TypeRevokeDevice, proto.RevokeDeviceRequest{ID: d.ID}, nil)
		}
	}
	wantClose(t, phone.ws, websocket.StatusCode(proto.CloseRevoked), proto.ReasonRevoked)
	wantClose(t, media.ws, websocket.StatusCode(proto.CloseRevoked), proto.ReasonRevoked)
	laptop.ok(proto.TypePing, nil, nil)
}

// A device's last activity is its login, then each resume and each end
// of one of its connections, by the server's clock.
func TestADevicesLastActivityFollowsItsConnections(t *testing.T) {
	clock := nodetest.NewClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	s := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.Now = clock.Now }))
	laptop := dialRaw(t, s)
	li := laptop.registerAndLogin("李华")
	login := clock.Now().UnixMilli()
	phone := dialRaw(t, s)
	var lp proto.LoginReply
	phone.ok(proto.TypeLogin, proto.LoginRequest{User: li.ID, Password: "secret-password", Device: "phone"}, &lp)
	phoneDevice := func() proto.Device {
		t.Helper()
		var ds proto.DevicesReply
		laptop.ok(proto.TypeDevices, nil, &ds)
		for _, d := range ds.Devices {
			if d.Name == "phone" {
				return d
			}
		}
		t.Fatal("no phone among the devices")
		return proto.Device{}
	}
	if d := phoneDevice(); d.Created != login || d.LastActive != login || !d.Online {
		t.Fatalf("after login: %+v, want created and last active %d, online", d, login)
	}

	clock.Advance(time.Hour)
	again := dialRaw(t, s)
	again.ok(proto.TypeResume, proto.ResumeRequest{Token: lp.Token}, nil)
	if d := phoneDevice(); d.Created != login || d.LastActive != login+time.Hour.Milliseconds() {
		t.Fatalf("after a resume an hour later: %+v", d)
	}

	clock.Advance(time.Hour)
	phone.ws.Close(websocket.StatusNormalClosure, "")
	again.ws.Close(websocket.StatusNormalClosure, "")
	want := login + 2*time.Hour.Milliseconds()
	for {
		// The server records the end when it has seen the connection
		// close, and after the device went offline (offline at once, not
		// after a write); wait for both by asking (no sleeping).
		d := phoneDevice()
		if d.Online || d.LastActive == login+time.Hour.Milliseconds() {
			continue
		}
		if d.LastActive != want {
			t.Fatalf("after its connections ended: %+v, want last active %d", d, want)
		}
		break
	}
}

// Every way of ending sessions closes the call audio connection a
// session it ends attached: a password change (which keeps the caller's
// session), deleting the account, and the operator's reset and disable.
func TestEveryRevocationClosesTheCallAudioItEnds(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		reason string
		keeps  bool // the laptop's own session stays
		revoke func(t *testing.T, s *nodetest.Server, laptop *raw, li proto.User)
	}{
		{"password change", proto.ReasonPasswordChanged, true, func(t *testing.T, s *nodetest.Server, laptop *raw, li proto.User) {
			laptop.ok(proto.TypeSetPassword, proto.SetPasswordRequest{Current: "secret-password", New: "another password"}, nil)
		}},
		{"account deleted", proto.ReasonAccountDeleted, false, func(t *testing.T, s *nodetest.Server, laptop *raw, li proto.User) {
			laptop.ok(proto.TypeDeleteAccount, proto.DeleteAccountRequest{Password: "secret-password"}, nil)
		}},
		{"operator reset", proto.ReasonRevoked, false, func(t *testing.T, s *nodetest.Server, laptop *raw, li proto.User) {
			if err := s.Node.Hub().ResetPassword(ctx, li.ID, "reset password"); err != nil {
				t.Fatal(err)
			}
		}},
		{"operator disable", proto.ReasonDisabled, false, func(t *testing.T, s *nodetest.Server, laptop *raw, li proto.User) {
			if err := s.Node.Hub().SetDisabled(ctx, li.ID, true); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := nodetest.Start(t)
			laptop := dialRaw(t, s)
			li := laptop.registerAndLogin("李华")
			wang := dialRaw(t, s)
			w := wang.registerAndLogin("Wang")
			phone := dialRaw(t, s)
			var lp proto.LoginReply
			phone.ok(proto.TypeLogin, proto.LoginRequest{User: li.ID, Password: "secret-password", Device: "phone"}, &lp)
			var call proto.CallReply
			phone.ok(proto.TypeCall, proto.CallRequest{User: w.ID}, &call)
			media := dialRaw(t, s)
			media.ok(proto.TypeCallMedia, proto.CallMediaRequest{Call: call.Call, Token: lp.Token}, nil)

			c.revoke(t, s, laptop, li)
			wantClose(t, phone.ws, websocket.StatusCode(proto.CloseRevoked), c.reason)
			wantClose(t, media.ws, websocket.StatusCode(proto.CloseRevoked), c.reason)
			if c.keeps {
				laptop.ok(proto.TypePing, nil, nil)
			}
		})
	}
}

// A device that logs out leaves its call: the person it talked to gets
// call_end at once, not after the 4 s of silence, and can call again.
func TestLoggingOutLeavesTheCall(t *testing.T) {
	clock := nodetest.NewClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)) // stopped: silence never ends the call
	s := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.Now = clock.Now }))
	laptop := dialRaw(t, s)
	li := laptop.registerAndLogin("李华")
	wang := dialRaw(t, s)
	w := wang.registerAndLogin("Wang")
	var call proto.CallReply
	laptop.ok(proto.TypeCall, proto.CallRequest{User: w.ID}, &call)
	wang.push(proto.TypeCallIncoming)
	wang.ok(proto.TypeCallAccept, proto.CallAcceptRequest{Call: call.Call}, nil)
	laptop.push(proto.TypeCallAccepted)

	laptop.ok(proto.TypeLogout, nil, nil)
	var end proto.CallEnd
	if err := json.Unmarshal(wang.push(proto.TypeCallEnd).Body, &end); err != nil {
		t.Fatal(err)
	}
	if end.Call != call.Call || end.By != li.ID {
		t.Fatalf("call_end %+v, want call %d ended by %d", end, call.Call, li.ID)
	}
	// Wang is out of the call: calling li now finds li offline, not in_call.
	wantCode(t, wang.call(proto.TypeCall, proto.CallRequest{User: li.ID}), proto.CodeOffline)
}
