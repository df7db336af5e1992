package main

import (
	"bytes"
	"fmt"
	"image"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"parley/app/model/modeltest"
	"parley/app/state"
	"parley/net/proto"
	"parley/server/node/nodetest"
	"parley/ui"
)

// sessionBus starts a private D-Bus session bus and returns its address.
func sessionBus(t *testing.T) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "bus")
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1", "--address=unix:path="+sock)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := readLine(out, 30*time.Second)
	if err != nil {
		t.Fatalf("dbus-daemon did not start: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(line)
}

// fakePortal is the desktop's file chooser portal
// (org.freedesktop.portal.FileChooser), as xdg-desktop-portal offers it:
// OpenFile returns a request object, whose Response signal carries the
// chosen file's URI. It always chooses file.
type fakePortal struct {
	conn    *dbus.Conn
	file    string
	parents chan string // the parent window of each request
}

func (p *fakePortal) OpenFile(sender dbus.Sender, parent, title string, opts map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	token, _ := opts["handle_token"].Value().(string)
	who := strings.TrimPrefix(strings.ReplaceAll(string(sender), ".", "_"), ":")
	req := dbus.ObjectPath("/org/freedesktop/portal/desktop/request/" + who + "/" + token)
	uri := (&url.URL{Scheme: "file", Path: p.file}).String()
	go p.conn.Emit(req, "org.freedesktop.portal.Request.Response", uint32(0), map[string]dbus.Variant{"uris": dbus.MakeVariant([]string{uri})})
	select {
	case p.parents <- parent:
	default:
	}
	return req, nil
}

// TestTheFilePickerSendsThePickedFile runs the real app under Xvfb with a
// file chooser portal on its session bus (this machine has no
// xdg-desktop-portal; the fake speaks its protocol), clicks "Choose
// file…", and checks that the chosen file reaches the other member.
func TestTheFilePickerSendsThePickedFile(t *testing.T) {
	bin := appBinary(t)
	srv := nodetest.Start(t)
	bus := sessionBus(t)
	conn, err := dbus.Connect(bus)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	file, _ := modeltest.WriteFile(t, t.TempDir(), "picked-notes.pdf", 200_000, 5)
	portal := &fakePortal{conn: conn, file: file, parents: make(chan string, 1)}
	if err := conn.Export(portal, "/org/freedesktop/portal/desktop", "org.freedesktop.portal.FileChooser"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName("org.freedesktop.portal.Desktop", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own the portal's name: %v (%v)", reply, err)
	}

	size := image.Pt(1100, 720)
	dir := t.TempDir()
	li := seedUser(t, srv, dir, "李华")
	wang := seedUser(t, srv, t.TempDir(), "王芳")
	group := li.group("学习小组", wang)
	li.say(group, "The notes of the meeting follow in a minute.")
	st := li.m.State()
	li.m.Close()

	x := startXvfb(t, size)
	a := startAppEnv(t, bin, x, []string{"DBUS_SESSION_BUS_ADDRESS=" + bus},
		"-server", srv.HTTPURL, "-data", dir, "-size", fmt.Sprintf("%dx%d", size.X, size.Y), "-lang", "en", "-theme", "light")
	openOnXvfb(t, x, st, size, ui.English, false, "学习小组")
	st.Notices, st.Search = nil, nil
	choose := locateAfter(t, st, size, ui.English, false, []string{"Attach a file"}, "Choose file…")
	before := x.screenshot(t)
	x.clickAt(t, locate(t, st, size, ui.English, false, "Attach a file"))
	x.waitForScreen(t, "the file bar", func(img image.Image) bool {
		return differ(before, img, choose.Visible) > choose.Visible.Dx()*choose.Visible.Dy()/3
	})
	x.clickAt(t, choose.Visible.Min.Add(choose.Visible.Max).Div(2))

	wang.until("the picked file in the group", func(st state.State) bool {
		for _, c := range st.Conversations {
			if c.ID == group && c.Last != nil && c.Last.Kind == proto.MsgFile {
				return c.Last.File.Name == "picked-notes.pdf" && c.Last.File.Size == 200_000
			}
		}
		return false
	})
	if parent := <-portal.parents; !strings.HasPrefix(parent, "x11:") {
		t.Errorf("the picker's parent window is %q, want the app's X11 window", parent)
	}
	if strings.Contains(a.logs.String(), "no file picker") {
		t.Errorf("the app found no picker; its log:\n%s", a.logs.String())
	}
}
