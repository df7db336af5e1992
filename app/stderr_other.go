//go:build !linux || android

package main

import (
	"log/slog"
	"os"
)

// quietStderr changes nothing here: the noise it keeps off a Linux
// terminal (stderr_linux.go) is Linux's.
func quietStderr() (*os.File, func(*slog.Logger)) {
	return os.Stderr, func(*slog.Logger) {}
}
