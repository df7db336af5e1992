package ui

import (
	"fmt"
	"image"
	"strings"

	"gioui.org/io/event"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/io/semantic"
	"gioui.org/layout"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	"gioui.org/unit"
	"gioui.org/widget"
	"gioui.org/widget/material"

	"parley/app/state"
)

// The emoji picker: the context menu's "+" opens it for a message, over
// the list. It shows emojiTable by category; typing in its field filters
// by English name and shortcode (":+1:", "heart eyes"). The arrow keys
// move the choice and Enter reacts with it, as does a click; Esc or a
// click outside closes it. Picking an emoji I already reacted with takes
// it back, as its chip does.

// emojiCell is the side of one emoji's square.
const emojiCell unit.Dp = 40

type emojiPicker struct {
	seq    int64 // the message it reacts to; 0: closed
	filter *field
	query  string
	shown  []int // indexes into emojiTable that match, in order
	sel    int   // index into shown
	cols   int   // emoji per row, last frame
	list   widget.List
	cells  map[int]*widget.Clickable // by index into emojiTable
	scrim  int
	focus  bool // focus the field next frame
	scroll bool // bring the chosen emoji into view next frame
	// done is set when the picker closes: the composer takes the focus
	// back (convPane.update).
	done bool
}

func (ep *emojiPicker) init() {
	ep.filter = newField(true)
	ep.list.Axis = layout.Vertical
	ep.cells = map[int]*widget.Clickable{}
}

// openFor opens the picker for message seq, with an empty filter.
func (ep *emojiPicker) openFor(seq int64) {
	if ep.filter == nil {
		ep.init()
	}
	ep.seq, ep.sel, ep.focus = seq, 0, true
	ep.filter.SetText("")
	ep.query = ""
	ep.shown = matchEmoji("")
	ep.list.Position = layout.Position{}
}

// close closes the picker (Esc); it reports whether it was open.
func (ep *emojiPicker) close() bool {
	if ep.seq == 0 {
		return false
	}
	ep.seq, ep.done = 0, true
	return true
}

// matchEmoji are the indexes of the emoji whose name or shortcodes hold
// every word of q (colons around a shortcode are ignored), in table order.
func matchEmoji(q string) []int {
	words := strings.Fields(strings.ToLower(strings.ReplaceAll(q, ":", " ")))
	out := make([]int, 0, len(emojiTable))
	for i, e := range emojiTable {
		ok := true
		for _, w := range words {
			if !strings.Contains(e.name, w) && !hasCodePrefix(e.codes, w) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, i)
		}
	}
	return out
}

func hasCodePrefix(codes, w string) bool {
	for _, c := range strings.Fields(codes) {
		if strings.HasPrefix(c, w) {
			return true
		}
	}
	return false
}

// update handles the picker's keys and clicks: a pick reacts to the
// message and closes the picker.
func (ep *emojiPicker) update(gtx layout.Context, u *UI, st state.State, l *msgList) {
	if ep.seq == 0 || st.Open == nil {
		return
	}
	pick := -1
	for i, c := range ep.cells {
		if c.Clicked(gtx) {
			pick = i
		}
	}
	ed := &ep.filter.Editor
	for {
		ev, ok := gtx.Event(
			key.Filter{Focus: ed, Name: key.NameUpArrow}, key.Filter{Focus: ed, Name: key.NameDownArrow},
			key.Filter{Focus: ed, Name: key.NameLeftArrow}, key.Filter{Focus: ed, Name: key.NameRightArrow},
			key.Filter{Focus: ed, Name: key.NameReturn}, key.Filter{Focus: ed, Name: key.NameEnter},
		)
		if !ok {
			break
		}
		e, ok := ev.(key.Event)
		if !ok || e.State != key.Press || len(ep.shown) == 0 {
			continue
		}
		cols := max(ep.cols, 1)
		switch e.Name {
		case key.NameLeftArrow:
			ep.sel--
		case key.NameRightArrow:
			ep.sel++
		case key.NameUpArrow:
			ep.sel -= cols
		case key.NameDownArrow:
			ep.sel += cols
		default:
			pick = ep.shown[ep.sel]
		}
		ep.sel = min(max(ep.sel, 0), len(ep.shown)-1)
		ep.scroll = true
	}
	for {
		ev, ok := ep.filter.Update(gtx)
		if !ok {
			break
		}
		if _, ok := ev.(widget.ChangeEvent); ok && ep.filter.Text() != ep.query {
			ep.query = ep.filter.Text()
			ep.shown, ep.sel = matchEmoji(ep.query), 0
			ep.list.Position = layout.Position{}
		}
	}
	if l.scrimClickedOf(gtx, &ep.scrim) {
		ep.close()
		return
	}
	if pick >= 0 {
		k := chipKey{ep.seq, emojiTable[pick].emoji}
		u.emit(React{Conv: st.Open.ID, Seq: ep.seq, Emoji: k.emoji, Remove: l.reacted(st, k)})
		ep.close()
	}
}

// pickerRow is one row of the picker: a category's heading, or up to
// cols emoji (shown[from:to]).
type pickerRow struct {
	heading  emojiCategory
	isHead   bool
	from, to int
}

// rows lays the shown emoji out in rows of cols, under their categories'
// headings when nothing is typed.
func (ep *emojiPicker) rows(cols int) []pickerRow {
	var rows []pickerRow
	for i := 0; i < len(ep.shown); {
		cat := emojiTable[ep.shown[i]].cat
		if ep.query == "" && (i == 0 || emojiTable[ep.shown[i-1]].cat != cat) {
			rows = append(rows, pickerRow{heading: cat, isHead: true})
		}
		j := i
		for j < len(ep.shown) && j-i < cols && (ep.query != "" || emojiTable[ep.shown[j]].cat == cat) {
			j++
		}
		rows = append(rows, pickerRow{from: i, to: j})
		i = j
	}
	return rows
}

// layout draws the open picker over the list (size): a scrim and a card
// with the field and the emoji.
func (ep *emojiPicker) layout(gtx layout.Context, u *UI, size image.Point) {
	if ep.seq == 0 {
		return
	}
	th, w := u.th, u.pw()
	area := clip.Rect{Max: size}.Push(gtx.Ops)
	paint.ColorOp{Color: withAlpha(th.Fg, 0x30)}.Add(gtx.Ops)
	paint.PaintOp{}.Add(gtx.Ops)
	event.Op(gtx.Ops, &ep.scrim)
	area.Pop()
	if ep.focus {
		ep.focus = false
		gtx.Execute(key.FocusCmd{Tag: &ep.filter.Editor})
	}
	gtx.Constraints = layout.Exact(size)
	layout.Center.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		width := min(gtx.Dp(400), size.X-2*gtx.Dp(spaceL))
		height := min(gtx.Dp(420), size.Y-2*gtx.Dp(spaceL))
		gtx.Constraints = layout.Exact(image.Pt(width, height))
		return th.surface(gtx, th.Surface, th.Border, radiusL, func(gtx layout.Context) layout.Dimensions {
			return layout.UniformInset(spaceM).Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						return th.input(gtx, ep.filter, w.EmojiHint, w.EmojiSearch)
					}),
					layout.Rigid(gap(spaceS)),
					layout.Flexed(1, func(gtx layout.Context) layout.Dimensions { return ep.grid(gtx, u) }),
				)
			})
		})
	})
}

// grid is the scrolling list of headings and rows of emoji.
func (ep *emojiPicker) grid(gtx layout.Context, u *UI) layout.Dimensions {
	th, w := u.th, u.pw()
	gtx.Constraints.Min = gtx.Constraints.Max
	if len(ep.shown) == 0 {
		return layout.Center.Layout(gtx, th.label(textSmall, th.FgMuted, fmt.Sprintf(w.NoEmojiF, ep.query)).userContent().Layout)
	}
	cell := gtx.Dp(emojiCell)
	ep.cols = max((gtx.Constraints.Max.X-gtx.Dp(8))/cell, 1)
	rows := ep.rows(ep.cols)
	if ep.scroll {
		ep.scroll = false
		for r, row := range rows {
			if !row.isHead && ep.sel >= row.from && ep.sel < row.to {
				if pos := ep.list.Position; r < pos.First || r >= pos.First+pos.Count-1 {
					ep.list.ScrollTo(max(r-1, 0))
				}
			}
		}
	}
	return material.List(th.mat, &ep.list).Layout(gtx, len(rows), func(gtx layout.Context, r int) layout.Dimensions {
		row := rows[r]
		if row.isHead {
			return layout.Inset{Top: spaceS, Bottom: spaceXS}.Layout(gtx,
				th.label(textCaption, th.FgMuted, w.Categories[row.heading]).medium().lines(1).Layout)
		}
		var cells []layout.FlexChild
		for i := row.from; i < row.to; i++ {
			idx := ep.shown[i]
			c := ep.cells[idx]
			if c == nil {
				c = new(widget.Clickable)
				ep.cells[idx] = c
			}
			cells = append(cells, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return ep.cell(gtx, th, c, emojiTable[idx], i == ep.sel, cell)
			}))
		}
		return layout.Flex{}.Layout(gtx, cells...)
	})
}

// cell is one emoji's button: its description is its name.
func (ep *emojiPicker) cell(gtx layout.Context, th *theme, c *widget.Clickable, e emojiEntry, chosen bool, side int) layout.Dimensions {
	return c.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		semantic.Button.Add(gtx.Ops)
		semantic.DescriptionOp(e.name).Add(gtx.Ops)
		pointer.CursorPointer.Add(gtx.Ops)
		gtx.Constraints = layout.Exact(image.Pt(side, side))
		switch {
		case chosen:
			th.fill(gtx, th.Selected, radiusM)
		case c.Hovered():
			th.fill(gtx, th.SurfaceAlt, radiusM)
		}
		return layout.Center.Layout(gtx, th.label(unit.Sp(22), th.Fg, e.emoji).Layout)
	})
}

// scrimClickedOf reports whether the scrim tag was pressed.
func (l *msgList) scrimClickedOf(gtx layout.Context, tag event.Tag) bool {
	pressed := false
	for {
		ev, ok := gtx.Event(pointer.Filter{Target: tag, Kinds: pointer.Press})
		if !ok {
			return pressed
		}
		if _, ok := ev.(pointer.Event); ok {
			pressed = true
		}
	}
}
