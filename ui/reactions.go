package ui

import (
	"fmt"
	"image"
	"strings"
	"time"

	"gioui.org/io/event"
	"gioui.org/io/pointer"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/widget"

	"parley/app/state"
	"parley/net/proto"
)

// Who reacted: hovering a reaction chip with the mouse (after tipDelay),
// or holding a finger on it (longPress), shows the emoji and who reacted
// with it: "You" for me, members by name. A long press does not also
// press the chip.

// longPress is how long a finger rests on a chip to show who reacted.
const longPress = 500 * time.Millisecond

// chipPress follows a finger on a reaction chip.
type chipPress struct {
	down time.Time // when the finger came down; zero when up
	long bool      // held long enough: the tip shows, the release is no press
}

// whoReacted names the people of r: "You" for me, members by name, others
// by the name they wrote under, or their ID.
func (l *msgList) whoReacted(u *UI, st state.State, r proto.Reaction) string {
	names := make([]string, 0, len(r.Users))
	for _, id := range r.Users {
		names = append(names, l.nameOf(u, st, id))
	}
	return r.Emoji + " " + strings.Join(names, u.pw().NamesSep)
}

func (l *msgList) nameOf(u *UI, st state.State, id proto.UserID) string {
	if st.Me != nil && id == st.Me.ID {
		return u.t().You
	}
	if st.Open != nil {
		for _, m := range st.Open.Members {
			if m.ID == id && m.Name != "" {
				return m.Name
			}
		}
		if p := st.Open.Peer; p != nil && p.ID == id {
			return p.Name
		}
	}
	for _, m := range l.msgs {
		if m.Sender == id && m.SenderName != "" {
			return m.SenderName
		}
	}
	return fmt.Sprintf("ID %d", id)
}

// chipTip follows the pointer and fingers over the chip k (size, the
// clickable c; mine: under my message, on the right) and shows who
// reacted, text, when due.
func (l *msgList) chipTip(gtx layout.Context, u *UI, k chipKey, c *widget.Clickable, text string, size image.Point, mine bool) {
	if l.presses == nil {
		l.presses = map[chipKey]*chipPress{}
	}
	p := l.presses[k]
	if p == nil {
		p = new(chipPress)
		l.presses[k] = p
	}
	for {
		ev, ok := gtx.Event(pointer.Filter{Target: p, Kinds: pointer.Press | pointer.Release | pointer.Cancel})
		if !ok {
			break
		}
		e, ok := ev.(pointer.Event)
		if !ok {
			continue
		}
		switch {
		case e.Kind == pointer.Press && e.Source == pointer.Touch:
			p.down, p.long = gtx.Now, false
		case e.Kind == pointer.Release || e.Kind == pointer.Cancel:
			p.down = time.Time{} // long stays set: the chip's click is dropped
		}
	}
	// Over the chip's own area, letting its events through to it.
	pass := pointer.PassOp{}.Push(gtx.Ops)
	area := clip.Rect{Max: size}.Push(gtx.Ops)
	event.Op(gtx.Ops, p)
	area.Pop()
	pass.Pop()
	if !p.down.IsZero() && !p.long {
		if due := p.down.Add(longPress); gtx.Now.Before(due) {
			gtx.Execute(op.InvalidateCmd{At: due})
		} else {
			p.long = true
		}
	}
	held := !p.down.IsZero() && p.long
	if held {
		u.th.hovered[c] = gtx.Now.Add(-tipDelay) // shown at once: the finger waited already
	}
	place := tipStart | tipAbove // over the bubble, inside the window
	if mine {
		place = tipEnd | tipAbove
	}
	u.th.tooltip(gtx, c, c.Hovered() || held, text, size, place)
}

// longPressed reports whether the chip's last press was a long one, and
// forgets it: the click it ends is not a press of the chip.
func (l *msgList) longPressed(k chipKey) bool {
	p := l.presses[k]
	if p == nil || !p.long {
		return false
	}
	p.long = false
	return true
}
