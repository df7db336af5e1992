package client

import (
	"context"

	"parley/net/proto"
)

// Media returns one page of a conversation's pictures, voice messages or
// other files (req.Kind: proto.MediaPictures, MediaVoice, MediaFiles),
// newest first; More says that older ones exist (page with Before set to
// the last message's seq).
//
// (The same op as the server side's branch adds to ops.go: when both are
// merged, keep one.)
func (o ops) Media(ctx context.Context, req proto.MediaRequest) (proto.MediaReply, error) {
	var r proto.MediaReply
	err := o.call(ctx, proto.TypeMedia, req, &r)
	return r, err
}
