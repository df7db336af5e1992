package uitest

import (
	"image"
	"image/color"
	"math"

	"parley/app/state"
	"parley/net/proto"
)

// The pictures of the Pictures fixture.
var (
	Lake = proto.File{ID: "f-lake", Name: "西湖 sunset.jpg", Size: 4_812_000, SHA256: "e1",
		Image: &proto.Image{Width: 4000, Height: 3000, Small: "s-lake", Large: "l-lake"}}
	Tower = proto.File{ID: "f-tower", Name: "IMG_2041.jpg", Size: 2_204_000, SHA256: "e2",
		Image: &proto.Image{Width: 1080, Height: 1920, Small: "s-tower", Large: "l-tower"}}
	Icon = proto.File{ID: "f-icon", Name: "favicon.png", Size: 1_200, SHA256: "e3",
		Image: &proto.Image{Width: 24, Height: 24, Small: "s-icon", Large: "l-icon"}}
)

// Pictures is Busy with three pictures in the study group: 王芳's
// landscape photo with a caption, my portrait one, and Tom's tiny icon.
// No thumbnail has arrived yet: PictureThumbs has them.
func Pictures() state.State {
	st := Busy()
	o := *st.Open
	pic := func(seq int64, from proto.User, t int64, f proto.File, caption string) state.Message {
		m := textMsg(seq, from, t, caption)
		m.Kind, m.File = proto.MsgFile, &f
		return m
	}
	msgs := append([]state.Message(nil), o.Messages[:len(o.Messages)-1]...)
	msgs = append(msgs,
		pic(14, WangFang, at(12, 18, 2), Lake, "昨天的西湖，太美了 The lake last night"),
		pic(15, LiHua, at(12, 18, 5), Tower, ""),
		pic(16, Tom, at(12, 18, 9), Icon, "our new icon"),
	)
	o.Messages, o.Revision = msgs, 2
	last := msgs[len(msgs)-1].Message
	o.Last = &last
	st.Open = &o
	st.Notices = nil
	return st
}

// PictureThumbs are the thumbnails of the Pictures fixture, drawn: a
// sunset over a lake, a tower against the sky, a small icon; small and
// large alike (the large ones at the small size: enough for the viewer's
// tests).
func PictureThumbs() state.Thumbs {
	lake, tower, icon := Lakeside(320, 240), TowerScene(180, 320), IconScene(24, 24)
	return state.Thumbs{"s-lake": lake, "l-lake": lake, "s-tower": tower, "l-tower": tower, "s-icon": icon, "l-icon": icon}
}

// Lakeside draws a sunset over a lake, w × h.
func Lakeside(w, h int) *image.NRGBA {
	return scene(w, h, color.NRGBA{R: 0xf6, G: 0x9d, B: 0x5c, A: 0xff}, color.NRGBA{R: 0x2b, G: 0x4a, B: 0x7a, A: 0xff}, false)
}

// TowerScene draws a tower against a blue sky, w × h.
func TowerScene(w, h int) *image.NRGBA {
	return scene(w, h, color.NRGBA{R: 0x8e, G: 0xc5, B: 0xf0, A: 0xff}, color.NRGBA{R: 0x6d, G: 0x8f, B: 0x4e, A: 0xff}, true)
}

// IconScene draws a small icon, w × h.
func IconScene(w, h int) *image.NRGBA {
	return scene(w, h, color.NRGBA{R: 0x39, G: 0x6b, B: 0xe8, A: 0xff}, color.NRGBA{R: 0xff, G: 0xc4, B: 0x3d, A: 0xff}, false)
}

// scene draws a sky of top fading down to the horizon, a sun, and ground
// of colour ground; tower puts a tall building in the middle.
func scene(w, h int, top, ground color.NRGBA, tower bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	horizon := h * 2 / 3
	sunX, sunY, sunR := float64(w)*0.7, float64(h)*0.45, float64(min(w, h))/9
	for y := range h {
		for x := range w {
			c := ground
			if y < horizon {
				k := float64(y) / float64(horizon)
				c = color.NRGBA{R: mix(top.R, 0xff, k*0.6), G: mix(top.G, 0xe0, k*0.5), B: mix(top.B, 0xc0, k*0.4), A: 0xff}
				if math.Hypot(float64(x)-sunX, float64(y)-sunY) < sunR {
					c = color.NRGBA{R: 0xff, G: 0xf0, B: 0xb0, A: 0xff}
				}
			} else {
				k := float64(y-horizon) / float64(h-horizon)
				c = color.NRGBA{R: mix(ground.R, 0, k*0.5), G: mix(ground.G, 0, k*0.5), B: mix(ground.B, 0, k*0.5), A: 0xff}
			}
			if tower && x > w*2/5 && x < w*3/5 && y > h/6 && y < horizon+h/12 {
				c = color.NRGBA{R: 0x4a, G: 0x4e, B: 0x5a, A: 0xff}
				if (y/8)%2 == 0 && (x/6)%2 == 0 {
					c = color.NRGBA{R: 0xf5, G: 0xe6, B: 0x9a, A: 0xff}
				}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func mix(a, b uint8, k float64) uint8 { return uint8(float64(a)*(1-k) + float64(b)*k) }
