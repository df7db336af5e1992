package web

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"regexp"
	"testing"
	"time"

	"parley/ui/uitest"
)

// readTextSpy counts the page's calls of the Clipboard API's readText,
// the call that makes the browser ask for the clipboard permission.
const readTextSpy = `
	globalThis.parleyReadText = 0;
	const readText = Clipboard.prototype.readText;
	Clipboard.prototype.readText = function () { globalThis.parleyReadText++; return readText.apply(this, arguments); };`

// paste presses Ctrl+V in the focused field and delivers the paste
// event the browser fires with it, carrying s as its clipboard data.
const paste = `((s) => {
	const ta = document.querySelector("textarea");
	if (!ta) return "no textarea";
	const key = {key: "v", code: "KeyV", keyCode: 86, ctrlKey: true, bubbles: true, cancelable: true};
	ta.dispatchEvent(new KeyboardEvent("keydown", key));
	const data = new DataTransfer();
	data.setData("text/plain", s);
	ta.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
	ta.dispatchEvent(new KeyboardEvent("keyup", key));
	return "ok";
})(%q)`

func TestPasteUsesThePasteEventAndEmojiAreDrawn(t *testing.T) {
	srv := serveWeb(t)
	b := startBrowser(t)
	b.call("Page.enable", nil)
	b.call("Page.addScriptToEvaluateOnNewDocument", map[string]any{"source": readTextSpy})
	b.open(srv.HTTPURL + "/?automation")
	b.signUp()

	// Paste a group's name into its field; it arrives without asking
	// for the clipboard permission.
	const name = "学习小组 😀🚶"
	b.enter("Group name", name, func() {
		var r string
		if err := b.dt.eval(ctxFor(t, 30*time.Second), fmt.Sprintf(paste, name), &r); err != nil || r != "ok" {
			b.fail("paste: %v %q", err, r)
		}
	})
	var calls int
	if err := b.dt.eval(ctxFor(t, 30*time.Second), "globalThis.parleyReadText", &calls); err != nil || calls != 0 {
		b.fail("navigator.clipboard.readText was called %d times (%v): the browser asks for permission", calls, err)
	}
	b.pressEnter()
	b.seeMatch(regexp.MustCompile(`^Created ` + name + ` — its ID is (\d+)$`))

	// Once the emoji font has arrived, the group's emoji in the list are
	// drawn in colour where the boxes of missing glyphs were, in the
	// text's colour.
	var colour int
	b.until("the group's emoji drawn in colour", func(sc uitest.Screen) bool {
		n, ok := sc.Find(name)
		if !ok || n.Visible.Empty() {
			return false
		}
		colour = colourful(b.screenshotImage(), n.Visible)
		return colour >= 150
	})
	t.Logf("%d pixels in colour in the label %q", colour, name)
}

// screenshotImage returns the page as an image.
func (b *browser) screenshotImage() image.Image {
	b.t.Helper()
	var r struct {
		Data []byte `json:"data"`
	}
	if err := b.dt.call(ctxFor(b.t, 30*time.Second), "Page.captureScreenshot", map[string]any{"format": "png"}, &r); err != nil {
		b.fail("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(r.Data))
	if err != nil {
		b.t.Fatal(err)
	}
	return img
}

// colourful counts the pixels of box that are clearly coloured (not
// grey, as text and its missing-glyph boxes are) and differ from the
// box's most common colour (its background, which may be tinted).
func colourful(img image.Image, box image.Rectangle) int {
	box = box.Intersect(img.Bounds())
	type rgb struct{ r, g, b int }
	at := func(x, y int) rgb {
		r, g, b, _ := img.At(x, y).RGBA()
		return rgb{int(r >> 8), int(g >> 8), int(b >> 8)}
	}
	counts := map[rgb]int{}
	var bg rgb
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			c := at(x, y)
			counts[c]++
			if counts[c] > counts[bg] {
				bg = c
			}
		}
	}
	abs := func(v int) int { return max(v, -v) }
	n := 0
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			c := at(x, y)
			if max(c.r, c.g, c.b)-min(c.r, c.g, c.b) > 100 && abs(c.r-bg.r)+abs(c.g-bg.g)+abs(c.b-bg.b) > 96 {
				n++
			}
		}
	}
	return n
}
