//go:build js

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"parley/ui"
)

// webFontPath is where the server serves its font: node.WebFontPath,
// which the browser build cannot import (the server links SQLite).
const webFontPath = "/fonts/cjk"

// maxWebFont bounds the font download: a pan-CJK collection is about
// 20 MB.
const maxWebFont = 64 << 20

// startFonts loads the fonts in the browser, which has no font files to
// open: the Go fonts, and the Chinese font the app's server serves at
// webFontPath. Without one (the server was started without
// -web-font, or it cannot be read) Chinese text shows as boxes, silently.
func startFonts(server string, log *slog.Logger) (faces []ui.FontFace, cjk int) {
	faces = ui.Collection()
	f, err := fetchCJKFont(server)
	if err != nil {
		log.Debug("no CJK font from the server", "err", err)
		return faces, 0
	}
	return append(faces, f), 1
}

// fetchCJKFont downloads and parses the server's Chinese font.
func fetchCJKFont(server string) (ui.FontFace, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := strings.TrimSuffix(server, "/") + webFontPath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return ui.FontFace{}, fmt.Errorf("fetch font: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ui.FontFace{}, fmt.Errorf("fetch font: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ui.FontFace{}, fmt.Errorf("fetch font %s: %s", url, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxWebFont))
	if err != nil {
		return ui.FontFace{}, fmt.Errorf("fetch font %s: %w", url, err)
	}
	return ui.LoadCJKFontBytes(data, url)
}
