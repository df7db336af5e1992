//go:build linux && !android

package main

import (
	"bytes"
	_ "embed"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"gioui.org/x/notify"
	"github.com/godbus/dbus/v5"
)

// appIcon is the icon notifications show (tools/appicon draws it).
//
//go:embed appicon.png
var appIcon []byte

// platformNotifier opens the desktop's notification server
// (org.freedesktop.Notifications on the session bus) with the app's name
// and icon. gioui.org/x/notify v0.10.0 sends neither on Linux (an empty
// app name, no icon, no hints: the desktop shows a generic bell), so this
// calls the server itself: app_name "Parley", app_icon the app's icon
// (written to the data folder, as a path: the icon theme has no "parley"
// unless `make desktop` installed it) and the desktop-entry hint "parley",
// which names the installed launcher (tools/desktop.sh).
func platformNotifier(dataDir string, log *slog.Logger) func() (notify.Notifier, error) {
	return func() (notify.Notifier, error) {
		conn, err := dbus.ConnectSessionBus()
		if err != nil {
			return nil, fmt.Errorf("connect to the session bus: %w", err)
		}
		icon, err := writeIcon(dataDir)
		if err != nil {
			log.Info("notifications without the app's icon", "err", err)
		}
		return &desktopNotifier{conn: conn, icon: icon}, nil
	}
}

// writeIcon puts the app's icon in dir (once) and returns its path.
func writeIcon(dir string) (string, error) {
	path, err := filepath.Abs(filepath.Join(dir, "parley.png"))
	if err != nil {
		return "", err
	}
	if have, err := os.ReadFile(path); err == nil && bytes.Equal(have, appIcon) {
		return path, nil
	}
	if err := os.WriteFile(path, appIcon, 0o644); err != nil {
		return "", fmt.Errorf("write the notification icon: %w", err)
	}
	return path, nil
}

const (
	notifyDest = "org.freedesktop.Notifications"
	notifyPath = dbus.ObjectPath("/org/freedesktop/Notifications")
)

type desktopNotifier struct {
	conn *dbus.Conn
	icon string
}

func (n *desktopNotifier) CreateNotification(title, text string) (notify.Notification, error) {
	hints := map[string]dbus.Variant{"desktop-entry": dbus.MakeVariant("parley")}
	var id uint32
	err := n.conn.Object(notifyDest, notifyPath).Call(notifyDest+".Notify", 0,
		"Parley", uint32(0), n.icon, title, text, []string{}, hints, int32(-1)).Store(&id)
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	return desktopNotification{n, id}, nil
}

type desktopNotification struct {
	n  *desktopNotifier
	id uint32
}

// Cancel withdraws the notification.
func (d desktopNotification) Cancel() error {
	if call := d.n.conn.Object(notifyDest, notifyPath).Call(notifyDest+".CloseNotification", 0, d.id); call.Err != nil {
		return fmt.Errorf("withdraw notification %d: %w", d.id, call.Err)
	}
	return nil
}
