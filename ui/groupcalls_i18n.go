package ui

import (
	"fmt"

	"parley/app/state"
	"parley/net/proto"
)

// groupCallWords are the words of group calls: the group header's call
// button, the "Call in progress" banner and the list's marker, the
// incoming card, the call bar with its participants, and the history's
// entries, in each language (kept beside them rather than in the main
// catalog, which holds them as GroupCalls).
type groupCallWords struct {
	// The header's call button: start a call, or join the one in progress.
	StartCall, JoinCall string
	// The banner: "Call in progress · 3 people", and Join.
	InProgressN plural
	Join        string
	// The banner and the header's button when I am in the call on
	// another of my devices (this one cannot join).
	Elsewhere string
	// The marker on a group of the conversation list.
	InProgress string
	// The incoming card: "王芳 started a call in Study Group".
	GroupCall, StartedInF string
	// The call bar: the people in it, the wait for the first to join, the
	// hang-up button, and the participants' tiles.
	PeopleN                 plural
	Waiting, Leave, You     string
	Speaking, MutedF, TileF string
	// How my part in a group call ended.
	LeftF, Left, MissedInF, Removed string
	// The history: "Group call · 5:00 · 3 people", "王芳 started a call ·
	// no one joined".
	RowF, RowMissedF, RowMissedMine string
}

var groupCallCatalog = map[Lang]groupCallWords{
	English: {
		StartCall:     "Start a group call",
		JoinCall:      "Join the call",
		InProgressN:   plural{"Call in progress · %d person", "Call in progress · %d people"},
		Join:          "Join",
		Elsewhere:     "You are in it on another device",
		InProgress:    "Call in progress",
		GroupCall:     "Group call",
		StartedInF:    "%s started a call in %s",
		PeopleN:       plural{"%d person", "%d people"},
		Waiting:       "Waiting for others to join…",
		Leave:         "Leave",
		You:           "You",
		Speaking:      "Speaking",
		MutedF:        "%s is muted",
		TileF:         "%s in the call",
		LeftF:         "You left the call (%s)",
		Left:          "You left the call",
		MissedInF:     "Missed group call in %s",
		Removed:       "You are no longer in the group",
		RowF:          "Group call · %s · %s",
		RowMissedF:    "%s started a call · no one joined",
		RowMissedMine: "You started a call · no one joined",
	},
	Chinese: {
		StartCall:     "发起群通话",
		JoinCall:      "加入通话",
		InProgressN:   plural{"通话进行中 · %d 人", "通话进行中 · %d 人"},
		Join:          "加入",
		Elsewhere:     "你已在另一台设备上加入",
		InProgress:    "通话进行中",
		GroupCall:     "群通话",
		StartedInF:    "%s 在 %s 发起了通话",
		PeopleN:       plural{"%d 人", "%d 人"},
		Waiting:       "等待其他人加入…",
		Leave:         "退出通话",
		You:           "我",
		Speaking:      "正在说话",
		MutedF:        "%s 已静音",
		TileF:         "%s 在通话中",
		LeftF:         "你已退出通话（%s）",
		Left:          "你已退出通话",
		MissedInF:     "%s 的群通话未接听",
		Removed:       "你已不在该群中",
		RowF:          "群通话 · %s · %s",
		RowMissedF:    "%s 发起了通话 · 无人加入",
		RowMissedMine: "你发起了通话 · 无人加入",
	},
}

// The error of a group call that is full, merged into each catalog.
var groupCallErrors = map[Lang]map[proto.Code]string{
	English: {proto.CodeCallFull: "The call is full: 16 people are in it"},
	Chinese: {proto.CodeCallFull: "通话已满：已有 16 人"},
}

func init() {
	for lang, c := range catalogs {
		c.GroupCalls = groupCallCatalog[lang]
		for k, v := range groupCallErrors[lang] {
			c.Errors[k] = v
		}
	}
}

func (u *UI) gcw() groupCallWords { return u.t().GroupCalls }

// groupCallRow words a group call's entry of the history: "Group call ·
// 5:00 · 3 people" when people talked, "王芳 started a call · no one
// joined" when nobody joined the one who started it.
func (c *catalog) groupCallRow(m proto.Message, me proto.UserID) string {
	call, w := m.Call, c.GroupCalls
	if call.Outcome == proto.CallAnswered {
		return fmt.Sprintf(w.RowF, clock(call.DurationMs, false), w.PeopleN.format(len(call.Participants)))
	}
	if call.Caller == me {
		return w.RowMissedMine
	}
	name := m.SenderName
	if name == "" || m.Sender != call.Caller {
		name = fmt.Sprintf("ID %d", call.Caller)
	}
	return fmt.Sprintf(w.RowMissedF, name)
}

// groupCallEnd says how my part in a group call ended, and whether that
// is a failure; the reasons it shares with 1:1 calls are worded as
// theirs.
func (c *catalog) groupCallEnd(call state.Call) (text string, failed bool) {
	w := c.GroupCalls
	switch call.EndReason {
	case proto.EndHangup:
		if call.Duration > 0 {
			return fmt.Sprintf(w.LeftF, clock(call.Duration, false)), false
		}
		return w.Left, false
	case proto.EndCancelled, proto.EndNoAnswer:
		return fmt.Sprintf(w.MissedInF, call.GroupName), true
	case proto.EndDeclined:
		return c.YouDeclined, false
	case proto.EndRemoved:
		return w.Removed, true
	}
	return c.callEnd(call)
}
