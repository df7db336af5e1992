package piccache

import (
	"bytes"
	"errors"
	"testing"
)

// The same tests run natively (files) and as js/wasm under node (Cache
// Storage, its stand-in in testdata/fake_caches.js).
func TestAPictureKeptIsReadBack(t *testing.T) {
	dir := t.TempDir()
	if _, err := Read(dir, "f-1"); !errors.Is(err, ErrNotCached) {
		t.Fatalf("before it is kept: %v, want ErrNotCached", err)
	}
	data := []byte("\x89PNG a picture")
	if err := Write(dir, "f-1", data); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir, "f-1")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %q, %v", got, err)
	}
	if _, err := Read(dir, "f-2"); !errors.Is(err, ErrNotCached) {
		t.Fatalf("another picture: %v, want ErrNotCached", err)
	}
}

func TestBadIDsAreRefused(t *testing.T) {
	dir := t.TempDir()
	for _, id := range []string{"", "../x", `a\b`, "a.png", "a/b"} {
		if err := Write(dir, id, []byte("x")); err == nil || errors.Is(err, ErrNotCached) {
			t.Errorf("Write(%q): %v", id, err)
		}
		if _, err := Read(dir, id); err == nil || errors.Is(err, ErrNotCached) {
			t.Errorf("Read(%q): %v", id, err)
		}
	}
}
