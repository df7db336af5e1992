//go:build linux && !android

package main

import (
	"bufio"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"syscall"
)

// quietStderr keeps what C libraries write to stderr (file descriptor 2)
// off the terminal: libwayland's "XDG_RUNTIME_DIR is invalid or not set"
// when the app falls back to X11, dozens of "ALSA lib …" lines when a
// call opens the sound devices of a machine without a sound card, Mesa's
// EGL warnings. They cannot be told apart from the inside, so fd 2 becomes
// a pipe whose lines go to log at debug level (shown with -v), and the
// app's own log, os.Stderr and Go's crash reports (debug.SetCrashOutput)
// go to the real stderr. It returns the real stderr, and a function that
// starts passing the lines to log once there is one; if fd 2 cannot be
// moved, it changes nothing.
func quietStderr() (*os.File, func(log *slog.Logger)) {
	keep := func(*slog.Logger) {}
	real, err := syscall.Dup(2)
	if err != nil {
		return os.Stderr, keep
	}
	r, w, err := os.Pipe()
	if err != nil {
		syscall.Close(real)
		return os.Stderr, keep
	}
	if err := syscall.Dup3(int(w.Fd()), 2, 0); err != nil {
		r.Close()
		w.Close()
		syscall.Close(real)
		return os.Stderr, keep
	}
	w.Close() // fd 2 holds the pipe now
	syscall.CloseOnExec(real)
	stderr := os.NewFile(uintptr(real), "/dev/stderr")
	os.Stderr = stderr
	if err := debug.SetCrashOutput(stderr, debug.CrashOptions{}); err != nil {
		// Crash reports would go to the pipe only: give fd 2 back.
		syscall.Dup3(real, 2, 0)
		r.Close()
		return stderr, keep
	}
	return stderr, func(log *slog.Logger) { go forwardLines(r, log) }
}

// forwardLines logs each line read from r at debug level (a line longer
// than 4 KiB in pieces).
func forwardLines(r io.Reader, log *slog.Logger) {
	br := bufio.NewReaderSize(r, 4096)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			log.Debug("stderr", "line", strings.TrimSuffix(string(line), "\n"))
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}
