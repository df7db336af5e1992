//go:build linux && !android

package platform

import (
	"context"
	"testing"
)

func TestDarkModeFromGTKThemeWithoutAPortal(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", "")
	for theme, want := range map[string]bool{"Adwaita:dark": true, "Adwaita-dark": true, "Adwaita": false} {
		t.Setenv("GTK_THEME", theme)
		dark, ok := DarkMode(context.Background())
		if !ok || dark != want {
			t.Errorf("GTK_THEME=%s: dark=%v ok=%v, want dark=%v", theme, dark, ok, want)
		}
	}
	t.Setenv("GTK_THEME", "")
	if _, ok := DarkMode(context.Background()); ok {
		t.Error("claims to know the theme with nothing to go on")
	}
}
