//go:build !js

package main

import (
	"context"
	"io"

	"gioui.org/x/explorer"
)

// platformChooser opens Gio's file picker: it gives an *os.File on
// desktops, and an *explorer.File stream with its name and size on
// Android and iOS.
func platformChooser(ex *explorer.Explorer) func(context.Context) (io.ReadCloser, error) {
	return func(context.Context) (io.ReadCloser, error) { return ex.ChooseFile() }
}
