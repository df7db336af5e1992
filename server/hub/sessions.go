package hub

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/coder/websocket"

	"parley/net/proto"
	"parley/server/storage"
)

// Devices, passwords and deleting an account (docs/protocol.md, "Profile
// and devices"). Revoking sessions has one way: storage ends them
// (RevokeUserSessions, RevokeDevice, SetPassword, DeleteAccount), then
// the hub closes their connections at once with close code 4001 and a
// reason (DropSessions), so the app on a revoked device can tell that
// from a network drop. A resume racing a revocation checks its session
// again once bound (resume), so it cannot slip between the two.

func (h *Hub) peopleOps() map[string]op {
	return map[string]op{
		proto.TypeDevices:       {authed: true, fn: h.devices},
		proto.TypeRevokeDevice:  {authed: true, fn: h.revokeDevice},
		proto.TypeSetPassword:   {authed: true, fn: h.setPassword},
		proto.TypeDeleteAccount: {authed: true, fn: h.deleteAccount},
		proto.TypeSetProfile:    {authed: true, fn: h.setProfile},
		proto.TypeUserProfile:   {authed: true, fn: h.userProfile},
	}
}

// DropSessions closes at once every connection of user whose session is
// not except (nil: all of them), with close code 4001, "session
// revoked", and returns how many it closed. Call it after storage has
// ended those sessions (storage.RevokeUserSessions), so that they cannot
// resume.
func (h *Hub) DropSessions(user proto.UserID, except []byte) int {
	return h.dropSessions(user, except, proto.ReasonRevoked)
}

func (h *Hub) dropSessions(user proto.UserID, except []byte, reason string) int {
	h.clusterClose(closeEvent{User: user, Reason: reason, Except: except})
	return h.closeSessions(user, reason, func(hash []byte) bool { return except == nil || string(hash) != string(except) })
}

// closeSessions closes the connections of user whose token hash match
// accepts, with close code 4001 and reason, and returns how many.
func (h *Hub) closeSessions(user proto.UserID, reason string, match func(hash []byte) bool) int {
	h.mu.RLock()
	var victims []*conn
	for _, c := range h.users[user] {
		if match(c.tokenHash) {
			victims = append(victims, c)
		}
	}
	for c := range h.conns { // call audio connections authorised by a token
		if c.media && c.user.ID == 0 && c.mediaUser == user && match(c.mediaToken) {
			victims = append(victims, c)
		}
	}
	h.mu.RUnlock()
	for _, c := range victims {
		c.close(websocket.StatusCode(proto.CloseRevoked), reason)
	}
	h.closeLegs(user, match) // after the connections: see callRTCOffer
	return len(victims)
}

func (h *Hub) devices(ctx context.Context, c *conn, _ json.RawMessage) (any, error) {
	ss, err := h.db.Sessions(ctx, c.user.ID)
	if err != nil {
		return nil, err
	}
	online := map[string]bool{}
	h.mu.RLock()
	for _, o := range h.users[c.user.ID] {
		online[storageDeviceID(o.tokenHash)] = true
	}
	for _, here := range h.remoteOnline[c.user.ID] { // on other nodes of a cluster
		for _, id := range here.Devices {
			online[id] = true
		}
	}
	h.mu.RUnlock()
	ds := make([]proto.Device, len(ss))
	for i, s := range ss {
		ds[i] = s.Device
		ds[i].Current = string(s.TokenHash) == string(c.tokenHash)
		ds[i].Online = online[s.Device.ID]
	}
	return proto.DevicesReply{Devices: ds}, nil
}

func (h *Hub) revokeDevice(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.RevokeDeviceRequest](body)
	if err != nil {
		return nil, err
	}
	if req.ID == storageDeviceID(c.tokenHash) {
		return nil, proto.Errorf(proto.CodeSelf, "this is the device you are using: log out instead")
	}
	hash, err := h.db.RevokeDevice(ctx, c.user.ID, req.ID)
	if err != nil {
		return nil, err
	}
	h.clusterClose(closeEvent{User: c.user.ID, Reason: proto.ReasonRevoked, Only: hash})
	h.closeSessions(c.user.ID, proto.ReasonRevoked, func(o []byte) bool { return string(o) == string(hash) })
	h.log.Info("device revoked", "user", c.user.ID, "device", req.ID, "remote", c.remote)
	return struct{}{}, nil
}

// checkCurrentPassword checks the caller's password for set_password and
// delete_account. A wrong one counts toward the login limits (per
// account and per address), which refuse further attempts with
// rate_limited before the password is checked.
func (h *Hub) checkCurrentPassword(ctx context.Context, c *conn, password string) error {
	userKey := strconv.FormatInt(int64(c.user.ID), 10)
	if l := h.lims.loginUser; l != nil {
		if ok, retry := l.Allow(ctx, userKey); !ok {
			return rateLimited("wrong passwords for this account", retry)
		}
	}
	if l := h.lims.loginAddr; l != nil {
		if ok, retry := l.Allow(ctx, c.remote); !ok {
			return rateLimited("wrong passwords from your address", retry)
		}
	}
	ok := false
	if len(password) <= proto.MaxPasswordLen {
		_, hash, err := h.db.PasswordHash(ctx, c.user.ID)
		if err != nil {
			return err
		}
		if ok, err = h.cfg.Hasher.Verify(password, hash); err != nil {
			return err
		}
	}
	if !ok {
		if l := h.lims.loginUser; l != nil {
			l.Take(ctx, userKey)
		}
		if l := h.lims.loginAddr; l != nil {
			l.Take(ctx, c.remote)
		}
		h.log.Info("wrong current password", "user", c.user.ID, "remote", c.remote)
		return proto.Errorf(proto.CodeWrongPassword, "the current password is wrong")
	}
	return nil
}

func (h *Hub) setPassword(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.SetPasswordRequest](body)
	if err != nil {
		return nil, err
	}
	if err := checkPassword(req.New); err != nil {
		return nil, err
	}
	if err := h.checkCurrentPassword(ctx, c, req.Current); err != nil {
		return nil, err
	}
	hash, err := h.cfg.Hasher.Hash(req.New)
	if err != nil {
		return nil, err
	}
	if err := h.db.SetPassword(ctx, c.user.ID, hash, c.tokenHash); err != nil {
		return nil, err
	}
	h.dropSessions(c.user.ID, c.tokenHash, proto.ReasonPasswordChanged)
	h.log.Info("password changed", "user", c.user.ID, "remote", c.remote)
	return struct{}{}, nil
}

func (h *Hub) deleteAccount(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.DeleteAccountRequest](body)
	if err != nil {
		return nil, err
	}
	if err := h.checkCurrentPassword(ctx, c, req.Password); err != nil {
		return nil, err
	}
	user := c.user.ID
	contacts, err := h.db.Contacts(ctx, user) // before the account leaves its groups
	if err != nil {
		return nil, err
	}
	shas, err := h.db.DeleteAccount(ctx, user)
	if err != nil {
		return nil, err
	}
	h.releaseBlobs(ctx, shas)
	h.pushProfileTo(contacts, proto.User{ID: user, Name: proto.DeletedName, Deleted: true})
	// Every other connection of the account closes; this one stays
	// open, logged out, as after logout.
	h.unbind(c)
	h.dropSessions(user, nil, proto.ReasonAccountDeleted)
	h.log.Info("account deleted", "user", user, "remote", c.remote)
	return struct{}{}, nil
}

func (h *Hub) releaseBlobs(ctx context.Context, shas []string) {
	if h.cfg.ReleaseBlob == nil {
		return
	}
	for _, sha := range shas {
		h.cfg.ReleaseBlob(context.WithoutCancel(ctx), sha)
	}
}

// touchSession records that c's session was active now (after a resume,
// and when an authenticated connection ends).
func (h *Hub) touchSession(hash []byte, remote string) {
	if hash == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.db.TouchSession(ctx, hash, remote); err != nil {
		h.log.Debug("touch session", "err", err)
	}
}

// cleanPlatform keeps login's platform if it is a short line of text.
func cleanPlatform(s string) string {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > proto.MaxPlatformRunes || strings.ContainsFunc(s, unicode.IsControl) {
		return ""
	}
	return s
}

// storageDeviceID is the device ID of a token hash ("" for none).
func storageDeviceID(hash []byte) string {
	if hash == nil {
		return ""
	}
	return storage.DeviceID(hash)
}
