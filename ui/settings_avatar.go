package ui

import (
	"image"

	"gioui.org/f32"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	"gioui.org/unit"

	"parley/net/proto"
)

// pictureAvatar draws the profile picture of user id in a circle of
// diameter s, if the model has one; false if not (the avatar then draws
// the initial).
func (th *theme) pictureAvatar(gtx layout.Context, id int64, s int) bool {
	return th.drawPicture(gtx, th.pictures[proto.UserID(id)], s)
}

// drawPicture draws img (a thumbnail) in a circle of diameter s; false
// if there is none.
func (th *theme) drawPicture(gtx layout.Context, img image.Image, s int) bool {
	if img == nil || s <= 0 {
		return false
	}
	if th.picOps == nil {
		th.picOps = map[image.Image]paint.ImageOp{}
	}
	io, ok := th.picOps[img]
	if !ok {
		if len(th.picOps) > 256 { // pictures replaced: start over
			clear(th.picOps)
		}
		io = paint.NewImageOp(img)
		io.Filter = paint.FilterLinear
		th.picOps[img] = io
	}
	b := img.Bounds()
	side := min(b.Dx(), b.Dy()) // thumbnails are square; crop the centre otherwise
	if side <= 0 {
		return false
	}
	defer clip.Ellipse{Max: image.Pt(s, s)}.Push(gtx.Ops).Pop()
	scale := float32(s) / float32(side)
	off := f32.Pt(-float32(b.Dx()-side)/2*scale, -float32(b.Dy()-side)/2*scale)
	defer op.Affine(f32.Affine2D{}.Scale(f32.Point{}, f32.Pt(scale, scale)).Offset(off)).Push(gtx.Ops).Pop()
	io.Add(gtx.Ops)
	paint.PaintOp{}.Add(gtx.Ops)
	return true
}

// groupAvatar is a group's avatar: its picture, or else its initial,
// never a person's picture (a group's ID may equal a user's).
func (th *theme) groupAvatar(gtx layout.Context, name string, id int64, d unit.Dp) layout.Dimensions {
	if s := gtx.Dp(d); th.drawPicture(gtx, th.groupPictures[proto.ConvID(id)], s) {
		return layout.Dimensions{Size: image.Pt(s, s)}
	}
	pics := th.pictures
	th.pictures = nil
	defer func() { th.pictures = pics }()
	return th.avatar(gtx, name, id, d)
}
