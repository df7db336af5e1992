//go:build !(linux && !android) && !(darwin && !ios)

package platform

import "context"

// Elsewhere gioui.org/x/pref answers (Windows, Android, the browser).
func nativeLanguage(context.Context) string { return "" }

func nativeDarkMode(context.Context) (dark, ok bool) { return false, false }
