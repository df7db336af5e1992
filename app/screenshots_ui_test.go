package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"parley/app/model"
	"parley/app/state"
	"parley/media/audio"
	"parley/net/proto"
	"parley/server/node/nodetest"
	"parley/ui"
	"parley/ui/uitest"
)

var screenshots = flag.String("screenshots", "", "also save the README's screenshots in this folder (make screenshots: docs/screenshots)")

// seeded is a user driven through the real model, to fill a server with a
// lively history for the screenshots.
type seeded struct {
	t       testing.TB
	m       *model.Model
	me      proto.User
	changed chan struct{}
}

func seedUser(t testing.TB, srv *nodetest.Server, dir, name string) *seeded {
	t.Helper()
	return seedUserAt(t, srv.HTTPURL, dir, name)
}

// seedUserAt registers and logs in name at the server address addr.
func seedUserAt(t testing.TB, addr, dir, name string) *seeded {
	t.Helper()
	s := &seeded{t: t, changed: make(chan struct{}, 1)}
	m, err := model.NewModel(model.Config{DataDir: dir, Server: addr, Device: "seed",
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		// The test process has no sound card: the seeded people call on
		// the null backend (the app under test has its own devices).
		Audio: model.SystemAudio(audio.Config{Null: true}),
		Invalidate: func() {
			select {
			case s.changed <- struct{}{}:
			default:
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	s.m = m
	t.Cleanup(func() { m.Close() })
	ctx := context.Background()
	if err := m.Register(ctx, addr, name, "correct horse", "correct horse"); err != nil {
		t.Fatal(err)
	}
	s.me = *m.State().Registered // and logged in
	s.until("online", func(st state.State) bool { return st.Conn == state.Online })
	return s
}

func (s *seeded) until(what string, ok func(st state.State) bool) state.State {
	s.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		if st := s.m.State(); ok(st) {
			return st
		}
		select {
		case <-s.changed:
		case <-deadline:
			s.t.Fatalf("%s: timed out waiting for %s", s.me.Name, what)
		}
	}
}

func (s *seeded) group(name string, members ...*seeded) proto.ConvID {
	s.t.Helper()
	ctx := context.Background()
	if err := s.m.CreateGroup(ctx, name); err != nil {
		s.t.Fatal(err)
	}
	st := s.until("the group", func(st state.State) bool {
		for _, c := range st.Conversations {
			if c.Name == name {
				return true
			}
		}
		return false
	})
	var id proto.ConvID
	for _, c := range st.Conversations {
		if c.Name == name {
			id = c.ID
		}
	}
	for _, o := range members {
		if err := s.m.Invite(ctx, fmt.Sprint(o.me.ID), fmt.Sprint(id)); err != nil {
			s.t.Fatal(err)
		}
	}
	return id
}

func (s *seeded) direct(o *seeded) proto.ConvID {
	s.t.Helper()
	if err := s.m.OpenDirect(context.Background(), fmt.Sprint(o.me.ID)); err != nil {
		s.t.Fatal(err)
	}
	st := s.until("the direct chat", func(st state.State) bool { return st.Open != nil && st.Open.Kind == proto.KindDirect })
	return st.Open.ID
}

// say sends text to conv and waits until the server has it.
func (s *seeded) say(conv proto.ConvID, text string) {
	s.t.Helper()
	ctx := context.Background()
	s.until("the conversation", func(st state.State) bool {
		for _, c := range st.Conversations {
			if c.ID == conv {
				return true
			}
		}
		return false
	})
	if st := s.m.State(); st.Open == nil || st.Open.ID != conv {
		if err := s.m.Open(ctx, conv); err != nil {
			s.t.Fatal(err)
		}
	}
	if err := s.m.Send(ctx, text); err != nil {
		s.t.Fatal(err)
	}
	s.until("sent: "+text, func(st state.State) bool {
		ms := st.Open.Messages
		return len(ms) > 0 && ms[len(ms)-1].Text == text && ms[len(ms)-1].Seq > 0 // Sent, or Delivered or Read already
	})
}

// locate finds where a control of the app's screen is, by laying out the
// same screen headless at the same size with the same fonts.
func locate(t testing.TB, st state.State, size image.Point, lang ui.Lang, dark bool, label string) image.Point {
	t.Helper()
	n := locateAfter(t, st, size, lang, dark, nil, label)
	return n.Visible.Min.Add(n.Visible.Max).Div(2)
}

// locateAfter finds a control or label of the app's screen after the
// clicks that bring it up (opening the file bar, say).
func locateAfter(t testing.TB, st state.State, size image.Point, lang ui.Lang, dark bool, clicks []string, label string) uitest.Node {
	t.Helper()
	d := uitest.NewDriver(uitest.NewUI(t, lang, dark), size)
	d.Frame(st)
	d.Frame(st)
	for _, c := range clicks {
		if err := d.Click(c); err != nil {
			t.Fatal(err)
		}
		d.Frame(st)
		d.Frame(st)
	}
	n, ok := d.Find(label)
	if !ok {
		t.Fatalf("%q is not on the screen; have %q", label, d.Texts())
	}
	return n
}

func (x xvfb) clickAt(t testing.TB, p image.Point) {
	t.Helper()
	x.xdo(t, "mousemove", strconv.Itoa(p.X), strconv.Itoa(p.Y), "click", "1")
}

func save(t testing.TB, name string, img image.Image) {
	t.Helper()
	if *screenshots == "" {
		return
	}
	if err := os.MkdirAll(*screenshots, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(*screenshots, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// TestEveryScreenInTheRealWindow drives the real binary under Xvfb with X
// input (xdotool) and saves the README's screenshots: registration and a
// busy group in the wide, narrow and dark layouts; a call between two
// apps, each on its own display, from ringing to the end; a file sent
// from one app and saved by the other; a group with a reply, reactions,
// a mention, an edit, a pin and "Seen by", a message's menu, and the list
// of who saw it; a group call among four, two of them in real apps.
func TestEveryScreenInTheRealWindow(t *testing.T) {
	bin := appBinary(t)
	t.Run("chat", func(t *testing.T) { chatScreens(t, bin) })
	t.Run("call", func(t *testing.T) { callScreens(t, bin) })
	t.Run("files", func(t *testing.T) { fileScreens(t, bin) })
	t.Run("history", func(t *testing.T) { historyScreens(t, bin) })
	t.Run("groups", func(t *testing.T) { groupScreens(t, bin) })
	t.Run("settings", func(t *testing.T) { settingsScreens(t, bin) })
	t.Run("requests", func(t *testing.T) { requestScreens(t, bin) })
	t.Run("media panel", func(t *testing.T) { mediaPanelScreens(t, bin) })
	t.Run("voice", func(t *testing.T) { voiceScreens(t, bin) }) // voice_screens_ui_test.go
	t.Run("pictures", func(t *testing.T) { pictureScreens(t, bin) })
	t.Run("group call", func(t *testing.T) { groupCallScreens(t, bin) }) // groupcall_screens_ui_test.go
}

// chatScreens registers through the real window, then shows a busy group
// conversation in the wide, narrow and dark layouts, checking each
// screen's colours.
func chatScreens(t *testing.T, bin string) {
	srv := nodetest.Start(t)
	size := image.Pt(1280, 800)
	x := startXvfb(t, size)
	args := func(data string, extra ...string) []string {
		return append([]string{"-server", srv.HTTPURL, "-data", data, "-size", fmt.Sprintf("%dx%d", size.X, size.Y)}, extra...)
	}

	// Login, then register through the real window.
	app := startApp(t, bin, x, args(t.TempDir(), "-lang", "en", "-theme", "light")...)
	login := x.waitForScreen(t, "the login screen", func(img image.Image) bool {
		_, blue := colours(img, img.Bounds(), ui.LightPalette.Primary)
		return blue > 2000
	})
	save(t, "login.png", login)
	loginState := state.State{Server: srv.HTTPURL}
	x.clickAt(t, locate(t, loginState, size, ui.English, false, "Register"))
	// Wait for the register form before clicking into it: a click is
	// routed by the last frame drawn.
	// The button's own blue, just left of its label.
	button := onRegisterForm(t, loginState, size, "Create account").Sub(image.Pt(60, 0))
	x.waitForScreen(t, "the register form", func(img image.Image) bool {
		_, blue := colours(img, image.Rectangle{Min: button, Max: button.Add(image.Pt(1, 1))}, ui.LightPalette.Primary)
		return blue == 1
	})
	for _, f := range []struct{ field, text string }{{"Name", "李华"}, {"Password", "correct horse"}} {
		x.clickAt(t, onRegisterForm(t, loginState, size, f.field))
		x.xdo(t, "type", "--delay", "30", f.text)
	}
	x.xdo(t, "key", "Return")
	registered := x.waitForScreen(t, "the new ID", func(img image.Image) bool {
		// Registering logs in: the welcome's banner is tinted green.
		_, green := colours(img, img.Bounds(), blend(ui.LightPalette.Bg, ui.LightPalette.Success, 0x1f))
		return green > 5000
	})
	save(t, "register.png", registered)
	app.stop()

	// A busy group in Chinese and English, seen by 李华.
	dir := t.TempDir()
	me := seedUser(t, srv, dir, "李华")
	wang := seedUser(t, srv, t.TempDir(), "王芳")
	tom := seedUser(t, srv, t.TempDir(), "Tom Baker")
	chen := seedUser(t, srv, t.TempDir(), "陈静")
	sofia := seedUser(t, srv, t.TempDir(), "Sofia Rossi")
	club := sofia.group("Reading Club", me)
	sofia.say(club, "Next book: The Three-Body Problem.")
	family := chen.group("家庭群", me)
	chen.say(family, "晚饭六点，别迟到。")
	study := me.group("学习小组 Study Group", wang, tom, chen, sofia)
	wang.say(study, "大家好！这周的读书会定在周四晚上七点，可以吗？")
	tom.say(study, "Thursday 7pm works for me. Which chapter are we reading?")
	me.say(study, "第三章：界面设计。I'll share the slides before the meeting.")
	wang.say(study, "好的，谢谢！")
	chen.say(study, "我刚加入，请问资料在哪里下载？")
	wang.say(study, "稍等，李华会把文件发到群里。")
	tom.say(study, "Also, could we record the call this time?")
	tom.say(study, "I missed half of it last week — the train had no signal.")
	me.say(study, "可以，我来录。Recording is on me.")
	project := tom.group("Project Parley", me)
	tom.say(project, "The server build is green again.")
	dm := wang.direct(me)
	wang.say(dm, "周末一起去图书馆吗？")
	st := me.until("every conversation", func(st state.State) bool {
		for _, c := range st.Conversations {
			if c.ID == dm && c.Last != nil {
				return len(st.Conversations) == 5
			}
		}
		return false
	})
	if err := me.m.Open(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	st = me.m.State()
	me.m.Close()
	// What the app shows when it starts on this account: no notices yet.
	st.Notices, st.Open, st.Search = nil, nil, nil

	for _, c := range []struct {
		name string
		size image.Point
		lang ui.Lang
		dark bool
	}{
		{"main.png", size, ui.English, false},
		{"dark.png", size, ui.Chinese, true},
		{"narrow.png", image.Pt(420, 800), ui.Chinese, false},
	} {
		theme, p := "light", ui.LightPalette
		if c.dark {
			theme, p = "dark", ui.DarkPalette
		}
		app := startApp(t, bin, x, "-server", srv.HTTPURL, "-data", dir, "-size", fmt.Sprintf("%dx%d", c.size.X, c.size.Y), "-lang", string(c.lang), "-theme", theme)
		x.waitForScreen(t, "the conversation list", func(img image.Image) bool {
			_, bg := colours(img, image.Rectangle{Max: c.size}, p.Surface)
			return bg > c.size.X*c.size.Y/8
		})
		x.clickAt(t, locate(t, st, c.size, c.lang, c.dark, "学习小组 Study Group"))
		img := x.waitForScreen(t, "the open group", func(img image.Image) bool {
			// My messages are blue bubbles on the right of the pane.
			w, h := c.size.X, c.size.Y
			_, mine := colours(img, image.Rect(w*6/10, 80, w, h-90), p.Primary)
			return mine > 4000
		})
		save(t, c.name, crop(img, c.size))
		app.stop()
	}
}

// onRegisterForm finds a control of the register form: a field by its
// caption, or a button by its label.
func onRegisterForm(t testing.TB, st state.State, size image.Point, label string) image.Point {
	t.Helper()
	d := uitest.NewDriver(uitest.NewUI(t, ui.English, false), size)
	d.Frame(st)
	if err := d.Click("Register"); err != nil {
		t.Fatal(err)
	}
	d.Frame(st)
	d.Frame(st)
	for _, n := range d.Nodes() {
		if n.Desc.Description == label {
			return n.Desc.Bounds.Min.Add(n.Desc.Bounds.Max).Div(2)
		}
	}
	if n, ok := d.Find(label); ok {
		return n.Visible.Min.Add(n.Visible.Max).Div(2)
	}
	t.Fatalf("no %q on the register form; have %q", label, d.Texts())
	return image.Point{}
}

func crop(img image.Image, size image.Point) image.Image {
	type sub interface {
		SubImage(image.Rectangle) image.Image
	}
	if s, ok := img.(sub); ok {
		return s.SubImage(image.Rectangle{Max: size})
	}
	return img
}
