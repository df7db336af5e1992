package ui

import (
	"image"

	"gioui.org/f32"
	"gioui.org/layout"
	"gioui.org/unit"
)

// ViewerZoom is the viewer's zoom (1: fitted) and pan.
func ViewerZoom(u *UI) (float32, f32.Point) {
	v := &u.conv.msgs.pics.view
	return v.zoom, v.off
}

// PictureBox is the inline size of a w × h picture within maxW px, at
// pxPerDp.
func PictureBox(w, h, maxW int, pxPerDp float32) image.Point {
	gtx := layout.Context{Metric: unit.Metric{PxPerDp: pxPerDp, PxPerSp: pxPerDp}}
	return pictureBox(gtx, w, h, maxW)
}
