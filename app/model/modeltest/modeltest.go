// Package modeltest holds what the model's tests and the app's UI tests
// share: files with known contents, a picked stream, a recording opener.
// It is imported by tests only.
package modeltest

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// Opener records what it was asked to open or show (model.Opener).
type Opener struct {
	mu            sync.Mutex
	opened, shown []string
}

func (o *Opener) Open(path string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.opened = append(o.opened, path)
	return nil
}

func (o *Opener) ShowInFolder(path string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.shown = append(o.shown, path)
	return nil
}

// Opened returns the paths opened so far.
func (o *Opener) Opened() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.opened)
}

// Shown returns the paths shown in their folder so far.
func (o *Opener) Shown() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.shown)
}

// WriteFile writes size pseudo-random bytes (from seed) to dir/name and
// returns the path and the SHA-256 in hex.
func WriteFile(t testing.TB, dir, name string, size int64, seed uint64) (string, string) {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	r := rand.NewChaCha8([32]byte{byte(seed), 7})
	if _, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, size)); err != nil {
		t.Fatal(err)
	}
	return path, hex.EncodeToString(h.Sum(nil))
}

// SumOf returns the SHA-256 of the file at path in hex.
func SumOf(t testing.TB, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// RandomData returns size pseudo-random bytes and their SHA-256.
func RandomData(size int, seed uint64) ([]byte, string) {
	b := make([]byte, size)
	rand.NewChaCha8([32]byte{byte(seed), 11}).Read(b)
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])
}

// PickedStream is what the pickers of Android, iOS and the browser give:
// a stream with the file's name and size, not a file with a path.
type PickedStream struct {
	io.Reader
	name   string
	size   int64
	closed chan struct{}
}

func NewPickedStream(r io.Reader, name string, size int64) *PickedStream {
	return &PickedStream{Reader: r, name: name, size: size, closed: make(chan struct{})}
}

func (s *PickedStream) Name() string { return s.name }
func (s *PickedStream) Size() int64  { return s.size }
func (s *PickedStream) Close() error {
	close(s.closed)
	return nil
}

// Closed is closed when the stream is.
func (s *PickedStream) Closed() <-chan struct{} { return s.closed }

// WasClosed reports whether the stream was closed.
func (s *PickedStream) WasClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// Entries lists the names in the folder dir (none if it does not exist).
func Entries(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
