package ui_test

import (
	"image"
	"image/color"
	"testing"

	"gioui.org/io/key"

	"parley/ui"
	"parley/ui/uitest"
)

func renderFrame(t *testing.T, d *uitest.Driver) *image.RGBA {
	t.Helper()
	r, err := uitest.NewRenderer(d.Size)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	img, err := r.Render(&d.Ops)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// ring counts the pixels close to c in the band of width w around r.
func ring(img *image.RGBA, r image.Rectangle, w int, c color.NRGBA) int {
	n := 0
	outer := r.Inset(-w).Intersect(img.Bounds())
	for y := outer.Min.Y; y < outer.Max.Y; y++ {
		for x := outer.Min.X; x < outer.Max.X; x++ {
			if image.Pt(x, y).In(r) {
				continue
			}
			p := img.RGBAAt(x, y)
			if absDiff(p.R, c.R)+absDiff(p.G, c.G)+absDiff(p.B, c.B) <= 40 {
				n++
			}
		}
	}
	return n
}

func TestTheFocusRingIsNotTheHover(t *testing.T) {
	primary := ui.LightPalette.Primary
	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.Login())
	d.Frame(d.State)
	b := button(t, d, "Log in").Desc.Bounds
	plain := ring(renderFrame(t, d), b, 5, primary)

	d.Hover(center(b))
	d.Frame(d.State)
	d.Frame(d.State)
	hovered := renderFrame(t, d)
	if got := ring(hovered, b, 5, primary); got > plain {
		t.Errorf("hovering draws a ring (%d primary pixels around the button, %d without)", got, plain)
	}
	d.Hover(image.Pt(1, 1))
	must(t, d.Fill("Password", "pw"))
	d.Tab(false)
	d.Frame(d.State)
	d.Frame(d.State)
	focused := renderFrame(t, d)
	got := ring(focused, b, 5, primary)
	if got < b.Dx() { // at least the length of one edge
		t.Fatalf("the focused button has %d primary pixels around it (%d without focus); want a ring", got, plain)
	}
	d.Press(key.NameSpace, 0) // the focused button is Log in: it asks for the ID
	d.Frame(d.State)
	d.Frame(d.State)
	onScreen(t, d, "Enter your user ID (a number like 4821)")
}

func TestLeaveGroupAndLogOutHaveDifferentIcons(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Busy()
	d.Frame(st)
	d.Frame(st)
	img := renderFrame(t, d)
	logout := onScreenNode(t, d, "Log out").Desc.Bounds
	leave := onScreenNode(t, d, "Leave group").Desc.Bounds
	if logout.Size() != leave.Size() {
		t.Fatalf("the buttons differ in size: %v and %v", logout, leave)
	}
	bg := ui.LightPalette.Surface
	differ, inked := 0, 0
	for y := range logout.Dy() {
		for x := range logout.Dx() {
			a := img.RGBAAt(logout.Min.X+x, logout.Min.Y+y)
			b := img.RGBAAt(leave.Min.X+x, leave.Min.Y+y)
			ia := absDiff(a.R, bg.R)+absDiff(a.G, bg.G)+absDiff(a.B, bg.B) > 96
			ib := absDiff(b.R, bg.R)+absDiff(b.G, bg.G)+absDiff(b.B, bg.B) > 96
			if ia || ib {
				inked++
			}
			if ia != ib {
				differ++
			}
		}
	}
	if inked == 0 || differ*4 < inked {
		t.Fatalf("Log out and Leave group look alike: %d of %d inked pixels differ", differ, inked)
	}
}
