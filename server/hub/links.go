package hub

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"

	"parley/net/proto"
	"parley/server/storage"
)

// Invite links (docs/protocol.md, "Invite links"): the hub makes the
// token and checks input; storage keeps the links and decides.

func (h *Hub) linkOps() map[string]op {
	return map[string]op{
		proto.TypeCreateLink: {authed: true, fn: h.createLink},
		proto.TypeLinks:      {authed: true, fn: h.links},
		proto.TypeRevokeLink: {authed: true, fn: h.revokeLink},
		proto.TypeLinkInfo:   {authed: true, fn: h.linkInfo},
		proto.TypeJoinLink:   {authed: true, fn: h.joinLink},
	}
}

// newLinkToken returns LinkTokenBytes random bytes, base64url.
func newLinkToken() (string, error) {
	b := make([]byte, proto.LinkTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (h *Hub) createLink(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.CreateLinkRequest](body)
	if err != nil {
		return nil, err
	}
	if req.ExpiresInMs < 0 || req.ExpiresInMs > proto.MaxLinkLifetimeMs {
		return nil, proto.Errorf(proto.CodeBadRequest, "expires_in_ms must be 0 (never) to %d", int64(proto.MaxLinkLifetimeMs))
	}
	if req.MaxUses < 0 || req.MaxUses > proto.MaxLinkUses {
		return nil, proto.Errorf(proto.CodeBadRequest, "max_uses must be 0 (no limit) to %d", proto.MaxLinkUses)
	}
	token, err := newLinkToken()
	if err != nil {
		return nil, err
	}
	nl := storage.NewLink{Token: token, MaxUses: req.MaxUses}
	if req.ExpiresInMs > 0 {
		nl.Expires = h.now().UnixMilli() + req.ExpiresInMs
	}
	l, err := h.db.CreateLink(ctx, c.user, req.Group, nl)
	if err != nil {
		return nil, err
	}
	return proto.LinkReply{Link: l}, nil
}

func (h *Hub) links(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.GroupRequest](body)
	if err != nil {
		return nil, err
	}
	ls, err := h.db.Links(ctx, c.user.ID, req.Group)
	if err != nil {
		return nil, err
	}
	return proto.LinksReply{Links: nonNil(ls)}, nil
}

func (h *Hub) revokeLink(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.RevokeLinkRequest](body)
	if err != nil {
		return nil, err
	}
	if err := h.db.RevokeLink(ctx, c.user, req.Group, req.ID); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// checkToken refuses a token no link can have.
func checkToken(token string) error {
	if token == "" || len(token) > proto.MaxLinkTokenLen {
		return proto.Errorf(proto.CodeNoSuchLink, "this invite link does not exist or was revoked")
	}
	return nil
}

func (h *Hub) linkInfo(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.LinkRequest](body)
	if err != nil {
		return nil, err
	}
	if err := checkToken(req.Token); err != nil {
		return nil, err
	}
	info, err := h.db.LinkInfo(ctx, req.Token)
	if err != nil {
		return nil, err
	}
	return proto.LinkInfoReply{Link: info}, nil
}

func (h *Hub) joinLink(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.LinkRequest](body)
	if err != nil {
		return nil, err
	}
	if err := h.limitJoin(ctx, c); err != nil {
		return nil, err
	}
	if err := checkToken(req.Token); err != nil {
		return nil, err
	}
	j, err := h.db.JoinLink(ctx, c.user, req.Token)
	if err != nil {
		return nil, err
	}
	if j.Request != nil {
		h.pushJoinRequest(*j.Request, j.Answerers)
	}
	return proto.JoinGroupReply{Conversation: j.Conv, Request: j.Request}, nil
}

// LinkInfo previews the group of a usable invite link, for the server's
// join page.
func (h *Hub) LinkInfo(ctx context.Context, token string) (proto.LinkInfo, error) {
	if err := checkToken(token); err != nil {
		return proto.LinkInfo{}, err
	}
	return h.db.LinkInfo(ctx, token)
}
