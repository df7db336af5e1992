package filecache

import (
	"bytes"
	"errors"
	"testing"
)

// The same tests run natively (files) and as js/wasm under node (Cache
// Storage, its stand-in in testdata/fake_caches.js).
func TestAFileKeptIsReadBackFromItsKindOnly(t *testing.T) {
	dir := t.TempDir()
	if _, err := Read(dir, Pictures, "f-1"); !errors.Is(err, ErrNotCached) {
		t.Fatalf("before it is kept: %v, want ErrNotCached", err)
	}
	data := []byte("\x89PNG a picture")
	if err := Write(dir, Pictures, "f-1", data); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir, Pictures, "f-1")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %q, %v", got, err)
	}
	if _, err := Read(dir, Pictures, "f-2"); !errors.Is(err, ErrNotCached) {
		t.Fatalf("another picture: %v, want ErrNotCached", err)
	}
	if _, err := Read(dir, Voice, "f-1"); !errors.Is(err, ErrNotCached) {
		t.Fatalf("the picture read as a voice message: %v, want ErrNotCached", err)
	}
	ogg := []byte("OggS a voice message")
	if err := Write(dir, Voice, "f-1", ogg); err != nil {
		t.Fatal(err)
	}
	if got, err := Read(dir, Voice, "f-1"); err != nil || !bytes.Equal(got, ogg) {
		t.Fatalf("the voice message read back %q, %v", got, err)
	}
	if got, err := Read(dir, Pictures, "f-1"); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the picture after a voice message of the same ID: %q, %v", got, err)
	}
}

func TestBadIDsAndKindsAreRefused(t *testing.T) {
	dir := t.TempDir()
	for _, id := range []string{"", "../x", `a\b`, "a.png", "a/b"} {
		if err := Write(dir, Pictures, id, []byte("x")); err == nil || errors.Is(err, ErrNotCached) {
			t.Errorf("Write(%q): %v", id, err)
		}
		if _, err := Read(dir, Voice, id); err == nil || errors.Is(err, ErrNotCached) {
			t.Errorf("Read(%q): %v", id, err)
		}
	}
	for _, kind := range []Kind{"", "..", "pictures/x", "files"} {
		if err := Write(dir, kind, "f-1", []byte("x")); err == nil {
			t.Errorf("Write of kind %q: %v", kind, err)
		}
	}
}
