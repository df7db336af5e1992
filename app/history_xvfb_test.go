package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gioui.org/io/input"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
	"parley/ui/uitest"
)

// watchedApp is the app binary under Xvfb with its automation hook on
// (automation_other.go): every frame's semantic tree comes down a pipe,
// so the test finds controls where the app drew them and sees what it
// shows, and drives it with real X input (xdotool).
type watchedApp struct {
	*runningApp
	t testing.TB
	x xvfb

	mu      sync.Mutex
	last    []byte        // the newest frame's semantic tree, JSON
	changed chan struct{} // a frame came
}

func startWatched(t testing.TB, bin string, x xvfb, args ...string) *watchedApp {
	t.Helper()
	return startWatchedEnv(t, bin, x, nil, args...)
}

// startWatchedEnv is startWatched with more environment variables.
func startWatchedEnv(t testing.TB, bin string, x xvfb, env []string, args ...string) *watchedApp {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	a := &watchedApp{t: t, x: x, changed: make(chan struct{}, 1)}
	go func() {
		defer r.Close()
		br := bufio.NewReader(r)
		for {
			line, err := br.ReadBytes('\n')
			if err != nil {
				return
			}
			a.mu.Lock()
			a.last = line
			a.mu.Unlock()
			select {
			case a.changed <- struct{}{}:
			default:
			}
		}
	}()
	a.runningApp = startAppFiles(t, bin, x, append([]string{"PARLEY_AUTOMATION_FD=3"}, env...), []*os.File{w}, args...)
	w.Close() // the app has its own copy
	return a
}

// screen is what the app drew last.
func (a *watchedApp) screen() uitest.Screen {
	a.t.Helper()
	a.mu.Lock()
	raw := a.last
	a.mu.Unlock()
	if raw == nil {
		return nil
	}
	var nodes []input.SemanticNode
	if err := json.Unmarshal(raw, &nodes); err != nil {
		a.t.Fatalf("decode the app's screen: %v", err)
	}
	return uitest.NewScreen(nodes)
}

// until waits for a frame on which ok holds: an app draws a new frame
// whenever what it shows changes.
func (a *watchedApp) until(what string, ok func(uitest.Screen) bool) uitest.Screen {
	a.t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		if sc := a.screen(); sc != nil && ok(sc) {
			return sc
		}
		select {
		case <-a.changed:
		case <-deadline:
			a.t.Fatalf("the app never showed %s; on screen: %q\nits log:\n%s", what, a.screen().Texts(), a.logs.String())
		}
	}
}

// inList is the visible node of the message list (right of the sidebar)
// labelled s, the n-th in tree order. A label may be in the tree more
// than once with the same bounds: those count once.
func inList(sc uitest.Screen, s string, n int) (uitest.Node, bool) {
	seen := map[image.Rectangle]bool{}
	for _, x := range sc {
		if x.Desc.Label == s && x.Visible.Min.X > 330 && !x.Visible.Empty() && !seen[x.Visible] {
			if n == 0 {
				return x, true
			}
			seen[x.Visible] = true
			n--
		}
	}
	return uitest.Node{}, false
}

// see waits until the message list shows s (count times at least).
func (a *watchedApp) see(s string, count int) {
	a.t.Helper()
	a.until(fmt.Sprintf("%q in the list ×%d", s, count), func(sc uitest.Screen) bool {
		_, ok := inList(sc, s, count-1)
		return ok
	})
}

// click clicks the control labelled s once it is on screen.
func (a *watchedApp) click(s string) {
	a.t.Helper()
	var p image.Point
	a.until(fmt.Sprintf("a control %q", s), func(sc uitest.Screen) bool {
		var err error
		p, err = sc.ClickPoint(s)
		return err == nil
	})
	a.x.clickAt(a.t, p)
}

// menu right-clicks the topmost message of the list showing s, and
// waits for its context menu.
func (a *watchedApp) menu(s string) {
	a.t.Helper()
	var n uitest.Node
	a.until(fmt.Sprintf("%q in the list", s), func(sc uitest.Screen) bool {
		var ok bool
		n, ok = inList(sc, s, 0)
		return ok
	})
	p := n.Visible.Min.Add(n.Visible.Max).Div(2)
	a.x.xdo(a.t, "mousemove", strconv.Itoa(p.X), strconv.Itoa(p.Y), "click", "3")
	a.until("the message's menu", func(sc uitest.Screen) bool {
		_, ok := sc.Find("Delete for me")
		return ok
	})
}

// focus clicks into the composer.
func (a *watchedApp) focus() {
	a.t.Helper()
	var p image.Point
	a.until("the composer", func(sc uitest.Screen) bool {
		var err error
		p, err = sc.FieldPoint("Message")
		return err == nil
	})
	a.x.clickAt(a.t, p)
}

// write types text into the composer and sends it.
func (a *watchedApp) write(text string) {
	a.t.Helper()
	a.focus()
	a.send(text)
}

// send types text where the caret is, waits until the composer holds
// it, and sends it. Lower case only: a busy X server may lose a Shift.
func (a *watchedApp) send(text string) {
	a.t.Helper()
	a.x.xdo(a.t, "type", "--delay", "20", text)
	a.composerIs(text)
	a.x.xdo(a.t, "key", "Return")
}

// composerIs waits until the composer holds text.
func (a *watchedApp) composerIs(text string) {
	a.t.Helper()
	a.until(fmt.Sprintf("%q in the composer", text), func(sc uitest.Screen) bool {
		got, _ := sc.FieldText("Message")
		return got == text
	})
}

// buildServer builds parley-server once per test binary.
var buildServer = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "parley-server-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "parley-server")
	out, err := exec.Command("go", "build", "-o", bin, "parley/server").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build parley/server: %v\n%s", err, out)
	}
	return bin, nil
})

// startServer runs the real server binary on a free port of 127.0.0.1
// with a fresh data folder, and returns its address once it listens.
func startServer(t testing.TB) string {
	t.Helper()
	bin, err := buildServer()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-data", t.TempDir(), "-argon2", "m=64,t=1,p=1", "-register-limit", "off")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the server: %v", err)
	}
	logs := &lockedBuffer{}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Fprintln(logs, sc.Text())
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				addr <- line.Addr
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	select {
	case a := <-addr:
		return "http://" + a
	case <-time.After(60 * time.Second):
		t.Fatalf("the server did not say where it listens; its log:\n%s", logs.String())
		return ""
	}
}

// TestTwoAppsReplyReactEditAndDelete runs two real apps, each on its own
// X display, in one direct chat through the server binary, and drives them
// with X input: 李华 writes; 王芳 answers it from the message's menu;
// 李华 reacts to her answer, edits his message and deletes it. Each step
// is checked on both screens, as the automation hook reports them.
func TestTwoAppsReplyReactEditAndDelete(t *testing.T) {
	bin := appBinary(t)
	srv := startServer(t)
	size := image.Pt(1100, 720)
	liDir, wangDir := t.TempDir(), t.TempDir()
	li := seedUserAt(t, srv, liDir, "李华")
	wang := seedUserAt(t, srv, wangDir, "王芳")
	dm := li.direct(wang)
	li.say(dm, "hi")
	wang.until("the chat", func(st state.State) bool { return len(st.Conversations) == 1 })
	// They share no group: the chat is a request for 王芳 until she
	// accepts it (docs/protocol.md, "First-contact requests").
	if err := wang.m.AcceptRequest(context.Background(), dm); err != nil {
		t.Fatal(err)
	}
	li.m.Close()
	wang.m.Close()

	args := func(dir string) []string {
		return []string{"-server", srv, "-data", dir, "-size", fmt.Sprintf("%dx%d", size.X, size.Y), "-lang", "en", "-theme", "light", "-audio", "null"}
	}
	a := startWatched(t, bin, startXvfb(t, size), args(liDir)...)
	b := startWatched(t, bin, startXvfb(t, size), args(wangDir)...)
	a.click("王芳")
	b.click("李华")
	a.see("hi", 1)
	b.see("hi", 1)

	// 李华 writes; 王芳 answers it.
	a.write("lunch at noon")
	b.see("lunch at noon", 1)
	b.menu("lunch at noon")
	b.click("Reply")
	b.until("the reply strip", func(sc uitest.Screen) bool {
		_, ok := sc.Find("Replying to 李华: lunch at noon")
		return ok
	})
	b.write("sounds good")
	// Both see the answer under its quote of the message.
	for _, x := range []*watchedApp{a, b} {
		x.see("sounds good", 1)
		x.see("lunch at noon", 2)
	}

	// 李华 reacts to the answer.
	a.menu("sounds good")
	a.click("👍")
	for _, x := range []*watchedApp{a, b} {
		x.see("👍 1", 1)
	}

	// He edits his message: 王芳 sees the new text, in the message and in
	// the quote, and that it was edited.
	a.menu("lunch at noon")
	a.click("Edit")
	a.until("the edit strip", func(sc uitest.Screen) bool {
		_, ok := sc.Find("Editing message")
		return ok
	})
	// The text is taken away key by key, not selected with Ctrl+A: a busy
	// X server may lose a modifier.
	a.focus()
	a.composerIs("lunch at noon")
	a.x.xdo(t, "key", "End")
	a.x.xdo(t, "key", "--repeat", strconv.Itoa(len("lunch at noon")), "--delay", "20", "BackSpace")
	a.until("the composer emptied", func(sc uitest.Screen) bool {
		got, ok := sc.FieldText("Message")
		return ok && !strings.Contains(got, "lunch")
	})
	a.send("lunch at one")
	b.see("lunch at one", 2)
	b.see("edited", 1)
	a.until("his message marked edited", func(sc uitest.Screen) bool {
		n, ok := sc.FindContaining(" · edited") // after Sent, Delivered or Read
		return ok && n.Visible.Min.X > 330
	})
	for _, x := range []*watchedApp{a, b} {
		if _, ok := inList(x.screen(), "lunch at noon", 0); ok {
			t.Errorf("the old text is still on a screen: %q", x.screen().Texts())
		}
	}

	// He deletes it for everyone: both see it deleted, the quote too, and
	// the answer and its reaction stay.
	a.menu("lunch at one")
	a.click("Delete for everyone")
	for _, x := range []*watchedApp{a, b} {
		x.see("Message deleted", 2)
		x.see("sounds good", 1)
		x.see("👍 1", 1)
		x.until("no trace of the text", func(sc uitest.Screen) bool {
			for _, n := range sc {
				if strings.Contains(n.Desc.Label, "lunch at") && n.Visible.Min.X > 330 {
					return false
				}
			}
			return true
		})
	}

	// The server's history, over the protocol: the answer replies to the
	// message, and each change is one entry.
	ctx := context.Background()
	c, err := client.Dial(ctx, "ws"+strings.TrimPrefix(srv, "http")+proto.WSPath, client.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, li.me.ID, "correct horse", "check"); err != nil {
		t.Fatal(err)
	}
	h, err := c.History(ctx, proto.HistoryRequest{Conv: dm, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	var lunch, answer proto.Message
	for _, m := range h.Messages {
		kinds[m.Kind]++
		switch {
		case m.Kind == proto.MsgText && m.Sender == li.me.ID && m.Text != "hi":
			lunch = m
		case m.Kind == proto.MsgText && m.Sender == wang.me.ID:
			answer = m
		}
	}
	if !lunch.Deleted || answer.Text != "sounds good" || answer.ReplyTo != lunch.Seq || lunch.Seq == 0 {
		t.Errorf("the server holds %+v and %+v: want the first deleted, the second answering it", lunch, answer)
	}
	if kinds[proto.MsgEdit] != 1 || kinds[proto.MsgReact] != 1 || kinds[proto.MsgDelete] != 1 {
		t.Errorf("the server holds entries %v: want one edit, one react, one delete", kinds)
	}
}
