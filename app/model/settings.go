package model

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // profile pictures: the server's thumbnails are JPEG or PNG; GIF for good measure
	_ "image/jpeg"
	_ "image/png"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"unicode/utf8"

	"parley/app/model/filecache"
	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
	"parley/store"
)

// The Settings screen's actions (docs/protocol.md, "Profile and devices"):
// the profile, the password, the devices, the blocked list and deleting
// the account. Each runs on the account's session and reports its result
// in State.Settings, inline in its section.

// settingsAction runs f for the logged-in account with section busy, and
// records its error (or its success) in State.Settings.
func (m *Model) settingsAction(section string, f func(a *account) error) error {
	a := m.account()
	if a == nil {
		return m.fail(badInput(state.InputLoggedOut, "log in first"))
	}
	m.update(func(st *state.State) {
		st.Settings.Busy = section
		st.Settings.Error, st.Settings.ErrorIn = nil, ""
	})
	err := f(a)
	var n *state.Notice
	if err != nil {
		e := m.errorNotice(err)
		n = &e
	}
	m.update(func(st *state.State) {
		if st.Me == nil { // logged out meanwhile (a deleted account)
			return
		}
		st.Settings.Busy = ""
		if n != nil {
			st.Settings.Error, st.Settings.ErrorIn = n, section
			return
		}
		st.Settings.Done++
		st.Settings.DoneIn = section
	})
	return err
}

// LoadSettings fetches the account's devices and the people it blocked.
func (m *Model) LoadSettings(ctx context.Context) error {
	return m.settingsAction(state.SectionDevices, func(a *account) error { return a.loadSettings(ctx) })
}

func (a *account) loadSettings(ctx context.Context) error {
	devs, err := a.sess.Devices(ctx)
	if err != nil {
		return fmt.Errorf("list devices: %w", err)
	}
	blocked, err := a.sess.Blocks(ctx)
	if err != nil {
		return fmt.Errorf("list blocked people: %w", err)
	}
	for _, u := range blocked {
		a.learnProfile(u)
	}
	a.m.update(func(st *state.State) {
		st.Settings.Devices, st.Settings.Blocked, st.Settings.Loaded = devs, blocked, true
	})
	return nil
}

// SetProfile changes my name and about line.
func (m *Model) SetProfile(ctx context.Context, name, about string) error {
	name, about = strings.TrimSpace(name), strings.TrimSpace(about)
	switch {
	case name == "":
		return m.settingsAction(state.SectionProfile, func(*account) error { return badInput(state.InputName, "enter a name") })
	case utf8.RuneCountInString(name) > proto.MaxNameRunes:
		return m.settingsAction(state.SectionProfile, func(*account) error {
			return badInput(state.InputNameLong, "a name has at most %d characters", proto.MaxNameRunes)
		})
	case utf8.RuneCountInString(about) > proto.MaxAboutRunes:
		return m.settingsAction(state.SectionProfile, func(*account) error {
			return badInput(state.InputAboutLong, "the about line has at most %d characters", proto.MaxAboutRunes)
		})
	}
	return m.settingsAction(state.SectionProfile, func(a *account) error {
		u, err := a.sess.SetProfile(ctx, proto.SetProfileRequest{Name: &name, About: &about})
		if err != nil {
			return fmt.Errorf("set profile: %w", err)
		}
		a.profileChanged(ctx, u)
		return nil
	})
}

// SetPicture makes the picture read from r (name is its file name, for
// its type) my profile picture: it is uploaded as a picture upload and
// set with set_profile; the server keeps a square thumbnail. r is closed.
func (m *Model) SetPicture(ctx context.Context, name string, r io.ReadCloser) error {
	defer r.Close()
	return m.settingsAction(state.SectionPicture, func(a *account) error {
		id, err := a.uploadPicture(ctx, name, r)
		if err != nil {
			return err
		}
		u, err := a.sess.SetProfile(ctx, proto.SetProfileRequest{Picture: &id})
		if err != nil {
			return fmt.Errorf("set the picture: %w", err)
		}
		a.profileChanged(ctx, u)
		return nil
	})
}

// uploadPicture reads a picture chosen on this device (name is its file
// name, for its type), checks its size and type, and uploads it as a
// picture upload; it returns the upload's file ID, for set_profile or
// set_group.
func (a *account) uploadPicture(ctx context.Context, name string, r io.Reader) (string, error) {
	data, err := io.ReadAll(io.LimitReader(r, proto.MaxPictureBytes+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > proto.MaxPictureBytes {
		return "", badInput(state.InputPictureTooBig, "a picture has at most %d MiB", proto.MaxPictureBytes>>20)
	}
	typ := http.DetectContentType(data)
	if !strings.HasPrefix(typ, "image/") {
		return "", badInput(state.InputPictureUnknown, "%s is not a picture (PNG, JPEG, GIF or WebP)", filepath.Base(name))
	}
	if a.files == nil || a.files.http() == nil {
		return "", errors.New("no file client")
	}
	id, err := a.files.http().UploadPicture(ctx, filepath.Base(name), typ, data)
	if err != nil {
		return "", fmt.Errorf("upload the picture: %w", err)
	}
	return id, nil
}

// SetPictureFile is SetPicture with a file on this device.
func (m *Model) SetPictureFile(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return m.settingsAction(state.SectionPicture, func(*account) error { return fmt.Errorf("open the picture: %w", err) })
	}
	return m.SetPicture(ctx, path, f)
}

// RemovePicture clears my profile picture.
func (m *Model) RemovePicture(ctx context.Context) error {
	return m.settingsAction(state.SectionPicture, func(a *account) error {
		none := ""
		u, err := a.sess.SetProfile(ctx, proto.SetProfileRequest{Picture: &none})
		if err != nil {
			return fmt.Errorf("remove the picture: %w", err)
		}
		a.profileChanged(ctx, u)
		return nil
	})
}

// ChangePassword changes the password; the server ends every other
// session of the account.
func (m *Model) ChangePassword(ctx context.Context, current, next, confirm string) error {
	return m.settingsAction(state.SectionPassword, func(a *account) error {
		switch {
		case current == "":
			return badInput(state.InputPassword, "enter your password")
		case next == "":
			return badInput(state.InputPasswordNew, "enter the new password")
		case len(next) < proto.MinPasswordLen:
			return badInput(state.InputPasswordShort, "a password has at least %d characters", proto.MinPasswordLen)
		case next != confirm:
			return badInput(state.InputPasswordMismatch, "the passwords do not match")
		}
		if err := a.sess.SetPassword(ctx, current, next); err != nil {
			return fmt.Errorf("change the password: %w", err)
		}
		return a.loadSettings(ctx) // the other devices are gone
	})
}

// RevokeDevice signs another device of the account out.
func (m *Model) RevokeDevice(ctx context.Context, id string) error {
	return m.settingsAction(state.SectionDevices, func(a *account) error {
		if err := a.sess.RevokeDevice(ctx, id); err != nil && proto.CodeOf(err) != proto.CodeNoSuchDevice {
			return fmt.Errorf("revoke the device: %w", err)
		}
		return a.loadSettings(ctx)
	})
}

// Unblock lifts a block.
func (m *Model) Unblock(ctx context.Context, user proto.UserID) error {
	return m.settingsAction(state.SectionBlocked, func(a *account) error {
		if err := a.sess.Unblock(ctx, user); err != nil {
			return about(fmt.Errorf("unblock: %w", err), int64(user))
		}
		if err := a.reloadBlocks(ctx); err != nil { // State.Blocks (convsettings.go)
			return err
		}
		return a.loadSettings(ctx)
	})
}

// DeleteAccount deletes the account on the server, forgets its session
// here and shows the login screen, which says so.
func (m *Model) DeleteAccount(ctx context.Context, password string) error {
	err := m.settingsAction(state.SectionDelete, func(a *account) error {
		if password == "" {
			return badInput(state.InputPassword, "enter your password")
		}
		if err := a.sess.DeleteAccount(ctx, password); err != nil {
			return fmt.Errorf("delete the account: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	m.authMu.Lock()
	defer m.authMu.Unlock()
	if a := m.account(); a != nil {
		a.revoked(proto.ReasonAccountDeleted)
	}
	return nil
}

// revoked ends a session the server ended on purpose (or the account
// deleted here): it forgets the session, stops the account and shows the
// login screen with the reason.
func (a *account) revoked(reason string) {
	if !a.forget() {
		return
	}
	m := a.m
	if err := store.SetLastAccount(m.cfg.DataDir, store.Account{Server: a.srv}); err != nil {
		m.log.Warn("forget last account", "err", err)
	}
	m.log.Info("the server ended this device's session", "reason", reason)
	m.update(func(st *state.State) {
		server := st.Server
		n := m.newNotice(state.NoticeRevoked, reason)
		n.Expires = 0 // the login screen says it until the next login
		*st = state.State{Server: server, Notices: []state.Notice{n}}
	})
}

// sessionRan handles the end of the session's Run: a revoked session
// says why; a token no longer accepted otherwise logs out.
func (a *account) sessionRan(err error) {
	if reason, ok := client.Revoked(err); ok {
		a.revoked(reason)
		return
	}
	if errors.Is(err, client.ErrBadToken) {
		a.sessionEnded()
	}
}

// profileChanged applies a profile: mine (the card, the saved session)
// or another's (names and pictures in the lists).
func (a *account) profileChanged(ctx context.Context, u proto.User) {
	a.mu.Lock()
	if a.profiles == nil {
		a.profiles = map[proto.UserID]proto.User{}
	}
	a.profiles[u.ID] = u
	mine := u.ID == a.user.ID
	if mine {
		a.user.Name = u.Name
	}
	a.mu.Unlock()
	if mine {
		me := u
		if a.current() {
			a.m.update(func(st *state.State) { st.Me = &me })
		}
		if err := a.db.SaveSession(ctx, store.Session{Server: a.srv, User: u, Token: a.token}); err != nil {
			a.m.log.Warn("save my profile", "err", err)
		}
	}
	a.wantPictures(u)
	a.requestRefresh()
}

// learnProfile records a profile a reply carried (a direct conversation's
// peer, a member): the cache keeps only names, so the about line and the
// picture live here. It changes nothing if the profile is known as is.
func (a *account) learnProfile(u proto.User) {
	a.mu.Lock()
	old, ok := a.profiles[u.ID]
	a.mu.Unlock()
	if ok && old == u {
		return
	}
	a.profileChanged(a.ctx, u)
}

// learnPeers learns the profiles of the peers of direct conversations.
func learnPeers(a *account, cs ...proto.Conversation) {
	for _, c := range cs {
		if c.Peer != nil {
			a.learnProfile(*c.Peer)
		}
	}
}

// askPeerProfile asks for the profile of a direct conversation's peer
// that a conversation push named: the push carries the name only.
func (a *account) askPeerProfile(c proto.Conversation) {
	if c.Peer == nil {
		return
	}
	id := c.Peer.ID
	if _, ok := a.profileOf(id); ok {
		return
	}
	a.spawn(func() {
		u, err := a.sess.UserProfile(a.ctx, id)
		if err != nil {
			return // offline: the next sync's summaries carry it
		}
		a.learnProfile(u)
	})
}

// profilePush is the profile push: someone changed their profile.
func (a *account) profilePush(body json.RawMessage) {
	var p proto.ProfilePush
	if err := json.Unmarshal(body, &p); err != nil {
		a.m.log.Warn("bad profile push", "err", err)
		return
	}
	a.profileChanged(a.ctx, p.User)
}

// profileOf is the newest profile known of u (from a push or a sync
// since start-up), and whether there is one.
func (a *account) profileOf(u proto.UserID) (proto.User, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.profiles[u]
	return p, ok
}

// withProfiles renames the people of a conversation list and of messages
// to their newest known profiles (the cache keeps the names it was sent).
func (a *account) withProfiles(list []state.Conversation) {
	for i := range list {
		c := &list[i]
		if c.Peer == nil {
			continue
		}
		if p, ok := a.profileOf(c.Peer.ID); ok {
			peer := p
			c.Peer = &peer
			if c.Kind == proto.KindDirect {
				c.Name = p.Name
			}
		}
	}
}

func (a *account) renameMessages(msgs []state.Message, members []proto.Member) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range msgs {
		if p, ok := a.profiles[msgs[i].Sender]; ok && msgs[i].Kind != proto.MsgSystem {
			msgs[i].SenderName = p.Name
		}
	}
	for i := range members {
		if p, ok := a.profiles[members[i].ID]; ok {
			members[i].User = p
		}
	}
}

// picKey names whose picture: a user's, or a group's.
type picKey struct {
	id    int64
	group bool
}

// wantPictures fetches, in the background, the pictures of users not
// fetched yet, from this device's picture cache or the server, and
// publishes them in State.Pictures; a user without a picture loses
// theirs.
func (a *account) wantPictures(users ...proto.User) {
	for _, u := range users {
		a.wantPicture(picKey{id: int64(u.ID)}, u.Picture)
	}
}

// wantGroupPictures is wantPictures for the groups of the list, in
// State.GroupPictures.
func (a *account) wantGroupPictures(list []state.Conversation) {
	for _, c := range list {
		if c.Kind == proto.KindGroup {
			a.wantPicture(picKey{id: int64(c.ID), group: true}, c.Picture)
		}
	}
}

// wantPicture fetches and publishes picture pic ("": none) of key, if
// it is not the one fetched already.
func (a *account) wantPicture(key picKey, pic string) {
	a.mu.Lock()
	if a.pictureIDs == nil {
		a.pictureIDs = map[picKey]string{}
	}
	have, known := a.pictureIDs[key]
	if known && have == pic || !known && pic == "" {
		a.mu.Unlock()
		return
	}
	a.pictureIDs[key] = pic
	a.mu.Unlock()
	if pic == "" {
		a.publishPicture(key, "", nil)
		return
	}
	a.spawn(func() {
		img, err := a.picture(pic)
		if err != nil {
			if a.ctx.Err() == nil {
				a.m.log.Info("picture", "id", key.id, "group", key.group, "err", err)
			}
			a.mu.Lock()
			if a.pictureIDs[key] == pic {
				delete(a.pictureIDs, key) // try again when next seen
			}
			a.mu.Unlock()
			return
		}
		a.publishPicture(key, pic, img)
	})
}

func (a *account) publishPicture(key picKey, pic string, img image.Image) {
	a.mu.Lock()
	stale := a.pictureIDs[key] != pic
	a.mu.Unlock()
	if stale || !a.current() {
		return
	}
	a.m.update(func(st *state.State) {
		if key.group {
			st.GroupPictures = withPicture(st.GroupPictures, proto.ConvID(key.id), img)
		} else {
			st.Pictures = withPicture(st.Pictures, proto.UserID(key.id), img)
		}
	})
}

// withPicture is a copy of ps with id's picture img (nil: none).
func withPicture[K comparable, M ~map[K]image.Image](ps M, id K, img image.Image) M {
	ps = maps.Clone(ps)
	if ps == nil {
		ps = M{}
	}
	if img == nil {
		delete(ps, id)
	} else {
		ps[id] = img
	}
	return ps
}

// picture reads a thumbnail from the picture cache, or fetches it and
// keeps it there: a picture's ID changes with the picture, so a cached
// one never goes stale. Profile pictures and the thumbnails of picture
// messages (pictures.go) share it.
func (a *account) picture(id string) (image.Image, error) {
	if strings.ContainsAny(id, `/\.`) || id == "" {
		return nil, fmt.Errorf("bad picture ID %q", id)
	}
	data, err := filecache.Read(a.m.cfg.DataDir, filecache.Pictures, id) // files, or the browser's Cache Storage
	if err != nil {
		if a.files == nil || a.files.http() == nil {
			return nil, errors.New("no file client")
		}
		data, err = a.files.http().Picture(a.ctx, id, maxThumbFetch)
		if err != nil {
			return nil, err
		}
		if err := filecache.Write(a.m.cfg.DataDir, filecache.Pictures, id, data); err != nil {
			a.m.log.Info("cache a picture", "err", err)
		}
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode picture %s: %w", id, err)
	}
	return img, nil
}

// platform names this device's platform in the account's device list.
func platform() string {
	switch runtime.GOOS {
	case "js":
		return "web"
	case "darwin":
		return "macos"
	}
	return runtime.GOOS
}
