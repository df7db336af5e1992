package ui

import (
	"fmt"
	"image"
	"strings"

	"gioui.org/io/key"
	"gioui.org/layout"
	"gioui.org/widget"
	"gioui.org/widget/material"

	"parley/app/state"
	"parley/net/proto"
)

// Forward sends a copy of message From to the conversation To (the
// server copies its text or file; a file is not uploaded again).
type Forward struct {
	From proto.MessageRef
	To   proto.ConvID
}

func (Forward) isEvent() {}

// forwardUI is the message menu's Forward and the conversation chooser it
// opens: a filter and the list of my conversations; picking one forwards.
type forwardUI struct {
	item   widget.Clickable // the menu's Forward
	msg    proto.MessageRef // the message to forward; Seq 0: the chooser is closed
	filter *field
	focus  bool // focus the filter when drawn
	rows   map[proto.ConvID]*widget.Clickable
	list   widget.List
	cancel widget.Clickable
	scrim  int
}

// forwardable reports whether the menu offers Forward for m.
func forwardable(m state.Message) bool {
	return m.Seq > 0 && !m.Deleted && (m.Kind == proto.MsgText || (m.Kind == proto.MsgFile && m.File != nil))
}

// open opens the chooser for message ref.
func (f *forwardUI) open(ref proto.MessageRef) {
	if f.filter == nil {
		f.filter = newField(true)
		f.rows = map[proto.ConvID]*widget.Clickable{}
		f.list.Axis = layout.Vertical
	}
	f.msg, f.focus = ref, true
	f.filter.SetText("")
}

// forwardActions handles the chooser's clicks: a conversation forwards
// the message there; Cancel, the scrim or another conversation opening
// close it.
func (l *msgList) forwardActions(gtx layout.Context, u *UI, st state.State) {
	f := &l.fwd
	if f.msg.Seq == 0 {
		return
	}
	if st.Open == nil || st.Open.ID != f.msg.Conv {
		f.msg = proto.MessageRef{}
		return
	}
	for id, c := range f.rows {
		if c.Clicked(gtx) {
			u.emit(Forward{From: f.msg, To: id})
			f.msg = proto.MessageRef{}
			return
		}
	}
	for {
		ev, ok := f.filter.Update(gtx)
		if !ok {
			break
		}
		if _, ok := ev.(widget.SubmitEvent); ok {
			// Enter forwards to the only match.
			if ms := forwardMatches(st, f.filter.Text()); len(ms) == 1 {
				u.emit(Forward{From: f.msg, To: ms[0].ID})
				f.msg = proto.MessageRef{}
				return
			}
		}
	}
	if f.cancel.Clicked(gtx) || scrimPressed(gtx, &f.scrim) {
		f.msg = proto.MessageRef{}
	}
}

// forwardMatches are my conversations whose name (or ID) holds q.
func forwardMatches(st state.State, q string) []state.Conversation {
	q = strings.ToLower(strings.TrimSpace(q))
	var out []state.Conversation
	for _, c := range st.Conversations {
		if q == "" || strings.Contains(strings.ToLower(c.Name), q) || strings.Contains(fmt.Sprint(c.ID), q) {
			out = append(out, c)
		}
	}
	return out
}

// forwardCard draws the chooser over the message list (size).
func (l *msgList) forwardCard(gtx layout.Context, u *UI, st state.State, size image.Point) {
	th, t := u.th, u.t()
	w := &t.Receipts
	f := &l.fwd
	if f.focus {
		f.focus = false
		gtx.Execute(key.FocusCmd{Tag: &f.filter.Editor})
	}
	matches := forwardMatches(st, f.filter.Text())
	overlayCard(gtx, u, &f.scrim, size, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(th.label(textBody, th.Fg, w.ForwardTitle).bold().Layout),
			layout.Rigid(gap(spaceS)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return th.input(gtx, f.filter, w.ForwardFilter, w.ForwardFilter)
			}),
			layout.Rigid(gap(spaceS)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if len(matches) == 0 {
					return layout.Inset{Top: spaceS, Bottom: spaceS}.Layout(gtx, th.label(textSmall, th.FgMuted, w.ForwardNone).Layout)
				}
				gtx.Constraints.Max.Y = min(gtx.Constraints.Max.Y, gtx.Dp(320))
				return material.List(th.mat, &f.list).Layout(gtx, len(matches), func(gtx layout.Context, i int) layout.Dimensions {
					c := matches[i]
					click := f.rows[c.ID]
					if click == nil {
						click = new(widget.Clickable)
						f.rows[c.ID] = click
					}
					gtx.Constraints.Min.X = gtx.Constraints.Max.X
					return th.clickRow(gtx, click, false, radiusM, func(gtx layout.Context) layout.Dimensions {
						return layout.Inset{Left: spaceS, Right: spaceS, Top: spaceS, Bottom: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
							return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
								layout.Rigid(func(gtx layout.Context) layout.Dimensions {
									return th.groupAvatar(gtx, c.Name, int64(c.ID), avatarS) // a conversation's ID: no person's picture
								}),
								layout.Rigid(gap(spaceS)),
								layout.Flexed(1, th.label(textSmall, th.Fg, c.Name).lines(1).userContent().Layout),
							)
						})
					})
				})
			}),
			layout.Rigid(gap(spaceS)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				gtx.Constraints.Min.X = gtx.Constraints.Max.X
				return th.button(&f.cancel, ghostButton, t.Cancel).Layout(gtx)
			}),
		)
	})
}

// forwardedFile puts "Forwarded from <name>" over the card of a forwarded
// file message (a text bubble says it inside).
func forwardedFile(u *UI, m state.Message, card layout.Widget) layout.Widget {
	if m.Forwarded == nil {
		return card
	}
	th, t := u.th, u.t()
	align := layout.Start
	if m.Mine {
		align = layout.End
	}
	return func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Axis: layout.Vertical, Alignment: align}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return layout.Inset{Bottom: 2}.Layout(gtx,
					th.label(textCaption, th.FgMuted, fmt.Sprintf(t.ForwardedFromF, m.Forwarded.FromName)).lines(1).userContent().Layout)
			}),
			layout.Rigid(card),
		)
	}
}
