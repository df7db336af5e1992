//go:build linux && !android

package platform

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/godbus/dbus/v5"
)

func nativeLanguage(context.Context) string { return "" }

// nativeDarkMode asks the XDG desktop portal (GNOME, KDE and others
// answer it), then looks at GTK_THEME.
func nativeDarkMode(ctx context.Context) (dark, ok bool) {
	if dark, ok := portalColorScheme(ctx); ok {
		return dark, true
	}
	if t := os.Getenv("GTK_THEME"); t != "" {
		return strings.HasSuffix(strings.ToLower(t), ":dark") || strings.Contains(strings.ToLower(t), "-dark"), true
	}
	return false, false
}

func portalColorScheme(ctx context.Context) (dark, ok bool) {
	// Without a session bus address godbus would try to launch a bus.
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		if _, err := os.Stat(filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "bus")); os.Getenv("XDG_RUNTIME_DIR") == "" || err != nil {
			return false, false
		}
	}
	conn, err := dbus.ConnectSessionBus(dbus.WithContext(ctx))
	if err != nil {
		return false, false
	}
	defer conn.Close()
	obj := conn.Object("org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop")
	var v dbus.Variant
	// color-scheme: 0 no preference, 1 prefer dark, 2 prefer light.
	if err := obj.CallWithContext(ctx, "org.freedesktop.portal.Settings.ReadOne", 0, "org.freedesktop.appearance", "color-scheme").Store(&v); err != nil {
		// Older portals only have Read, which wraps the value once more.
		if err := obj.CallWithContext(ctx, "org.freedesktop.portal.Settings.Read", 0, "org.freedesktop.appearance", "color-scheme").Store(&v); err != nil {
			return false, false
		}
		if inner, isVariant := v.Value().(dbus.Variant); isVariant {
			v = inner
		}
	}
	scheme, isUint := v.Value().(uint32)
	if !isUint || scheme == 0 {
		return false, false
	}
	return scheme == 1, true
}
