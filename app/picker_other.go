//go:build !js

package main

import (
	"context"
	"errors"
	"io"

	"gioui.org/x/explorer"
)

// platformChooser opens Gio's file picker: it gives *os.File values on
// desktops, and *explorer.File streams with their names and sizes on
// Android and iOS. Several files can be chosen where Gio's explorer
// offers it (Linux through the desktop portal, Windows); elsewhere
// (Android, macOS, iOS: explorer.ChooseFiles is ErrNotAvailable there in
// gioui.org/x v0.10.0) one.
func platformChooser(ex *explorer.Explorer) func(context.Context, bool) ([]io.ReadCloser, error) {
	return func(_ context.Context, many bool) ([]io.ReadCloser, error) {
		if many {
			files, err := ex.ChooseFiles()
			if !errors.Is(err, explorer.ErrNotAvailable) {
				return files, err
			}
		}
		f, err := ex.ChooseFile()
		if err != nil {
			return nil, err
		}
		return []io.ReadCloser{f}, nil
	}
}
