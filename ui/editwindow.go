package ui

import (
	"time"

	"parley/app/state"
	"parley/net/proto"
)

// editable reports whether the menu offers Edit for m at now: my own
// text message, not a forward, not deleted, and within the server's
// edit window (State.EditWindow, from its hello: the server refuses an
// edit after it with edit_window). An unknown window offers it.
func editable(st state.State, m state.Message, now time.Time) bool {
	if st.Me == nil || m.Sender != st.Me.ID || m.Kind != proto.MsgText || m.Forwarded != nil || m.Deleted {
		return false
	}
	return st.EditWindow <= 0 || now.UnixMilli()-m.Time <= st.EditWindow
}
