package main

import (
	"log/slog"
	"slices"
	"testing"

	"gioui.org/text"

	"parley/ui"
	"parley/ui/uitest"
)

func TestTheDesktopLoadsTheEmojiFontWithTheFirstScreen(t *testing.T) {
	faces, cjk := startFonts("", slog.New(slog.DiscardHandler))
	if cjk == 0 {
		t.Error("no Chinese face (make test installs fonts-noto-cjk)")
	}
	if !slices.ContainsFunc(faces, func(f ui.FontFace) bool { return f.Font.Typeface == "Noto Color Emoji" }) {
		t.Fatalf("no Noto Color Emoji among the faces (make test installs fonts-noto-color-emoji)")
	}
	if n := uitest.MissingGlyphs(ui.NewShaper(faces, false), "🚶😀"); n != 0 {
		t.Errorf("%d emoji are .notdef", n)
	}
}

// Fonts that arrive after the first frame (the browser's) reach the UI in
// one shaper with everything added so far, the newest only.
func TestLateFontsReachTheWindowInTheNewestShaper(t *testing.T) {
	path, ok := ui.FindEmojiFont()
	if !ok {
		t.Fatal("no emoji font (make test installs fonts-noto-color-emoji)")
	}
	emoji, err := ui.LoadEmojiFont(path)
	if err != nil {
		t.Fatal(err)
	}
	cjk, err := ui.LoadCJKFont(uitest.NotoCJKRegular)
	if err != nil {
		t.Fatal(err)
	}
	wakes := 0
	s := &shapers{faces: ui.Collection(), out: make(chan *text.Shaper, 1), wake: func() { wakes++ }}
	s.add(cjk)
	s.add(emoji)
	if wakes != 2 {
		t.Errorf("%d wake-ups for two fonts, want 2", wakes)
	}
	sh := <-s.out
	if n := uitest.MissingGlyphs(sh, "学习😀🚶"); n != 0 {
		t.Errorf("the newest shaper misses %d of 学习😀🚶: it lacks a font added before it", n)
	}
	select {
	case <-s.out:
		t.Error("an older shaper is still waiting for the UI")
	default:
	}
}

// BenchmarkStartFonts times the desktop's fonts before the first frame:
// the Go fonts, the two CJK faces and the emoji font, loaded in parallel.
func BenchmarkStartFonts(b *testing.B) {
	log := slog.New(slog.DiscardHandler)
	for b.Loop() {
		startFonts("", log)
	}
}
