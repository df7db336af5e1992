//go:build !js

package main

import (
	"os"
	"strconv"
)

// newAutomation turns the end-to-end test hook (automation.go) on when
// PARLEY_AUTOMATION_FD names a file descriptor the test opened for the
// app (a pipe): each frame's semantic tree is written to it as one line
// of JSON. The Xvfb tests read it to find controls and to see what each
// app shows (app/smoke_test.go).
func newAutomation() *automation {
	fd, err := strconv.Atoi(os.Getenv("PARLEY_AUTOMATION_FD"))
	if err != nil || fd < 3 {
		return &automation{}
	}
	f := os.NewFile(uintptr(fd), "automation")
	return &automation{publish: func(b []byte) {
		if f == nil {
			return
		}
		// A reader that went away ends the hook, not the app.
		if _, err := f.Write(append(b, '\n')); err != nil {
			f.Close()
			f = nil
		}
	}}
}
