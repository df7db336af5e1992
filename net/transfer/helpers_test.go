package transfer_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"parley/net/transfer"
)

// recorder is an HTTP transport that counts request and response body
// bytes and remembers statuses; flip, if set, corrupts a request body.
type recorder struct {
	sent, received atomic.Int64
	mu             sync.Mutex
	statuses       []int
	ranges         []string
	flip           func(req *http.Request) bool
}

func (r *recorder) client(opts transfer.Options) transfer.Options {
	opts.HTTP = &http.Client{Transport: r}
	return opts
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Method == http.MethodPatch {
		req.Body = &countingBody{ReadCloser: req.Body, n: &r.sent, flip: r.flip != nil && r.flip(req)}
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.statuses = append(r.statuses, resp.StatusCode)
	if req.Method == http.MethodGet {
		r.ranges = append(r.ranges, req.Header.Get("Range"))
	}
	r.mu.Unlock()
	resp.Body = &countingBody{ReadCloser: resp.Body, n: &r.received}
	return resp, nil
}

func (r *recorder) saw(status int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.statuses {
		if s == status {
			return true
		}
	}
	return false
}

type countingBody struct {
	io.ReadCloser
	n       *atomic.Int64
	flip    bool
	flipped bool
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.flip && !b.flipped && n > 0 {
		p[n/2] ^= 0x20
		b.flipped = true
	}
	b.n.Add(int64(n))
	return n, err
}

// writeRandomFile writes size pseudo-random bytes to a new file in dir
// and returns its path and SHA-256, streaming (never holding it whole).
func writeRandomFile(t testing.TB, dir, name string, size int64, seed uint64) (string, string) {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 1})
	if _, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, size)); err != nil {
		t.Fatal(err)
	}
	return path, hex.EncodeToString(h.Sum(nil))
}

func fileSHA(t testing.TB, path string) string {
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

// sameBytes compares two files streaming.
func sameBytes(t testing.TB, a, b string) bool {
	t.Helper()
	fa, err := os.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	ba, bb := make([]byte, 1<<20), make([]byte, 1<<20)
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, eb := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return false
		}
		if ea != nil || eb != nil {
			return ea == eb || (na == nb && (ea == io.EOF || ea == io.ErrUnexpectedEOF) && (eb == io.EOF || eb == io.ErrUnexpectedEOF))
		}
	}
}

func newClient(t testing.TB, server string, token string, opts transfer.Options) *transfer.Client {
	t.Helper()
	c, err := transfer.New(server, func() string { return token }, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
