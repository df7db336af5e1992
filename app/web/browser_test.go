package web

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gioui.org/io/input"

	"parley/net/client"
	"parley/net/proto"
	"parley/server/node"
	"parley/server/node/nodetest"
	"parley/ui/uitest"
)

// The browser end to end: the app built for js/wasm exactly as `make web`
// builds it, served by a real server, in Debian's headless Chromium
// (installed by the Makefile), driven through the DevTools protocol. The
// page is opened with ?automation, so the app publishes its semantic tree
// every frame (app/automation_js.go); the test finds labels there and
// clicks and types where they are, as a user would.

// -screenshots DIR saves the page at the end as DIR/web.png (make
// screenshots).
var screenshots = flag.String("screenshots", "", "save a screenshot of the browser app in this folder")

// chromiumArgs are the flags of a clean, quiet, headless Chromium. WebGL
// (Gio draws with it) needs SwiftShader where there is no GPU.
var chromiumArgs = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--enable-unsafe-swiftshader", "--use-angle=swiftshader",
	"--window-size=1100,720", "--remote-debugging-port=0",
	// Calls (calls_test.go): a fake microphone saying a tone, granted
	// without asking; WebRTC on this machine's loopback; playback
	// without a click first.
	"--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
	"--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required",
}

// built is the browser app, built once for all the tests of a run
// (compressing it takes most of a minute); TestMain removes it.
var built struct {
	once sync.Once
	dir  string
	err  error
}

// buildWeb builds the browser app with tools/web.sh into a folder.
func buildWeb(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "parley-web-")
		if built.err != nil {
			return
		}
		if out, err := exec.Command("../../tools/web.sh", built.dir).CombinedOutput(); err != nil {
			built.err = fmt.Errorf("tools/web.sh: %w\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.dir
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// browser is a headless Chromium with one page, attached.
type browser struct {
	t   *testing.T
	dt  *devtools
	url string // the browser's DevTools endpoint
}

func startBrowser(t *testing.T) *browser {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium not found (make test installs Debian's chromium): %v", err)
	}
	args := append([]string{"--user-data-dir=" + t.TempDir()}, chromiumArgs...)
	cmd := exec.Command(bin, append(args, "about:blank")...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // its renderer and GPU processes too
		cmd.Wait()
	})
	// Chromium says where its DevTools listen on stderr.
	found := make(chan string, 1)
	var lines []string
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if u, ok := strings.CutPrefix(line, "DevTools listening on "); ok {
				found <- u
				continue
			}
			if len(lines) < 50 {
				lines = append(lines, line)
			}
		}
		close(found)
	}()
	var url string
	select {
	case u, ok := <-found:
		if !ok {
			t.Fatalf("chromium exited without DevTools:\n%s", strings.Join(lines, "\n"))
		}
		url = u
	case <-time.After(60 * time.Second):
		t.Fatal("chromium did not start its DevTools within a minute")
	}
	ctx := ctxFor(t, 30*time.Second)
	dt, err := dialDevTools(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dt.close)
	if err := dt.attachPage(ctx); err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, dt: dt, url: url}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func (b *browser) call(method string, params any) {
	b.t.Helper()
	if err := b.dt.call(ctxFor(b.t, 30*time.Second), method, params, nil); err != nil {
		b.fail("%v", err)
	}
}

func (b *browser) fail(format string, args ...any) {
	b.t.Helper()
	b.t.Fatalf(format+"\npage console:\n%s", append(args, strings.Join(b.dt.Console(), "\n"))...)
}

func (b *browser) open(url string) {
	b.t.Helper()
	b.call("Page.navigate", map[string]any{"url": url})
}

// screenshot saves the page as a PNG.
func (b *browser) screenshot(path string) {
	b.t.Helper()
	var r struct {
		Data []byte `json:"data"` // base64 in JSON
	}
	if err := b.dt.call(ctxFor(b.t, 30*time.Second), "Page.captureScreenshot", map[string]any{"format": "png"}, &r); err != nil {
		b.fail("screenshot: %v", err)
	}
	if err := os.WriteFile(path, r.Data, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// screen returns what the app drew at its next frame, or what it drew
// last if a second passes without one (an idle app draws nothing new).
func (b *browser) screen() uitest.Screen {
	b.t.Helper()
	// The promise settles with the semantics at the next frame, or with
	// the current ones after a second without frames.
	const next = `new Promise((resolve) => {
		const done = () => resolve(globalThis.parleySemantics || "[]");
		addEventListener("parleyframe", done, {once: true});
		setTimeout(done, 1000);
	})`
	var raw string
	if err := b.dt.eval(ctxFor(b.t, 30*time.Second), next, &raw); err != nil {
		b.fail("read the screen: %v", err)
	}
	var nodes []input.SemanticNode
	if err := json.Unmarshal([]byte(raw), &nodes); err != nil {
		b.fail("decode the screen: %v", err)
	}
	return uitest.NewScreen(nodes)
}

// until reads the screen until ok holds, failing after a generous
// deadline (the wasm app starts in seconds; this guards against hangs).
func (b *browser) until(what string, ok func(uitest.Screen) bool) uitest.Screen {
	b.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		sc := b.screen()
		if ok(sc) {
			return sc
		}
		if time.Now().After(deadline) {
			b.fail("timed out waiting for %s; on screen: %q", what, sc.Texts())
		}
	}
}

func (b *browser) see(s string) uitest.Node {
	b.t.Helper()
	var n uitest.Node
	b.until(fmt.Sprintf("%q on screen", s), func(sc uitest.Screen) bool {
		var ok bool
		n, ok = sc.Find(s)
		return ok
	})
	return n
}

// seeMatch waits for a label matching re and returns its submatches.
func (b *browser) seeMatch(re *regexp.Regexp) []string {
	b.t.Helper()
	var m []string
	b.until(fmt.Sprintf("a label matching %s", re), func(sc uitest.Screen) bool {
		for _, n := range sc {
			if m = re.FindStringSubmatch(n.Desc.Label); m != nil && !n.Visible.Empty() {
				return true
			}
		}
		return false
	})
	return m
}

// clickAt clicks at p, in the app's pixels (device pixels).
func (b *browser) clickAt(p image.Point) {
	b.t.Helper()
	var dpr float64
	if err := b.dt.eval(ctxFor(b.t, 30*time.Second), "devicePixelRatio", &dpr); err != nil || dpr <= 0 {
		b.fail("devicePixelRatio: %v", err)
	}
	x, y := float64(p.X)/dpr, float64(p.Y)/dpr
	for _, typ := range []string{"mousePressed", "mouseReleased"} {
		b.call("Input.dispatchMouseEvent", map[string]any{"type": typ, "x": x, "y": y, "button": "left", "buttons": 1, "clickCount": 1})
	}
}

// clickWhenFound clicks where find points once it finds something.
func (b *browser) clickWhenFound(what string, find func(uitest.Screen) (image.Point, error)) {
	b.t.Helper()
	var p image.Point
	b.until(what, func(sc uitest.Screen) bool {
		var err error
		p, err = find(sc)
		return err == nil
	})
	b.clickAt(p)
}

// click clicks the control labelled s once it is on screen.
func (b *browser) click(s string) {
	b.t.Helper()
	b.clickWhenFound(fmt.Sprintf("a control labelled %q", s), func(sc uitest.Screen) (image.Point, error) { return sc.ClickPoint(s) })
}

// fill clicks the field described as desc and types s.
func (b *browser) fill(desc, s string) {
	b.t.Helper()
	b.clickWhenFound(fmt.Sprintf("a field %q", desc), func(sc uitest.Screen) (image.Point, error) { return sc.FieldPoint(desc) })
	// The app moves the focus when its next frame handles the click, but
	// the typed text goes to the page's one text input at once: on a
	// busy machine it reached the field focused before (CI typed the
	// password into Name). Wait for that frame, as a person waits to see
	// the cursor move.
	b.screen()
	b.typeText(s)
}

// enter puts s in the field described as desc, which shows its text, as
// a person does: click the field, select what is in it, give it s (put
// does, typing or pasting) and look; if s is not there after a few
// frames (the click missed: what was under the pointer moved, or the
// field did not take the focus), do it all again. Selecting first makes
// a repeat replace, not add to, what an earlier try may have put there.
func (b *browser) enter(desc, s string, put func()) {
	b.t.Helper()
	const tries, framesToShow = 3, 5
	for try := 1; ; try++ {
		var at image.Rectangle
		b.clickWhenFound(fmt.Sprintf("a field %q", desc), func(sc uitest.Screen) (image.Point, error) {
			p, err := sc.FieldPoint(desc)
			at = fieldBounds(sc, desc)
			return p, err
		})
		b.selectAll()
		put()
		var sc uitest.Screen
		for range framesToShow {
			sc = b.screen()
			if got, _ := sc.FieldText(desc); got == s {
				return
			}
		}
		got, _ := sc.FieldText(desc)
		if try == tries {
			b.fail("%q not in the field %q after %d tries: it has %q; on screen: %q", s, desc, tries, got, sc.Texts())
		}
		console := b.dt.Console()
		console = console[max(0, len(console)-10):]
		b.t.Logf("try %d: %q not in the field %q (clicked in %v, now at %v; it has %q): again; page console ends:\n%s",
			try, s, desc, at, fieldBounds(sc, desc), got, strings.Join(console, "\n"))
	}
}

// fieldBounds is where the field described as desc is on sc.
func fieldBounds(sc uitest.Screen, desc string) image.Rectangle {
	for _, n := range sc {
		if n.Desc.Description == desc && !n.Visible.Empty() {
			return n.Visible
		}
	}
	return image.Rectangle{}
}

// selectAll presses Ctrl+A, which selects the focused field's text.
func (b *browser) selectAll() {
	b.t.Helper()
	const ctrl = 2 // Input.dispatchKeyEvent's modifier bit
	for _, typ := range []string{"rawKeyDown", "keyUp"} {
		b.call("Input.dispatchKeyEvent", map[string]any{"type": typ, "key": "a", "code": "KeyA", "modifiers": ctrl, "windowsVirtualKeyCode": 65, "nativeVirtualKeyCode": 65})
	}
}

// typeText types s into the focused field, as an input method would.
func (b *browser) typeText(s string) {
	b.t.Helper()
	b.call("Input.insertText", map[string]any{"text": s})
}

func (b *browser) pressEnter() {
	b.t.Helper()
	for _, typ := range []string{"keyDown", "keyUp"} {
		b.call("Input.dispatchKeyEvent", map[string]any{"type": typ, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "nativeVirtualKeyCode": 13})
	}
}

var (
	registeredID = regexp.MustCompile(`^Registered — your ID is (\d+)$`)
	createdID    = regexp.MustCompile(`^Created 学习小组 Study Group — its ID is (\d+)$`)
)

// signUp registers 李华 in the browser, which logs in; it returns the ID.
func (b *browser) signUp() int64 {
	b.t.Helper()
	b.click("Register")
	b.enter("Name", "李华", func() { b.typeText("李华") })
	b.fill("Password", "correct horse")
	b.pressEnter()
	id, err := strconv.ParseInt(b.seeMatch(registeredID)[1], 10, 64)
	if err != nil {
		b.t.Fatal(err)
	}
	b.see("No conversations yet — create or join a group")
	b.see("ID " + strconv.FormatInt(id, 10))
	return id
}

// createGroup creates 学习小组 Study Group (anyone with the ID joins) in
// the browser and returns the
// ID the screen shows.
func (b *browser) createGroup() int64 {
	b.t.Helper()
	const name = "学习小组 Study Group"
	b.enter("Group name", name, func() { b.typeText(name) })
	// Open, so that the test's Go client joins by the ID (the form asks
	// "Ask to join" by default).
	b.click("Anyone with the ID")
	b.click("Group name")
	b.pressEnter()
	group, err := strconv.ParseInt(b.seeMatch(createdID)[1], 10, 64)
	if err != nil {
		b.t.Fatal(err)
	}
	return group
}

// startWeb serves the browser app, built as `make web` builds it, from a
// real server, and opens it in Chromium with ?automation.
func startWeb(t *testing.T) (*nodetest.Server, *browser) {
	t.Helper()
	srv := serveWeb(t)
	b := startBrowser(t)
	b.open(srv.HTTPURL + "/?automation")
	return srv, b
}

// serveWeb starts a real server serving the browser app, built as `make
// web` builds it, with the Chinese and emoji fonts.
func serveWeb(t *testing.T) *nodetest.Server {
	t.Helper()
	web := buildWeb(t)
	return nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) {
		c.WebDir, c.WebFont, c.WebEmojiFont = web, uitest.NotoCJKRegular, NotoColorEmoji
	}))
}

// NotoColorEmoji is the emoji font the server serves in the tests:
// Debian's fonts-noto-color-emoji, which the Makefile installs.
const NotoColorEmoji = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"

func TestBrowserAppChatsWithAGoClient(t *testing.T) {
	srv, b := startWeb(t)

	// Register and log in, in the browser.
	id := b.signUp()

	// Create a group; the Go client joins it by the ID the screen shows.
	group := b.createGroup()
	tom := srv.NewUser(t, "Tom") // the second client: a Go program on the real protocol
	if _, err := tom.Conn.JoinGroup(ctxFor(t, 30*time.Second), proto.ConvID(group)); err != nil {
		t.Fatalf("join %d: %v", group, err)
	}

	// The browser sends; the Go client receives it from 李华.
	b.click("学习小组 Study Group")
	b.see(fmt.Sprintf("#%d · 2 members · 2 online", group))
	b.typeText("大家好 from the browser")
	b.pressEnter()
	m := tom.Message(t, proto.ConvID(group), func(m proto.Message) bool { return m.Text == "大家好 from the browser" })
	if m.Sender != proto.UserID(id) || m.SenderName != "李华" {
		t.Errorf("the message came from %q (%d), want 李华 (%d)", m.SenderName, m.Sender, id)
	}
	b.until("the message shown as sent", func(sc uitest.Screen) bool {
		_, ok := sc.FindContaining(" · Sent")
		return ok
	})

	// The Go client answers; the browser shows it.
	if _, err := tom.Conn.Send(ctxFor(t, 30*time.Second), proto.ConvID(group), client.NewClientID(), "hello from Go"); err != nil {
		t.Fatal(err)
	}
	b.see("hello from Go")

	if *screenshots != "" {
		b.screenshot(filepath.Join(*screenshots, "web.png"))
	}

	// A reload keeps the login and the cache (IndexedDB): the app comes
	// back logged in, with the conversation and its messages.
	b.call("Page.reload", nil)
	b.see("ID " + strconv.FormatInt(id, 10))
	b.see("Tom: hello from Go")
	b.click("学习小组 Study Group")
	b.see("大家好 from the browser")
	b.see("hello from Go")
}
