//go:build !js

package main

import (
	"log/slog"

	"parley/ui"
)

// startFonts loads the fonts from the platform's font files; the server
// address only matters in the browser (see fonts_js.go).
func startFonts(_ string, log *slog.Logger) (faces []ui.FontFace, cjk int) {
	return loadFonts(log)
}
