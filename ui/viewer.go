package ui

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"runtime"
	"strings"

	"gioui.org/f32"
	"gioui.org/io/clipboard"
	"gioui.org/io/event"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	"gioui.org/unit"
	"gioui.org/widget"
	"golang.org/x/exp/shiny/materialdesign/icons"

	"parley/app/state"
	"parley/net/proto"
)

// The viewer shows one picture of the open conversation over the whole
// window: the large thumbnail at once, then the full file, which it
// downloads as Save does (resumably, with its progress at the bottom)
// and the model decodes (ViewFull). Keys: Esc closes, Left and Right go
// to the previous and next picture of the conversation (those loaded),
// + and - zoom, 0 or F fits; the wheel zooms around the pointer, two
// fingers pinch, and a drag (or one finger) pans. Save shows the saved file in its folder, or saves it; Copy
// copies the saved file's location: Gio's clipboard takes text only, on
// every platform (see the report of issue #16).

// Zoom bounds, relative to the picture fitted to the window.
const (
	minZoom  = 0.25
	maxZoom  = 16
	zoomStep = 1.25
)

type viewer struct {
	open                                          bool
	conv                                          proto.ConvID
	seq                                           int64
	zoom                                          float32   // 1: fitted to the window
	off                                           f32.Point // the picture's centre from the area's, in px
	focus                                         bool      // take the key focus this frame
	dragging                                      bool
	last                                          f32.Point // the pointer while dragging
	asked                                         map[string]bool
	touches                                       map[pointer.ID]f32.Point // fingers down, for the pinch
	spread                                        float32                  // the distance between two fingers last seen
	copied                                        bool
	prev, next, zin, zout, fit, save, copy, close widget.Clickable
}

var viewerIcons = struct{ prev, next, zin, zout, fit *widget.Icon }{
	mustIcon(icons.NavigationChevronLeft), mustIcon(icons.NavigationChevronRight),
	mustIcon(icons.ActionZoomIn), mustIcon(icons.ActionZoomOut), mustIcon(icons.NavigationFullscreen),
}

// show opens the viewer on message m.
func (v *viewer) show(m state.Message) {
	v.open, v.conv, v.seq = true, m.Conv, m.Seq
	v.zoom, v.off, v.focus, v.copied, v.dragging = 1, f32.Point{}, true, false, false
}

// hide closes the viewer; false if it was closed.
func (v *viewer) hide() bool {
	was := v.open
	v.open = false
	return was
}

// move goes to the picture d away in pics, if there is one.
func (v *viewer) move(pics []state.Message, d int) {
	for i, m := range pics {
		if m.Seq == v.seq {
			if j := i + d; j >= 0 && j < len(pics) {
				v.seq = pics[j].Seq
				v.zoom, v.off, v.copied = 1, f32.Point{}, false
			}
			return
		}
	}
}

func (v *viewer) zoomBy(k float32, at f32.Point) {
	z := min(max(v.zoom*k, minZoom), maxZoom)
	k = z / v.zoom
	v.zoom = z
	// Keep the point under at where it is.
	v.off = at.Sub(at.Sub(v.off).Mul(k))
	if v.zoom == 1 {
		v.off = f32.Point{}
	}
}

// pinch follows the fingers on the picture: with two down, their
// spreading zooms around the point between them (Gio has no pinch
// gesture; its touch events carry a pointer ID each). It returns true
// when it took e.
func (v *viewer) pinch(e pointer.Event, centre f32.Point) bool {
	if v.touches == nil {
		v.touches = map[pointer.ID]f32.Point{}
	}
	switch e.Kind {
	case pointer.Press, pointer.Drag:
		v.touches[e.PointerID] = e.Position
	case pointer.Release, pointer.Cancel:
		delete(v.touches, e.PointerID)
		v.spread = 0
		if len(v.touches) > 0 {
			v.dragging = false // one finger left: it does not pan from where the other was
			return true
		}
		return false
	default:
		return false
	}
	if len(v.touches) != 2 {
		v.spread = 0
		return false
	}
	var p [2]f32.Point
	i := 0
	for _, t := range v.touches {
		p[i] = t
		i++
	}
	d := p[1].Sub(p[0])
	spread := float32(math.Hypot(float64(d.X), float64(d.Y)))
	if v.spread > 0 && spread > 0 {
		v.zoomBy(spread/v.spread, p[0].Add(p[1]).Mul(0.5).Sub(centre))
	}
	v.spread, v.dragging = spread, false
	return true
}

// ViewerOpen tells whether the picture viewer is open, and on which message.
func (u *UI) ViewerOpen() (bool, int64) { v := &u.conv.msgs.pics.view; return v.open, v.seq }

// viewerLayout draws the viewer over the window, if it is open.
func (u *UI) viewerLayout(gtx layout.Context, st state.State) {
	l := &u.conv.msgs
	v := &l.pics.view
	if !v.open {
		return
	}
	if st.Open == nil || st.Open.ID != v.conv {
		v.open = false
		return
	}
	pics := pictures(l.msgs)
	cur := -1
	for i, m := range pics {
		if m.Seq == v.seq {
			cur = i
		}
	}
	if cur < 0 {
		v.open = false // deleted, or out of the window
		return
	}
	th, w := u.th, u.picw()
	size := gtx.Constraints.Max
	barH := gtx.Dp(56)
	area := image.Rect(0, barH, size.X, size.Y-gtx.Dp(44))
	centre := layout.FPt(area.Min.Add(area.Max).Div(2))

	// Input: keys (with the focus), the wheel and drags over the area.
	if v.focus { // until it holds: the tag is known from its first frame on
		if gtx.Focused(v) {
			v.focus = false
		} else {
			gtx.Execute(key.FocusCmd{Tag: v})
			if runtime.GOOS == "js" {
				// Gio's browser backend reads keys from its textarea,
				// which has the page's focus only while a text input
				// is asked for (not on phones: a keyboard would cover
				// the picture).
				gtx.Execute(key.SoftKeyboardCmd{Show: true})
			}
		}
	}
	for {
		ev, ok := gtx.Event(
			key.FocusFilter{Target: v},
			key.Filter{Focus: v, Name: key.NameEscape},
			key.Filter{Focus: v, Name: key.NameLeftArrow},
			key.Filter{Focus: v, Name: key.NameRightArrow},
			key.Filter{Focus: v, Name: "+", Optional: key.ModShift},
			key.Filter{Focus: v, Name: "=", Optional: key.ModShift},
			key.Filter{Focus: v, Name: "-"},
			key.Filter{Focus: v, Name: "0"},
			key.Filter{Focus: v, Name: "F"},
			pointer.Filter{Target: v, Kinds: pointer.Scroll | pointer.Press | pointer.Drag | pointer.Release | pointer.Cancel,
				ScrollY: pointer.ScrollRange{Min: -1 << 20, Max: 1 << 20}},
		)
		if !ok {
			break
		}
		switch e := ev.(type) {
		case key.Event:
			if e.State != key.Press {
				continue
			}
			switch e.Name {
			case key.NameEscape:
				v.open = false
				return
			case key.NameLeftArrow:
				v.move(pics, -1)
			case key.NameRightArrow:
				v.move(pics, +1)
			case "+", "=":
				v.zoomBy(zoomStep, f32.Point{})
			case "-":
				v.zoomBy(1/zoomStep, f32.Point{})
			case "0", "F":
				v.zoom, v.off = 1, f32.Point{}
			}
		case pointer.Event:
			if e.Source == pointer.Touch && v.pinch(e, centre) {
				continue
			}
			switch e.Kind {
			case pointer.Scroll:
				v.zoomBy(float32(math.Exp(float64(-e.Scroll.Y)/200)), e.Position.Sub(centre))
			case pointer.Press:
				v.dragging, v.last = true, e.Position
				gtx.Execute(key.FocusCmd{Tag: v})
			case pointer.Drag:
				if v.dragging {
					v.off = v.off.Add(e.Position.Sub(v.last))
					v.last = e.Position
				}
			case pointer.Release, pointer.Cancel:
				v.dragging = false
			}
		}
	}
	if v.close.Clicked(gtx) {
		v.open = false
		return
	}
	if v.prev.Clicked(gtx) {
		v.move(pics, -1)
	}
	if v.next.Clicked(gtx) {
		v.move(pics, +1)
	}
	if v.zin.Clicked(gtx) {
		v.zoomBy(zoomStep, f32.Point{})
	}
	if v.zout.Clicked(gtx) {
		v.zoomBy(1/zoomStep, f32.Point{})
	}
	if v.fit.Clicked(gtx) {
		v.zoom, v.off = 1, f32.Point{}
	}
	for i, m := range pics {
		if m.Seq == v.seq {
			cur = i
		}
	}
	m := pics[cur]
	f := m.File
	tr, haveTr := l.actions.transferOf(m)
	saved := haveTr && tr.State == state.TransferDone && tr.Path != ""
	if v.save.Clicked(gtx) {
		if saved {
			u.emit(ShowInFolder{ID: tr.ID})
		} else if !haveTr {
			u.emit(SaveFile{Conv: m.Conv, Seq: m.Seq})
		}
	}
	if v.copy.Clicked(gtx) && saved {
		gtx.Execute(clipboard.WriteCmd{Type: "application/text", Data: io.NopCloser(strings.NewReader(tr.Path))})
		v.copied = true
	}

	// The picture: the full one once decoded, else the large thumbnail,
	// else the small one; sized from the picture's own size, so that it
	// does not move when a better one arrives.
	if v.asked == nil {
		v.asked = map[string]bool{}
	}
	img := st.Thumbs[f.ID]
	switch {
	case saved && !v.asked[f.ID]:
		v.asked[f.ID] = true
		u.emit(ViewFull{File: f.ID, Transfer: tr.ID})
	case !haveTr && !v.asked["save:"+f.ID] && runtime.GOOS != "js":
		// The browser keeps no local file to show: the large thumbnail
		// is what it shows.
		v.asked["save:"+f.ID] = true
		u.emit(SaveFile{Conv: m.Conv, Seq: m.Seq})
	}
	if img == nil {
		img = l.pics.thumb(u, st, f.Image.Large)
	}
	if img == nil {
		img = l.pics.thumb(u, st, f.Image.Small)
	}

	defer clip.Rect{Max: size}.Push(gtx.Ops).Pop()
	paint.Fill(gtx.Ops, color.NRGBA{R: 0x0c, G: 0x0c, B: 0x10, A: 0xff}) // opaque: blending is linear, a little of a bright screen shows a lot
	event.Op(gtx.Ops, v)
	fg := color.NRGBA{R: 0xf2, G: 0xf2, B: 0xf5, A: 0xff}
	muted := color.NRGBA{R: 0xb0, G: 0xb0, B: 0xb8, A: 0xff}
	if iw, ih := f.Image.Width, f.Image.Height; iw > 0 && ih > 0 && area.Dx() > 0 && area.Dy() > 0 {
		fit := min(float32(area.Dx())/float32(iw), float32(area.Dy())/float32(ih), gtx.Metric.PxPerDp)
		s := fit * v.zoom
		dw, dh := float32(iw)*s, float32(ih)*s
		at := centre.Add(v.off).Sub(f32.Pt(dw/2, dh/2))
		cl := clip.Rect(area).Push(gtx.Ops)
		if img != nil {
			b := img.Bounds()
			k := f32.Pt(dw/float32(b.Dx()), dh/float32(b.Dy()))
			t := op.Affine(f32.AffineId().Scale(f32.Point{}, k).Offset(at)).Push(gtx.Ops)
			l.pics.imageOp(img).Add(gtx.Ops)
			paint.PaintOp{}.Add(gtx.Ops)
			t.Pop()
		} else {
			r := image.Rect(int(at.X), int(at.Y), int(at.X+dw), int(at.Y+dh))
			paint.FillShape(gtx.Ops, color.NRGBA{R: 0x30, G: 0x30, B: 0x38, A: 0xff}, clip.Rect(r).Op())
		}
		cl.Pop()
	}

	icon := func(c *widget.Clickable, ic *widget.Icon, desc string) layout.FlexChild {
		return layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			b := th.iconButton(c, ic, desc)
			b.color = fg
			return b.Layout(gtx)
		})
	}
	// The bar: name and place, then the actions.
	{
		gtx := gtx
		gtx.Constraints = layout.Exact(image.Pt(size.X, barH))
		layout.Inset{Left: spaceL, Right: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
				layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
					return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
						layout.Rigid(th.label(textBody, fg, f.Name).medium().lines(1).userContent().Layout),
						layout.Rigid(th.label(textCaption, muted, fmt.Sprintf(w.CountF, cur+1, len(pics))+" · "+m.SenderName).lines(1).Layout),
					)
				}),
				icon(&v.zout, viewerIcons.zout, w.ZoomOut),
				icon(&v.zin, viewerIcons.zin, w.ZoomIn),
				icon(&v.fit, viewerIcons.fit, w.Fit),
				icon(&v.save, u.icons.download, w.SavePicture),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					if !saved {
						return layout.Dimensions{}
					}
					b := th.iconButton(&v.copy, u.icons.copy, w.CopyPicture)
					b.color = fg
					return b.Layout(gtx)
				}),
				icon(&v.close, u.icons.close, w.CloseViewer),
			)
		})
	}
	// Previous and next, at the sides.
	side := func(c *widget.Clickable, ic *widget.Icon, desc string, x int) {
		s := gtx.Dp(48)
		defer op.Offset(image.Pt(x, (area.Min.Y+area.Max.Y-s)/2)).Push(gtx.Ops).Pop()
		gtx := gtx
		gtx.Constraints = layout.Exact(image.Pt(s, s))
		b := th.iconButton(c, ic, desc)
		b.color, b.size, b.bg = fg, unit.Dp(48), color.NRGBA{A: 0x60}
		b.Layout(gtx)
	}
	if cur > 0 {
		side(&v.prev, viewerIcons.prev, w.Previous, gtx.Dp(spaceS))
	}
	if cur < len(pics)-1 {
		side(&v.next, viewerIcons.next, w.Next, size.X-gtx.Dp(spaceS)-gtx.Dp(48))
	}
	// The bottom line: the download's progress, or the picture's size.
	status := fmt.Sprintf(w.FullF, f.Image.Width, f.Image.Height) + " · " + proto.FormatSize(f.Size)
	frac := float32(-1)
	switch {
	case v.copied:
		status = w.CopiedPath
	case haveTr && tr.State != state.TransferDone && tr.State != state.TransferCanceled:
		status, _ = u.t().transferStatus(tr)
		if tr.Size > 0 {
			frac = float32(tr.Done) / float32(tr.Size)
		}
	case saved && st.Thumbs[f.ID] == nil && !st.ThumbsFailed[f.ID]:
		status = w.LoadingFull
	}
	defer op.Offset(image.Pt(0, area.Max.Y)).Push(gtx.Ops).Pop()
	gtx.Constraints = layout.Exact(image.Pt(size.X, size.Y-area.Max.Y))
	layout.Inset{Left: spaceL, Right: spaceL, Top: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Axis: layout.Vertical, Alignment: layout.Middle}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if frac < 0 {
					return layout.Dimensions{}
				}
				gtx.Constraints.Max.X = min(gtx.Constraints.Max.X, gtx.Dp(320))
				return layout.Inset{Bottom: spaceXS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					return progressBar(gtx, th, frac, th.Primary)
				})
			}),
			layout.Rigid(th.label(textCaption, muted, status).lines(1).Layout),
		)
	})
}
