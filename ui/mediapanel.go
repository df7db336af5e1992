package ui

import (
	"fmt"
	"image"
	"slices"
	"strings"

	"gioui.org/f32"
	"gioui.org/io/semantic"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	"gioui.org/unit"
	"gioui.org/widget"
	"gioui.org/widget/material"
	"golang.org/x/exp/shiny/materialdesign/icons"

	"parley/app/state"
	"parley/net/proto"
)

// The "Files and media" panel of the open conversation (State.Media),
// opened from the header's button or the conversation's menu: it takes
// the place of the messages under the header. Three tabs: the pictures
// as a grid of thumbnails, the other files as a list (name, size,
// sender, date, Save), the voice messages as a list (sender, date,
// duration); each shows its message in the conversation (the jump of
// jump.go, which tints it), closing the panel. It asks for the next
// page when its end scrolls into view, and for the thumbnails of the
// pictures in view that have none yet. Esc closes it.

type (
	// OpenMedia opens the panel of Conv on Kind (proto.MediaPictures,
	// MediaFiles or MediaVoice; "" pictures), or switches its tab.
	OpenMedia struct {
		Conv proto.ConvID
		Kind string
	}
	// MoreMedia asks for the panel's next (older) page.
	MoreMedia struct{}
	// CloseMedia closes the panel.
	CloseMedia struct{}
	// MediaThumbs asks for the small thumbnails IDs (proto.Image.Small)
	// of pictures the panel of Conv shows without one.
	MediaThumbs struct {
		Conv proto.ConvID
		IDs  []string
	}
)

func (OpenMedia) isEvent()   {}
func (MoreMedia) isEvent()   {}
func (CloseMedia) isEvent()  {}
func (MediaThumbs) isEvent() {}

// mediaKinds are the tabs, in order.
var mediaKinds = [3]string{proto.MediaPictures, proto.MediaFiles, proto.MediaVoice}

// Sizes of the panel.
const (
	mediaCellMin unit.Dp = 112 // a picture's cell is at least this wide
	mediaCellGap unit.Dp = 4
)

type mediaIcons struct{ panel, picture, voice, jump *widget.Icon }

func newMediaIcons() *mediaIcons {
	must := func(data []byte) *widget.Icon {
		ic, err := widget.NewIcon(data)
		if err != nil {
			panic(err) // the icon data is compiled in
		}
		return ic
	}
	return &mediaIcons{panel: must(icons.ImagePhotoLibrary), picture: must(icons.ImageImage),
		voice: must(icons.AVMic), jump: must(icons.ActionOpenInNew)}
}

// mediaPanel is the panel's widget state.
type mediaPanel struct {
	ic                      *mediaIcons
	button, fromMenu, close widget.Clickable // the header's button, the menu's entry, ×
	tabs                    [3]widget.Clickable
	list                    widget.List
	items                   map[int64]*mediaItem // by seq, for the tab shown
	ops                     map[image.Image]paint.ImageOp
	// closed is the panel closed here: it is not drawn while the model
	// still publishes it.
	closed *state.MediaPanel
	conv   proto.ConvID // the conversation open last frame
	kind   string       // the tab drawn last frame
	asked  int          // the items shown when the next page was asked for, +1 (0: not asked)
	want   []string     // the thumbnails drawn missing this frame
	wanted string       // those asked for last, joined
}

// mediaItem is one row's or cell's buttons.
type mediaItem struct{ jump, save widget.Clickable }

func (p *mediaPanel) icons() *mediaIcons {
	if p.ic == nil {
		p.ic = newMediaIcons()
	}
	return p.ic
}

func (p *mediaPanel) reset() {
	p.closed, p.conv, p.kind, p.asked, p.wanted = nil, 0, "", 0, ""
	clear(p.items)
	clear(p.ops)
	p.list.Position = layout.Position{}
}

// shown reports whether the panel is drawn over the open conversation.
func (p *mediaPanel) shown(st state.State) bool {
	return st.Open != nil && st.Media != nil && st.Media.Conv == st.Open.ID && st.Media != p.closed
}

// hide closes the panel.
func (p *mediaPanel) hide(u *UI, st state.State) {
	p.closed = st.Media
	u.emit(CloseMedia{})
}

// escape closes the panel (Esc); it reports whether it was shown.
func (p *mediaPanel) escape(u *UI, st state.State) bool {
	if !p.shown(st) {
		return false
	}
	p.hide(u, st)
	return true
}

// update takes the panel's clicks.
func (p *mediaPanel) update(gtx layout.Context, u *UI, st state.State) {
	o := st.Open
	if o.ID != p.conv {
		p.conv = o.ID
		if st.Media != nil && st.Media.Conv != o.ID && st.Media != p.closed {
			p.hide(u, st) // it belonged to the conversation left
		}
	}
	if p.fromMenu.Clicked(gtx) {
		u.conv.extras.closeMenu()
		if !p.shown(st) {
			u.emit(OpenMedia{Conv: o.ID})
		}
	}
	if p.button.Clicked(gtx) {
		if p.shown(st) {
			p.hide(u, st)
		} else {
			u.emit(OpenMedia{Conv: o.ID})
		}
	}
	if !p.shown(st) {
		return
	}
	m := st.Media
	if m.Kind != p.kind {
		p.kind, p.asked, p.wanted = m.Kind, 0, ""
		clear(p.items)
		p.list.Position = layout.Position{}
	}
	for i := range p.tabs {
		if p.tabs[i].Clicked(gtx) && mediaKinds[i] != m.Kind {
			u.emit(OpenMedia{Conv: o.ID, Kind: mediaKinds[i]})
		}
	}
	if p.close.Clicked(gtx) {
		p.hide(u, st)
		return
	}
	for seq, it := range p.items {
		if it.save.Clicked(gtx) {
			u.emit(SaveFile{Conv: o.ID, Seq: seq})
		}
		if it.jump.Clicked(gtx) {
			p.hide(u, st)
			u.emit(JumpTo{Conv: o.ID, Seq: seq})
			return
		}
	}
}

// item is the buttons of message seq.
func (p *mediaPanel) item(seq int64) *mediaItem {
	if p.items == nil {
		p.items = map[int64]*mediaItem{}
	}
	it := p.items[seq]
	if it == nil {
		it = new(mediaItem)
		p.items[seq] = it
	}
	return it
}

// headerButton is the conversation header's button that opens and
// closes the panel. Narrow windows leave it to the menu (the title needs
// the room), except while the panel shows.
func (p *mediaPanel) headerButton(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	if u.narrow && !p.shown(st) {
		return layout.Dimensions{}
	}
	b := u.th.iconButton(&p.button, p.icons().panel, u.mw().Title)
	if p.shown(st) {
		b.color, b.bg = u.th.Primary, u.th.Selected
	}
	return b.Layout(gtx)
}

// layout draws the panel: its title, the tabs, the note that the list is
// only this device's, and the tab's grid or list.
func (p *mediaPanel) layout(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, w := u.th, u.mw()
	m := st.Media
	return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return th.band(gtx, th.Surface, layout.Inset{Left: spaceL, Right: spaceS, Top: spaceS}, func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
					layout.Flexed(1, th.label(textTitle, th.Fg, w.Title).bold().lines(1).Layout),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						b := th.iconButton(&p.close, u.icons.close, w.Close)
						b.tip = tipEnd
						return b.Layout(gtx)
					}),
				)
			})
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return p.tabStrip(gtx, u, m) }),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return rule(gtx, th.Border, false) }),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			if !m.Local {
				return layout.Dimensions{}
			}
			return th.band(gtx, th.SurfaceAlt, layout.Inset{Left: spaceL, Right: spaceL, Top: spaceS, Bottom: spaceS}, func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						gtx.Constraints.Min.X = gtx.Dp(16)
						return u.icons.offline.Layout(gtx, th.FgMuted)
					}),
					layout.Rigid(gap(spaceS)),
					layout.Flexed(1, th.label(textSmall, th.FgMuted, w.Local).Layout),
				)
			})
		}),
		layout.Flexed(1, func(gtx layout.Context) layout.Dimensions { return p.content(gtx, u, m) }),
	)
}

// tabStrip is the three tabs, the one shown underlined.
func (p *mediaPanel) tabStrip(gtx layout.Context, u *UI, m *state.MediaPanel) layout.Dimensions {
	th, w := u.th, u.mw()
	names := [3]string{w.Pictures, w.Files, w.Voice}
	return th.band(gtx, th.Surface, layout.Inset{Left: spaceM, Right: spaceM}, func(gtx layout.Context) layout.Dimensions {
		children := make([]layout.FlexChild, len(p.tabs))
		for i := range p.tabs {
			selected := mediaKinds[i] == m.Kind
			children[i] = layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return p.tabs[i].Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					semantic.Button.Add(gtx.Ops)
					semantic.SelectedOp(selected).Add(gtx.Ops)
					c := th.FgMuted
					if selected {
						c = th.Primary
					} else if p.tabs[i].Hovered() {
						c = th.Fg
					}
					d := layout.Inset{Left: spaceM, Right: spaceM, Top: spaceS, Bottom: spaceS}.Layout(gtx,
						th.label(textBody, c, names[i]).medium().lines(1).Layout)
					if selected {
						h := gtx.Dp(2)
						paint.FillShape(gtx.Ops, th.Primary, clip.Rect{Min: image.Pt(0, d.Size.Y-h), Max: d.Size}.Op())
					}
					return d
				})
			})
		}
		return layout.Flex{}.Layout(gtx, children...)
	})
}

// content is the tab's grid or list, its empty state, or "Loading…".
func (p *mediaPanel) content(gtx layout.Context, u *UI, m *state.MediaPanel) layout.Dimensions {
	w := u.mw()
	gtx.Constraints.Min = gtx.Constraints.Max
	if len(m.Items) == 0 {
		if m.Loading {
			return emptyState(gtx, u, p.icons().panel, w.Loading)
		}
		switch m.Kind {
		case proto.MediaFiles:
			return emptyState(gtx, u, u.icons.file, w.NoFiles)
		case proto.MediaVoice:
			return emptyState(gtx, u, p.icons().voice, w.NoVoice)
		}
		return emptyState(gtx, u, p.icons().picture, w.NoPictures)
	}
	pad := gtx.Dp(spaceM)
	inner := gtx.Constraints.Max.X - 2*pad
	cols, cell := 1, inner
	if m.Kind == proto.MediaPictures {
		g := gtx.Dp(mediaCellGap)
		cols = max(1, (inner+g)/(gtx.Dp(mediaCellMin)+g))
		cell = (inner - (cols-1)*g) / cols
	}
	rows := (len(m.Items) + cols - 1) / cols
	footer := 0
	if m.More {
		footer = 1
	}
	p.list.Axis = layout.Vertical
	p.want = p.want[:0]
	d := material.List(u.th.mat, &p.list).Layout(gtx, rows+footer, func(gtx layout.Context, r int) layout.Dimensions {
		gtx.Constraints.Min.X = gtx.Constraints.Max.X
		in := layout.Inset{Left: spaceM, Right: spaceM}
		if r == 0 {
			in.Top = spaceS
		}
		return in.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			switch {
			case r == rows:
				return layout.UniformInset(spaceM).Layout(gtx, u.th.label(textSmall, u.th.FgMuted, w.Loading).Layout)
			case m.Kind == proto.MediaPictures:
				return p.pictureRow(gtx, m, r*cols, min((r+1)*cols, len(m.Items)), cell, u)
			case m.Kind == proto.MediaVoice:
				return p.voiceRow(gtx, u, m.Items[r])
			}
			return p.fileRow(gtx, u, m.Items[r])
		})
	})
	// The pictures in view without a thumbnail: ask for them, once
	// while the same ones are missing.
	if key := strings.Join(p.want, " "); key != p.wanted {
		p.wanted = key
		if len(p.want) > 0 {
			u.emit(MediaThumbs{Conv: m.Conv, IDs: slices.Clone(p.want)})
		}
	}
	// The end in view: ask for the next page, once per page.
	pos := p.list.Position
	if m.More && !m.Loading && pos.First+pos.Count >= rows && p.asked != len(m.Items)+1 {
		p.asked = len(m.Items) + 1
		u.emit(MoreMedia{})
	}
	return d
}

// pictureRow is the cells of items from to to.
func (p *mediaPanel) pictureRow(gtx layout.Context, m *state.MediaPanel, from, to, cell int, u *UI) layout.Dimensions {
	g := gtx.Dp(mediaCellGap)
	var x int
	macro := op.Record(gtx.Ops)
	for i := from; i < to; i++ {
		it := m.Items[i]
		st := op.Offset(image.Pt(x, g/2)).Push(gtx.Ops)
		cgtx := gtx
		cgtx.Constraints = layout.Exact(image.Pt(cell, cell))
		p.pictureCell(cgtx, u, it, m.Thumbs)
		st.Pop()
		x += cell + g
	}
	macro.Stop().Add(gtx.Ops)
	return layout.Dimensions{Size: image.Pt(gtx.Constraints.Max.X, cell+g)}
}

// pictureCell is a picture's thumbnail, filling the cell (its centre),
// or a placeholder until the thumbnail comes; a click shows it in the
// conversation.
func (p *mediaPanel) pictureCell(gtx layout.Context, u *UI, m state.Message, thumbs map[string]image.Image) layout.Dimensions {
	th := u.th
	it := p.item(m.Seq)
	desc := fmt.Sprintf(u.mw().PictureF, m.SenderName, u.t().stamp(u.local(m.Time), u.today()))
	return it.jump.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		semantic.Button.Add(gtx.Ops)
		semantic.DescriptionOp(desc).Add(gtx.Ops)
		sz := gtx.Constraints.Min
		defer clip.UniformRRect(image.Rectangle{Max: sz}, gtx.Dp(radiusS)).Push(gtx.Ops).Pop()
		var img image.Image
		if m.File != nil && m.File.Image != nil {
			img = thumbs[m.File.Image.Small]
		}
		if img == nil || img.Bounds().Empty() {
			if m.File != nil && m.File.Image != nil && m.File.Image.Small != "" {
				p.want = append(p.want, m.File.Image.Small)
			}
			paint.Fill(gtx.Ops, th.SurfaceAlt)
			return layout.Center.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				gtx.Constraints.Min.X = gtx.Dp(32)
				return p.icons().picture.Layout(gtx, withAlpha(th.FgMuted, 0x90))
			})
		}
		io := p.imageOp(img)
		b := img.Bounds()
		scale := max(float32(sz.X)/float32(b.Dx()), float32(sz.Y)/float32(b.Dy()))
		off := f32.Pt((float32(sz.X)-float32(b.Dx())*scale)/2, (float32(sz.Y)-float32(b.Dy())*scale)/2)
		t := op.Affine(f32.Affine2D{}.Scale(f32.Point{}, f32.Pt(scale, scale)).Offset(off)).Push(gtx.Ops)
		io.Add(gtx.Ops)
		paint.PaintOp{}.Add(gtx.Ops)
		t.Pop()
		if it.jump.Hovered() {
			paint.Fill(gtx.Ops, withAlpha(th.Fg, 0x20))
		}
		return layout.Dimensions{Size: sz}
	})
}

// imageOp is img's paint operation, made once (a new one uploads the
// picture again).
func (p *mediaPanel) imageOp(img image.Image) paint.ImageOp {
	if p.ops == nil {
		p.ops = map[image.Image]paint.ImageOp{}
	}
	io, ok := p.ops[img]
	if !ok {
		if len(p.ops) > 512 { // pictures replaced: start over
			clear(p.ops)
		}
		io = paint.NewImageOp(img)
		io.Filter = paint.FilterLinear
		p.ops[img] = io
	}
	return io
}

// fileRow is a file: its icon, name, size, sender and date, Save, and
// the jump to its message.
func (p *mediaPanel) fileRow(gtx layout.Context, u *UI, m state.Message) layout.Dimensions {
	th := u.th
	it := p.item(m.Seq)
	name, size := "", ""
	if m.File != nil {
		name, size = m.File.Name, proto.FormatSize(m.File.Size)
	}
	sub := size + " · " + m.SenderName + " · " + u.t().stamp(u.local(m.Time), u.today())
	return p.row(gtx, u, it, u.icons.file, name, sub, func(gtx layout.Context) layout.Dimensions {
		b := th.button(&it.save, ghostButton, u.t().Save)
		b.small, b.icon = true, u.icons.download
		return b.Layout(gtx)
	})
}

// voiceRow is a voice message: its sender, date and duration, and the
// jump to it.
func (p *mediaPanel) voiceRow(gtx layout.Context, u *UI, m state.Message) layout.Dimensions {
	it := p.item(m.Seq)
	var ms int64
	if m.File != nil && m.File.Voice != nil {
		ms = m.File.Voice.DurationMS
	}
	sub := fmt.Sprintf(u.mw().VoiceF, clockDuration(ms)) + " · " + u.t().stamp(u.local(m.Time), u.today())
	return p.row(gtx, u, it, p.icons().voice, m.SenderName, sub, nil)
}

// row is a list row: an icon tile, a title and a line under it, an
// action (nil: none), and the jump.
func (p *mediaPanel) row(gtx layout.Context, u *UI, it *mediaItem, icon *widget.Icon, title, sub string, action layout.Widget) layout.Dimensions {
	th := u.th
	return layout.Inset{Top: spaceS, Bottom: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return fileTile(gtx, th, icon, avatarM) }),
			layout.Rigid(gap(spaceM)),
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
					layout.Rigid(th.label(textBody, th.Fg, title).medium().lines(1).userContent().Layout),
					layout.Rigid(gap(2)),
					layout.Rigid(th.label(textCaption, th.FgMuted, sub).lines(1).userContent().Layout),
				)
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if action == nil {
					return layout.Dimensions{}
				}
				return layout.Inset{Left: spaceS}.Layout(gtx, action)
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				b := th.iconButton(&it.jump, p.icons().jump, u.mw().JumpTo)
				b.tip = tipEnd
				return b.Layout(gtx)
			}),
		)
	})
}

// clockDuration is ms as m:ss (h:mm:ss from an hour).
func clockDuration(ms int64) string {
	s := (ms + 500) / 1000
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
