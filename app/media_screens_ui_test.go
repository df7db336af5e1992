package main

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley/app/model/modeltest"
	"parley/app/state"
	"parley/net/proto"
	"parley/server/node"
	"parley/server/node/nodetest"
	"parley/server/rtc"
	"parley/ui"
)

// tint is c over bg at alpha a, as the UI mixes its tinted bars.
func tint(bg, c color.NRGBA, a uint8) color.NRGBA {
	mix := func(x, y uint8) uint8 { return uint8((int(x)*(255-int(a)) + int(y)*int(a)) / 255) }
	return color.NRGBA{R: mix(bg.R, c.R), G: mix(bg.G, c.G), B: mix(bg.B, c.B), A: 0xff}
}

// openOnXvfb clicks a conversation of the list and waits until its
// messages show: my bubbles are the palette's primary colour.
func openOnXvfb(t *testing.T, x xvfb, st state.State, size image.Point, lang ui.Lang, dark bool, name string) {
	t.Helper()
	p := ui.LightPalette
	if dark {
		p = ui.DarkPalette
	}
	st.Open, st.Notices, st.Search = nil, nil, nil
	x.clickAt(t, locate(t, st, size, lang, dark, name))
	x.waitForScreen(t, name+" open", func(img image.Image) bool {
		_, mine := colours(img, image.Rect(size.X*6/10, 140, size.X, size.Y-90), p.Primary)
		return mine > 1200
	})
}

// callScreens runs a real call between two desktop apps, each on its own
// X display, on the null sound backend, through a real server: 李华 (in
// English, light) calls 王芳 (in Chinese, dark) from their chat; she
// accepts in the dialog; both are in the call; he hangs up; both see it
// ended. The apps' logs say what each drew; the screenshots show it.
func callScreens(t *testing.T, bin string) {
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { // UDP on, as a real server has it
		c.UDP, c.UDPPublicIP = &rtc.Ports{}, "127.0.0.1"
	}))
	size := image.Pt(1280, 800)
	liDir, wangDir := t.TempDir(), t.TempDir()
	li := seedUser(t, srv, liDir, "李华")
	wang := seedUser(t, srv, wangDir, "王芳")
	dm := li.direct(wang)
	wang.say(dm, "今晚有空吗？想聊聊读书会的安排。")
	li.say(dm, "有空 — I'll call you now.")
	wang.say(dm, "好的，等你电话！")
	liSt := li.until("the chat", func(st state.State) bool {
		return st.Open != nil && len(st.Open.Messages) == 3 && st.Open.Messages[2].Seq > 0
	})
	wangSt := wang.until("the chat", func(st state.State) bool { return len(st.Conversations) == 1 })
	li.m.Close()
	wang.m.Close()
	liSt.Notices, liSt.Search = nil, nil

	xa, xb := startXvfb(t, size), startXvfb(t, size)
	args := func(dir, lang, theme string) []string {
		return []string{"-server", srv.HTTPURL, "-data", dir, "-size", fmt.Sprintf("%dx%d", size.X, size.Y), "-lang", lang, "-theme", theme, "-audio", "null"}
	}
	a := startApp(t, bin, xa, args(liDir, "en", "light")...)
	b := startApp(t, bin, xb, args(wangDir, "zh-CN", "dark")...)
	openOnXvfb(t, xa, liSt, size, ui.English, false, "王芳")
	openOnXvfb(t, xb, wangSt, size, ui.Chinese, true, "李华")

	// 李华 calls from the direct chat's header.
	xa.clickAt(t, locate(t, liSt, size, ui.English, false, "Call 王芳"))
	b.waitLog(t, 0, `msg=call`, `state=incoming`)
	a.waitLog(t, 0, `msg=call`, `state=ringing`, `outgoing=true`)
	light, dark := ui.LightPalette, ui.DarkPalette
	ringing := xa.waitForScreen(t, "the call bar ringing", func(img image.Image) bool {
		_, bar := colours(img, image.Rect(330, 70, size.X, 130), tint(light.Surface, light.Primary, 0x16))
		_, cancel := colours(img, image.Rect(size.X/2, 70, size.X, 130), light.Reject)
		return bar > 20000 && cancel > 1000
	})
	save(t, "call-ringing.png", crop(ringing, size))
	incoming := xb.waitForScreen(t, "the incoming-call dialog", func(img image.Image) bool {
		mid := image.Rect(size.X/4, size.Y/4, size.X*3/4, size.Y*3/4)
		_, accept := colours(img, mid, dark.Accept)
		_, decline := colours(img, mid, dark.Reject)
		return accept > 2000 && decline > 2000
	})
	save(t, "call-incoming.png", crop(incoming, size))

	// 王芳 answers; both are in the call, its audio flowing both ways
	// (the model calls a call active once the other side is heard).
	wangIncoming := wangSt
	wangIncoming.Call = &state.Call{ID: 1, State: state.CallIncoming, Peer: li.me}
	xb.clickAt(t, locate(t, wangIncoming, size, ui.Chinese, true, "接听"))
	a.waitLog(t, 0, `msg=call`, `state="in call"`)
	b.waitLog(t, 0, `msg=call`, `state="in call"`)
	inCall := liSt
	inCall.Call = &state.Call{ID: 1, State: state.CallActive, Peer: wang.me, Outgoing: true, Started: time.Now().UnixMilli(), Carrier: state.CarrierUDP}
	// Let the timer run a few seconds: the call is real, and so is its
	// length.
	timer := locateAfter(t, inCall, size, ui.English, false, nil, "In call · 00:00 · via UDP")
	xa.waitForTicks(t, timer.Visible, 3)
	xa.clickAt(t, locate(t, inCall, size, ui.English, false, "Sound devices"))
	active := xa.waitForScreen(t, "in call, with the devices", func(img image.Image) bool {
		_, bar := colours(img, image.Rect(330, 70, size.X, 130), tint(light.Surface, light.Accept, 0x1c))
		_, chips := colours(img, image.Rect(330, 130, size.X, 230), light.Primary)
		return bar > 20000 && chips > 1500
	})
	save(t, "call-active.png", crop(active, size))

	// He hangs up: both see the call ended, and why.
	xa.clickAt(t, locate(t, inCall, size, ui.English, false, "Hang up"))
	a.waitLog(t, 0, `msg=call`, `state=ended`, `reason=hangup`)
	b.waitLog(t, 0, `msg=call`, `state=ended`, `reason=hangup`)
	ended := xa.waitForScreen(t, "the call ended", func(img image.Image) bool {
		_, hangUp := colours(img, image.Rect(330, 70, size.X, 130), light.Reject)
		_, bar := colours(img, image.Rect(330, 70, size.X, 130), light.Surface)
		return hangUp == 0 && bar > 20000
	})
	save(t, "call-ended.png", crop(ended, size))
	if strings.Contains(a.logs.String(), "sound devices") || strings.Contains(b.logs.String(), "sound devices") {
		t.Errorf("the null sound backend did not open; logs:\n%s\n%s", a.logs.String(), b.logs.String())
	}
}

// throttle is a proxy to addr that lets file upload bodies through at
// rate bytes per second, so that a transfer is seen in progress.
func throttle(t *testing.T, addr string, rate int) string {
	t.Helper()
	u, err := url.Parse(addr)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			r.Body = &slowBody{ReadCloser: r.Body, rate: rate, tick: time.NewTicker(50 * time.Millisecond)}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// slowBody reads at most rate/20 bytes per 50 ms tick.
type slowBody struct {
	io.ReadCloser
	rate   int
	tick   *time.Ticker
	budget int
}

func (b *slowBody) Read(p []byte) (int, error) {
	if b.budget == 0 {
		<-b.tick.C
		b.budget = b.rate / 20
	}
	n, err := b.ReadCloser.Read(p[:min(len(p), b.budget)])
	b.budget -= n
	return n, err
}

func (b *slowBody) Close() error {
	b.tick.Stop()
	return b.ReadCloser.Close()
}

// fileScreens sends a file from one app's file bar (the path field: there
// is no file picker portal on this machine, which the app finds out and
// says) and saves it in another's: the transfer in progress and the file
// received, each from a real app under Xvfb.
func fileScreens(t *testing.T, bin string) {
	srv := nodetest.Start(t)
	addr := throttle(t, srv.HTTPURL, 6_000_000)
	size := image.Pt(1280, 800)
	liDir, wangDir := t.TempDir(), t.TempDir()
	// A short folder name, since the screenshot shows where the file went.
	home, err := os.MkdirTemp("", "wang-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	downloads := filepath.Join(home, "Downloads")
	li := seedUserAt(t, addr, liDir, "李华")
	wang := seedUserAt(t, addr, wangDir, "王芳")
	tom := seedUserAt(t, addr, t.TempDir(), "Tom Baker")
	group := li.group("学习小组 Study Group", wang, tom)
	wang.say(group, "李华，第三章的资料可以发一下吗？")
	tom.say(group, "Yes please — I missed the meeting.")
	li.say(group, "马上发 — sending the slides now.")
	liSt := li.until("the chat", func(st state.State) bool { return st.Open != nil && st.Open.Messages[len(st.Open.Messages)-1].Seq > 0 })
	wangSt := wang.until("the chat", func(st state.State) bool {
		return len(st.Conversations) == 1 && st.Conversations[0].Last != nil && st.Conversations[0].Last.Sender == li.me.ID
	})
	if err := wang.m.Open(context.Background(), group); err != nil {
		t.Fatal(err)
	}
	wangSt.Open = wang.until("the group open", func(st state.State) bool { return st.Open != nil && len(st.Open.Messages) > 0 }).Open
	li.m.Close()
	wang.m.Close()
	tom.m.Close()
	liSt.Notices, liSt.Search = nil, nil
	// The path is typed with xdotool: lower case only, since a busy X
	// server may lose a Shift.
	src, err := os.MkdirTemp("", "parley-files-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(src) })
	path, sum := modeltest.WriteFile(t, src, "chapter-3-slides.pdf", 60_000_000, 3)

	xa, xb := startXvfb(t, size), startXvfb(t, size)
	a := startApp(t, bin, xa, "-server", addr, "-data", liDir, "-size", fmt.Sprintf("%dx%d", size.X, size.Y), "-lang", "en", "-theme", "light")
	b := startApp(t, bin, xb, "-server", addr, "-data", wangDir, "-size", fmt.Sprintf("%dx%d", size.X, size.Y), "-lang", "en", "-theme", "dark", "-downloads", downloads)
	openOnXvfb(t, xa, liSt, size, ui.English, false, "学习小组 Study Group")
	openOnXvfb(t, xb, wangSt, size, ui.English, true, "学习小组 Study Group")

	// The paper clip opens the file bar; there is no file picker portal
	// here, so the app says so and the path is typed.
	choose := locateAfter(t, liSt, size, ui.English, false, []string{"Attach a file"}, "Choose file…")
	before := xa.screenshot(t)
	xa.clickAt(t, locate(t, liSt, size, ui.English, false, "Attach a file"))
	xa.waitForScreen(t, "the file bar", func(img image.Image) bool {
		return differ(before, img, choose.Visible) > choose.Visible.Dx()*choose.Visible.Dy()/3
	})
	xa.clickAt(t, choose.Visible.Min.Add(choose.Visible.Max).Div(2))
	a.waitLog(t, 0, "no file picker")
	xa.xdo(t, "type", "--delay", "10", path)
	xa.xdo(t, "key", "Return")
	xa.xdo(t, "mousemove", "800", "300") // off the buttons: no hover in the picture
	a.waitLog(t, 0, `msg=transfer`, `direction=up`, `state=active`)

	// The row's progress bar, below the file's name, fills.
	sending := liSt
	sending.Transfers = []state.Transfer{{ID: "up", Direction: state.Upload, Conv: group, Name: "chapter-3-slides.pdf", Size: 60_000_000, Done: 1, ETA: -1, State: state.TransferActive}}
	name := locateAfter(t, sending, size, ui.English, false, []string{"Attach a file"}, "chapter-3-slides.pdf")
	bar := image.Rect(name.Visible.Min.X, name.Visible.Max.Y, name.Visible.Min.X+600, name.Visible.Max.Y+16)
	progress := xa.waitForScreen(t, "the upload a third done", func(img image.Image) bool {
		_, filled := colours(img, bar, ui.LightPalette.Primary)
		return filled > 200*4
	})
	save(t, "file-sending.png", crop(progress, size))
	a.waitLog(t, 0, `msg=transfer`, `direction=up`, `state=done`)

	// 王芳 is told, and saves the file from its message.
	b.waitLog(t, 0, `msg=notice`, `kind=file_received`)
	received := wangSt
	msg := state.Message{Message: proto.Message{Conv: group, Seq: 99, Sender: li.me.ID, SenderName: li.me.Name, Time: time.Now().UnixMilli(),
		Kind: proto.MsgFile, File: &proto.File{ID: "f", Name: "chapter-3-slides.pdf", Size: 60_000_000}}}
	o := *received.Open
	o.Messages = append(append([]state.Message(nil), o.Messages...), msg)
	o.Revision++
	received.Open = &o
	xb.clickAt(t, locate(t, received, size, ui.English, true, "Save"))
	b.waitLog(t, 0, `msg=transfer`, `direction=down`, `state=done`)
	saved := xb.waitForScreen(t, "the file saved", func(img image.Image) bool {
		_, done := colours(img, image.Rect(330, size.Y/2, size.X, size.Y), ui.DarkPalette.Success)
		return done > 1000 // the finished row's bar
	})
	save(t, "file-received.png", crop(saved, size))
	if got := modeltest.SumOf(t, filepath.Join(downloads, "chapter-3-slides.pdf")); got != sum {
		t.Fatalf("the saved file's SHA-256 is %s, the sent one's %s", got, sum)
	}
}

// differ counts the pixels of r that differ between two screenshots.
func differ(a, b image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				n++
			}
		}
	}
	return n
}

// waitForTicks waits until the pixels of r (a call timer) have changed n
// times: n seconds of the call have passed on screen.
func (x xvfb) waitForTicks(t testing.TB, r image.Rectangle, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	last := x.screenshot(t)
	for seen := 0; seen < n; {
		if time.Now().After(deadline) {
			t.Fatalf("the call timer at %v did not move %d times", r, n)
		}
		img := x.screenshot(t)
		if differ(last, img, r) > 0 {
			seen++
			last = img
		}
	}
}
