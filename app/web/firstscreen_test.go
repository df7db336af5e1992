package web

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/ui/uitest"
)

// firstScreenBudget is what the browser may download before the app's
// first screen: bytes on the wire, headers included.
const firstScreenBudget = 8_000_000

// firstScreenScript records, at the app's first frame (the automation
// hook's first "parleyframe" event), every response the page has
// received in full, with its bytes on the wire (Resource Timing's
// transferSize: headers and body as sent). The first screen needed no
// more: a request still under way then was not waited for.
const firstScreenScript = `
	addEventListener("parleyframe", () => {
		if (globalThis.parleyFirstScreen) return;
		const entries = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")];
		globalThis.parleyFirstScreen = entries.map((e) => ({url: e.name, bytes: e.transferSize}));
	});`

// response is one of firstScreenScript's.
type response struct {
	URL   string `json:"url"`
	Bytes int64  `json:"bytes"`
}

// The first screen must not wait for 43 MB: the wasm file travels
// compressed and the fonts (Chinese, emoji) are fetched after it.
func TestTheFirstScreenNeedsAtMost8MB(t *testing.T) {
	srv := serveWeb(t)
	b := startBrowser(t)
	b.call("Page.enable", nil)
	b.call("Page.addScriptToEvaluateOnNewDocument", map[string]any{"source": firstScreenScript})
	b.open(srv.HTTPURL + "/?automation")
	b.see("Register")
	var reqs []response
	if err := b.dt.eval(ctxFor(t, 30*time.Second), "globalThis.parleyFirstScreen", &reqs); err != nil || len(reqs) == 0 {
		b.fail("the first screen's responses: %v", err)
	}
	slices.SortFunc(reqs, func(a, b response) int { return int(b.Bytes - a.Bytes) })
	var total int64
	var lines []string
	wasm := false
	for _, r := range reqs {
		total += r.Bytes
		wasm = wasm || strings.HasSuffix(r.URL, "/parley.wasm")
		lines = append(lines, fmt.Sprintf("%12d  %s", r.Bytes, strings.TrimPrefix(r.URL, srv.HTTPURL)))
	}
	t.Logf("before the first screen, %d bytes on the wire:\n%s", total, strings.Join(lines, "\n"))
	if total > firstScreenBudget {
		t.Errorf("the first screen took %d bytes on the wire, want at most %d", total, firstScreenBudget)
	}
	if !wasm {
		t.Errorf("parley.wasm is not among the first screen's responses: the measure is wrong")
	}

	// Then the fonts follow; how long Chinese takes is in the log
	// (docs/benchmarks.md).
	for _, font := range []string{"/fonts/cjk", "/fonts/emoji"} {
		t.Logf("%s", b.consoleLine(`"font added"`, font))
	}
}

// consoleLine waits for a line of the page's console holding every one
// of parts, and returns it.
func (b *browser) consoleLine(parts ...string) string {
	b.t.Helper()
	var found string
	b.until(fmt.Sprintf("the console to say %q", parts), func(uitest.Screen) bool {
		for _, line := range b.dt.Console() {
			if !slices.ContainsFunc(parts, func(p string) bool { return !strings.Contains(line, p) }) {
				found = line
				return true
			}
		}
		return false
	})
	return found
}
