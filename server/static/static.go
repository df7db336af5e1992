// Package static serves the browser app's files: a folder (the output of
// `make web`) and single files such as the fonts. A file with a
// precompressed sibling (NAME.br, NAME.gz, as tools/web.sh writes them)
// is sent compressed to a client whose Accept-Encoding allows it, with
// Content-Encoding, the original's Content-Type and its own ETag, and
// plain otherwise. Every response says Vary: Accept-Encoding. Range and
// conditional requests are http.ServeContent's, on the bytes sent.
package static

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// encodings are the precompressed siblings looked for, best first.
var encodings = []struct{ coding, ext string }{
	{"br", ".br"},
	{"gzip", ".gz"},
}

// Dir serves the files of the folder dir at the handler's root, GET and
// HEAD only; a path ending in / serves its index.html.
func Dir(dir string) http.Handler {
	listing := http.FileServer(http.Dir(dir)) // folders: redirects, 404s
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed(w, r) {
			return
		}
		name := path.Clean("/" + r.URL.Path)
		if strings.HasSuffix(r.URL.Path, "/") {
			name = path.Join(name, "index.html")
		}
		full := filepath.Join(dir, filepath.FromSlash(name))
		if st, err := os.Stat(full); err == nil && st.Mode().IsRegular() {
			serveFile(w, r, full)
			return
		}
		listing.ServeHTTP(w, r)
	})
}

// File serves the file at path for every request, GET and HEAD only.
func File(path string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if allowed(w, r) {
			serveFile(w, r, path)
		}
	})
}

func allowed(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

// serveFile sends the file name, or the best precompressed sibling the
// request accepts. A sibling older than the file is stale and ignored.
func serveFile(w http.ResponseWriter, r *http.Request, name string) {
	w.Header().Add("Vary", "Accept-Encoding")
	f, err := os.Open(name)
	if err != nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	accept := r.Header.Get("Accept-Encoding")
	best, bestQ := -1, 0.0
	for i, e := range encodings {
		if q := quality(accept, e.coding); q > bestQ {
			if vst, err := os.Stat(name + e.ext); err == nil && vst.Mode().IsRegular() && !vst.ModTime().Before(st.ModTime()) {
				best, bestQ = i, q
			}
		}
	}
	if best >= 0 {
		e := encodings[best]
		if v, err := os.Open(name + e.ext); err == nil {
			defer v.Close()
			if vst, err := v.Stat(); err == nil {
				h := w.Header()
				h.Set("Content-Type", contentType(name, f))
				h.Set("Content-Encoding", e.coding)
				h.Set("ETag", etag(vst, e.coding))
				http.ServeContent(w, r, name, vst.ModTime(), v)
				return
			}
		}
	}
	w.Header().Set("ETag", etag(st, ""))
	http.ServeContent(w, r, name, st.ModTime(), f)
}

// etag is a strong validator of one representation: the file's size and
// time, and its coding, so that the plain and compressed bodies (whose
// byte ranges differ) never share one.
func etag(st os.FileInfo, coding string) string {
	if coding != "" {
		coding = "-" + coding
	}
	return fmt.Sprintf(`"%x-%x%s"`, st.ModTime().UnixNano(), st.Size(), coding)
}

// contentType is the type of the plain file: by its extension, else
// sniffed from its first bytes (as http.ServeContent does).
func contentType(name string, f *os.File) string {
	if t := mime.TypeByExtension(filepath.Ext(name)); t != "" {
		return t
	}
	buf := make([]byte, 512)
	n, _ := io.ReadFull(f, buf)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "application/octet-stream"
	}
	return http.DetectContentType(buf[:n])
}

// quality is the q-value Accept-Encoding gives coding: its own entry's,
// else the "*" entry's, else 0 (not acceptable).
func quality(header, coding string) float64 {
	star := 0.0
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(p, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				var err error
				if q, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil || q < 0 {
					q = 0
				}
			}
		}
		switch name {
		case coding:
			return q
		case "*":
			star = q
		}
	}
	return star
}
