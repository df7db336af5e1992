// Package platform asks the operating system what the user prefers: the
// language and a light or dark appearance. It only reads settings, never
// changes them, and gives up quickly: callers run it off the UI goroutine
// and fall back to English and the light theme.
package platform

import (
	"context"
	"os"
	"strings"

	"gioui.org/x/pref/locale"
	"gioui.org/x/pref/theme"
)

// Language returns the user's preferred locale ("zh_CN", "en-US", ...) or
// "" if the system does not say.
func Language(ctx context.Context) string {
	// POSIX precedence: LC_ALL, LC_MESSAGES, LANG; LANGUAGE is a list.
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"} {
		s := os.Getenv(v)
		s, _, _ = strings.Cut(s, ":")
		s, _, _ = strings.Cut(s, ".")
		if s != "" && s != "C" && s != "POSIX" {
			return s
		}
	}
	if s := nativeLanguage(ctx); s != "" {
		return s
	}
	if tag, err := locale.Language(); err == nil {
		return tag.String()
	}
	return ""
}

// DarkMode reports whether the user prefers a dark appearance; ok is false
// when the system does not say.
func DarkMode(ctx context.Context) (dark, ok bool) {
	if dark, ok := nativeDarkMode(ctx); ok {
		return dark, true
	}
	if dark, err := theme.IsDarkMode(); err == nil {
		return dark, true
	}
	return false, false
}
