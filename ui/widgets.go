package ui

import (
	"fmt"

	"image"
	"image/color"
	"math"
	"time"
	"unicode"
	"unicode/utf8"

	"gioui.org/font"
	"gioui.org/gesture"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/io/semantic"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	"gioui.org/text"
	"gioui.org/unit"
	"gioui.org/widget"
	"gioui.org/widget/material"
	"golang.org/x/image/math/fixed"
)

// label is a run of text in one of the type scale's sizes.
type label struct {
	th       *theme
	text     string
	size     unit.Sp
	font     font.Font
	color    color.NRGBA
	maxLines int
	align    text.Alignment
	content  bool // the user's words (names, messages): may be cut short
}

func (th *theme) label(size unit.Sp, c color.NRGBA, s string) label {
	return label{th: th, text: s, size: size, color: c}
}

func (l label) bold() label                    { l.font = fontBold; return l }
func (l label) medium() label                  { l.font = fontMedium; return l }
func (l label) lines(n int) label              { l.maxLines = n; return l }
func (l label) aligned(a text.Alignment) label { l.align = a; return l }

// userContent marks text the user wrote or chose (names, messages, file
// names): it may be cut short with "…", while the UI's own words must
// always fit.
func (l label) userContent() label { l.content = true; return l }

// Layout draws the label. Each label is its own semantic node, so that
// assistive technology and the input tests can read the screen.
func (l label) Layout(gtx layout.Context) layout.Dimensions {
	macro := op.Record(gtx.Ops)
	dims := widget.Label{MaxLines: l.maxLines, Alignment: l.align, Truncator: "…"}.
		Layout(gtx, l.th.mat.Shaper, l.font, l.size, l.text, colorMaterial(gtx.Ops, l.color))
	call := macro.Stop()
	if l.th.clipped != nil && !l.content && l.maxLines > 0 && l.th.truncated(gtx, l.font, l.size, l.text, l.maxLines, gtx.Constraints.Max.X) {
		l.th.clipped(l.text)
	}
	// widget.Label describes itself in an area as large as the
	// constraints; this one has the text's own bounds.
	defer clip.Rect{Max: dims.Size}.Push(gtx.Ops).Pop()
	semantic.LabelOp(l.text).Add(gtx.Ops)
	call.Add(gtx.Ops)
	return dims
}

// truncated reports whether s, at size in f, needs more than maxLines
// lines of width px.
func (th *theme) truncated(gtx layout.Context, f font.Font, size unit.Sp, s string, maxLines, width int) bool {
	sh := th.mat.Shaper
	sh.LayoutString(text.Parameters{Font: f, PxPerEm: fixed.I(gtx.Sp(size)), MaxLines: maxLines, Truncator: "…", MaxWidth: width, Locale: gtx.Locale}, s)
	cut := false
	for g, ok := sh.NextGlyph(); ok; g, ok = sh.NextGlyph() {
		if g.Flags&text.FlagTruncator != 0 {
			cut = true
		}
	}
	return cut
}

// textWidth is the width of s on one line, at size in f.
func (th *theme) textWidth(gtx layout.Context, f font.Font, size unit.Sp, s string) int {
	sh := th.mat.Shaper
	sh.LayoutString(text.Parameters{Font: f, PxPerEm: fixed.I(gtx.Sp(size)), MaxLines: 1, MaxWidth: 1 << 24, Locale: gtx.Locale}, s)
	var w fixed.Int26_6
	for g, ok := sh.NextGlyph(); ok; g, ok = sh.NextGlyph() {
		w = max(w, g.X+g.Advance)
	}
	return w.Ceil()
}

func colorMaterial(ops *op.Ops, c color.NRGBA) op.CallOp {
	m := op.Record(ops)
	paint.ColorOp{Color: c}.Add(ops)
	return m.Stop()
}

// fill paints the constraints' minimum size with a rounded rectangle.
func (th *theme) fill(gtx layout.Context, c color.NRGBA, radius unit.Dp) layout.Dimensions {
	th.corners.fillRRect(gtx.Ops, image.Rectangle{Max: gtx.Constraints.Min}, gtx.Dp(radius), c)
	return layout.Dimensions{Size: gtx.Constraints.Min}
}

// outline strokes the constraints' minimum size.
func (th *theme) outline(gtx layout.Context, c color.NRGBA, radius, width unit.Dp) layout.Dimensions {
	th.corners.strokeRRect(gtx.Ops, image.Rectangle{Max: gtx.Constraints.Min}, gtx.Dp(radius), gtx.Dp(width), c)
	return layout.Dimensions{Size: gtx.Constraints.Min}
}

// Rounded rectangles are drawn as rectangles plus four small corner
// images. A path costs the renderer its whole bounding box in coverage
// work every frame, and a draw call each, which software renderers
// (llvmpipe, on machines without a GPU) feel; rectangles and small
// cached images are nearly free.

// cornerKey names one corner image: a quarter disc (width 0) or a quarter
// ring of the given width.
type cornerKey struct {
	rad, width int
	c          color.NRGBA
	corner     int // 0 top left, 1 top right, 2 bottom left, 3 bottom right
}

// cornerCache holds the corner images of the palette's colours.
type cornerCache map[cornerKey]paint.ImageOp

// maxCorners bounds the cache; a theme uses a few dozen.
const maxCorners = 512

func (cc cornerCache) image(k cornerKey) paint.ImageOp {
	if im, ok := cc[k]; ok {
		return im
	}
	if len(cc) >= maxCorners {
		clear(cc)
	}
	const ss = 4 // supersampling per axis
	img := image.NewRGBA(image.Rect(0, 0, k.rad, k.rad))
	r := float32(k.rad)
	inner := r - float32(k.width)
	for y := range k.rad {
		for x := range k.rad {
			hits := 0
			for sy := range ss {
				for sx := range ss {
					// Distance from the circle's centre, which is the
					// square's inner corner.
					px := float32(x) + (float32(sx)+0.5)/ss
					py := float32(y) + (float32(sy)+0.5)/ss
					if k.corner&1 == 0 {
						px = r - px
					}
					if k.corner&2 == 0 {
						py = r - py
					}
					d2 := px*px + py*py
					if d2 <= r*r && (k.width == 0 || d2 >= inner*inner) {
						hits++
					}
				}
			}
			if hits == 0 {
				continue
			}
			img.SetRGBA(x, y, premultiplied(k.c, float64(hits)/(ss*ss)))
		}
	}
	im := paint.NewImageOp(img)
	cc[k] = im
	return im
}

// premultiplied is c at coverage a, premultiplied the way the renderer
// reads an sRGB texture: it decodes each channel to linear light before
// blending, so the premultiplication must happen in linear light too
// (premultiplying the sRGB values darkens the antialiased edge).
func premultiplied(c color.NRGBA, cover float64) color.RGBA {
	a := cover * float64(c.A) / 255
	ch := func(v uint8) uint8 {
		f := float64(v) / 255
		if f <= 0.04045 {
			f /= 12.92
		} else {
			f = math.Pow((f+0.055)/1.055, 2.4)
		}
		f *= a
		if f <= 0.0031308 {
			f *= 12.92
		} else {
			f = 1.055*math.Pow(f, 1/2.4) - 0.055
		}
		return uint8(math.Round(f * 255))
	}
	return color.RGBA{R: ch(c.R), G: ch(c.G), B: ch(c.B), A: uint8(math.Round(a * 255))}
}

func (cc cornerCache) drawCorners(ops *op.Ops, r image.Rectangle, rad, width int, c color.NRGBA) {
	at := [4]image.Point{r.Min, image.Pt(r.Max.X-rad, r.Min.Y), image.Pt(r.Min.X, r.Max.Y-rad), r.Max.Sub(image.Pt(rad, rad))}
	for i, p := range at {
		st := op.Offset(p).Push(ops)
		cc.image(cornerKey{rad: rad, width: width, c: c, corner: i}).Add(ops)
		paint.PaintOp{}.Add(ops)
		st.Pop()
	}
}

func fillRect(ops *op.Ops, c color.NRGBA, x0, y0, x1, y1 int) {
	if x1 > x0 && y1 > y0 {
		paint.FillShape(ops, c, clip.Rect{Min: image.Pt(x0, y0), Max: image.Pt(x1, y1)}.Op())
	}
}

func (cc cornerCache) fillRRect(ops *op.Ops, r image.Rectangle, rad int, c color.NRGBA) {
	rad = min(rad, r.Dx()/2, r.Dy()/2)
	if rad <= 0 {
		fillRect(ops, c, r.Min.X, r.Min.Y, r.Max.X, r.Max.Y)
		return
	}
	fillRect(ops, c, r.Min.X+rad, r.Min.Y, r.Max.X-rad, r.Max.Y)
	fillRect(ops, c, r.Min.X, r.Min.Y+rad, r.Min.X+rad, r.Max.Y-rad)
	fillRect(ops, c, r.Max.X-rad, r.Min.Y+rad, r.Max.X, r.Max.Y-rad)
	cc.drawCorners(ops, r, rad, 0, c)
}

func (cc cornerCache) strokeRRect(ops *op.Ops, r image.Rectangle, rad, w int, c color.NRGBA) {
	rad = max(min(rad, r.Dx()/2, r.Dy()/2), w)
	fillRect(ops, c, r.Min.X+rad, r.Min.Y, r.Max.X-rad, r.Min.Y+w)
	fillRect(ops, c, r.Min.X+rad, r.Max.Y-w, r.Max.X-rad, r.Max.Y)
	fillRect(ops, c, r.Min.X, r.Min.Y+rad, r.Min.X+w, r.Max.Y-rad)
	fillRect(ops, c, r.Max.X-w, r.Min.Y+rad, r.Max.X, r.Max.Y-rad)
	cc.drawCorners(ops, r, rad, w, c)
}

// surface draws w on a rounded background, optionally outlined.
func (th *theme) surface(gtx layout.Context, bg, border color.NRGBA, radius unit.Dp, w layout.Widget) layout.Dimensions {
	return layout.Background{}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		th.fill(gtx, bg, radius)
		if border.A != 0 {
			th.outline(gtx, border, radius, 1)
		}
		return layout.Dimensions{Size: gtx.Constraints.Min}
	}, w)
}

// rule is a horizontal or vertical hairline.
func rule(gtx layout.Context, c color.NRGBA, vertical bool) layout.Dimensions {
	size := image.Pt(gtx.Constraints.Min.X, gtx.Dp(1))
	if vertical {
		size = image.Pt(gtx.Dp(1), gtx.Constraints.Min.Y)
	}
	paint.FillShape(gtx.Ops, c, clip.Rect{Max: size}.Op())
	return layout.Dimensions{Size: size}
}

func dot(gtx layout.Context, c color.NRGBA, d unit.Dp) layout.Dimensions {
	s := gtx.Dp(d)
	paint.FillShape(gtx.Ops, c, clip.Ellipse{Max: image.Pt(s, s)}.Op(gtx.Ops))
	return layout.Dimensions{Size: image.Pt(s, s)}
}

// gap is empty space along either axis.
func gap(d unit.Dp) layout.Widget {
	return func(gtx layout.Context) layout.Dimensions {
		s := gtx.Dp(d)
		return layout.Dimensions{Size: image.Pt(s, s)}
	}
}

var avatarHues = []uint32{0x2563eb, 0x7c3aed, 0xdb2777, 0xea580c, 0x059669, 0x0891b2, 0x4f46e5, 0xb45309}

// avatar is a coloured disc with the first letter of a name; the colour
// follows the ID so that it stays the same everywhere.
func (th *theme) avatar(gtx layout.Context, name string, id int64, d unit.Dp) layout.Dimensions {
	s := gtx.Dp(d)
	if th.pictureAvatar(gtx, id, s) { // a profile picture (settings_avatar.go)
		return layout.Dimensions{Size: image.Pt(s, s)}
	}
	// Knuth's multiplicative hash spreads neighbouring and patterned IDs.
	c := rgb(avatarHues[(uint32(id)*2654435761)>>29%uint32(len(avatarHues))])
	paint.FillShape(gtx.Ops, c, clip.Ellipse{Max: image.Pt(s, s)}.Op(gtx.Ops))
	r, _ := utf8.DecodeRuneInString(name)
	if r == utf8.RuneError {
		r = '#'
	}
	gtx.Constraints = layout.Exact(image.Pt(s, s))
	size := unit.Sp(float32(d) * 0.42)
	layout.Center.Layout(gtx, th.label(size, rgb(0xffffff), string(unicode.ToUpper(r))).medium().Layout)
	return layout.Dimensions{Size: image.Pt(s, s)}
}

// badge is an unread counter.
func (th *theme) badge(gtx layout.Context, n int64) layout.Dimensions {
	s := fmt.Sprint(n)
	if n > 99 {
		s = "99+"
	}
	h := gtx.Dp(20)
	gtx.Constraints.Min = image.Pt(h, h)
	return th.surface(gtx, th.Primary, color.NRGBA{}, 10, func(gtx layout.Context) layout.Dimensions {
		return layout.Inset{Left: 6, Right: 6, Top: 2, Bottom: 2}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			gtx.Constraints.Min = image.Point{}
			return th.label(textCaption, th.OnPrimary, s).medium().Layout(gtx)
		})
	})
}

type buttonKind int

const (
	primaryButton buttonKind = iota
	secondaryButton
	ghostButton
	acceptButton // filled green: accept a call
	rejectButton // filled red: decline, hang up
)

// button is a text button, with an optional leading icon.
type button struct {
	th      *theme
	click   *widget.Clickable
	text    string
	icon    *widget.Icon
	kind    buttonKind
	enabled bool
	full    bool // as wide as the constraints
	small   bool
	lines   int // the text's lines at most: 1 unless set
}

func (th *theme) button(click *widget.Clickable, kind buttonKind, s string) button {
	return button{th: th, click: click, text: s, kind: kind, enabled: true}
}

func (b button) Layout(gtx layout.Context) layout.Dimensions {
	if !b.enabled {
		gtx = gtx.Disabled()
	}
	th := b.th
	bg, fg, border := th.Primary, th.OnPrimary, color.NRGBA{}
	switch b.kind {
	case secondaryButton:
		bg, fg, border = th.Surface, th.Fg, th.Border
	case ghostButton:
		bg, fg = color.NRGBA{}, th.Primary
	case acceptButton:
		bg, fg = th.Accept, rgb(0xffffff)
	case rejectButton:
		bg, fg = th.Reject, rgb(0xffffff)
	}
	if !b.enabled {
		bg, fg = th.SurfaceAlt, th.FgMuted
		if b.kind == ghostButton {
			bg = color.NRGBA{}
		}
	}
	h, padX := controlH, spaceL
	if b.small {
		h, padX = 32, spaceM
	}
	return b.click.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		semantic.Button.Add(gtx.Ops)
		semantic.EnabledOp(b.enabled).Add(gtx.Ops)
		gtx.Constraints.Min.Y = gtx.Dp(h)
		if !b.full {
			gtx.Constraints.Min.X = 0
		} else {
			gtx.Constraints.Min.X = gtx.Constraints.Max.X
		}
		return layout.Background{}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			c := bg
			if b.enabled && b.click.Hovered() {
				c = hover(th, bg)
			}
			th.fill(gtx, c, radiusM)
			if border.A != 0 {
				th.outline(gtx, border, radiusM, 1)
			}
			if gtx.Focused(b.click) {
				th.focusRing(gtx, radiusM)
			}
			return layout.Dimensions{Size: gtx.Constraints.Min}
		}, func(gtx layout.Context) layout.Dimensions {
			return layout.Center.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				return layout.Inset{Left: padX, Right: padX}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
						layout.Rigid(func(gtx layout.Context) layout.Dimensions {
							if b.icon == nil {
								return layout.Dimensions{}
							}
							gtx.Constraints.Min.X = gtx.Dp(18)
							d := b.icon.Layout(gtx, fg)
							d.Size.X += gtx.Dp(spaceS)
							return d
						}),
						layout.Rigid(func(gtx layout.Context) layout.Dimensions {
							if b.lines <= 1 {
								return b.th.label(textBody, fg, b.text).medium().lines(1).Layout(gtx)
							}
							// A longer text wraps, clear of the edges.
							return layout.Inset{Top: spaceXS, Bottom: spaceXS}.Layout(gtx, b.th.label(textBody, fg, b.text).medium().lines(b.lines).Layout)
						}),
					)
				})
			})
		})
	})
}

// width is the button's width when its text is not cut.
func (b button) width(gtx layout.Context) int {
	padX := spaceL
	if b.small {
		padX = spaceM
	}
	w := 2*gtx.Dp(padX) + b.th.textWidth(gtx, fontMedium, textBody, b.text)
	if b.icon != nil {
		w += gtx.Dp(18) + gtx.Dp(spaceS)
	}
	return w
}

// hover darkens (light theme) or lightens (dark theme) a background.
func hover(th *theme, c color.NRGBA) color.NRGBA {
	if c.A == 0 {
		return withAlpha(th.Fg, 0x14)
	}
	mix := func(a, b uint8, t float32) uint8 { return uint8(float32(a)*(1-t) + float32(b)*t) }
	to := uint8(0)
	if th.Dark {
		to = 0xff
	}
	return color.NRGBA{R: mix(c.R, to, 0.08), G: mix(c.G, to, 0.08), B: mix(c.B, to, 0.08), A: c.A}
}

// focusRing marks the control that has the keyboard focus: a ring just
// outside the constraints' minimum size, unlike hover, which tints the
// background. It is deferred, to be drawn outside the control's clip.
func (th *theme) focusRing(gtx layout.Context, radius unit.Dp) {
	out := gtx.Dp(3)
	r := image.Rectangle{Max: gtx.Constraints.Min}.Inset(-out)
	m := op.Record(gtx.Ops)
	th.corners.strokeRRect(gtx.Ops, r, gtx.Dp(radius)+out, gtx.Dp(2), th.Primary)
	op.Defer(gtx.Ops, m.Stop())
}

// tipPlace says where an icon button's tooltip goes: below the button
// (above, for buttons at the bottom of the window), lined up with the
// button's end edge (most icon buttons end a row), its start edge (the
// ones that start a row), or centred, so that it stays in the window. A
// widget cannot know where on the window it is, so the caller says.
type tipPlace int

const (
	tipEnd   tipPlace = 0
	tipStart tipPlace = 1 << iota
	tipCenter
	tipAbove
)

// tipDelay is how long the pointer rests on an icon button before its
// tooltip shows.
const tipDelay = 400 * time.Millisecond

// iconButton is a square button with an icon, a description for screen
// readers (and tests), and the same words as a tooltip on hover.
type iconButton struct {
	th      *theme
	click   *widget.Clickable
	icon    *widget.Icon
	desc    string
	color   color.NRGBA
	bg      color.NRGBA
	size    unit.Dp
	enabled bool
	tip     tipPlace
}

func (th *theme) iconButton(click *widget.Clickable, icon *widget.Icon, desc string) iconButton {
	return iconButton{th: th, click: click, icon: icon, desc: desc, color: th.FgMuted, size: 36, enabled: true}
}

func (b iconButton) Layout(gtx layout.Context) layout.Dimensions {
	// The tooltip follows the pointer also over a disabled button, which
	// most needs to say why it is off: a hover area of its own, around
	// the button's.
	s := gtx.Dp(b.size)
	h := b.th.hovers[b.click]
	if h == nil {
		h = new(hoverArea)
		b.th.hovers[b.click] = h
	}
	h.frame = b.th.frame
	hovered := h.Update(gtx.Source)
	defer clip.Rect{Max: image.Pt(s, s)}.Push(gtx.Ops).Pop()
	h.Add(gtx.Ops)
	b.th.tooltip(gtx, b.click, hovered, b.desc, image.Pt(s, s), b.tip)
	if !b.enabled {
		gtx = gtx.Disabled()
	}
	return b.click.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		semantic.Button.Add(gtx.Ops)
		semantic.DescriptionOp(b.desc).Add(gtx.Ops)
		gtx.Constraints = layout.Exact(image.Pt(s, s))
		bg := b.bg
		if b.enabled && b.click.Hovered() {
			bg = hover(b.th, bg)
		}
		if bg.A != 0 {
			paint.FillShape(gtx.Ops, bg, clip.Ellipse{Max: image.Pt(s, s)}.Op(gtx.Ops))
		}
		if gtx.Focused(b.click) {
			paint.FillShape(gtx.Ops, b.th.Primary, clip.Stroke{Path: clip.Ellipse{Max: image.Pt(s, s)}.Path(gtx.Ops), Width: float32(gtx.Dp(2))}.Op())
		}
		c := b.color
		if !b.enabled {
			c = withAlpha(c, 0x70)
		}
		return layout.Center.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			gtx.Constraints.Min.X = s * 5 / 9
			return b.icon.Layout(gtx, c)
		})
	})
}

// tooltip shows text next to a control (tag, of size) the pointer has
// rested on for tipDelay, drawn over everything else.
func (th *theme) tooltip(gtx layout.Context, tag any, hovered bool, text string, size image.Point, place tipPlace) {
	if !hovered || text == "" {
		delete(th.hovered, tag)
		return
	}
	since, ok := th.hovered[tag]
	if !ok {
		since = gtx.Now
		th.hovered[tag] = since
	}
	if at := since.Add(tipDelay); gtx.Now.Before(at) {
		gtx.Execute(op.InvalidateCmd{At: at})
		return
	}
	m := op.Record(gtx.Ops)
	tgtx := gtx
	tgtx.Constraints = layout.Constraints{Max: image.Pt(gtx.Dp(260), gtx.Dp(200))}
	dims := th.surface(tgtx, th.Fg, color0, radiusS, func(gtx layout.Context) layout.Dimensions {
		return layout.Inset{Left: spaceS, Right: spaceS, Top: spaceXS, Bottom: spaceXS}.Layout(gtx,
			th.label(textCaption, th.Surface, text).Layout)
	})
	call := m.Stop()
	x := size.X - dims.Size.X
	switch {
	case place&tipStart != 0:
		x = 0
	case place&tipCenter != 0:
		x = (size.X - dims.Size.X) / 2
	}
	y := size.Y + gtx.Dp(spaceXS)
	if place&tipAbove != 0 {
		y = -dims.Size.Y - gtx.Dp(spaceXS)
	}
	m = op.Record(gtx.Ops)
	op.Offset(image.Pt(x, y)).Add(gtx.Ops)
	call.Add(gtx.Ops)
	op.Defer(gtx.Ops, m.Stop())
}

// mouseIconButton is an icon button outside the keyboard's focus order
// (a convenience next to a field, which Tab should skip); it reports
// whether it was clicked.
func (th *theme) mouseIconButton(gtx layout.Context, g *gesture.Click, icon *widget.Icon, desc string, size unit.Dp, place tipPlace) (bool, layout.Dimensions) {
	clicked := false
	for {
		e, ok := g.Update(gtx.Source)
		if !ok {
			break
		}
		if e.Kind == gesture.KindClick {
			clicked = true
		}
	}
	s := gtx.Dp(size)
	defer clip.Ellipse{Max: image.Pt(s, s)}.Push(gtx.Ops).Pop()
	g.Add(gtx.Ops)
	pointer.CursorPointer.Add(gtx.Ops)
	semantic.Button.Add(gtx.Ops)
	semantic.DescriptionOp(desc).Add(gtx.Ops)
	if g.Hovered() {
		paint.FillShape(gtx.Ops, hover(th, color0), clip.Ellipse{Max: image.Pt(s, s)}.Op(gtx.Ops))
	}
	gtx.Constraints = layout.Exact(image.Pt(s, s))
	layout.Center.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		gtx.Constraints.Min.X = s * 5 / 9
		return icon.Layout(gtx, th.FgMuted)
	})
	th.tooltip(gtx, g, g.Hovered(), desc, image.Pt(s, s), place)
	return clicked, layout.Dimensions{Size: image.Pt(s, s)}
}

// field is a text input: an editor in an outlined box that focuses the
// editor when clicked anywhere.
type field struct {
	widget.Editor
	click gesture.Click
	// text, if set, is the field's text as its owner keeps it: screen
	// readers (and tests) read it from there, multi-line fields too.
	text *string
}

func newField(singleLine bool) *field {
	f := &field{}
	f.SingleLine = singleLine
	f.Submit = true
	return f
}

// input draws a field; desc names it for screen readers and tests.
func (th *theme) input(gtx layout.Context, f *field, hint, desc string) layout.Dimensions {
	focused := gtx.Focused(&f.Editor)
	for {
		ev, ok := f.click.Update(gtx.Source)
		if !ok {
			break
		}
		if ev.Kind == gesture.KindPress {
			gtx.Execute(key.FocusCmd{Tag: &f.Editor})
		}
	}
	if f.SingleLine {
		gtx.Constraints.Min.Y = gtx.Dp(controlH)
	}
	gtx.Constraints.Min.X = gtx.Constraints.Max.X
	macro := op.Record(gtx.Ops)
	dims := layout.Inset{Left: spaceM, Right: spaceM, Top: 10, Bottom: 10}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		gtx.Constraints.Min.Y = 0
		switch {
		case f.text != nil && *f.text != "":
			semantic.LabelOp(*f.text).Add(gtx.Ops)
		case f.SingleLine && f.Mask == 0 && f.Len() > 0:
			// Screen readers (and tests) read short fields' text.
			semantic.LabelOp(f.Text()).Add(gtx.Ops)
		}
		if th.clipped != nil && f.SingleLine && f.Len() == 0 && hint != "" && th.truncated(gtx, fontRegular, textBody, hint, 1, gtx.Constraints.Max.X) {
			th.clipped(hint)
		}
		e := material.Editor(th.mat, &f.Editor, hint)
		e.TextSize = textBody
		e.Color = th.Fg
		e.HintColor = th.FgMuted
		e.SelectionColor = withAlpha(th.Primary, 0x50)
		return e.Layout(gtx)
	})
	call := macro.Stop()
	defer clip.Rect{Max: dims.Size}.Push(gtx.Ops).Pop()
	semantic.DescriptionOp(desc).Add(gtx.Ops)
	f.click.Add(gtx.Ops)
	gtx.Constraints.Min = dims.Size
	th.fill(gtx, th.Surface, radiusM)
	if focused {
		th.outline(gtx, th.Primary, radiusM, 2)
	} else {
		th.outline(gtx, th.Border, radiusM, 1)
	}
	call.Add(gtx.Ops)
	return dims
}

// submitted drains a field's events and reports whether Enter was pressed.
func (f *field) submitted(gtx layout.Context) bool {
	sub := false
	for {
		ev, ok := f.Update(gtx)
		if !ok {
			return sub
		}
		if _, ok := ev.(widget.SubmitEvent); ok {
			sub = true
		}
	}
}

// fieldBlock is a caption above an input.
func (th *theme) fieldBlock(gtx layout.Context, caption string, f *field, hint string) layout.Dimensions {
	return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
		layout.Rigid(th.label(textSmall, th.FgMuted, caption).medium().Layout),
		layout.Rigid(gap(6)),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return th.input(gtx, f, hint, caption) }),
	)
}

// clickRow makes a whole row clickable, with hover and selection
// backgrounds.
func (th *theme) clickRow(gtx layout.Context, click *widget.Clickable, selected bool, radius unit.Dp, w layout.Widget) layout.Dimensions {
	return click.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		semantic.Button.Add(gtx.Ops)
		return layout.Background{}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			switch {
			case selected:
				th.fill(gtx, th.Selected, radius)
			case click.Hovered():
				th.fill(gtx, th.SurfaceAlt, radius)
			}
			if gtx.Focused(click) {
				th.outline(gtx, th.Primary, radius, 2)
			}
			return layout.Dimensions{Size: gtx.Constraints.Min}
		}, w)
	})
}

var color0 color.NRGBA // transparent: no border

// band draws w across the full width on a bg background, inset by in:
// the bars and strips above and below the messages (offline, call,
// questions, composer).
func (th *theme) band(gtx layout.Context, bg color.NRGBA, in layout.Inset, w layout.Widget) layout.Dimensions {
	return layout.Background{}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return th.fill(gtx, bg, 0)
	}, func(gtx layout.Context) layout.Dimensions {
		gtx.Constraints.Min.X = gtx.Constraints.Max.X
		return in.Layout(gtx, w)
	})
}
