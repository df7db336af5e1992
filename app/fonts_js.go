//go:build js

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"parley/ui"
)

// webFontPath and webEmojiFontPath are where the server serves its fonts:
// node.WebFontPath and node.WebEmojiFontPath, which the browser build
// cannot import (the server links SQLite).
const (
	webFontPath      = "/fonts/cjk"
	webEmojiFontPath = "/fonts/emoji"
)

// maxWebFont bounds a font download: a pan-CJK collection is about
// 20 MB, Noto Color Emoji 11 MB.
const maxWebFont = 64 << 20

// startFonts returns the fonts of the first screen in the browser, which
// has no font files to open: the Go fonts only, so that the first screen
// does not wait for 30 MB of fonts. The Chinese and emoji fonts the
// server serves follow (lateFonts); cjk is 1 for the Chinese face to
// come, so that the window does not warn of a missing one.
func startFonts(string, *slog.Logger) (faces []ui.FontFace, cjk int) {
	return ui.Collection(), 1
}

// lateFonts fetches the server's Chinese and emoji fonts, both at once,
// after the first frame, and adds each as it arrives (the window then
// draws again with it). Without one (the server was started without
// -web-font or -web-emoji-font, or it cannot be read) those characters
// stay boxes; the log says why.
func lateFonts(server string, log *slog.Logger, add func(...ui.FontFace)) {
	var wg sync.WaitGroup
	for _, f := range []struct {
		path string
		load func([]byte, string) (ui.FontFace, error)
	}{
		{webFontPath, ui.LoadCJKFontBytes},
		{webEmojiFontPath, ui.LoadEmojiFontBytes},
	} {
		wg.Go(func() {
			start := time.Now()
			url := strings.TrimSuffix(server, "/") + f.path
			data, err := fetchFont(url)
			if err != nil {
				log.Info("no font from the server", "err", err)
				return
			}
			face, err := f.load(data, url)
			if err != nil {
				log.Warn("load font", "err", err)
				return
			}
			add(face)
			log.Info("font added", "font", f.path, "bytes", len(data), "took", time.Since(start).Round(time.Millisecond))
		})
	}
	wg.Wait()
}

// fetchFont downloads a font of the server.
func fetchFont(url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch font: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch font: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch font %s: %s", url, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxWebFont))
	if err != nil {
		return nil, fmt.Errorf("fetch font %s: %w", url, err)
	}
	return data, nil
}
