package ui

import (
	"fmt"
	"image"
	"reflect"
	"strings"

	"gioui.org/f32"
	"gioui.org/io/semantic"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	"gioui.org/unit"
	"gioui.org/widget"

	"parley/app/state"
	"parley/net/proto"
)

// Pictures in the conversation: a file message whose file carries
// proto.Image shows its small thumbnail in a box of the picture's aspect
// ratio, sized from Image.Width and Height alone, so the row's height is
// the same before the thumbnail arrives and after (the list does not
// jump). The caption (the message's text) goes under it. A thumbnail that
// cannot be had (State.ThumbsFailed) shows the file's card instead: name,
// size and Save. Clicking a picture opens the viewer (viewer.go).

// Bounds of an inline picture.
const (
	pictureMaxW unit.Dp = 320 // at most, and at most the bubble's width
	pictureMaxH unit.Dp = 320
	pictureMin  unit.Dp = 96 // a tiny picture's long side grows to this
	pictureThin unit.Dp = 40 // a long thin strip is cropped to at least this
)

// pictureUI is what the message list keeps for pictures: the thumbnails
// asked for, the image ops made, the pictures' buttons and the viewer.
type pictureUI struct {
	asked          map[string]bool
	thumbs, failed uintptr // the maps asked against: a new map may have dropped one
	ops            map[image.Image]paint.ImageOp
	clicks         map[int64]*widget.Clickable // by seq
	view           viewer
	preview        sendPreview // sendpreview.go
}

// sync forgets what was asked once the model published new maps: a
// thumbnail dropped from memory is asked for again when it shows.
func (p *pictureUI) sync(st state.State) {
	t, f := mapID(st.Thumbs), mapID(st.ThumbsFailed)
	if p.asked == nil || t != p.thumbs || f != p.failed {
		p.asked = map[string]bool{}
		p.thumbs, p.failed = t, f
	}
}

func mapID[M ~map[K]V, K comparable, V any](m M) uintptr {
	if m == nil {
		return 0
	}
	return reflect.ValueOf(m).Pointer()
}

// thumb is picture id if the model has it; else it is asked for, once.
func (p *pictureUI) thumb(u *UI, st state.State, id string) image.Image {
	if id == "" {
		return nil
	}
	p.sync(st)
	if img := st.Thumbs[id]; img != nil {
		return img
	}
	if !p.asked[id] && !st.ThumbsFailed[id] {
		p.asked[id] = true
		u.emit(WantThumb{ID: id})
	}
	return nil
}

// imageOp is img's paint op, made once per image.
func (p *pictureUI) imageOp(img image.Image) paint.ImageOp {
	if p.ops == nil {
		p.ops = map[image.Image]paint.ImageOp{}
	}
	io, ok := p.ops[img]
	if !ok {
		if len(p.ops) > 512 { // pictures dropped by the model: start over
			clear(p.ops)
		}
		io = paint.NewImageOp(img)
		io.Filter = paint.FilterLinear
		p.ops[img] = io
	}
	return io
}

func (p *pictureUI) click(seq int64) *widget.Clickable {
	if p.clicks == nil {
		p.clicks = map[int64]*widget.Clickable{}
	}
	c := p.clicks[seq]
	if c == nil {
		c = new(widget.Clickable)
		p.clicks[seq] = c
	}
	return c
}

// showsPicture says whether message m shows as a picture rather than a
// file card: it has an Image with a small thumbnail that has not failed.
func showsPicture(st state.State, m state.Message) bool {
	f := m.File
	return f != nil && f.Image != nil && f.Image.Small != "" && f.Image.Width > 0 && f.Image.Height > 0 &&
		!st.ThumbsFailed[f.Image.Small]
}

// pictureBox is the size of an inline picture of w × h pixels within a
// width of maxW: its aspect ratio within the bounds, never larger than
// its pixels at one pixel a dp, a tiny one grown, a thin strip cropped.
func pictureBox(gtx layout.Context, w, h, maxW int) image.Point {
	mw, mh := min(gtx.Dp(pictureMaxW), maxW), gtx.Dp(pictureMaxH)
	if w <= 0 || h <= 0 {
		s := min(gtx.Dp(pictureMin), mw)
		return image.Pt(s, s)
	}
	s := min(float32(mw)/float32(w), float32(mh)/float32(h), gtx.Metric.PxPerDp)
	bw, bh := float32(w)*s, float32(h)*s
	if long, least := max(bw, bh), float32(gtx.Dp(pictureMin)); long < least {
		bw, bh = bw*least/long, bh*least/long
	}
	thin := gtx.Dp(pictureThin)
	return image.Pt(clampInt(int(bw+0.5), min(thin, mw), mw), clampInt(int(bh+0.5), thin, mh))
}

func clampInt(v, lo, hi int) int { return max(lo, min(v, hi)) }

// drawCover draws img over a box of size, scaled to cover it and
// centred (what does not fit is cropped); corners rounded by r.
func (p *pictureUI) drawCover(gtx layout.Context, img image.Image, size image.Point, r int) {
	defer clip.UniformRRect(image.Rectangle{Max: size}, r).Push(gtx.Ops).Pop()
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return
	}
	s := max(float32(size.X)/float32(b.Dx()), float32(size.Y)/float32(b.Dy()))
	off := f32.Pt((float32(size.X)-float32(b.Dx())*s)/2, (float32(size.Y)-float32(b.Dy())*s)/2)
	defer op.Affine(f32.AffineId().Scale(f32.Point{}, f32.Pt(s, s)).Offset(off)).Push(gtx.Ops).Pop()
	p.imageOp(img).Add(gtx.Ops)
	paint.PaintOp{}.Add(gtx.Ops)
}

// pictureCard is the bubble of a picture message: the picture, then its
// caption.
func (l *msgList) pictureCard(gtx layout.Context, u *UI, st state.State, m state.Message) layout.Dimensions {
	th, p := u.th, &l.pics
	f := m.File
	box := pictureBox(gtx, f.Image.Width, f.Image.Height, gtx.Constraints.Max.X)
	click := p.click(m.Seq)
	if click.Clicked(gtx) {
		p.view.show(m)
	}
	img := p.thumb(u, st, f.Image.Small)
	bg, border := th.Bubble, th.Border
	if m.Mine {
		bg, border = th.Selected, color0
	}
	if th.Dark {
		border = color0
	}
	gtx.Constraints.Min.X, gtx.Constraints.Max.X = box.X, box.X
	return th.surface(gtx, bg, border, radiusL, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return click.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					semantic.Button.Add(gtx.Ops)
					semantic.DescriptionOp(fmt.Sprintf(u.picw().PictureF, f.Name)).Add(gtx.Ops)
					r := gtx.Dp(radiusL)
					if img == nil {
						th.corners.fillRRect(gtx.Ops, image.Rectangle{Max: box}, r, th.SurfaceAlt)
					} else {
						p.drawCover(gtx, img, box, r)
					}
					return layout.Dimensions{Size: box}
				})
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if strings.TrimSpace(m.Text) == "" {
					return layout.Dimensions{}
				}
				return layout.Inset{Left: spaceM, Right: spaceM, Top: spaceS, Bottom: spaceS}.Layout(gtx,
					th.label(textBody, th.Fg, m.Text).userContent().Layout)
			}),
		)
	})
}

// pictures are the messages of msgs that show as pictures, in order.
func pictures(msgs []state.Message) []state.Message {
	var out []state.Message
	for _, m := range msgs {
		if m.Kind == proto.MsgFile && m.File != nil && m.File.Image != nil && !m.Deleted {
			out = append(out, m)
		}
	}
	return out
}

// Events of pictures.
type (
	// WantThumb asks the model for thumbnail ID (a proto.Image's Small
	// or Large), published in State.Thumbs.
	WantThumb struct{ ID string }
	// ViewFull asks the model for the full picture of file File, saved
	// or sent by transfer Transfer, published in State.Thumbs under File.
	ViewFull struct{ File, Transfer string }
	// SendPictures sends the files of the preview (State.Picked),
	// Caption as the first one's text; Cancel drops them instead.
	SendPictures struct {
		Caption string
		Cancel  bool
	}
)

func (WantThumb) isEvent()    {}
func (ViewFull) isEvent()     {}
func (SendPictures) isEvent() {}
