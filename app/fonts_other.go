//go:build !js

package main

import (
	"log/slog"

	"parley/ui"
)

// startFonts loads the fonts from the platform's font files: the Go
// fonts, the Chinese faces and, at the same time, the emoji font (~40 ms:
// Noto Color Emoji's bitmaps are read whole); the server address only
// matters in the browser (see fonts_js.go).
func startFonts(_ string, log *slog.Logger) (faces []ui.FontFace, cjk int) {
	emoji := make(chan []ui.FontFace, 1)
	go func() { emoji <- loadEmojiFont(log) }()
	faces, cjk = loadFonts(log)
	return append(faces, <-emoji...), cjk
}

// loadEmojiFont loads the platform's emoji font, if it has a known one.
func loadEmojiFont(log *slog.Logger) []ui.FontFace {
	path, ok := ui.FindEmojiFont()
	if !ok {
		log.Warn("no emoji font found; using the system's fonts")
		return nil
	}
	f, err := ui.LoadEmojiFont(path)
	if err != nil {
		log.Warn("load emoji font", "err", err)
		return nil
	}
	return []ui.FontFace{f}
}

// lateFonts has nothing to add outside the browser: every font is a
// local file, loaded before the first frame.
func lateFonts(string, *slog.Logger, func(...ui.FontFace)) {}
