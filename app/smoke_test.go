package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/app/state"
	"parley/server/node/nodetest"
	"parley/ui"
)

// These tests run the real binary in a real X server (Xvfb, installed by
// the Makefile) and look at it with ImageMagick's import.

// buildApp builds this program once per test binary.
var buildApp = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "parley-app-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "parley")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func appBinary(t testing.TB) string {
	t.Helper()
	bin, err := buildApp()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// xvfb is a virtual X display.
type xvfb struct {
	display string
	size    image.Point
}

// startXvfb starts an X server with a screen of size pixels; Xvfb
// reports its display number on a pipe once it accepts connections.
func startXvfb(t testing.TB, size image.Point) xvfb {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", size.X, size.Y), "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Xvfb (install xvfb): %v", err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := readLine(r, 30*time.Second)
	if err != nil {
		t.Fatalf("Xvfb did not start: %v\n%s", err, stderr.String())
	}
	return xvfb{display: ":" + strings.TrimSpace(line), size: size}
}

func readLine(r io.Reader, timeout time.Duration) (string, error) {
	got := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		got <- s
	}()
	select {
	case s := <-got:
		if s == "" {
			return "", io.ErrUnexpectedEOF
		}
		return s, nil
	case <-time.After(timeout):
		return "", fmt.Errorf("nothing after %v", timeout)
	}
}

// env is the environment of programs on the display: no Wayland, and
// not the surfaceless EGL platform the headless pixel tests use.
func (x xvfb) env() []string {
	env := []string{"DISPLAY=" + x.display}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k != "DISPLAY" && k != "WAYLAND_DISPLAY" && k != "EGL_PLATFORM" {
			env = append(env, kv)
		}
	}
	return env
}

// screenshot grabs the whole screen.
func (x xvfb) screenshot(t testing.TB) image.Image {
	t.Helper()
	cmd := exec.Command("import", "-display", x.display, "-window", "root", "png:-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("screenshot (install imagemagick): %v\n%s", err, stderr.String())
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("decode screenshot: %v", err)
	}
	return img
}

// xdo runs xdotool on the display.
func (x xvfb) xdo(t testing.TB, args ...string) {
	t.Helper()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = x.env()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xdotool %q (install xdotool): %v\n%s", args, err, out)
	}
}

// runningApp is the app binary running on an X display.
type runningApp struct {
	cmd        *exec.Cmd
	firstFrame time.Duration // from exec to the first frame's log line
	logs       *lockedBuffer
	logged     chan struct{} // a line was logged
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startApp starts the app and waits for it to draw its first frame.
func startApp(t testing.TB, bin string, x xvfb, args ...string) *runningApp {
	t.Helper()
	return startAppEnv(t, bin, x, nil, args...)
}

// startAppEnv is startApp with more environment variables.
func startAppEnv(t testing.TB, bin string, x xvfb, env []string, args ...string) *runningApp {
	t.Helper()
	return startAppFiles(t, bin, x, env, nil, args...)
}

// startAppFiles is startAppEnv with open files passed to the app, as its
// descriptors 3, 4 and on.
func startAppFiles(t testing.TB, bin string, x xvfb, env []string, files []*os.File, args ...string) *runningApp {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(x.env(), env...)
	cmd.ExtraFiles = files
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	a := &runningApp{cmd: cmd, logs: &lockedBuffer{}, logged: make(chan struct{}, 1)}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	drawn := make(chan time.Duration, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Fprintln(a.logs, sc.Text())
			select {
			case a.logged <- struct{}{}:
			default:
			}
			if strings.Contains(sc.Text(), `msg="first frame"`) {
				select {
				case drawn <- time.Since(start):
				default:
				}
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	select {
	case a.firstFrame = <-drawn:
	case <-time.After(60 * time.Second):
		t.Fatalf("the app drew no frame; its log:\n%s", a.logs.String())
	}
	return a
}

// waitLog waits until the app has logged a line with every one of parts
// (after the first skip such lines), and returns it.
func (a *runningApp) waitLog(t testing.TB, skip int, parts ...string) string {
	t.Helper()
	deadline := time.After(90 * time.Second)
	for {
		seen := 0
		for line := range strings.Lines(a.logs.String()) {
			all := true
			for _, p := range parts {
				all = all && strings.Contains(line, p)
			}
			if all {
				if seen == skip {
					return line
				}
				seen++
			}
		}
		select {
		case <-a.logged:
		case <-deadline:
			t.Fatalf("the app never logged %q; its log:\n%s", parts, a.logs.String())
		}
	}
}

// stop ends the app and waits for it.
func (a *runningApp) stop() {
	a.cmd.Process.Kill()
	a.cmd.Wait()
}

// near allows for rounding in blending and colour conversion.
func near(a, b uint8) bool { return int(a)-int(b) <= 4 && int(b)-int(a) <= 4 }

// colours counts the distinct colours of img in r and how many pixels
// have (nearly) c.
func colours(img image.Image, r image.Rectangle, c color.NRGBA) (distinct, matching int) {
	seen := map[color.RGBA]bool{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			p := color.RGBA{uint8(cr >> 8), uint8(cg >> 8), uint8(cb >> 8), 0xff}
			seen[p] = true
			if near(p.R, c.R) && near(p.G, c.G) && near(p.B, c.B) {
				matching++
			}
		}
	}
	return len(seen), matching
}

// waitForScreen takes screenshots until ok accepts one: a presented frame
// reaches the X server shortly after the app logs it.
func (x xvfb) waitForScreen(t testing.TB, what string, ok func(image.Image) bool) image.Image {
	t.Helper()
	var img image.Image
	for range 50 {
		if img = x.screenshot(t); ok(img) {
			return img
		}
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("parley-screen-%d.png", time.Now().UnixNano()))
	if f, err := os.Create(path); err == nil {
		png.Encode(f, img)
		f.Close()
	}
	t.Fatalf("the screen never showed %s; the last screenshot is %s", what, path)
	return nil
}

func TestAppBinaryDrawsTheLoginScreenUnderXvfb(t *testing.T) {
	bin := appBinary(t)
	srv := nodetest.Start(t)
	x := startXvfb(t, image.Pt(1100, 720))
	startApp(t, bin, x, "-server", srv.HTTPURL, "-data", t.TempDir(), "-size", "1100x720", "-lang", "en", "-theme", "light")
	x.waitForScreen(t, "the login screen", func(img image.Image) bool {
		all := img.Bounds()
		distinct, bg := colours(img, all, ui.LightPalette.Bg)
		// The login button's blue, in the middle third of the screen.
		mid := image.Rect(all.Dx()/3, all.Dy()/3, 2*all.Dx()/3, 5*all.Dy()/6)
		_, button := colours(img, mid, ui.LightPalette.Primary)
		return distinct > 40 && bg > all.Dx()*all.Dy()/2 && button > 2000
	})
}

// blend is c over bg with alpha a, as the renderer composes it: in
// linear light, not in sRGB.
func blend(bg, c color.NRGBA, a uint8) color.NRGBA {
	lin := func(v uint8) float64 {
		f := float64(v) / 255
		if f <= 0.04045 {
			return f / 12.92
		}
		return math.Pow((f+0.055)/1.055, 2.4)
	}
	srgb := func(f float64) uint8 {
		if f <= 0.0031308 {
			f *= 12.92
		} else {
			f = 1.055*math.Pow(f, 1/2.4) - 0.055
		}
		return uint8(math.Round(f * 255))
	}
	t := float64(a) / 255
	mix := func(x, y uint8) uint8 { return srgb(lin(x)*(1-t) + lin(y)*t) }
	return color.NRGBA{R: mix(bg.R, c.R), G: mix(bg.G, c.G), B: mix(bg.B, c.B), A: 0xff}
}

// BenchmarkColdStart measures the desktop binary from exec to the end of
// its first frame, against a local server, under Xvfb: the process
// starting, the fonts loading, the window and its GPU context opening
// (Mesa's llvmpipe on machines without a GPU) and the first frame drawn.
// "login" starts with no account; "account" on a logged-in account with
// its conversations cached.
func BenchmarkColdStart(b *testing.B) {
	bin := appBinary(b)
	srv := nodetest.Start(b)
	x := startXvfb(b, image.Pt(1100, 720))
	account := b.TempDir()
	me := seedUser(b, srv, account, "李华")
	wang := seedUser(b, srv, b.TempDir(), "王芳")
	g := me.group("学习小组 Study Group", wang)
	for i := range 20 {
		wang.say(g, fmt.Sprintf("消息 message %d", i))
	}
	me.until("synced", func(st state.State) bool {
		return len(st.Conversations) == 1 && st.Conversations[0].Last != nil && st.Conversations[0].Last.Text == "消息 message 19"
	})
	me.m.Close()
	for _, c := range []struct{ name, data string }{{"login", b.TempDir()}, {"account", account}} {
		b.Run(c.name, func(b *testing.B) {
			var total time.Duration
			for range b.N {
				a := startApp(b, bin, x, "-server", srv.HTTPURL, "-data", c.data, "-size", "1100x720", "-lang", "en", "-theme", "light")
				total += a.firstFrame
				a.stop()
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/first-frame")
		})
	}
}
