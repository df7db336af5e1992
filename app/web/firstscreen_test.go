package web

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/ui/uitest"
)

// firstScreenBudget is what the browser may download before the app's
// first screen: bytes on the wire, headers included.
const firstScreenBudget = 8_000_000

// netlog keeps the page's HTTP requests as the DevTools protocol reports
// them: when each was sent and the bytes it took on the wire.
type netlog struct {
	mu      sync.Mutex
	reqs    map[string]*netRequest
	changed chan struct{} // a request finished
}

type netRequest struct {
	url   string
	sent  float64 // wall time, seconds since the epoch
	bytes int64   // on the wire, headers included
	done  bool
}

func watchNetwork(b *browser) *netlog {
	n := &netlog{reqs: map[string]*netRequest{}, changed: make(chan struct{}, 1)}
	b.dt.on("Network.requestWillBeSent", func(raw json.RawMessage) {
		var p struct {
			RequestID string  `json:"requestId"`
			WallTime  float64 `json:"wallTime"`
			Request   struct {
				URL string `json:"url"`
			} `json:"request"`
		}
		json.Unmarshal(raw, &p)
		n.mu.Lock()
		if n.reqs[p.RequestID] == nil { // a redirect keeps its first time
			n.reqs[p.RequestID] = &netRequest{url: p.Request.URL, sent: p.WallTime}
		}
		n.mu.Unlock()
	})
	finished := func(raw json.RawMessage) {
		var p struct {
			RequestID         string  `json:"requestId"`
			EncodedDataLength float64 `json:"encodedDataLength"`
		}
		json.Unmarshal(raw, &p)
		n.mu.Lock()
		if r := n.reqs[p.RequestID]; r != nil {
			r.bytes, r.done = int64(p.EncodedDataLength), true
		}
		n.mu.Unlock()
		select {
		case n.changed <- struct{}{}:
		default:
		}
	}
	b.dt.on("Network.loadingFinished", finished)
	b.dt.on("Network.loadingFailed", finished)
	b.call("Network.enable", map[string]any{})
	return n
}

// before returns the requests sent before the wall time t (seconds since
// the epoch), waiting until each has finished.
func (n *netlog) before(tb testing.TB, t float64) []netRequest {
	tb.Helper()
	deadline := time.After(90 * time.Second)
	for {
		var reqs []netRequest
		pending := 0
		n.mu.Lock()
		for _, r := range n.reqs {
			if r.sent < t {
				reqs = append(reqs, *r)
				if !r.done {
					pending++
				}
			}
		}
		n.mu.Unlock()
		if pending == 0 {
			return reqs
		}
		select {
		case <-n.changed:
		case <-deadline:
			tb.Fatalf("%d requests of the first screen did not finish in 90 s", pending)
		}
	}
}

// The first screen must not wait for 43 MB: the wasm file travels
// compressed and the fonts (Chinese, emoji) are fetched after it.
func TestTheFirstScreenNeedsAtMost8MB(t *testing.T) {
	srv := serveWeb(t)
	b := startBrowser(t)
	net := watchNetwork(b)
	// The page notes when the app finished its first frame.
	b.call("Page.enable", nil)
	b.call("Page.addScriptToEvaluateOnNewDocument", map[string]any{"source": `
		addEventListener("parleyframe", () => {
			if (globalThis.parleyFirstFrame === undefined) globalThis.parleyFirstFrame = performance.timeOrigin + performance.now();
		});`})
	b.open(srv.HTTPURL + "/?automation")
	b.see("Register")
	var firstMs float64
	if err := b.dt.eval(ctxFor(t, 30*time.Second), "globalThis.parleyFirstFrame", &firstMs); err != nil || firstMs == 0 {
		b.fail("the time of the first frame: %v", err)
	}

	reqs := net.before(t, firstMs/1000)
	slices.SortFunc(reqs, func(a, b netRequest) int { return int(b.bytes - a.bytes) })
	var total int64
	var lines []string
	for _, r := range reqs {
		total += r.bytes
		lines = append(lines, fmt.Sprintf("%12d  %s", r.bytes, strings.TrimPrefix(r.url, srv.HTTPURL)))
	}
	t.Logf("before the first screen, %d bytes on the wire:\n%s", total, strings.Join(lines, "\n"))
	if total > firstScreenBudget {
		t.Errorf("the first screen took %d bytes on the wire, want at most %d", total, firstScreenBudget)
	}
	if len(reqs) == 0 || !slices.ContainsFunc(reqs, func(r netRequest) bool { return strings.HasSuffix(r.url, "/parley.wasm") }) {
		t.Errorf("parley.wasm is not among the first screen's requests: the measure is wrong")
	}

	// Then the fonts follow; how long Chinese takes is in the log
	// (docs/benchmarks.md).
	for _, font := range []string{"/fonts/cjk", "/fonts/emoji"} {
		line := b.consoleLine(`"font added"`, font)
		t.Logf("%s", line)
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
