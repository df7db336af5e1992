//go:build darwin && !ios

package platform

import (
	"context"
	"os/exec"
	"strings"
)

func defaults(ctx context.Context, key string) string {
	out, err := exec.CommandContext(ctx, "defaults", "read", "-g", key).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func nativeLanguage(ctx context.Context) string { return defaults(ctx, "AppleLocale") }

// nativeDarkMode reads the global AppleInterfaceStyle, which is "Dark" in
// dark mode and absent in light mode.
func nativeDarkMode(ctx context.Context) (dark, ok bool) {
	return defaults(ctx, "AppleInterfaceStyle") == "Dark", true
}
