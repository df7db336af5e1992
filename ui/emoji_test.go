package ui_test

import (
	"image"
	"image/color"
	"testing"

	"gioui.org/font"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/paint"
	"gioui.org/text"
	"gioui.org/unit"
	"gioui.org/widget"

	"parley/ui"
	"parley/ui/uitest"
)

// drawLabel draws s as the screens draw text (widget.Label) in black on
// white, 48 px high.
func drawLabel(t *testing.T, sh *text.Shaper, s string) *image.RGBA {
	t.Helper()
	size := image.Pt(200, 80)
	var ops op.Ops
	paint.Fill(&ops, color.NRGBA{R: 255, G: 255, B: 255, A: 255})
	gtx := layout.Context{Ops: &ops, Metric: unit.Metric{PxPerDp: 1, PxPerSp: 1}, Constraints: layout.Exact(size)}
	m := op.Record(&ops)
	paint.ColorOp{Color: color.NRGBA{A: 255}}.Add(&ops)
	black := m.Stop()
	widget.Label{}.Layout(gtx, sh, font.Font{}, 48, s, black)
	r, err := uitest.NewRenderer(size)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	img, err := r.Render(&ops)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// colourful counts the pixels that are clearly neither grey nor black.
func colourful(img *image.RGBA) int {
	n := 0
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			c := img.RGBAAt(x, y)
			hi, lo := max(c.R, c.G, c.B), min(c.R, c.G, c.B)
			if hi-lo > 100 {
				n++
			}
		}
	}
	return n
}

func TestEmojiAreDrawnWithThePlatformsEmojiFont(t *testing.T) {
	path, ok := ui.FindEmojiFont()
	if !ok {
		t.Fatalf("no emoji font among %q (make test installs fonts-noto-color-emoji)", ui.EmojiFontFiles())
	}
	emoji, err := ui.LoadEmojiFont(path)
	if err != nil {
		t.Fatal(err)
	}
	const s = "🚶😀"
	with, without := ui.NewShaper(ui.Collection(emoji), false), ui.NewShaper(ui.Collection(), false)
	if n := uitest.MissingGlyphs(without, s); n != 2 {
		t.Fatalf("without an emoji font %d of 2 emoji are .notdef: the check cannot see boxes", n)
	}
	if n := uitest.MissingGlyphs(with, s); n != 0 {
		t.Errorf("with %s, %d emoji are still .notdef", path, n)
	}
	boxes, drawn := drawLabel(t, without, s), drawLabel(t, with, s)
	white := color.NRGBA{R: 255, G: 255, B: 255, A: 255}
	if n := ink(boxes, boxes.Rect, white); n < 100 {
		t.Fatalf("the .notdef boxes left %d pixels of ink: the comparison would prove nothing", n)
	}
	if n := ink(drawn, drawn.Rect, white); n < 1000 {
		t.Errorf("the emoji left %d pixels of ink, want a drawn glyph (at least 1000)", n)
	}
	differ := 0
	for i := 0; i < len(drawn.Pix); i += 4 {
		if absDiff(drawn.Pix[i], boxes.Pix[i])+absDiff(drawn.Pix[i+1], boxes.Pix[i+1])+absDiff(drawn.Pix[i+2], boxes.Pix[i+2]) > 96 {
			differ++
		}
	}
	if differ < 1000 {
		t.Errorf("the emoji differ from the .notdef boxes in %d pixels, want at least 1000", differ)
	}
	// Noto Color Emoji's glyphs are PNG images, which labels draw in
	// colour (black text has none).
	if n := colourful(drawn); n < 500 {
		t.Errorf("%d colourful pixels in the emoji, want them in colour (at least 500)", n)
	}
}
