// Package filecache keeps files fetched from the server on this device,
// by kind and file ID: profile pictures and the thumbnails of picture
// messages (Pictures), and voice messages (Voice). File IDs name content
// that never changes, so a kept file never goes stale and is never
// rewritten.
//
// On a file system the files are <data>/<kind>/<file ID>. In the browser,
// which has none (Go's os answers ENOSYS there), they are responses in the
// page's Cache Storage ("parley-<kind>", keyed by /parley-<kind>/<file
// ID>): they outlive a reload, so pictures show and voice messages play
// offline there too, and the browser bounds the space they take. The
// account store's IndexedDB is read whole when it opens, so files do not
// belong in it.
package filecache

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is what a kept file is, and the folder (or cache) it is kept in.
type Kind string

// The kinds kept.
const (
	Pictures Kind = "pictures"
	Voice    Kind = "voice"
)

// ErrNotCached is returned by Read for a file not kept.
var ErrNotCached = errors.New("file not cached")

// valid says whether id can name a kept file (no path separator, no dot:
// it names a file).
func valid(kind Kind, id string) error {
	if kind != Pictures && kind != Voice {
		return fmt.Errorf("bad cache kind %q", kind)
	}
	if id == "" || strings.ContainsAny(id, `/\.`) {
		return fmt.Errorf("bad file ID %q", id)
	}
	return nil
}

// Read returns the file id of kind kept under the data folder dir, or an
// error wrapping ErrNotCached.
func Read(dir string, kind Kind, id string) ([]byte, error) {
	if err := valid(kind, id); err != nil {
		return nil, err
	}
	return read(dir, kind, id)
}

// Write keeps data as the file id of kind under the data folder dir.
func Write(dir string, kind Kind, id string, data []byte) error {
	if err := valid(kind, id); err != nil {
		return err
	}
	return write(dir, kind, id, data)
}

// Adopt moves the local file at path into the cache as the file id of
// kind (a voice message this device recorded and sent: it plays from
// here without a download). The browser has no local files to adopt.
func Adopt(dir string, kind Kind, id, path string) error {
	if err := valid(kind, id); err != nil {
		return err
	}
	return adopt(dir, kind, id, path)
}
