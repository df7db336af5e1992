package ui

import (
	"fmt"
	"strings"

	"gioui.org/layout"
	"gioui.org/widget"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui/markup"
)

// pinBar is the bar under the conversation's header that shows its pinned
// messages (Open.Pins), one at a time, the newest first: clicking it
// jumps to the one shown and moves on to the next older one (after the
// oldest, the newest again); × unpins the one shown. There is no bar when
// nothing is pinned.
type pinBar struct {
	open, unpin widget.Clickable
	conv        proto.ConvID
	cur         int64 // the seq of the pinned message shown
}

// current is the index in pins of the message shown: the same as before
// if it is still pinned, else the newest.
func (b *pinBar) current(conv proto.ConvID, pins []state.Message) int {
	if b.conv != conv {
		b.conv, b.cur = conv, 0
	}
	for i, m := range pins {
		if m.Seq == b.cur {
			return i
		}
	}
	b.cur = pins[len(pins)-1].Seq
	return len(pins) - 1
}

func (b *pinBar) layout(gtx layout.Context, u *UI, p *convPane, st state.State) layout.Dimensions {
	o := st.Open
	pins := o.Pins
	if len(pins) == 0 {
		b.cur = 0
		return layout.Dimensions{}
	}
	i := b.current(o.ID, pins)
	if b.unpin.Clicked(gtx) {
		u.emit(PinMessage{Conv: o.ID, Seq: pins[i].Seq, Unpin: true})
	}
	if b.open.Clicked(gtx) {
		p.msgs.jumpTo(u, o.ID, pins[i].Seq, "")
		i = (i - 1 + len(pins)) % len(pins)
		b.cur = pins[i].Seq
	}
	th, w := u.th, u.nw()
	head := w.Pinned
	if len(pins) > 1 {
		head = fmt.Sprintf(w.PinnedF, i+1, len(pins))
	}
	var me proto.UserID
	if st.Me != nil {
		me = st.Me.ID
	}
	line := pinLine(u, pins[i], me)
	return th.band(gtx, th.Surface, layout.Inset{Left: spaceS, Right: spaceS, Top: spaceXS, Bottom: spaceXS}, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
				return th.clickRow(gtx, &b.open, false, radiusM, func(gtx layout.Context) layout.Dimensions {
					gtx.Constraints.Min.X = gtx.Constraints.Max.X
					return layout.Inset{Left: spaceS, Right: spaceS, Top: 2, Bottom: 2}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
						return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
							layout.Rigid(th.label(textCaption, th.Primary, head).medium().Layout),
							layout.Rigid(th.label(textSmall, th.Fg, line).lines(1).userContent().Layout),
						)
					})
				})
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				b := th.iconButton(&b.unpin, u.icons.close, u.t().Unpin)
				b.size, b.tip = 32, tipEnd
				return b.Layout(gtx)
			}),
		)
	})
}

// pinLine is what the pin bar shows of a pinned message: the sender and
// its first line, or its file's name.
func pinLine(u *UI, m state.Message, me proto.UserID) string {
	t := u.t()
	var what string
	switch {
	case m.File != nil:
		what = m.File.Name
	case m.Kind == proto.MsgCall:
		what = t.callRow(m.Message, me)
	default:
		what, _, _ = strings.Cut(markup.Shown(m.Text), "\n")
	}
	return m.SenderName + ": " + what
}
