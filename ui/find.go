package ui

import (
	"fmt"
	"strings"

	"gioui.org/io/key"
	"gioui.org/layout"
	"gioui.org/widget"
	"golang.org/x/exp/shiny/materialdesign/icons"

	"parley/app/state"
	"parley/net/proto"
)

// findBar is the search within the open conversation: the header's search
// button or Ctrl+F opens it under the header; Enter searches (the model
// merges this device's history with the server's, State.Find) and jumps
// to the newest match, with its words marked; Enter again, or the arrows,
// step to older and newer matches; Esc or × close it.
type findBar struct {
	open, focus   bool
	field         *field
	toggle, close widget.Clickable
	older, newer  widget.Clickable
	conv          proto.ConvID
	query         string       // the query searched
	idx           int          // the match shown, 0 the newest
	jumped        bool         // the first match of query was shown
	up            *widget.Icon // older matches are up the list
}

func (b *findBar) init() {
	b.field = newField(true)
	up, err := widget.NewIcon(icons.NavigationArrowUpward)
	if err != nil {
		panic(err) // the icon data is compiled in
	}
	b.up = up
}

func (b *findBar) reset() {
	b.open, b.focus, b.conv, b.query, b.idx, b.jumped = false, false, 0, "", 0, false
	b.field.SetText("")
}

// show opens the bar and puts the cursor in its field.
func (b *findBar) show() { b.open, b.focus = true, true }

// hide closes the bar and drops its search.
func (b *findBar) hide(u *UI) {
	if b.query != "" {
		u.emit(Find{Conv: b.conv})
	}
	conv := b.conv
	b.reset()
	b.conv = conv
}

// results are the matches of the query shown, nil until they come.
func (b *findBar) results(st state.State) *state.Search {
	f := st.Find
	if f == nil || f.Conv != b.conv || f.Query != b.query || b.query == "" {
		return nil
	}
	return f
}

// findButtonFrom is the least room left in the header (after the back
// button and the avatar) that shows the search button: in less, the
// conversation's name and member count need it (a phone's narrowest
// windows; Ctrl+F still opens the search).
const findButtonFrom = 300

// button is the header's search button.
func (b *findBar) button(gtx layout.Context, u *UI) layout.Dimensions {
	th := u.th
	if gtx.Constraints.Max.X < gtx.Dp(findButtonFrom) && !b.open {
		return layout.Dimensions{}
	}
	ib := th.iconButton(&b.toggle, u.icons.search, u.nw().FindButton)
	if b.open {
		ib.color, ib.bg = th.Primary, th.Selected
	}
	return ib.Layout(gtx)
}

func (b *findBar) update(gtx layout.Context, u *UI, p *convPane, st state.State) {
	o := st.Open
	if b.conv != o.ID {
		if b.query != "" {
			u.emit(Find{Conv: b.conv}) // the search of the conversation left
		}
		b.reset()
		b.conv = o.ID
	}
	if b.toggle.Clicked(gtx) {
		if b.open {
			b.hide(u)
		} else {
			b.show()
		}
	}
	if b.close.Clicked(gtx) {
		b.hide(u)
	}
	if !b.open {
		return
	}
	res := b.results(st)
	step := 0
	if b.field.submitted(gtx) {
		q := strings.TrimSpace(b.field.Text())
		switch {
		case q == "":
			b.hide(u)
			b.open, b.focus = true, true
			return
		case q == b.query && res != nil:
			step = 1 // Enter again: the next older match
		default:
			b.query, b.idx, b.jumped = q, 0, false
			u.emit(Find{Conv: o.ID, Query: q})
			return
		}
		gtx.Execute(key.FocusCmd{Tag: &b.field.Editor})
	}
	if b.older.Clicked(gtx) {
		step = 1
	}
	if b.newer.Clicked(gtx) {
		step = -1
	}
	if res == nil || len(res.Results) == 0 {
		return
	}
	n := len(res.Results)
	if !b.jumped {
		b.jumped, b.idx, step = true, 0, 0
		p.msgs.jumpTo(u, o.ID, res.Results[0].Seq, b.query)
		return
	}
	if step != 0 {
		b.idx = ((b.idx+step)%n + n) % n
		p.msgs.jumpTo(u, o.ID, res.Results[b.idx].Seq, b.query)
	}
}

func (b *findBar) layout(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	if !b.open {
		return layout.Dimensions{}
	}
	if b.focus {
		b.focus = false
		gtx.Execute(key.FocusCmd{Tag: &b.field.Editor})
	}
	th, w := u.th, u.nw()
	res := b.results(st)
	status := ""
	switch {
	case b.query == "":
	case res == nil || res.Running:
		status = w.Searching
	case len(res.Results) == 0:
		status = w.NoMatches
	default:
		status = fmt.Sprintf(w.MatchF, min(b.idx, len(res.Results)-1)+1, len(res.Results))
	}
	if res != nil {
		status += remoteNote(u, res)
	}
	canStep := res != nil && len(res.Results) > 1
	return th.band(gtx, th.Surface, layout.Inset{Left: spaceL, Right: spaceS, Top: spaceXS, Bottom: spaceXS}, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
					layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
						return th.input(gtx, b.field, w.FindHint, w.FindHint)
					}),
					layout.Rigid(gap(spaceXS)),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						ib := th.iconButton(&b.older, b.up, w.Older)
						ib.size, ib.enabled = 32, canStep
						return ib.Layout(gtx)
					}),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						ib := th.iconButton(&b.newer, u.icons.down, w.Newer)
						ib.size, ib.enabled = 32, canStep
						return ib.Layout(gtx)
					}),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						ib := th.iconButton(&b.close, u.icons.close, w.CloseFind)
						ib.size, ib.tip = 32, tipEnd
						return ib.Layout(gtx)
					}),
				)
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if status == "" {
					return layout.Dimensions{}
				}
				return layout.Inset{Top: 2}.Layout(gtx, th.label(textCaption, th.FgMuted, status).lines(2).Layout)
			}),
		)
	})
}

// remoteNote says, after a search's count, whether the server's results
// are still coming or missing (offline).
func remoteNote(u *UI, sr *state.Search) string {
	switch {
	case sr.Running:
		return ""
	case sr.Remote == state.RemotePending:
		return " · " + u.nw().ServerPending
	case sr.Remote == state.RemoteMissing:
		return " · " + u.nw().ServerMissing
	}
	return ""
}
