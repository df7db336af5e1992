package hub

import (
	"context"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"parley/net/proto"
	"parley/server/storage"
)

// Profiles (docs/protocol.md, "Profile and devices"). A change is pushed
// as `profile` to the user's devices and to everyone who shares a
// conversation with them. The name a connection sends as (c.user) is
// written only by its reading goroutine, so a rename reaches the user's
// other connections as a pending name (conn.rename) that each takes
// before its next request (takeRename).

func (h *Hub) setProfile(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.SetProfileRequest](body)
	if err != nil {
		return nil, err
	}
	var ch storage.ProfileChange
	if req.Name != nil {
		name, err := cleanName(*req.Name, "name")
		if err != nil {
			return nil, err
		}
		ch.Name = &name
	}
	if req.About != nil {
		about, err := cleanAbout(*req.About)
		if err != nil {
			return nil, err
		}
		ch.About = &about
	}
	if req.Picture != nil {
		thumb := ""
		if *req.Picture != "" {
			if h.cfg.MakePicture == nil {
				return nil, proto.Errorf(proto.CodeUnavailable, "this server does not take pictures")
			}
			if thumb, err = h.cfg.MakePicture(ctx, c.user.ID, 0, *req.Picture); err != nil {
				return nil, err
			}
			ch.Source = *req.Picture
		}
		ch.Picture = &thumb
	}
	u, shas, err := h.db.SetProfile(ctx, c.user.ID, ch)
	if err != nil {
		return nil, err
	}
	h.releaseBlobs(ctx, shas)
	if ch.Name != nil {
		h.renamed(c, u.Name)
	}
	h.pushProfile(ctx, u)
	return proto.ProfileReply{User: u}, nil
}

func (h *Hub) userProfile(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.UserRequest](body)
	if err != nil {
		return nil, err
	}
	u, err := h.db.Profile(ctx, req.User)
	if err != nil {
		return nil, err
	}
	return proto.ProfileReply{User: u}, nil
}

// pushProfile tells u's devices and everyone who shares a conversation
// with u of u's profile as it is now.
func (h *Hub) pushProfile(ctx context.Context, u proto.User) {
	us, err := h.db.Contacts(context.WithoutCancel(ctx), u.ID)
	if err != nil {
		h.log.Error("profile push: list contacts", "user", u.ID, "err", err)
		return
	}
	h.pushProfileTo(us, u)
}

// pushProfileTo pushes u's profile to every connection of us.
func (h *Hub) pushProfileTo(us []proto.UserID, u proto.User) {
	frame, err := proto.EncodePush(proto.TypeProfile, proto.ProfilePush{User: u})
	if err != nil {
		h.log.Error("encode profile push", "user", u.ID, "err", err)
		return
	}
	h.pushTo(frame, us...)
}

// renamed makes c and the other connections of its user send as name.
func (h *Hub) renamed(c *conn, name string) {
	h.mu.Lock()
	c.user.Name = name
	for _, o := range h.users[c.user.ID] {
		if o != c {
			o.rename.Store(&name)
		}
	}
	h.mu.Unlock()
}

// takeRename applies a rename made on another connection, from c's
// reading goroutine, before it handles a request.
func (h *Hub) takeRename(c *conn) {
	if p := c.rename.Swap(nil); p != nil {
		h.mu.Lock()
		if c.user.ID != 0 {
			c.user.Name = *p
		}
		h.mu.Unlock()
	}
}

// cleanAbout trims an about line and checks it: valid UTF-8, at most
// MaxAboutRunes code points, one line without control characters; ""
// clears it.
func cleanAbout(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		return "", proto.Errorf(proto.CodeBadRequest, "about is not valid UTF-8")
	case utf8.RuneCountInString(s) > proto.MaxAboutRunes:
		return "", proto.Errorf(proto.CodeTooLarge, "about is longer than %d characters", proto.MaxAboutRunes)
	case strings.ContainsFunc(s, unicode.IsControl):
		return "", proto.Errorf(proto.CodeBadRequest, "about must be one line without control characters")
	}
	return s, nil
}
