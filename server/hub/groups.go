package hub

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"parley/net/proto"
	"parley/server/storage"
)

// Groups (docs/protocol.md, "Groups"): creating and joining groups under
// their join policy, join requests, roles, removing and banning, and a
// group's settings. storage decides who may do what and appends the group
// events; the hub checks input, rate-limits joins, and pushes what is not
// a message (join_request, join_answered).

func (h *Hub) groupOps() map[string]op {
	return map[string]op{
		proto.TypeCreateGroup:   {authed: true, fn: h.createGroup},
		proto.TypeJoinGroup:     {authed: true, fn: h.joinGroup},
		proto.TypeGroupInfo:     {authed: true, fn: h.groupInfo},
		proto.TypeSetGroup:      {authed: true, fn: h.setGroup},
		proto.TypeJoinRequests:  {authed: true, fn: h.joinRequests},
		proto.TypeAnswerJoin:    {authed: true, fn: h.answerJoin},
		proto.TypeRemoveMember:  {authed: true, fn: h.memberOp(h.db.RemoveMember)},
		proto.TypeBan:           {authed: true, fn: h.memberOp(h.db.Ban)},
		proto.TypeUnban:         {authed: true, fn: h.memberOp(h.db.Unban)},
		proto.TypeTransferOwner: {authed: true, fn: h.memberOp(h.db.TransferOwner)},
		proto.TypeBans:          {authed: true, fn: h.bans},
		proto.TypeSetAdmin:      {authed: true, fn: h.setAdmin},
		proto.TypeDeleteGroup:   {authed: true, fn: h.deleteGroup},
	}
}

// checkDescription trims a group description and checks it: at most
// MaxDescriptionRunes code points, no control characters but line breaks.
func checkDescription(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case utf8.RuneCountInString(s) > proto.MaxDescriptionRunes:
		return "", proto.Errorf(proto.CodeTooLarge, "a description has at most %d characters", proto.MaxDescriptionRunes)
	case strings.ContainsFunc(s, func(r rune) bool { return r != '\n' && unicode.IsControl(r) }):
		return "", proto.Errorf(proto.CodeBadRequest, "a description may hold no control characters but line breaks")
	}
	return s, nil
}

func (h *Hub) createGroup(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.CreateGroupRequest](body)
	if err != nil {
		return nil, err
	}
	name, err := cleanName(req.Name, "group name")
	if err != nil {
		return nil, err
	}
	desc, err := checkDescription(req.Description)
	if err != nil {
		return nil, err
	}
	policy := req.Policy
	if policy == "" {
		policy = h.cfg.DefaultPolicy
	}
	conv, err := h.db.CreateGroupWith(ctx, c.user, storage.NewGroup{Name: name, Description: desc, Policy: policy})
	if err != nil {
		return nil, err
	}
	return proto.ConversationReply{Conversation: conv}, nil
}

// limitJoin spends one join attempt of the caller and of its address.
func (h *Hub) limitJoin(ctx context.Context, c *conn) error {
	if l := h.lims.joinUser; l != nil {
		if ok, retry := l.Take(ctx, strconv.FormatInt(int64(c.user.ID), 10)); !ok {
			return rateLimited("attempts to join groups", retry)
		}
	}
	if l := h.lims.joinAddr; l != nil {
		if ok, retry := l.Take(ctx, c.remote); !ok {
			return rateLimited("attempts to join groups from your address", retry)
		}
	}
	return nil
}

func (h *Hub) joinGroup(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.JoinGroupRequest](body)
	if err != nil {
		return nil, err
	}
	if err := h.limitJoin(ctx, c); err != nil {
		return nil, err
	}
	j, err := h.db.JoinGroup(ctx, c.user, req.Group)
	if err != nil {
		return nil, err
	}
	if j.Request != nil {
		h.pushJoinRequest(*j.Request, j.Answerers)
	}
	return proto.JoinGroupReply{Conversation: j.Conv, Request: j.Request}, nil
}

// pushJoinRequest tells a group's owner and admins of a new request.
func (h *Hub) pushJoinRequest(r proto.JoinRequest, to []proto.UserID) {
	frame, err := proto.EncodePush(proto.TypeJoinRequest, r)
	if err != nil {
		h.log.Error("encode join_request push", "group", r.Group, "err", err)
		return
	}
	h.pushTo(frame, to...)
}

func (h *Hub) groupInfo(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.GroupRequest](body)
	if err != nil {
		return nil, err
	}
	g, err := h.db.GroupInfo(ctx, c.user.ID, req.Group)
	if err != nil {
		return nil, err
	}
	return proto.GroupReply{Group: g}, nil
}

func (h *Hub) setGroup(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.SetGroupRequest](body)
	if err != nil {
		return nil, err
	}
	ch := storage.GroupChange{Policy: req.Policy, Invite: req.Invite, Send: req.Send}
	if req.Name != nil {
		name, err := cleanName(*req.Name, "group name")
		if err != nil {
			return nil, err
		}
		ch.Name = &name
	}
	if req.Description != nil {
		desc, err := checkDescription(*req.Description)
		if err != nil {
			return nil, err
		}
		ch.Description = &desc
	}
	if req.Picture != nil {
		if err := h.groupPicture(ctx, c, req.Group, *req.Picture, &ch); err != nil {
			return nil, err
		}
	}
	shas, err := h.db.SetGroup(ctx, c.user, req.Group, ch)
	if err != nil {
		if ch.Picture != nil && *ch.Picture != "" { // the thumbnail made for the refused change goes
			if dropped, derr := h.db.DropThumb(context.WithoutCancel(ctx), req.Group, *ch.Picture); derr != nil {
				h.log.Error("drop the thumbnail of a refused set_group", "group", req.Group, "err", derr)
			} else {
				h.releaseBlobs(ctx, dropped)
			}
		}
		return nil, err
	}
	h.releaseBlobs(ctx, shas)
	g, err := h.db.GroupInfo(ctx, c.user.ID, req.Group)
	if err != nil {
		return nil, err
	}
	return proto.GroupReply{Group: g}, nil
}

// groupPicture fills ch's picture from set_group's picture: file fileID
// made into the group's thumbnail, or "" none. Only an admin's file is
// made into one (not_admin before the work).
func (h *Hub) groupPicture(ctx context.Context, c *conn, group proto.ConvID, fileID string, ch *storage.GroupChange) error {
	thumb := ""
	if fileID != "" {
		g, err := h.db.GroupInfo(ctx, c.user.ID, group)
		if err != nil {
			return err
		}
		if g.Role == proto.RoleMember {
			return proto.Errorf(proto.CodeNotAdmin, "only the admins of %s may do that", g.Name)
		}
		if h.cfg.MakePicture == nil {
			return proto.Errorf(proto.CodeUnavailable, "this server does not take pictures")
		}
		if thumb, err = h.cfg.MakePicture(ctx, c.user.ID, group, fileID); err != nil {
			return err
		}
		ch.Source = fileID
	}
	ch.Picture = &thumb
	return nil
}

func (h *Hub) joinRequests(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.GroupRequest](body)
	if err != nil {
		return nil, err
	}
	rs, err := h.db.JoinRequests(ctx, c.user.ID, req.Group)
	if err != nil {
		return nil, err
	}
	return proto.JoinRequestsReply{Requests: nonNil(rs)}, nil
}

func (h *Hub) answerJoin(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.AnswerJoinRequest](body)
	if err != nil {
		return nil, err
	}
	a, err := h.db.AnswerJoin(ctx, c.user, req.Group, req.User, req.Approve)
	if err != nil {
		return nil, err
	}
	if frame, err := proto.EncodePush(proto.TypeJoinAnswered, proto.JoinAnswered{Group: req.Group, GroupName: a.GroupName, Approved: req.Approve}); err == nil {
		h.pushTo(frame, req.User)
	}
	done := proto.JoinRequestAnswered{Group: req.Group, User: req.User, Approved: req.Approve, By: c.user}
	if frame, err := proto.EncodePush(proto.TypeJoinRequestAnswered, done); err == nil {
		h.pushTo(frame, a.Answerers...)
	}
	return struct{}{}, nil
}

// memberOp serves a request on one member of a group (remove_member,
// ban, unban, transfer_owner) with its storage call.
func (h *Hub) memberOp(fn func(ctx context.Context, actor proto.User, group proto.ConvID, subject proto.UserID) error) func(context.Context, *conn, json.RawMessage) (any, error) {
	return func(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
		req, err := decode[proto.MemberRequest](body)
		if err != nil {
			return nil, err
		}
		if err := fn(ctx, c.user, req.Group, req.User); err != nil {
			return nil, err
		}
		return struct{}{}, nil
	}
}

func (h *Hub) setAdmin(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.SetAdminRequest](body)
	if err != nil {
		return nil, err
	}
	if err := h.db.SetAdmin(ctx, c.user, req.Group, req.User, req.Admin); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (h *Hub) bans(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.GroupRequest](body)
	if err != nil {
		return nil, err
	}
	bs, err := h.db.Bans(ctx, c.user.ID, req.Group)
	if err != nil {
		return nil, err
	}
	return proto.BansReply{Bans: nonNil(bs)}, nil
}

// deleteGroup deletes a group for its owner: every member's devices get
// a conversation push that says so, waiting requesters a decline, and
// the blobs only the group's files held are released.
func (h *Hub) deleteGroup(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.GroupRequest](body)
	if err != nil {
		return nil, err
	}
	del, err := h.db.DeleteGroup(ctx, c.user, req.Group)
	if err != nil {
		return nil, err
	}
	h.log.Info("group deleted", "group", req.Group, "owner", c.user.ID, "members", len(del.Members))
	h.groupDeleted(ctx, del)
	return struct{}{}, nil
}

// groupDeleted tells the members of a deleted group, and those whose
// request was waiting, and releases the blobs only its files held.
func (h *Hub) groupDeleted(ctx context.Context, del storage.Deleted) {
	h.calls.svc.GroupDeleted(del.Conv.ID)
	if frame, err := proto.EncodePush(proto.TypeConversation, proto.ConversationPush{Conversation: del.Conv, Deleted: true}); err == nil {
		h.pushTo(frame, del.Members...)
	}
	if frame, err := proto.EncodePush(proto.TypeJoinAnswered, proto.JoinAnswered{Group: del.Conv.ID, GroupName: del.Conv.Name}); err == nil {
		h.pushTo(frame, del.Requesters...)
	}
	if h.cfg.ReleaseBlob != nil {
		for _, sha := range del.Released {
			h.cfg.ReleaseBlob(ctx, sha)
		}
	}
}
