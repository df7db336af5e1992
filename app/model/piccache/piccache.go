// Package piccache keeps pictures fetched from the server on this device,
// by file ID: profile pictures and the thumbnails of picture messages.
// File IDs of pictures are content addresses, so a kept picture never
// goes stale and is never rewritten.
//
// On a file system the pictures are files, <data>/pictures/<file ID>. In
// the browser, which has none (Go's os answers ENOSYS there), they are
// responses in the page's Cache Storage ("parley-pictures", keyed by
// /parley-pictures/<file ID>): they outlive a reload, so pictures show
// offline there too. The account store's IndexedDB is read whole when it
// opens, so pictures do not belong in it.
package piccache

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotCached is returned by Read for a picture not kept.
var ErrNotCached = errors.New("picture not cached")

// valid says whether id can name a kept picture (no path separator, no
// dot: it names a file).
func valid(id string) error {
	if id == "" || strings.ContainsAny(id, `/\.`) {
		return fmt.Errorf("bad picture ID %q", id)
	}
	return nil
}

// Read returns picture id kept under the data folder dir, or an error
// wrapping ErrNotCached.
func Read(dir, id string) ([]byte, error) {
	if err := valid(id); err != nil {
		return nil, err
	}
	return read(dir, id)
}

// Write keeps data as picture id under the data folder dir.
func Write(dir, id string, data []byte) error {
	if err := valid(id); err != nil {
		return err
	}
	return write(dir, id, data)
}
