package main

import (
	"gioui.org/x/notify"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui"
)

// mention notifies the newest message of c that mentions me if it was
// not notified yet, also where other messages would not notify: while the
// window has the focus, or when a later entry (a reaction, another
// message) is the conversation's newest; but not while the user is looking
// at it (viewing: the window has the focus and the conversation is
// open). It reports whether it notified.
// On the first look at an account nothing is news; a conversation seen
// for the first time notifies its mention only while it is unread.
func (n *newsNotifier) mention(c state.Conversation, fresh, viewing bool) bool {
	m := c.Mentioned
	if m == nil || m.Sender == n.me {
		return false
	}
	prev, known := n.mentioned[c.ID]
	n.mentioned[c.ID] = max(prev, m.Seq)
	if fresh || m.Seq <= prev || !known && !c.MentionUnread {
		return false
	}
	if viewing {
		return true // seen as it came: nothing to say
	}
	if !c.Rings(*m, n.me, n.nowMs()) {
		return true // a request, or notifications off: nothing rings
	}
	title, text := ui.MentionNotification(n.language(), c, *m)
	if shown := n.show(title, text); shown != nil {
		if n.shown == nil {
			n.shown = map[proto.ConvID][]notify.Notification{}
		}
		n.shown[c.ID] = append(n.shown[c.ID], shown)
	}
	return true
}
