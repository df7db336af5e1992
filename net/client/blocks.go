package client

import (
	"context"

	"parley/net/proto"
)

// Blocking, first-contact requests, muting and archiving
// (docs/protocol.md, "Blocking, requests and muting").

// Block blocks user: they can no longer open a direct conversation with
// me, call me or add me to a group, and what they write in our direct
// conversation no longer reaches me.
func (o ops) Block(ctx context.Context, user proto.UserID) error {
	return o.call(ctx, proto.TypeBlock, proto.UserRequest{User: user}, nil)
}

// Unblock lifts a block.
func (o ops) Unblock(ctx context.Context, user proto.UserID) error {
	return o.call(ctx, proto.TypeUnblock, proto.UserRequest{User: user}, nil)
}

// Blocks lists the users I blocked, most recent first.
func (o ops) Blocks(ctx context.Context) ([]proto.User, error) {
	var r proto.BlocksReply
	err := o.call(ctx, proto.TypeBlocks, nil, &r)
	return r.Users, err
}

// AcceptRequest accepts a first-contact request waiting for me.
func (o ops) AcceptRequest(ctx context.Context, conv proto.ConvID) (proto.ConvSettings, error) {
	var r proto.ConvSettings
	err := o.call(ctx, proto.TypeAcceptRequest, proto.ConvRequest{Conv: conv}, &r)
	return r, err
}

// DeleteRequest deletes a first-contact request waiting for me; its
// sender is not told.
func (o ops) DeleteRequest(ctx context.Context, conv proto.ConvID) error {
	return o.call(ctx, proto.TypeDeleteRequest, proto.ConvRequest{Conv: conv}, nil)
}

// SetNotify sets my notifications for conv: proto.NotifyAll, NotifyMentions
// or NotifyOff, until a Unix time in ms (0: until changed).
func (o ops) SetNotify(ctx context.Context, conv proto.ConvID, level string, until int64) (proto.ConvSettings, error) {
	var r proto.ConvSettings
	err := o.call(ctx, proto.TypeSetNotify, proto.SetNotifyRequest{Conv: conv, Level: level, Until: until}, &r)
	return r, err
}

// Archive archives conv for me (until its next message), or unarchives it.
func (o ops) Archive(ctx context.Context, conv proto.ConvID, archived bool) (proto.ConvSettings, error) {
	var r proto.ConvSettings
	err := o.call(ctx, proto.TypeArchive, proto.ArchiveRequest{Conv: conv, Archived: archived}, &r)
	return r, err
}
