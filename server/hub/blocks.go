package hub

import (
	"context"
	"encoding/json"

	"parley/net/proto"
	"parley/server/storage"
)

// Blocking, first-contact requests, muting and archiving (docs/protocol.md,
// "Blocking, requests and muting"). Storage keeps the state and decides
// who gets what (storage/blocks.go); here every change is pushed to all
// the caller's devices, so that they agree.
func (h *Hub) blockOps() map[string]op {
	return map[string]op{
		proto.TypeBlock:         {authed: true, fn: h.block},
		proto.TypeUnblock:       {authed: true, fn: h.unblock},
		proto.TypeBlocks:        {authed: true, fn: h.blocks},
		proto.TypeAcceptRequest: {authed: true, fn: h.acceptRequest},
		proto.TypeDeleteRequest: {authed: true, fn: h.deleteRequest},
		proto.TypeSetNotify:     {authed: true, fn: h.setNotify},
		proto.TypeArchive:       {authed: true, fn: h.archive},
	}
}

func (h *Hub) block(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.UserRequest](body)
	if err != nil {
		return nil, err
	}
	gone, err := h.db.Block(ctx, c.user.ID, req.User)
	if err != nil {
		return nil, err
	}
	if gone != 0 {
		h.pushGone(c.user.ID, gone)
	}
	if err := h.showPresence(ctx, c.user.ID, req.User); err != nil {
		return nil, err
	}
	return struct{}{}, h.pushBlocks(ctx, c.user.ID)
}

// showPresence tells viewer's connections watching their direct
// conversation with user whether user is online now as viewer may see it
// (after a block, an unblock or an accepted request changed that).
func (h *Hub) showPresence(ctx context.Context, user, viewer proto.UserID) error {
	conv, err := h.db.DirectID(ctx, user, viewer)
	if err != nil || conv == 0 {
		return err
	}
	hides, err := h.db.Hides(ctx, conv, user, viewer)
	if err != nil {
		return err
	}
	frame, err := proto.EncodePush(proto.TypePresence, proto.Presence{Conv: conv, User: user,
		Online: hides == storage.HideNothing && h.Online(user)})
	if err != nil {
		return err
	}
	h.mu.RLock()
	for _, o := range h.users[viewer] {
		if o.watching == conv {
			o.enqueue(frame)
		}
	}
	h.mu.RUnlock()
	return nil
}

func (h *Hub) unblock(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.UserRequest](body)
	if err != nil {
		return nil, err
	}
	if err := h.db.Unblock(ctx, c.user.ID, req.User); err != nil {
		return nil, err
	}
	if err := h.showPresence(ctx, c.user.ID, req.User); err != nil {
		return nil, err
	}
	return struct{}{}, h.pushBlocks(ctx, c.user.ID)
}

func (h *Hub) blocks(ctx context.Context, c *conn, _ json.RawMessage) (any, error) {
	us, err := h.db.Blocks(ctx, c.user.ID)
	if err != nil {
		return nil, err
	}
	return proto.BlocksReply{Users: us}, nil
}

// pushBlocks sends user's block list to all their devices.
func (h *Hub) pushBlocks(ctx context.Context, user proto.UserID) error {
	us, err := h.db.Blocks(ctx, user)
	if err != nil {
		return err
	}
	frame, err := proto.EncodePush(proto.TypeBlocksPush, proto.BlocksReply{Users: us})
	if err != nil {
		return err
	}
	h.pushTo(frame, user)
	return nil
}

// pushGone tells user's devices that a deleted request left their lists.
func (h *Hub) pushGone(user proto.UserID, conv proto.ConvID) {
	frame, err := proto.EncodePush(proto.TypeConversation, proto.ConversationPush{
		Conversation: proto.Conversation{ID: conv, Kind: proto.KindDirect}, Member: false,
	})
	if err == nil {
		h.pushTo(frame, user)
	}
}

// pushSettings sends one of user's conversation settings to all their
// devices.
func (h *Hub) pushSettings(user proto.UserID, st proto.ConvSettings) {
	frame, err := proto.EncodePush(proto.TypeConvSettings, st)
	if err == nil {
		h.pushTo(frame, user)
	}
}

func (h *Hub) acceptRequest(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.ConvRequest](body)
	if err != nil {
		return nil, err
	}
	st, err := h.db.AcceptRequest(ctx, c.user.ID, req.Conv)
	if err != nil {
		return nil, err
	}
	h.pushSettings(c.user.ID, st)
	if err := h.showPeerPresence(ctx, c.user.ID, req.Conv); err != nil {
		return nil, err
	}
	return st, nil
}

func (h *Hub) deleteRequest(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.ConvRequest](body)
	if err != nil {
		return nil, err
	}
	if err := h.db.DeleteRequest(ctx, c.user.ID, req.Conv); err != nil {
		return nil, err
	}
	h.pushGone(c.user.ID, req.Conv)
	if err := h.showPeerPresence(ctx, c.user.ID, req.Conv); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (h *Hub) setNotify(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.SetNotifyRequest](body)
	if err != nil {
		return nil, err
	}
	st, err := h.db.SetNotify(ctx, c.user.ID, req.Conv, req.Level, req.Until)
	if err != nil {
		return nil, err
	}
	h.pushSettings(c.user.ID, st)
	return st, nil
}

func (h *Hub) archive(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.ArchiveRequest](body)
	if err != nil {
		return nil, err
	}
	st, err := h.db.Archive(ctx, c.user.ID, req.Conv, req.Archived)
	if err != nil {
		return nil, err
	}
	h.pushSettings(c.user.ID, st)
	return st, nil
}

// hiddenFrom drops from users those from whom user keeps everything in
// conv (a block, a deleted request).
func (h *Hub) hiddenFrom(ctx context.Context, conv proto.ConvID, user proto.UserID, users []proto.UserID) ([]proto.UserID, error) {
	out := users[:0:0]
	for _, u := range users {
		hides, err := h.db.Hides(ctx, conv, user, u)
		if err != nil {
			return nil, err
		}
		if hides < storage.HideAll {
			out = append(out, u)
		}
	}
	return out, nil
}

// eitherHides reports whether a or b keeps their state from the other in
// conv (then neither sees the other typing).
func (h *Hub) eitherHides(ctx context.Context, conv proto.ConvID, a, b proto.UserID) (bool, error) {
	if hides, err := h.db.Hides(ctx, conv, a, b); err != nil || hides != storage.HideNothing {
		return hides != storage.HideNothing, err
	}
	hides, err := h.db.Hides(ctx, conv, b, a)
	return hides != storage.HideNothing, err
}

// showPeerPresence is showPresence for the other member of my direct
// conversation conv.
func (h *Hub) showPeerPresence(ctx context.Context, me proto.UserID, conv proto.ConvID) error {
	us, err := h.db.Members(ctx, conv, me)
	if err != nil {
		return err
	}
	for _, u := range us {
		if u.ID != me {
			return h.showPresence(ctx, me, u.ID)
		}
	}
	return nil
}
