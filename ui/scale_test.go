package ui_test

import (
	"image"
	"testing"

	"gioui.org/io/semantic"

	"parley/app/state"
	"parley/ui"
	"parley/ui/uitest"
)

// scaledDriver is a driver for a window of px pixels at scale.
func scaledDriver(t *testing.T, lang ui.Lang, px image.Point, scale float32) *uitest.Driver {
	t.Helper()
	d := uitest.NewDriver(uitest.NewUI(t, lang, false), px)
	d.Metric.PxPerDp, d.Metric.PxPerSp = scale, scale
	return d
}

// button returns the button labelled s (the button's node, not its
// label's), failing if none is on screen.
func button(t *testing.T, d *uitest.Driver, s string) uitest.Node {
	t.Helper()
	sc := d.Screen()
	for _, n := range sc {
		if n.Desc.Label != s || n.Control != semantic.Button || n.Visible.Empty() {
			continue
		}
		var best uitest.Node
		for _, b := range sc {
			if b.Desc.Class == semantic.Button && n.Desc.Bounds.In(b.Desc.Bounds) && (best.ID == 0 || b.Desc.Bounds.In(best.Desc.Bounds)) {
				best = b
			}
		}
		if best.ID != 0 {
			return best
		}
	}
	t.Fatalf("no button %q on screen; have %q", s, d.Texts())
	return uitest.Node{}
}

func TestAt150PercentTheLoginFitsA1280x800Screen(t *testing.T) {
	// The window as large as such a screen gets (its title bar and panel
	// take the rest): 840×480 dp, the app's default size, at 150 %.
	win := image.Pt(1260, 720)
	for _, c := range []struct {
		lang             ui.Lang
		register, submit string
	}{
		{ui.English, "", "Log in"},
		{ui.English, "Register", "Create account"},
		{ui.Chinese, "", "登录"},
		{ui.Chinese, "注册", "注册账号"},
	} {
		d := scaledDriver(t, c.lang, win, 1.5)
		d.Frame(uitest.Login())
		if c.register != "" {
			must(t, d.Click(c.register))
			d.Frame(d.State)
		}
		d.Frame(d.State)
		b := button(t, d, c.submit)
		if !b.Visible.Eq(b.Desc.Bounds) || !b.Visible.In(image.Rectangle{Max: win}) {
			t.Errorf("%s: %q is at %v (visible %v), not wholly in the %v window", c.lang, c.submit, b.Desc.Bounds, b.Visible, win)
		}
	}
}

func TestAShortWindowScrollsToTheLoginButton(t *testing.T) {
	win := image.Pt(480, 360) // 320×240 dp at 150 %: shorter than the form
	d := scaledDriver(t, ui.English, win, 1.5)
	st := state.State{Server: "http://127.0.0.1:8080", AuthError: &state.Notice{Kind: state.NoticeError, Code: state.CodeCache, Args: []string{"4821"}}}
	d.Frame(st)
	d.Frame(st)
	for range 20 {
		for _, b := range d.Screen() {
			if b.Desc.Label == "Log in" && b.Control == semantic.Button && b.Visible.Eq(b.Desc.Bounds) && b.Visible.In(image.Rectangle{Max: win}) {
				return
			}
		}
		d.Scroll(image.Pt(win.X/2, win.Y/2), 100)
		d.Frame(st)
	}
	t.Fatalf("scrolling never brought the Log in button into the %v window", win)
}
