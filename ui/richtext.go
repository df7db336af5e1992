package ui

import (
	"image"
	"image/color"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gioui.org/f32"
	"gioui.org/font"
	"gioui.org/io/clipboard"
	"gioui.org/io/event"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/io/semantic"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	"gioui.org/text"
	"golang.org/x/image/math/fixed"

	"parley/app/state"
	"parley/net/proto"
	"parley/searchtext"
	"parley/ui/markup"
)

// Message bodies are rich text: package markup splits a message into
// styled spans (bold, italic, code, code blocks, links, mentions), and a
// richText lays them out itself, because Gio's own widgets cannot do all
// of it at once: widget.Selectable selects but draws one font in one
// colour, and x/richtext draws styled, clickable spans but cannot select
// (nor draw colour emoji). A richText shapes each span with the theme's
// shaper, wraps the spans into lines, keeps every glyph cluster's x and
// byte offset, and so can hit-test the pointer to select by dragging,
// copy with Ctrl+C, and click links. The layout is kept per message and
// width, so a frame only draws.

// OpenLink opens a message's link in the system's browser (a new tab in
// the browser app). URL is the link's address, always http or https.
type OpenLink struct{ URL string }

func (OpenLink) isEvent() {}

// fontMono is Go Mono, of the collection (gofont): code and code blocks.
var fontMono = font.Font{Typeface: "Go Mono"}

// richKey identifies a message across revisions: its seq, or while it is
// being sent its client ID.
type richKey struct {
	seq    int64
	client string
}

// richTexts holds the rich text of the open conversation's messages and
// the one selection (in one message at a time).
type richTexts struct {
	texts   map[richKey]*richText
	sel     *richText // the text holding the selection, if any
	me      *proto.User
	members []proto.Member
	frame   uint64
}

func (rs *richTexts) init() { rs.texts = map[richKey]*richText{} }

func (rs *richTexts) reset() {
	clear(rs.texts)
	rs.sel = nil
}

// begin starts a frame of the list of st.
func (rs *richTexts) begin(st state.State) {
	rs.frame++
	rs.me, rs.members = st.Me, nil
	if st.Open != nil {
		rs.members = st.Open.Members
	}
}

// end forgets the texts not drawn for a while, but the selected one.
func (rs *richTexts) end() {
	if len(rs.texts) < 256 {
		return
	}
	for k, rt := range rs.texts {
		if rt.used+60 < rs.frame && rt != rs.sel {
			delete(rs.texts, k)
		}
	}
}

// names are the names of the members m mentions, to highlight.
func (rs *richTexts) names(m state.Message) []markup.Name {
	if len(m.Mentions) == 0 {
		return nil
	}
	var out []markup.Name
	for _, id := range m.Mentions {
		me := rs.me != nil && rs.me.ID == id
		name := ""
		if me {
			name = rs.me.Name
		}
		for _, mb := range rs.members {
			if mb.ID == id {
				name = mb.Name
			}
		}
		if name != "" {
			out = append(out, markup.Name{Name: name, Me: me})
		}
	}
	return out
}

// layout draws message m's text in fg.
// layout draws m's text; the parts of it that query matches (a search's,
// searchtext.Marks over the text shown) are marked, and returned.
func (rs *richTexts) layout(gtx layout.Context, u *UI, m state.Message, fg color.NRGBA, query string) (layout.Dimensions, []string) {
	k := richKey{seq: m.Seq}
	if m.Seq == 0 {
		k.client = m.ClientID
	}
	rt := rs.texts[k]
	if rt == nil {
		rt = &richText{pressLink: -1}
		rs.texts[k] = rt
	}
	rt.used = rs.frame
	if names := rs.names(m); !rt.parsed || rt.src != m.Text || !slices.Equal(rt.names, names) {
		rt.parsed, rt.src, rt.names = true, m.Text, names
		rt.spans = markup.Parse(m.Text, names...)
		rt.plain = markup.Plain(rt.spans)
		// The old layout and selection are of the old text.
		rt.key, rt.lay = layKey{}, richLayout{}
		rt.anchor, rt.caret, rt.pressLink, rt.pressed = 0, 0, -1, false
	}
	var marks [][2]int
	var marked []string
	if query != "" {
		marks = searchtext.Marks(rt.plain, query)
		for _, mk := range marks {
			marked = append(marked, rt.plain[mk[0]:mk[1]])
		}
	}
	return rt.layout(gtx, u, rs, m.Mine, fg, marks), marked
}

// richText is one message's text: its spans, their layout, and the
// selection in it (byte offsets into plain, the text shown).
type richText struct {
	parsed bool
	src    string
	names  []markup.Name
	spans  []markup.Span
	plain  string
	key    layKey
	lay    richLayout
	used   uint64 // the frame it was drawn last

	pressed, dragging bool
	press             f32.Point
	pressAt           time.Duration // when, for double clicks
	clicks            int           // presses in a row at one place: 2 selects a word, 3 a paragraph
	pressLink         int           // the span index of the link pressed, or -1
	anchor, caret     int           // the selection: from anchor to caret
}

// doubleClick is the longest pause between the presses of a double click.
const doubleClick = 400 * time.Millisecond

// layKey is what a layout depends on besides the text.
type layKey struct {
	width, ppem int
}

type richLayout struct {
	lines  []richLine
	size   image.Point
	blocks []image.Rectangle // the backgrounds of code blocks
}

type richLine struct {
	top, baseline, bottom int
	start, end            int // byte offsets into plain
	width                 int
	asc, desc             fixed.Int26_6
	block                 bool
	segs                  []richSeg
	carets                []caret // cluster boundaries, in order
}

// richSeg is the part of a span on one line.
type richSeg struct {
	span   int
	x, w   int // px from the line's left
	gx     int // the first glyph's x in the segment (right to left text)
	glyphs []text.Glyph
}

// caret is a place between clusters: its x on its line and its offset.
type caret struct{ x, off int }

// selection returns the selected range, ordered.
func (rt *richText) selection() (int, int) {
	return min(rt.anchor, rt.caret), max(rt.anchor, rt.caret)
}

func (rt *richText) layout(gtx layout.Context, u *UI, rs *richTexts, mine bool, fg color.NRGBA, marks [][2]int) layout.Dimensions {
	th := u.th
	rt.update(gtx, u, rs)
	k := layKey{width: gtx.Constraints.Max.X, ppem: gtx.Sp(textBody)}
	if rt.key != k {
		rt.key = k
		rt.lay = rt.build(gtx, th.mat.Shaper, k)
	}
	lay := &rt.lay
	size := gtx.Constraints.Constrain(lay.size)
	defer clip.Rect{Max: size}.Push(gtx.Ops).Pop()
	semantic.LabelOp(rt.plain).Add(gtx.Ops)
	pointer.CursorText.Add(gtx.Ops)
	event.Op(gtx.Ops, rt)

	linkFg, mentionFg := th.Primary, th.Primary
	if mine {
		linkFg, mentionFg = fg, fg
	}
	for _, b := range lay.blocks {
		th.corners.fillRRect(gtx.Ops, b, gtx.Dp(4), withAlpha(fg, 0x18))
	}
	// Backgrounds: inline code, mentions, then the selection over them.
	for _, ln := range lay.lines {
		for _, sg := range ln.segs {
			st := rt.spans[sg.span].Style
			var bg color.NRGBA
			switch {
			case st&markup.MentionMe != 0:
				bg = withAlpha(th.Warning, 0x60)
			case st&markup.Mention != 0:
				bg = withAlpha(mentionFg, 0x24)
			case st&markup.Code != 0:
				bg = withAlpha(fg, 0x18)
			default:
				continue
			}
			r := image.Rect(sg.x, ln.top, sg.x+sg.w, ln.bottom)
			th.corners.fillRRect(gtx.Ops, r, gtx.Dp(3), bg)
		}
	}
	// A search's marks, then the selection over them.
	markBg := withAlpha(th.Warning, 0x80)
	if mine {
		markBg.A = 0xc0 // on my bubbles' strong colour
	}
	for _, mk := range marks {
		rt.fillRange(gtx, mk[0], mk[1], markBg)
	}
	if a, b := rt.selection(); a < b && rs.sel == rt {
		selBg := withAlpha(th.Primary, 0x50)
		if mine {
			selBg = withAlpha(fg, 0x50)
		}
		rt.fillRange(gtx, a, b, selBg)
	}
	// The glyphs.
	sh := th.mat.Shaper
	for _, ln := range lay.lines {
		for _, sg := range ln.segs {
			st := rt.spans[sg.span].Style
			c := fg
			switch {
			case st&markup.MentionMe != 0:
			case st&markup.Mention != 0:
				c = mentionFg
			case st&markup.Link != 0:
				c = linkFg
			}
			off := op.Offset(image.Pt(sg.x+sg.gx, ln.baseline)).Push(gtx.Ops)
			path := clip.Outline{Path: sh.Shape(sg.glyphs)}.Op().Push(gtx.Ops)
			paint.ColorOp{Color: c}.Add(gtx.Ops)
			paint.PaintOp{}.Add(gtx.Ops)
			path.Pop()
			if call := sh.Bitmaps(sg.glyphs); call != (op.CallOp{}) {
				call.Add(gtx.Ops)
			}
			off.Pop()
			if st&markup.Link != 0 {
				y := ln.baseline + max(1, gtx.Dp(2))
				fillRect(gtx.Ops, c, sg.x, y, sg.x+sg.w, y+max(1, gtx.Dp(1)))
			}
		}
	}
	// Links take a hand for a pointer.
	for _, ln := range lay.lines {
		for _, sg := range ln.segs {
			if rt.spans[sg.span].Style&markup.Link == 0 {
				continue
			}
			area := clip.Rect(image.Rect(sg.x, ln.top, sg.x+sg.w, ln.bottom)).Push(gtx.Ops)
			pointer.CursorPointer.Add(gtx.Ops)
			area.Pop()
		}
	}
	return layout.Dimensions{Size: size, Baseline: size.Y - firstBaseline(lay)}
}

// fillRange paints bg behind the text shown from byte a to b, line by
// line (a line break inside the range is painted too).
func (rt *richText) fillRange(gtx layout.Context, a, b int, bg color.NRGBA) {
	for _, ln := range rt.lay.lines {
		if b <= ln.start || a > ln.end || a == ln.end && ln.end < b && !ln.endsInNewline(rt.plain) {
			continue
		}
		x0 := ln.caretX(max(a, ln.start))
		x1 := ln.caretX(min(b, ln.end))
		if b > ln.end {
			x1 = max(x1, ln.width) + gtx.Dp(3)
		}
		fillRect(gtx.Ops, bg, min(x0, x1), ln.top, max(x0, x1), ln.bottom)
	}
}

func firstBaseline(lay *richLayout) int {
	if len(lay.lines) == 0 {
		return 0
	}
	return lay.lines[0].baseline
}

// update handles the pointer (select by dragging a mouse, click a link)
// and the keys (Ctrl+C copies the selection).
func (rt *richText) update(gtx layout.Context, u *UI, rs *richTexts) {
	for {
		// Only the text with the selection takes the focus (for Ctrl+C):
		// the others are no stops for Tab.
		pf := pointer.Filter{Target: rt, Kinds: pointer.Press | pointer.Drag | pointer.Release | pointer.Cancel}
		var ev event.Event
		var ok bool
		if rs.sel == rt {
			ev, ok = gtx.Event(pf, key.FocusFilter{Target: rt}, key.Filter{Focus: rt, Name: "C", Required: key.ModShortcut})
		} else {
			ev, ok = gtx.Event(pf)
		}
		if !ok {
			return
		}
		switch e := ev.(type) {
		case pointer.Event:
			p := image.Pt(int(e.Position.X+.5), int(e.Position.Y+.5))
			switch e.Kind {
			case pointer.Press:
				if !e.Buttons.Contain(pointer.ButtonPrimary) {
					continue // the context menu's
				}
				d := e.Position.Sub(rt.press)
				if rt.clicks > 0 && e.Time-rt.pressAt <= doubleClick && d.X*d.X+d.Y*d.Y <= float32(gtx.Dp(4)*gtx.Dp(4)) {
					rt.clicks++
				} else {
					rt.clicks = 1
				}
				rt.pressed, rt.dragging, rt.press, rt.pressAt = true, false, e.Position, e.Time
				rt.pressLink = rt.lay.linkAt(rt.spans, p)
				if e.Source == pointer.Mouse {
					o := rt.lay.hit(p, len(rt.plain))
					switch {
					case rt.clicks == 2 && rs.sel == rt:
						rt.anchor, rt.caret = wordAround(rt.plain, o)
						gtx.Execute(key.FocusCmd{Tag: rt})
					case rt.clicks >= 3 && rs.sel == rt:
						rt.anchor, rt.caret = paragraphAround(rt.plain, o)
						gtx.Execute(key.FocusCmd{Tag: rt})
					case e.Modifiers.Contain(key.ModShift) && rs.sel == rt:
						rt.caret = o
					default:
						rt.anchor, rt.caret = o, o
					}
					if rs.sel != nil && rs.sel != rt {
						rs.sel.anchor, rs.sel.caret = 0, 0
					}
					rs.sel = rt
				}
			case pointer.Drag:
				if !rt.pressed || e.Source != pointer.Mouse {
					continue
				}
				if d := e.Position.Sub(rt.press); !rt.dragging && d.X*d.X+d.Y*d.Y < float32(gtx.Dp(4)*gtx.Dp(4)) {
					continue
				}
				if !rt.dragging {
					rt.dragging, rt.clicks = true, 0
					gtx.Execute(key.FocusCmd{Tag: rt})
				}
				rt.caret = rt.lay.hit(p, len(rt.plain))
			case pointer.Release:
				if rt.pressed && !rt.dragging && rt.clicks == 1 && rt.pressLink >= 0 && rt.lay.linkAt(rt.spans, p) == rt.pressLink {
					u.emit(OpenLink{URL: rt.spans[rt.pressLink].URL})
				}
				rt.pressed, rt.dragging = false, false
			case pointer.Cancel:
				rt.pressed, rt.dragging = false, false
			}
		case key.FocusEvent:
			if !e.Focus && rs.sel == rt && !rt.pressed {
				rt.anchor, rt.caret, rs.sel = 0, 0, nil // focus went elsewhere
			}
		case key.Event:
			if a, b := rt.selection(); e.State == key.Press && e.Name == "C" && a < b && rs.sel == rt {
				gtx.Execute(clipboard.WriteCmd{Type: "application/text", Data: io.NopCloser(strings.NewReader(rt.plain[a:b]))})
			}
		}
	}
}

// wordAround is the word (letters, digits, marks and _) at offset o of
// s, or the one character there if it is none of those.
func wordAround(s string, o int) (int, int) {
	isWord := func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '_'
	}
	a, b := o, o
	for a > 0 {
		r, n := utf8.DecodeLastRuneInString(s[:a])
		if !isWord(r) {
			break
		}
		a -= n
	}
	for b < len(s) {
		r, n := utf8.DecodeRuneInString(s[b:])
		if !isWord(r) {
			break
		}
		b += n
	}
	if a == b && b < len(s) {
		_, n := utf8.DecodeRuneInString(s[b:])
		b += n
	}
	return a, b
}

// paragraphAround is the line of s (between line breaks) at offset o.
func paragraphAround(s string, o int) (int, int) {
	a := strings.LastIndexByte(s[:o], '\n') + 1
	b := strings.IndexByte(s[o:], '\n')
	if b < 0 {
		return a, len(s)
	}
	return a, o + b
}

// endsInNewline reports whether the line ends at a line break of s.
func (ln *richLine) endsInNewline(s string) bool { return ln.end < len(s) && s[ln.end] == '\n' }

// caretX is the x of the caret at off, or the nearest before it.
func (ln *richLine) caretX(off int) int {
	x := 0
	for _, c := range ln.carets {
		if c.off > off {
			break
		}
		x = c.x
	}
	return x
}

// hit is the offset of the caret nearest to p; n is the text's length.
func (lay *richLayout) hit(p image.Point, n int) int {
	if len(lay.lines) == 0 || p.Y < 0 {
		return 0
	}
	if p.Y >= lay.size.Y {
		return n
	}
	ln := &lay.lines[len(lay.lines)-1]
	for i := range lay.lines {
		if p.Y < lay.lines[i].bottom {
			ln = &lay.lines[i]
			break
		}
	}
	best, dist := ln.start, -1
	for _, c := range ln.carets {
		d := c.x - p.X
		if d < 0 {
			d = -d
		}
		if dist < 0 || d < dist {
			best, dist = c.off, d
		}
	}
	return best
}

// linkAt is the span index of the link at p, or -1.
func (lay *richLayout) linkAt(spans []markup.Span, p image.Point) int {
	for _, ln := range lay.lines {
		if p.Y < ln.top || p.Y >= ln.bottom {
			continue
		}
		for _, sg := range ln.segs {
			if spans[sg.span].Style&markup.Link != 0 && p.X >= sg.x && p.X < sg.x+sg.w {
				return sg.span
			}
		}
	}
	return -1
}

// richBuilder wraps spans into lines.
type richBuilder struct {
	sh    *text.Shaper
	gtx   layout.Context
	ppem  fixed.Int26_6
	maxW  int
	left  int // indent of the lines being built (code blocks)
	lines []richLine
	x     int // the pen on the open line, from its left
	open  bool
	block bool
}

// build lays the spans out in lines at most k.width wide.
func (rt *richText) build(gtx layout.Context, sh *text.Shaper, k layKey) richLayout {
	b := richBuilder{sh: sh, gtx: gtx, ppem: fixed.I(k.ppem), maxW: max(k.width, 1)}
	pad := gtx.Dp(spaceS)
	off := 0
	afterBlock := false
	for i, sp := range rt.spans {
		st := sp.Style
		if st&markup.Block != 0 {
			b.endLine(off, false)
			b.block, b.left = true, pad
			for j, part := range strings.Split(sp.Text, "\n") {
				if j > 0 {
					b.endLine(off, true)
					off++
				}
				b.add(i, part, off, fontFor(st), b.maxW-2*pad)
				off += len(part)
			}
			b.endLine(off, true)
			b.block, b.left = false, 0
			afterBlock = true
			continue
		}
		s := sp.Text
		if afterBlock && strings.HasPrefix(s, "\n") {
			s, off = s[1:], off+1 // the block ended the line already
		}
		afterBlock = false
		for j, part := range strings.Split(s, "\n") {
			if j > 0 {
				b.endLine(off, true)
				off++
			}
			b.add(i, part, off, fontFor(st), b.maxW)
			off += len(part)
		}
	}
	b.endLine(off, false)
	return b.finish(gtx, pad)
}

func fontFor(st markup.Style) font.Font {
	f := fontRegular
	if st&(markup.Code|markup.Block) != 0 {
		f = fontMono
	}
	if st&(markup.Bold|markup.MentionMe) != 0 {
		f.Weight = font.Bold
	}
	if st&markup.Italic != 0 {
		f.Style = font.Italic
	}
	return f
}

// line returns the open line, opening one at offset off.
func (b *richBuilder) line(off int) *richLine {
	if !b.open {
		b.lines = append(b.lines, richLine{start: off, end: off, block: b.block, carets: []caret{{x: b.left, off: off}}})
		b.open, b.x = true, 0
	}
	return &b.lines[len(b.lines)-1]
}

// endLine closes the open line at offset off; with force an empty line
// is made first if none is open (a blank line of the text).
func (b *richBuilder) endLine(off int, force bool) {
	if !b.open && !force {
		return
	}
	ln := b.line(off)
	ln.end = off
	b.open = false
}

// add lays s out from offset off in font f, in lines of maxW.
func (b *richBuilder) add(span int, s string, off int, f font.Font, maxW int) {
	b.line(off)
	for s != "" {
		avail := maxW - b.x
		fresh := b.x == 0
		if !fresh && avail <= 0 {
			b.endLine(off, false)
			b.line(off)
			continue
		}
		policy := text.WrapHeuristically
		if !fresh {
			policy = text.WrapWords
		}
		b.sh.LayoutString(text.Parameters{Font: f, PxPerEm: b.ppem, MaxWidth: max(avail, 1), WrapPolicy: policy, Locale: b.gtx.Locale}, s)
		rows, left := b.rows(s), len(s)
		for r, row := range rows {
			n := row.bytes(s)
			if !fresh && r == 0 && row.fit > avail {
				// The first word does not fit after what the line has.
				b.endLine(off, false)
				b.line(off)
				break
			}
			if n == len(s) {
				// The line goes on with the next span: a space at the
				// end of this one must keep its width, which the shaper
				// takes from spaces that end a wrapped line.
				b.keepTrailingSpace(&row, s, f)
			}
			b.place(span, row, s[:n], off)
			s, off = s[n:], off+n
			if s == "" {
				break
			}
			b.endLine(off, false)
			b.line(off)
			if !fresh {
				break // shape the rest again for whole lines
			}
		}
		if fresh && len(s) == left {
			return // the shaper took nothing: never loop
		}
	}
}

// keepTrailingSpace gives the spaces ending row (of s, in font f) their
// advance back.
func (b *richBuilder) keepTrailingSpace(row *shapedRow, s string, f font.Font) {
	r, _ := utf8.DecodeLastRuneInString(s)
	if len(row.glyphs) == 0 || !unicode.IsSpace(r) {
		return
	}
	last := &row.glyphs[len(row.glyphs)-1]
	if last.Advance != 0 || last.Runes != 1 {
		return
	}
	b.sh.LayoutString(text.Parameters{Font: f, PxPerEm: b.ppem, MaxWidth: 1 << 20, Locale: b.gtx.Locale}, string(r))
	for g, ok := b.sh.NextGlyph(); ok; g, ok = b.sh.NextGlyph() {
		last.Advance += g.Advance
	}
}

// shapedRow is one line of a shaping.
type shapedRow struct {
	glyphs []text.Glyph
	runes  int
	fit    int // the width without trailing spaces
}

func (r shapedRow) bytes(s string) int {
	n := 0
	for range r.runes {
		if n >= len(s) {
			break
		}
		_, sz := utf8.DecodeRuneInString(s[n:])
		n += sz
	}
	return n
}

// rows reads the shaper's glyphs of the last LayoutString, of s, as
// rows.
func (b *richBuilder) rows(s string) []shapedRow {
	var rows []shapedRow
	var cur shapedRow
	pos := 0 // the byte offset in s of the next cluster
	var x0, fit fixed.Int26_6
	for g, ok := b.sh.NextGlyph(); ok; g, ok = b.sh.NextGlyph() {
		if len(cur.glyphs) == 0 || g.X < x0 {
			x0 = g.X
		}
		cur.glyphs = append(cur.glyphs, g)
		if g.Flags&text.FlagClusterBreak != 0 {
			cur.runes += int(g.Runes)
			space := true
			for range int(g.Runes) {
				if pos >= len(s) {
					break
				}
				r, sz := utf8.DecodeRuneInString(s[pos:])
				space = space && unicode.IsSpace(r)
				pos += sz
			}
			if !space {
				fit = max(fit, g.X+g.Advance)
			}
		}
		if g.Flags&text.FlagLineBreak != 0 {
			cur.fit = (fit - x0).Ceil()
			rows = append(rows, cur)
			cur, fit = shapedRow{}, 0
		}
	}
	if len(cur.glyphs) > 0 {
		cur.fit = (fit - x0).Ceil()
		rows = append(rows, cur)
	}
	return rows
}

// place puts the glyphs of row (the text s at offset off) on the open
// line at the pen.
func (b *richBuilder) place(span int, row shapedRow, s string, off int) {
	ln := &b.lines[len(b.lines)-1]
	if len(row.glyphs) == 0 {
		return
	}
	x0 := row.glyphs[0].X
	for _, g := range row.glyphs {
		x0 = min(x0, g.X)
	}
	left := b.left + b.x
	// A caret after each cluster.
	pos, start := 0, 0
	var end fixed.Int26_6
	clusterStart := row.glyphs[0].X
	for i, g := range row.glyphs {
		if i == start {
			clusterStart = g.X
		}
		ln.asc, ln.desc = max(ln.asc, g.Ascent), max(ln.desc, g.Descent)
		end = max(end, g.X+g.Advance)
		if g.Flags&text.FlagClusterBreak == 0 {
			continue
		}
		for range int(g.Runes) {
			if pos >= len(s) {
				break
			}
			_, sz := utf8.DecodeRuneInString(s[pos:])
			pos += sz
		}
		x := left + (g.X + g.Advance - x0).Round()
		if g.Flags&text.FlagTowardOrigin != 0 {
			x = left + (clusterStart - x0).Round()
		}
		ln.carets = append(ln.carets, caret{x: x, off: off + pos})
		start = i + 1
	}
	w := (end - x0).Ceil()
	ln.segs = append(ln.segs, richSeg{span: span, x: left, w: w, gx: (row.glyphs[0].X - x0).Round(), glyphs: row.glyphs})
	b.x += w
	ln.width = max(ln.width, left+w)
	ln.end = off + len(s)
}

// finish places the lines vertically and measures the text.
func (b *richBuilder) finish(gtx layout.Context, pad int) richLayout {
	var lay richLayout
	// Empty lines take the height of the body font.
	refAsc, refDesc := b.refMetrics()
	pitch := fixed.Int26_6(float32(b.ppem) * 1.2)
	blockPad := gtx.Dp(spaceXS)
	var y fixed.Int26_6 // baseline of the previous line
	var prevDesc fixed.Int26_6
	blockTop := 0
	for i := range b.lines {
		ln := &b.lines[i]
		if ln.asc == 0 && ln.desc == 0 {
			ln.asc, ln.desc = refAsc, refDesc
		}
		startsBlock := ln.block && (i == 0 || !b.lines[i-1].block)
		if i == 0 {
			y = ln.asc
		} else {
			y += max(pitch, prevDesc+ln.asc)
		}
		if startsBlock {
			y += fixed.I(blockPad)
		}
		ln.baseline = y.Round()
		ln.top, ln.bottom = (y - ln.asc).Floor(), (y + ln.desc).Ceil()
		if startsBlock {
			blockTop = ln.top - blockPad
		}
		if ln.block && (i == len(b.lines)-1 || !b.lines[i+1].block) {
			lay.blocks = append(lay.blocks, image.Rect(0, blockTop, 0, ln.bottom+blockPad))
			y += fixed.I(blockPad)
		}
		prevDesc = ln.desc
		lay.size.X = max(lay.size.X, ln.width+ifBlock(ln.block, pad))
		lay.size.Y = max(lay.size.Y, ln.bottom+ifBlock(ln.block, blockPad))
	}
	for i := range lay.blocks {
		lay.blocks[i].Max.X = lay.size.X
	}
	lay.lines = b.lines
	return lay
}

func ifBlock(block bool, pad int) int {
	if block {
		return pad
	}
	return 0
}

// refMetrics are the ascent and descent of the body font.
func (b *richBuilder) refMetrics() (asc, desc fixed.Int26_6) {
	b.sh.LayoutString(text.Parameters{Font: fontRegular, PxPerEm: b.ppem, MaxWidth: 1 << 20, Locale: b.gtx.Locale}, "A")
	for g, ok := b.sh.NextGlyph(); ok; g, ok = b.sh.NextGlyph() {
		asc, desc = max(asc, g.Ascent), max(desc, g.Descent)
	}
	return asc, desc
}
