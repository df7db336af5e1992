package static_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley/server/static"
)

// app writes a folder as tools/web.sh does: index.html, parley.wasm and
// its precompressed siblings (the .br's body is a stand-in: only the
// server's choice is under test).
func app(t *testing.T) (dir string, wasm []byte) {
	t.Helper()
	dir = t.TempDir()
	wasm = bytes.Repeat([]byte("\x00asm wasm body "), 1000)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(wasm)
	zw.Close()
	// In order: a compressed copy older than its file is stale (and
	// ignored), so the copies are written after the file, as web.sh does.
	for _, f := range []struct {
		name string
		body []byte
	}{
		{"index.html", []byte("<title>Parley</title>")},
		{"parley.wasm", wasm},
		{"parley.wasm.gz", gz.Bytes()},
		{"parley.wasm.br", []byte("brotli body")},
	} {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, wasm
}

func do(t *testing.T, h http.Handler, method, target string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTheCompressedVariantGoesToClientsThatAcceptIt(t *testing.T) {
	dir, wasm := app(t)
	h := static.Dir(dir)
	for _, c := range []struct {
		accept, coding string
	}{
		{"gzip, deflate, br, zstd", "br"},
		{"gzip, deflate", "gzip"},
		{"br;q=0, gzip", "gzip"},
		{"br;q=0.5, gzip;q=0.9", "gzip"},
		{"*", "br"},
		{"*;q=0, gzip", "gzip"},
		{"", ""},
		{"identity", ""},
		{"gzip;q=0, br;q=0", ""},
		{"deflate", ""},
	} {
		r := do(t, h, "GET", "/parley.wasm", "Accept-Encoding", c.accept)
		got := body(t, r)
		if r.StatusCode != 200 || r.Header.Get("Content-Encoding") != c.coding {
			t.Errorf("Accept-Encoding %q: %d, Content-Encoding %q, want 200 %q", c.accept, r.StatusCode, r.Header.Get("Content-Encoding"), c.coding)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/wasm" {
			t.Errorf("Accept-Encoding %q: Content-Type %q, want application/wasm (instantiateStreaming needs it)", c.accept, ct)
		}
		if v := r.Header.Get("Vary"); v != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: Vary %q, want Accept-Encoding", c.accept, v)
		}
		switch c.coding {
		case "gzip":
			zr, err := gzip.NewReader(strings.NewReader(got))
			if err != nil {
				t.Fatal(err)
			}
			if plain, _ := io.ReadAll(zr); !bytes.Equal(plain, wasm) {
				t.Errorf("Accept-Encoding %q: the gzip body does not decode to the file", c.accept)
			}
		case "br":
			if got != "brotli body" {
				t.Errorf("Accept-Encoding %q: body %q, want the .br file", c.accept, got)
			}
		default:
			if got != string(wasm) {
				t.Errorf("Accept-Encoding %q: body is not the plain file", c.accept)
			}
		}
	}
}

func TestEachRepresentationHasItsOwnETagAndRanges(t *testing.T) {
	dir, wasm := app(t)
	h := static.Dir(dir)
	plain := do(t, h, "GET", "/parley.wasm")
	gz := do(t, h, "GET", "/parley.wasm", "Accept-Encoding", "gzip")
	pe, ge := plain.Header.Get("ETag"), gz.Header.Get("ETag")
	if pe == "" || ge == "" || pe == ge {
		t.Fatalf("ETags plain %q, gzip %q: want two different ones", pe, ge)
	}
	if r := do(t, h, "GET", "/parley.wasm", "Accept-Encoding", "gzip", "If-None-Match", ge); r.StatusCode != http.StatusNotModified {
		t.Errorf("gzip with its own ETag: %d, want 304", r.StatusCode)
	}
	if r := do(t, h, "GET", "/parley.wasm", "Accept-Encoding", "gzip", "If-None-Match", pe); r.StatusCode != 200 {
		t.Errorf("gzip with the plain file's ETag: %d, want 200", r.StatusCode)
	}
	if r := do(t, h, "GET", "/parley.wasm", "If-None-Match", pe); r.StatusCode != http.StatusNotModified {
		t.Errorf("plain with its own ETag: %d, want 304", r.StatusCode)
	}

	// A range is of the bytes sent: the plain file's, or the gzip file's.
	r := do(t, h, "GET", "/parley.wasm", "Range", "bytes=4-9")
	if got := body(t, r); r.StatusCode != http.StatusPartialContent || got != string(wasm[4:10]) {
		t.Errorf("plain range: %d %q, want 206 %q", r.StatusCode, got, wasm[4:10])
	}
	gzFile, err := os.ReadFile(filepath.Join(dir, "parley.wasm.gz"))
	if err != nil {
		t.Fatal(err)
	}
	r = do(t, h, "GET", "/parley.wasm", "Range", "bytes=2-5", "Accept-Encoding", "gzip", "If-Range", ge)
	if got := body(t, r); r.StatusCode != http.StatusPartialContent || got != string(gzFile[2:6]) || r.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("gzip range: %d %q (%q), want 206 of the gzip file %q", r.StatusCode, got, r.Header.Get("Content-Encoding"), gzFile[2:6])
	}
	// If-Range with the other representation's ETag: the whole body.
	r = do(t, h, "GET", "/parley.wasm", "Range", "bytes=2-5", "Accept-Encoding", "gzip", "If-Range", pe)
	if got := body(t, r); r.StatusCode != 200 || got != string(gzFile) {
		t.Errorf("gzip range If-Range of the plain ETag: %d, want 200 with the whole gzip file", r.StatusCode)
	}
}

func TestAStaleVariantIsNotServed(t *testing.T) {
	dir, wasm := app(t)
	old := time.Now().Add(-time.Hour)
	for _, v := range []string{"parley.wasm.gz", "parley.wasm.br"} {
		if err := os.Chtimes(filepath.Join(dir, v), old, old); err != nil {
			t.Fatal(err)
		}
	}
	r := do(t, static.Dir(dir), "GET", "/parley.wasm", "Accept-Encoding", "gzip, br")
	if got := body(t, r); r.Header.Get("Content-Encoding") != "" || got != string(wasm) {
		t.Errorf("with variants older than the file: Content-Encoding %q, want the plain file", r.Header.Get("Content-Encoding"))
	}
}

func TestFolderRoutes(t *testing.T) {
	dir, _ := app(t)
	h := static.Dir(dir)
	if r := do(t, h, "GET", "/"); r.StatusCode != 200 || !strings.Contains(body(t, r), "<title>Parley") || r.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("GET / = %d %q, want index.html", r.StatusCode, r.Header.Get("Content-Type"))
	}
	if r := do(t, h, "HEAD", "/parley.wasm", "Accept-Encoding", "gzip"); r.StatusCode != 200 || r.Header.Get("Content-Encoding") != "gzip" || body(t, r) != "" {
		t.Errorf("HEAD = %d %q, want 200 gzip without a body", r.StatusCode, r.Header.Get("Content-Encoding"))
	}
	if r := do(t, h, "POST", "/index.html"); r.StatusCode != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST = %d, want 405 with Allow", r.StatusCode)
	}
	if r := do(t, h, "GET", "/missing.js"); r.StatusCode != 404 {
		t.Errorf("GET /missing.js = %d, want 404", r.StatusCode)
	}
	if r := do(t, h, "GET", "/../../etc/passwd"); r.StatusCode != 404 {
		t.Errorf("GET /../../etc/passwd = %d, want 404", r.StatusCode)
	}
}

func TestAFileWithoutAKnownExtensionKeepsItsSniffedType(t *testing.T) {
	dir := t.TempDir()
	font := filepath.Join(dir, "font")
	if err := os.WriteFile(font, []byte("\x00\x01\x00\x00 truetype"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(font+".gz", []byte("gz"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := static.File(font)
	plain, gz := do(t, h, "GET", "/fonts/cjk"), do(t, h, "GET", "/fonts/cjk", "Accept-Encoding", "gzip")
	if pt, gt := plain.Header.Get("Content-Type"), gz.Header.Get("Content-Type"); pt != gt || pt != "font/ttf" {
		t.Errorf("Content-Type plain %q, gzip %q, want font/ttf for both", pt, gt)
	}
	if body(t, gz) != "gz" || gz.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("the font's .gz sibling was not served")
	}
}
