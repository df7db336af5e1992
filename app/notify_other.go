//go:build !linux || android

package main

import (
	"log/slog"

	"gioui.org/x/notify"
)

// platformNotifier is gioui.org/x/notify's notifier elsewhere (it names
// the app by its bundle or package there).
func platformNotifier(string, *slog.Logger) func() (notify.Notifier, error) {
	return notify.NewNotifier
}
