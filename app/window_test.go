package main

import (
	"image"
	"testing"
)

func TestTheDefaultWindowFitsA1280x800ScreenAt150Percent(t *testing.T) {
	o, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	// The window at 150 %, plus a title bar and a desktop panel.
	const scale, chrome = 1.5, 70
	px := image.Pt(int(float64(o.size.X)*scale), int(float64(o.size.Y)*scale)+chrome)
	if px.X > 1280 || px.Y > 800 {
		t.Fatalf("the default window of %v dp takes %v px at 150 %%; a 1280×800 screen has no room for it", o.size, px)
	}
	// ui's TestAt150PercentTheLoginFitsA1280x800Screen lays out the login
	// screen in this window.
	if o.size != image.Pt(840, 480) {
		t.Errorf("the default window is %v dp; the ui test checks 840×480", o.size)
	}
}
