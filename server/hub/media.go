package hub

import (
	"context"
	"encoding/json"

	"parley/net/proto"
)

// media pages through a conversation's pictures, voice messages or other
// files, newest first, for a member (docs/protocol.md, "Pictures, voice
// messages and media").
func (h *Hub) media(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.MediaRequest](body)
	if err != nil {
		return nil, err
	}
	switch req.Kind {
	case proto.MediaPictures, proto.MediaVoice, proto.MediaFiles:
	default:
		return nil, proto.Errorf(proto.CodeBadRequest, "kind must be %q, %q or %q", proto.MediaPictures, proto.MediaVoice, proto.MediaFiles)
	}
	if req.Before < 0 || req.Limit < 0 {
		return nil, proto.Errorf(proto.CodeBadRequest, "before and limit must not be negative")
	}
	req.Limit = clampLimit(req.Limit, 50)
	ms, more, err := h.db.Media(ctx, c.user.ID, req)
	if err != nil {
		return nil, err
	}
	return proto.MediaReply{Messages: nonNil(ms), More: more}, nil
}
