//go:build linux && !android

package main

import (
	"bufio"
	"bytes"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"
)

// notificationServer is a stand-in for the desktop's notification
// server: it records what Notify and CloseNotification are called with.
type notificationServer struct {
	mu     sync.Mutex
	notes  []note
	closed []uint32
}

type note struct {
	app, icon, summary, body string
	hints                    map[string]dbus.Variant
}

func (s *notificationServer) Notify(app string, replaces uint32, icon, summary, body string, actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notes = append(s.notes, note{app, icon, summary, body, hints})
	return uint32(len(s.notes)), nil
}

func (s *notificationServer) CloseNotification(id uint32) *dbus.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = append(s.closed, id)
	return nil
}

// privateSessionBus starts a D-Bus daemon of the test's own and makes it
// the session bus of this process.
func privateSessionBus(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon (Debian's dbus-daemon package): %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("read the bus address: %v", err)
	}
	addr = strings.TrimSpace(addr)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	return addr
}

func TestDesktopNotificationsCarryTheAppsNameAndIconAndAreWithdrawn(t *testing.T) {
	addr := privateSessionBus(t)
	server, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	fake := &notificationServer{}
	if err := server.Export(fake, notifyPath, notifyDest); err != nil {
		t.Fatal(err)
	}
	if reply, err := server.RequestName(notifyDest, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own %s: %v, %v", notifyDest, reply, err)
	}

	dir := t.TempDir()
	n, err := platformNotifier(dir, slog.New(slog.DiscardHandler))()
	if err != nil {
		t.Fatal(err)
	}
	shown, err := n.CreateNotification("王芳 · 学习小组", "周四见 see you Thursday")
	if err != nil {
		t.Fatal(err)
	}
	if err := shown.Cancel(); err != nil {
		t.Fatal(err)
	}

	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.notes) != 1 {
		t.Fatalf("the server got %d notifications, want 1", len(fake.notes))
	}
	got := fake.notes[0]
	if got.app != "Parley" || got.summary != "王芳 · 学习小组" || got.body != "周四见 see you Thursday" {
		t.Errorf("notified app %q, summary %q, body %q", got.app, got.summary, got.body)
	}
	if icon, err := os.ReadFile(got.icon); err != nil || !bytes.Equal(icon, appIcon) {
		t.Errorf("the icon %q is not the app's: %v", got.icon, err)
	}
	if entry, _ := got.hints["desktop-entry"].Value().(string); entry != "parley" {
		t.Errorf("desktop-entry hint %v, want parley", got.hints["desktop-entry"])
	}
	if len(fake.closed) != 1 || fake.closed[0] != 1 {
		t.Errorf("closed %v, want the notification 1", fake.closed)
	}
}
