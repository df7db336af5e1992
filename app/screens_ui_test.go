package main

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gioui.org/io/key"

	"parley/app/model"
	"parley/app/model/modeltest"
	"parley/app/state"
	"parley/media/audio"
	"parley/net/proto"
	"parley/server/node/nodetest"
	"parley/ui"
	"parley/ui/uitest"
)

// uiHarness runs the real screens against the real model and an
// in-process server, without a window: input goes through an
// input.Router, intents go through the app's own dispatch, and every
// state change the model announces is drawn. Calls use the null sound
// backend; saved files go to a temporary folder, and "open" is recorded.
type uiHarness struct {
	t         *testing.T
	m         *model.Model
	win       *window
	d         *uitest.Driver
	changed   chan struct{}
	downloads string
	dir       string // the model's data folder
	opener    *modeltest.Opener
}

func newUIHarness(t *testing.T, srv *nodetest.Server) *uiHarness {
	t.Helper()
	return newUIHarnessWith(t, srv, t.TempDir(), model.SystemAudio(audio.Config{Null: true}))
}

// newUIHarnessAt is newUIHarness over the data folder dir: a second
// harness on the same folder is the app after a restart.
func newUIHarnessAt(t *testing.T, srv *nodetest.Server, dir string) *uiHarness {
	t.Helper()
	return newUIHarnessWith(t, srv, dir, model.SystemAudio(audio.Config{Null: true}))
}

// newUIHarnessWith is newUIHarness over the data folder dir, on the
// sound devices of dev.
func newUIHarnessWith(t *testing.T, srv *nodetest.Server, dir string, dev model.CallAudio) *uiHarness {
	t.Helper()
	h := &uiHarness{t: t, changed: make(chan struct{}, 1), opener: &modeltest.Opener{}}
	h.dir = dir
	h.downloads = filepath.Join(dir, "Downloads")
	redraw := func() {
		select {
		case h.changed <- struct{}{}:
		default:
		}
	}
	m, err := model.NewModel(model.Config{
		DataDir: dir, Server: srv.HTTPURL, Device: "ui test",
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		Audio:      dev,
		Files:      model.FilesConfig{Downloads: h.downloads, Opener: h.opener},
		Invalidate: redraw,
		OpenURL:    func(u string) error { defer redraw(); return h.opener.Open(u) }, // links, recorded like files
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		m.Close()
	})
	h.m = m
	// The real clock: call timers count from the model's times.
	u := ui.New(ui.Options{Shaper: uitest.Shaper(t), Lang: ui.English})
	h.d = uitest.NewDriver(u, image.Pt(1200, 800))
	// No file picker: the explorer is nil, as on a platform without one.
	h.win = &window{ctx: ctx, m: m, ui: u, log: slog.New(slog.DiscardHandler), lanes: map[string]*lane{},
		prefs: prefsFile{path: filepath.Join(dir, "ui.json")}, picks: make(chan pickResult, 1), redraw: redraw}
	h.frame()
	return h
}

// loggedIn registers name through the model (not the screen: that has
// its own tests), logs in and waits until online.
func (h *uiHarness) loggedIn(srv *nodetest.Server, name string) proto.User {
	h.t.Helper()
	ctx := context.Background()
	if err := h.m.Register(ctx, srv.HTTPURL, name, "correct horse", "correct horse"); err != nil {
		h.t.Fatal(err)
	}
	me := *h.m.State().Registered // and logged in
	h.until("online", func(st state.State) bool { return st.Me != nil && st.Conn == state.Online })
	return me
}

// seeContaining waits until a label containing s is on screen and
// returns it.
func (h *uiHarness) seeContaining(s string) string {
	h.t.Helper()
	var label string
	h.until(fmt.Sprintf("a label with %q on screen", s), func(state.State) bool {
		n, ok := h.d.FindContaining(s)
		label = n.Desc.Label
		return ok
	})
	return label
}

// frame draws the model's current state and performs what the user asked.
func (h *uiHarness) frame() state.State {
	h.win.applyPicks()
	st := h.m.State()
	h.d.Frame(st)
	for _, ev := range h.d.Take() {
		h.win.dispatch(ev)
	}
	return st
}

// until draws frames as the state changes until ok holds for the state
// drawn, failing after a generous deadline (a guard against hangs, not a
// timing assertion).
func (h *uiHarness) until(what string, ok func(st state.State) bool) state.State {
	h.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		if st := h.frame(); ok(st) {
			h.frame() // let the screen catch up with the state it saw
			return st
		}
		select {
		case <-h.changed:
		case <-deadline:
			h.t.Fatalf("timed out waiting for %s; on screen: %q", what, h.d.Texts())
		}
	}
}

// see waits until s is on screen.
func (h *uiHarness) see(s string) uitest.Node {
	h.t.Helper()
	var n uitest.Node
	h.until(fmt.Sprintf("%q on screen", s), func(state.State) bool {
		var ok bool
		n, ok = h.d.Find(s)
		return ok
	})
	return n
}

func (h *uiHarness) click(s string) {
	h.t.Helper()
	if err := h.d.Click(s); err != nil {
		h.t.Fatal(err)
	}
	h.frame()
}

func (h *uiHarness) fill(field, s string) {
	h.t.Helper()
	if err := h.d.Fill(field, s); err != nil {
		h.t.Fatal(err)
	}
	h.frame()
}

func (h *uiHarness) press(name key.Name, mods key.Modifiers) {
	h.d.Press(name, mods)
	h.frame()
}

func (h *uiHarness) typeText(s string) {
	h.d.Type(s)
	h.frame()
}

// registerOnScreen registers through the register form, which logs in,
// and returns the new ID read off the welcome screen.
func (h *uiHarness) registerOnScreen(name, password string) string {
	h.t.Helper()
	h.click("Register")
	h.fill("Name", name)
	h.fill("Password", password)
	h.press(key.NameReturn, 0)
	var id string
	h.until("the new ID on screen", func(state.State) bool {
		n, ok := h.d.FindContaining("Registered — your ID is ")
		if ok {
			id = strings.TrimPrefix(n.Desc.Label, "Registered — your ID is ")
		}
		return ok
	})
	if _, err := strconv.Atoi(id); err != nil {
		h.t.Fatalf("the screen shows ID %q", id)
	}
	h.until("logged in and online", func(st state.State) bool {
		return st.Me != nil && fmt.Sprint(st.Me.ID) == id && st.Conn == state.Online
	})
	return id
}

// logOutOnScreen logs out with the profile's button and its question.
func (h *uiHarness) logOutOnScreen() {
	h.t.Helper()
	h.click("Log out")
	var confirm uitest.Node
	h.until("the log-out question", func(state.State) bool {
		for _, n := range h.d.Screen() {
			if n.Desc.Label == "Log out" && !n.Visible.Empty() {
				confirm = n
				return true
			}
		}
		return false
	})
	h.d.ClickAt(confirm.Visible.Min.Add(confirm.Visible.Max).Div(2))
	h.until("logged out", func(st state.State) bool { return st.Me == nil })
}

func TestRegisterLogInCreateAGroupAndChat(t *testing.T) {
	srv := nodetest.Start(t)
	h := newUIHarness(t, srv)

	id := h.registerOnScreen("李华", "correct horse") // and logged in
	h.see("Welcome, 李华!")
	h.see("李华")
	h.see("ID " + id)
	h.see("No conversations yet — create or join a group")

	h.fill("Group name", "学习小组 Study Group")
	h.press(key.NameReturn, 0)
	st := h.until("the group in the list", func(st state.State) bool { return len(st.Conversations) == 1 })
	group := st.Conversations[0].ID
	h.see(fmt.Sprintf("Created 学习小组 Study Group — its ID is %d", group))

	h.click("学习小组 Study Group")
	h.until("the group open", func(st state.State) bool { return st.Open != nil && st.Open.ID == group })
	h.see(fmt.Sprintf("#%d · 1 member · 1 online", group))
	h.typeText("大家好 hello")
	h.press(key.NameReturn, 0)
	h.see("大家好 hello")
	h.until("the message sent", func(st state.State) bool {
		ms := st.Open.Messages
		return len(ms) > 0 && ms[len(ms)-1].Text == "大家好 hello" && ms[len(ms)-1].Status.Stored()
	})
	n, ok := h.d.FindContaining(" · Sent")
	if !ok {
		t.Fatalf("the message does not say it was sent; on screen: %q", h.d.Texts())
	}
	if bubble, _ := h.d.Find("大家好 hello"); bubble.Visible.Max.X < 1000 || n.Visible.Min.Y < bubble.Visible.Max.Y {
		t.Errorf("my message is not on the right with its state below it: bubble %v, state %v", bubble.Visible, n.Visible)
	}
	h.see("You: 大家好 hello") // the conversation list previews it
}

func TestEnterSendsButShiftEnterAddsALine(t *testing.T) {
	srv := nodetest.Start(t)
	h := newUIHarness(t, srv)
	id := h.registerOnScreen("Tom Baker", "correct horse")
	h.fill("Group name", "Project Parley")
	h.press(key.NameReturn, 0)
	h.see("Project Parley")
	h.click("Project Parley")
	h.until("the group open", func(st state.State) bool { return st.Open != nil })

	h.typeText("first line")
	h.press(key.NameReturn, key.ModShift)
	h.typeText("second line")
	h.frame()
	if ms := h.m.State().Open.Messages; len(ms) != 1 || ms[0].Kind != proto.MsgSystem {
		t.Fatalf("Shift+Enter sent something: %+v", ms)
	}
	h.press(key.NameReturn, 0)
	st := h.until("the two-line message sent", func(st state.State) bool {
		ms := st.Open.Messages
		return len(ms) == 2 && ms[1].Status.Stored()
	})
	if got := st.Open.Messages[1].Text; got != "first line\nsecond line" {
		t.Fatalf("sent %q, want the two lines", got)
	}
	if fmt.Sprint(st.Open.Messages[1].Sender) != id {
		t.Fatalf("sent by %v, want %s", st.Open.Messages[1].Sender, id)
	}
	h.see("first line\nsecond line")
}

func TestWrongPasswordIsShownOnTheLoginScreen(t *testing.T) {
	srv := nodetest.Start(t)
	h := newUIHarness(t, srv)
	id := h.registerOnScreen("王芳", "correct horse")
	h.logOutOnScreen()
	// The login form holds the ID, and the password field has the focus.
	if got, _ := h.d.FieldText("User ID"); got != id {
		t.Fatalf("after logging out the login form holds user ID %q, want %s", got, id)
	}
	h.typeText("wrong horse")
	h.press(key.NameReturn, 0)
	h.see("Wrong user ID or password")
	if st := h.m.State(); st.Me != nil {
		t.Fatal("logged in with a wrong password")
	}
	// Fixing it logs in.
	h.click("Password")
	h.d.Press("A", key.ModShortcut)
	h.frame()
	h.typeText("correct horse")
	h.press(key.NameReturn, 0)
	h.until("logged in as "+id, func(st state.State) bool { return st.Me != nil && fmt.Sprint(st.Me.ID) == id })
}

func TestLoggingInAgainClearsLoggedOut(t *testing.T) {
	srv := nodetest.Start(t)
	h := newUIHarness(t, srv)
	h.registerOnScreen("Sofia Rossi", "correct horse")
	h.logOutOnScreen()
	if st := h.m.State(); !slices.ContainsFunc(st.Notices, func(n state.Notice) bool { return n.Kind == state.NoticeLoggedOut }) {
		t.Fatalf("logging out left no notice: %+v", st.Notices)
	}
	h.typeText("correct horse")
	h.press(key.NameReturn, 0)
	st := h.until("logged in again", func(st state.State) bool { return st.Me != nil && st.Conn == state.Online })
	if slices.ContainsFunc(st.Notices, func(n state.Notice) bool { return n.Kind == state.NoticeLoggedOut }) {
		t.Fatalf("logged in again, yet the notices hold Logged out: %+v", st.Notices)
	}
	if _, ok := h.d.Find("Logged out"); ok {
		t.Fatal("logged in again, yet Logged out is on screen")
	}
}

func TestLosingTheServerShowsTheOfflineBarUntilItIsBack(t *testing.T) {
	srv := nodetest.Start(t)
	h := newUIHarness(t, srv)
	h.registerOnScreen("陈静", "correct horse")
	h.fill("Group name", "Offline Club")
	h.press(key.NameReturn, 0)
	h.see("Offline Club")
	h.click("Offline Club")
	st := h.until("the group open", func(st state.State) bool { return st.Open != nil && st.Open.Members != nil })
	h.see(fmt.Sprintf("#%d · 1 member · 1 online", st.Open.ID))

	srv.Stop()
	h.seeContaining("Offline — ")
	h.see("Retry now")
	h.until("no presence while offline", func(st state.State) bool {
		_, ok := h.d.Find(fmt.Sprintf("#%d · 1 member", st.Open.ID))
		return ok && st.Conn != state.Online
	})
	srv.Restart(t)
	h.until("online again without the bar", func(st state.State) bool {
		_, bar := h.d.Find("Retry now")
		return st.Conn == state.Online && !bar
	})
	h.see(fmt.Sprintf("#%d · 1 member · 1 online", st.Open.ID))
}
