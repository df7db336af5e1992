package client

import (
	"context"
	"errors"

	"github.com/coder/websocket"

	"parley/net/proto"
)

// ErrRevoked is wrapped, beside ErrBadToken, by the error Session.Run
// returns when the server closed the connection because its session was
// revoked (close code proto.CloseRevoked: the device was revoked on
// another one, the password was changed, or the account was deleted).
// Revoked tells the reason.
var ErrRevoked = errors.New("client: session revoked")

// Revoked reports whether err is the end of a connection whose session
// the server revoked, and the server's reason (proto.ReasonRevoked,
// ReasonPasswordChanged or ReasonAccountDeleted).
func Revoked(err error) (reason string, ok bool) {
	var ce websocket.CloseError
	if errors.As(err, &ce) && int(ce.Code) == proto.CloseRevoked {
		return ce.Reason, true
	}
	return "", false
}

// LoginWith is Login with every field of the request (the platform too).
func (o ops) LoginWith(ctx context.Context, req proto.LoginRequest) (proto.LoginReply, error) {
	var r proto.LoginReply
	err := o.call(ctx, proto.TypeLogin, req, &r)
	return r, err
}

// SyncWith is Sync with every field of the request (hidden_after,
// profiles_after, limit).
func (o ops) SyncWith(ctx context.Context, req proto.SyncRequest) (proto.SyncReply, error) {
	var r proto.SyncReply
	err := o.call(ctx, proto.TypeSync, req, &r)
	return r, err
}

// Devices lists the account's sessions, most recently active first.
func (o ops) Devices(ctx context.Context) ([]proto.Device, error) {
	var r proto.DevicesReply
	err := o.call(ctx, proto.TypeDevices, nil, &r)
	return r.Devices, err
}

// RevokeDevice ends another session of the account: its connections
// close at once with proto.CloseRevoked.
func (o ops) RevokeDevice(ctx context.Context, id string) error {
	return o.call(ctx, proto.TypeRevokeDevice, proto.RevokeDeviceRequest{ID: id}, nil)
}

// SetPassword changes the password and ends every other session.
func (o ops) SetPassword(ctx context.Context, current, next string) error {
	return o.call(ctx, proto.TypeSetPassword, proto.SetPasswordRequest{Current: current, New: next}, nil)
}

// SetProfile changes the caller's profile (nil fields stay) and returns it.
func (o ops) SetProfile(ctx context.Context, req proto.SetProfileRequest) (proto.User, error) {
	var r proto.ProfileReply
	err := o.call(ctx, proto.TypeSetProfile, req, &r)
	return r.User, err
}

// UserProfile returns a user's profile.
func (o ops) UserProfile(ctx context.Context, id proto.UserID) (proto.User, error) {
	var r proto.ProfileReply
	err := o.call(ctx, proto.TypeUserProfile, proto.UserRequest{User: id}, &r)
	return r.User, err
}

// DeleteAccount deletes the caller's account; the connection stays open,
// logged out.
func (o ops) DeleteAccount(ctx context.Context, password string) error {
	return o.call(ctx, proto.TypeDeleteAccount, proto.DeleteAccountRequest{Password: password}, nil)
}
