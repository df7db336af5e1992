package ui

import (
	"image/color"
	"time"

	"gioui.org/io/semantic"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	"gioui.org/widget"

	"parley/app/state"
	"parley/net/proto"
)

// Jumps: a reply's quote, the pin bar, a search result and the search
// within a conversation show a message that may be anywhere in the
// history. If the window holds it, the list scrolls to it at once;
// otherwise the app asks the model (JumpTo), which loads the history
// around it and names it in Open.Focus. Either way the message's row is
// tinted for a moment (the tint fades out), and a search's matches stay
// marked in its bubble.

type (
	// JumpTo shows message Seq of Conv (opening Conv), loading the
	// history around it; Highlight is the search query to mark in it.
	JumpTo struct {
		Conv      proto.ConvID
		Seq       int64
		Highlight string
	}
	// LoadNewer asks for the page of history after the loaded window
	// (it stops before the newest message after a jump).
	LoadNewer struct{}
	// Find searches the history of Conv (the search within the open
	// conversation); "" clears it.
	Find struct {
		Conv  proto.ConvID
		Query string
	}
)

func (JumpTo) isEvent()    {}
func (LoadNewer) isEvent() {}
func (Find) isEvent()      {}

// flashTime is how long a row the list jumped to stays tinted.
const flashTime = 1500 * time.Millisecond

// navState is the message list's part of jumps.
type navState struct {
	quotes     map[int64]*widget.Clickable // the reply strips, by the seq of the reply
	focusGen   uint64                      // the last Open.FocusGen acted on
	flash      int64                       // the message tinted, 0 none
	flashAt    time.Time                   // when its tint started (zero: at the next frame)
	tinted     int64                       // the message tinted in the last frame (tests)
	mark       int64                       // the message whose matches are marked
	markQuery  string                      // the query they match
	marked     []string                    // the texts marked in the last frame (tests)
	askedNewer uint64                      // revision+1 at which newer history was asked for
	height     int                         // the list's height last frame
}

func (n *navState) reset() {
	clear(n.quotes)
	n.flash, n.mark, n.markQuery, n.askedNewer = 0, 0, "", 0
}

// navigate does the jumps asked for since the last frame: reply strips
// clicked, a focus the model set, and asks for newer history near the
// bottom of a window that stops before the newest message. It runs after
// sync, before the list is laid out.
func (l *msgList) navigate(gtx layout.Context, u *UI, o *state.Open) {
	n := &l.nav
	n.tinted, n.marked = 0, n.marked[:0]
	for seq, c := range n.quotes {
		if !c.Clicked(gtx) {
			continue
		}
		for _, m := range l.msgs {
			if m.Seq != seq {
				continue
			}
			if target := m.ReplyTo; target != 0 {
				l.jumpTo(u, o.ID, target, "")
			} else if m.Reply != nil {
				l.jumpTo(u, o.ID, m.Reply.Seq, "")
			}
		}
	}
	if o.FocusGen != n.focusGen {
		n.focusGen = o.FocusGen
		if o.Focus != 0 {
			l.show(o.Focus, o.Highlight)
		}
	}
	pos := l.list.Position
	if o.HasNewer && pos.First+pos.Count >= len(l.rows)-2 && n.askedNewer != o.Revision+1 {
		n.askedNewer = o.Revision + 1
		u.emit(LoadNewer{})
	}
}

// jumpTo shows message seq of conv: at once if the window holds it,
// otherwise through the model.
func (l *msgList) jumpTo(u *UI, conv proto.ConvID, seq int64, highlight string) {
	if conv == l.conv && l.show(seq, highlight) {
		return
	}
	u.emit(JumpTo{Conv: conv, Seq: seq, Highlight: highlight})
}

// show scrolls the list to message seq, a third down the view, tints it
// and marks highlight in it; false if the window does not hold it.
func (l *msgList) show(seq int64, highlight string) bool {
	for i, r := range l.rows {
		if r.kind == rowTop || r.kind == rowDay || l.msgs[r.msg].Seq != seq {
			continue
		}
		l.list.Position = layout.Position{First: i, Offset: -l.nav.height / 3, BeforeEnd: true}
		l.unseen = 0
		l.nav.flash, l.nav.flashAt = seq, time.Time{}
		l.nav.mark, l.nav.markQuery = seq, highlight
		return true
	}
	return false
}

// flashRow lays out row i, under a tint that fades out if it is the
// message jumped to.
func (l *msgList) flashRow(gtx layout.Context, u *UI, i int, w layout.Widget) layout.Dimensions {
	n := &l.nav
	r := l.rows[i]
	if n.flash == 0 || r.kind == rowTop || r.kind == rowDay || l.msgs[r.msg].Seq != n.flash {
		return w(gtx)
	}
	if n.flashAt.IsZero() {
		n.flashAt = gtx.Now
	}
	left := flashTime - gtx.Now.Sub(n.flashAt)
	if left <= 0 {
		n.flash = 0
		return w(gtx)
	}
	rec := op.Record(gtx.Ops)
	d := w(gtx)
	call := rec.Stop()
	tint := withAlpha(u.th.Primary, uint8(0x50*left/flashTime))
	paint.FillShape(gtx.Ops, tint, clip.Rect{Max: d.Size}.Op())
	call.Add(gtx.Ops)
	n.tinted = n.flash
	gtx.Execute(op.InvalidateCmd{At: gtx.Now.Add(time.Second / 30)})
	return d
}

// quoteArea makes the reply strip of message seq a button that jumps to
// the message it quotes.
func (l *msgList) quoteArea(gtx layout.Context, seq int64, w layout.Widget) layout.Dimensions {
	if seq == 0 {
		return w(gtx)
	}
	if l.nav.quotes == nil {
		l.nav.quotes = map[int64]*widget.Clickable{}
	}
	c := l.nav.quotes[seq]
	if c == nil {
		c = new(widget.Clickable)
		l.nav.quotes[seq] = c
	}
	return c.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		semantic.Button.Add(gtx.Ops)
		return w(gtx)
	})
}

// bodyText is a bubble's text, with the matches of a search marked if the
// list jumped to it from one.
func (l *msgList) bodyText(gtx layout.Context, u *UI, m state.Message, fg color.NRGBA) layout.Dimensions {
	var query string
	if m.Seq != 0 && m.Seq == l.nav.mark {
		query = l.nav.markQuery
	}
	dims, marked := l.rich.layout(gtx, u, m, fg, query)
	l.nav.marked = append(l.nav.marked, marked...)
	return dims
}
