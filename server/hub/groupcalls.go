package hub

import (
	"context"
	"encoding/json"

	"parley/net/proto"
	"parley/server/calls"
	"parley/server/storage"
)

// Group calls (docs/protocol.md, "Group calls"): group_call and
// call_mute here; call_decline, call_hangup, call_media and
// call_rtc_offer serve group calls through the same handlers as 1:1
// calls (calls.go), the switchboard telling them apart by the call's ID.
// The switchboard learns of membership changes from the fan-out
// (groupMembership) and of deleted groups from groupDeleted.

func (h *Hub) groupCall(ctx context.Context, from calls.Conn, user proto.User, body json.RawMessage) (any, error) {
	req, err := decode[proto.GroupCallRequest](body)
	if err != nil {
		return nil, err
	}
	us, err := h.db.Members(ctx, req.Conv, user.ID)
	if proto.CodeOf(err) == proto.CodeNotMember {
		if _, gerr := h.db.GroupInfo(ctx, user.ID, req.Conv); proto.CodeOf(gerr) == proto.CodeNoSuchGroup {
			return nil, proto.Errorf(proto.CodeNoSuchConv, "no conversation with ID %d", req.Conv)
		}
	}
	if err != nil {
		return nil, err
	}
	if _, err := h.db.GroupInfo(ctx, user.ID, req.Conv); proto.CodeOf(err) == proto.CodeNoSuchGroup {
		return nil, proto.Errorf(proto.CodeBadRequest, "%d is a direct conversation: call the person with call", req.Conv)
	} else if err != nil {
		return nil, err
	}
	members := make([]proto.UserID, len(us))
	for i, u := range us {
		members[i] = u.ID
	}
	if h.beforeGroupCall != nil {
		h.beforeGroupCall()
	}
	reply, err := h.calls.svc.AnswerGroupCall(from, user, req.Conv, req.Call, req.Muted, members)
	if err != nil {
		return nil, err
	}
	// A removal that committed after the check above may have reached
	// the switchboard before the caller was in the call: check again.
	// (One that commits after this read reaches it after, and removes.)
	if ok, err := h.db.IsMember(ctx, req.Conv, user.ID); err == nil && !ok {
		h.calls.svc.Membership(req.Conv, user.ID, false)
		return nil, proto.Errorf(proto.CodeNotMember, "you are not a member of %d", req.Conv)
	}
	return reply, nil
}

func (h *Hub) callMute(_ context.Context, _ calls.Conn, user proto.User, body json.RawMessage) (any, error) {
	req, err := decode[proto.CallMuteRequest](body)
	if err != nil {
		return nil, err
	}
	return struct{}{}, h.calls.svc.Mute(user.ID, req.Call, req.Muted)
}

// groupMembership passes a committed membership change of a group to the
// switchboard: a member who goes is taken out of the group's call.
func (h *Hub) groupMembership(cm storage.Committed) {
	if cm.Conv != nil && cm.Subject != 0 && cm.Conv.Kind == proto.KindGroup {
		h.calls.svc.Membership(cm.Conv.ID, cm.Subject, cm.Member)
	}
}
