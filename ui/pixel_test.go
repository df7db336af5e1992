package ui_test

import (
	"image"
	"image/color"
	"testing"
	"unicode"

	"parley/app/state"
	"parley/ui"
	"parley/ui/uitest"
)

// render draws st with a fresh UI and returns the driver and the image.
func render(t *testing.T, st state.State, lang ui.Lang, dark bool, size image.Point) (*uitest.Driver, *image.RGBA) {
	t.Helper()
	d := uitest.NewDriver(uitest.NewUI(t, lang, dark), size)
	d.Frame(st)
	d.Frame(st)
	r, err := uitest.NewRenderer(size)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	img, err := r.Render(&d.Ops)
	if err != nil {
		t.Fatal(err)
	}
	return d, img
}

// ink counts the pixels of box that differ clearly from bg.
func ink(img *image.RGBA, box image.Rectangle, bg color.NRGBA) int {
	n := 0
	box = box.Intersect(img.Bounds())
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			c := img.RGBAAt(x, y)
			d := absDiff(c.R, bg.R) + absDiff(c.G, bg.G) + absDiff(c.B, bg.B)
			if d > 96 {
				n++
			}
		}
	}
	return n
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func TestChineseIsDrawnWithoutTofu(t *testing.T) {
	sh := uitest.Shaper(t)
	if uitest.MissingGlyphs(sh, "\U0001F600") == 0 {
		t.Fatal("the tofu check cannot see a missing glyph")
	}
	for _, c := range []struct {
		name string
		st   state.State
		dark bool
		bg   color.NRGBA
	}{
		{"login", uitest.Login(), false, ui.LightPalette.Surface},
		{"main", uitest.Busy(), false, ui.LightPalette.Bg},
		{"main dark", uitest.Busy(), true, ui.DarkPalette.Bg},
	} {
		d, img := render(t, c.st, ui.Chinese, c.dark, image.Pt(1280, 820))
		han := 0
		for _, n := range d.Texts() {
			if m := uitest.MissingGlyphs(sh, n); m > 0 {
				t.Errorf("%s: %q has %d glyphs the fonts lack", c.name, n, m)
			}
			if hasHan(n) {
				han++
			}
		}
		if han == 0 {
			t.Fatalf("%s: no Chinese text on screen: %q", c.name, d.Texts())
		}
		// The Chinese title or message must leave ink in its box.
		probe := "登录"
		if c.st.Me != nil {
			probe = "我刚加入，请问资料在哪里下载？"
		}
		n, ok := d.Find(probe)
		if !ok {
			t.Fatalf("%s: %q not on screen", c.name, probe)
		}
		box := n.Visible
		bg := c.bg
		if c.st.Me != nil {
			bg = ui.LightPalette.Bubble
			if c.dark {
				bg = ui.DarkPalette.Bubble
			}
		} else {
			bg = ui.LightPalette.Surface // the selected tab
		}
		if got, min := ink(img, box, bg), box.Dx()*box.Dy()/20; got < min {
			t.Errorf("%s: %q left %d inked pixels in its %v box, want at least %d", c.name, probe, got, box, min)
		}
	}
}

func TestThemesPaintTheirPalette(t *testing.T) {
	for _, dark := range []bool{false, true} {
		p := ui.LightPalette
		if dark {
			p = ui.DarkPalette
		}
		_, img := render(t, uitest.Login(), ui.English, dark, image.Pt(900, 700))
		corner := img.RGBAAt(5, 690)
		if corner.R != p.Bg.R || corner.G != p.Bg.G || corner.B != p.Bg.B {
			t.Errorf("dark=%v: window background %v, want %v", dark, corner, p.Bg)
		}
		centre := img.RGBAAt(450, 180) // inside the card, left of its title
		if centre.R != p.Surface.R || centre.G != p.Surface.G || centre.B != p.Surface.B {
			t.Errorf("dark=%v: card %v, want %v", dark, centre, p.Surface)
		}
	}
}
