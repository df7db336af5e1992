package ui

import (
	"image"
	"image/color"

	"gioui.org/f32"
	"gioui.org/io/semantic"
	"gioui.org/layout"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	"gioui.org/unit"
	qrcode "github.com/skip2/go-qrcode"
)

// qrCache keeps the modules of the last QR code drawn: a link's code is
// encoded once, not every frame.
var qrCache struct {
	text    string
	modules [][]bool
}

// qrModules returns the modules of text's QR code (with its quiet zone),
// true for dark; nil if it cannot be encoded.
func qrModules(text string) [][]bool {
	if qrCache.text == text && qrCache.modules != nil {
		return qrCache.modules
	}
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil
	}
	qrCache.text, qrCache.modules = text, q.Bitmap()
	return qrCache.modules
}

// qrCode draws text's QR code at most size wide, dark modules on white
// whatever the theme (scanners need the contrast), whole pixels per
// module so that it stays sharp. desc names it for screen readers.
func qrCode(gtx layout.Context, u *UI, text string, size unit.Dp, desc string) layout.Dimensions {
	mods := qrModules(text)
	n := len(mods)
	if n == 0 {
		return layout.Dimensions{}
	}
	px := max(gtx.Dp(size)/n, 1)
	side := px * n
	defer clip.Rect{Max: image.Pt(side, side)}.Push(gtx.Ops).Pop()
	semantic.DescriptionOp(desc).Add(gtx.Ops)
	paint.Fill(gtx.Ops, color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff})
	var p clip.Path
	p.Begin(gtx.Ops)
	for y, row := range mods {
		for x, dark := range row {
			if !dark {
				continue
			}
			x0, y0 := float32(x*px), float32(y*px)
			p.MoveTo(f32.Pt(x0, y0))
			p.LineTo(f32.Pt(x0+float32(px), y0))
			p.LineTo(f32.Pt(x0+float32(px), y0+float32(px)))
			p.LineTo(f32.Pt(x0, y0+float32(px)))
			p.Close()
		}
	}
	paint.FillShape(gtx.Ops, color.NRGBA{A: 0xff}, clip.Outline{Path: p.End()}.Op())
	return layout.Dimensions{Size: image.Pt(side, side)}
}
