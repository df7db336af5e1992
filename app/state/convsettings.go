package state

import (
	"slices"

	"parley/net/proto"
)

// Level is how c notifies me at now (Unix ms): proto.NotifyAll,
// NotifyMentions or NotifyOff. A level set "for 1 hour" is "all" again
// from NotifyUntil on, by this device's clock.
func (c Conversation) Level(now int64) string {
	if c.Notify == "" || c.Notify == proto.NotifyAll || c.NotifyUntil != 0 && now >= c.NotifyUntil {
		return proto.NotifyAll
	}
	return c.Notify
}

// Muted reports whether c notifies less than every message at now: its
// unread badge is grey.
func (c Conversation) Muted(now int64) bool { return c.Level(now) != proto.NotifyAll }

// Rings reports whether a new message msg of c notifies me at now: never
// for a request, never with notifications off, with "mentions" only when
// msg mentions me.
func (c Conversation) Rings(msg proto.Message, me proto.UserID, now int64) bool {
	if c.Request {
		return false
	}
	switch c.Level(now) {
	case proto.NotifyOff:
		return false
	case proto.NotifyMentions:
		return slices.Contains(msg.Mentions, me)
	}
	return true
}

// Blocked reports whether I blocked user.
func (st State) Blocked(user proto.UserID) bool {
	return slices.ContainsFunc(st.Blocks, func(u proto.User) bool { return u.ID == user })
}
