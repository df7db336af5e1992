package transfer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// Download is the resumable state of fetching one file. Fill in the file
// (FileID, Name, Size, SHA256, as a file message describes it) and Dir,
// the folder to save into; Client.Download fills in the rest and calls
// Hooks.Save as it goes. Keep it to resume.
type Download struct {
	FileID string
	Name   string // the file's name; it is saved as SafeName(Name)
	Size   int64
	SHA256 string
	Dir    string // the downloads folder

	Temp   string // the partial file, in Dir; set by Download
	Offset int64  // bytes in Temp
	Path   string // the saved file, once done
}

// Download fetches a file into a temporary file in d.Dir, continuing a
// partial one with a Range request, verifies its SHA-256 and only then
// renames it to its name in d.Dir; if that name is taken it becomes
// "name (1).ext", "name (2).ext", and so on. A file that does not verify
// is fetched once more from the start, then fails with ErrCorrupt.
//
// Errors: ErrDiskFull and ErrPermission for the local folder, not_member
// and no_such_file from the server; Temporary ones leave d ready to resume.
func (c *Client) Download(ctx context.Context, d *Download, h Hooks) error {
	if d.Path != "" {
		return nil // done already
	}
	if err := os.MkdirAll(d.Dir, 0o755); err != nil {
		return FileError("create", d.Dir, err)
	}
	if d.Temp == "" {
		d.Temp = filepath.Join(d.Dir, ".parley-"+newKey()[:16]+".part")
		h.save()
	}
	m := newMeter(c.opts.Now, c.opts.ProgressEvery, h.Progress)
	for attempt := 0; ; attempt++ {
		resumed, err := c.fetch(ctx, d, m, h)
		if errors.Is(err, ErrCorrupt) && resumed && attempt == 0 {
			continue // the part kept from before may be what was wrong
		}
		if err != nil {
			return err
		}
		break
	}
	path, err := place(d.Temp, d.Dir, SafeName(d.Name))
	if err != nil {
		return err
	}
	d.Path, d.Temp, d.Offset = path, "", d.Size
	h.save()
	return nil
}

// fetch completes and verifies the temporary file. resumed says that it
// continued bytes fetched before. The temporary file is created only once
// the server has agreed to send the file.
func (c *Client) fetch(ctx context.Context, d *Download, m *meter, h Hooks) (resumed bool, err error) {
	var have int64
	switch st, err := os.Stat(d.Temp); {
	case err == nil && st.Mode().IsRegular() && st.Size() <= d.Size:
		have = st.Size()
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return false, FileError("read", d.Temp, err)
	}
	sum := sha256.New()
	if have > 0 { // hash what is there already
		if err := hashPrefix(ctx, d.Temp, have, sum, m); err != nil {
			return false, err
		}
	}
	resumed = have > 0
	var body io.Reader = http.NoBody
	if have < d.Size {
		resp, start, err := c.get(ctx, d, have)
		if err != nil {
			return resumed, err
		}
		defer resp.Body.Close()
		if start < have { // the whole file came: start over
			sum.Reset()
		}
		have, body = start, io.LimitReader(resp.Body, d.Size-start)
	}
	// 0666 less the umask: the saved file is the user's like any other
	// they create (the temporary file becomes it by a link or a rename).
	f, err := os.OpenFile(d.Temp, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return resumed, FileError("create", d.Temp, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = FileError("write", d.Temp, cerr)
		}
	}()
	if st, err := f.Stat(); err != nil || st.Size() != have {
		if err := f.Truncate(have); err != nil {
			return resumed, FileError("write", d.Temp, err)
		}
	}
	if _, err := f.Seek(have, io.SeekStart); err != nil {
		return resumed, FileError("write", d.Temp, err)
	}
	m.start(Receiving, have, d.Size)
	w := &saveWriter{f: f, m: m, d: d, h: h, every: c.opts.ChunkSize, at: have, saved: have}
	n, err := Copy(w, body, sum)
	have += n
	d.Offset = have
	h.save()
	switch {
	case w.err != nil:
		return resumed, FileError("write", d.Temp, w.err)
	case err != nil:
		return resumed, &NetError{Op: "GET file", Err: err}
	case have < d.Size:
		return resumed, &NetError{Op: "GET file", Err: fmt.Errorf("the download ended after %d of %d bytes", have, d.Size)}
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != d.SHA256 {
		f.Truncate(0)
		d.Offset = 0
		h.save()
		return resumed, fmt.Errorf("download %s: %w (got %s, want %s)", d.Name, ErrCorrupt, got, d.SHA256)
	}
	if err := f.Sync(); err != nil {
		return resumed, FileError("write", d.Temp, err)
	}
	return resumed, nil
}

func hashPrefix(ctx context.Context, path string, n int64, sum hash.Hash, m *meter) error {
	f, err := os.Open(path)
	if err != nil {
		return FileError("read", path, err)
	}
	defer f.Close()
	m.start(Verifying, 0, n)
	if _, err := Copy(countingWriter{io.Discard, m}, ctxReader{ctx, io.NewSectionReader(f, 0, n)}, sum); err != nil {
		return FileError("read", path, err)
	}
	return nil
}

// get asks for the file from byte have (If-Range: only if it is still
// the same file). It returns where the body starts: have, or 0 when the
// server sends the whole file.
func (c *Client) get(ctx context.Context, d *Download, have int64) (*http.Response, int64, error) {
	req, err := c.newRequest(ctx, http.MethodGet, FilesPath+"/"+url.PathEscape(d.FileID), nil)
	if err != nil {
		return nil, 0, err
	}
	if have > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", have))
		req.Header.Set("If-Range", `"`+d.SHA256+`"`)
	}
	resp, err := c.do(req, http.StatusOK, http.StatusPartialContent)
	if err != nil {
		return nil, 0, err
	}
	if resp.StatusCode == http.StatusOK {
		return resp, 0, nil
	}
	var start int64
	if _, err := fmt.Sscanf(resp.Header.Get("Content-Range"), "bytes %d-", &start); err != nil || start != have {
		resp.Body.Close()
		return nil, 0, &NetError{Op: "GET file", Err: fmt.Errorf("asked for bytes from %d, got %q", have, resp.Header.Get("Content-Range"))}
	}
	return resp, have, nil
}

// saveWriter writes the download into the temporary file, counts it, and
// lets the caller persist the offset every so many bytes.
type saveWriter struct {
	f     *os.File
	m     *meter
	d     *Download
	h     Hooks
	every int64
	at    int64 // bytes in the file
	saved int64 // at the last save
	err   error // a write error of the file
}

func (w *saveWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.at += int64(n)
	w.m.add(int64(n))
	if err != nil {
		w.err = err
		return n, err
	}
	if w.at-w.saved >= w.every {
		w.d.Offset, w.saved = w.at, w.at
		w.h.save()
	}
	return n, nil
}

// place moves the verified temporary file to name in dir without
// replacing anything there: the first free of name, "name (1)", ...
func place(temp, dir, name string) (string, error) {
	for n := 0; n < 10000; n++ {
		target := filepath.Join(dir, name)
		if n > 0 {
			target = filepath.Join(dir, numbered(name, n))
		}
		err := os.Link(temp, target) // fails if target exists: no race with another writer
		if err == nil {
			os.Remove(temp)
			return target, syncFolder(dir)
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		// No hard links here (some file systems): check, then rename.
		if _, err := os.Lstat(target); err == nil {
			continue
		}
		if err := os.Rename(temp, target); err != nil {
			return "", FileError("save", target, err)
		}
		return target, syncFolder(dir)
	}
	return "", fmt.Errorf("save %s in %s: %w", name, dir, fs.ErrExist)
}

func syncFolder(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // folders cannot be synced there
	}
	d, err := os.Open(dir)
	if err != nil {
		return FileError("open", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) { // some file systems cannot
		return FileError("sync", dir, err)
	}
	return nil
}

// Discard removes a download's partial file (cancel). It is not an error
// if there is none.
func (d *Download) Discard() error {
	if d.Temp == "" {
		return nil
	}
	if err := os.Remove(d.Temp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return FileError("remove", d.Temp, err)
	}
	d.Temp, d.Offset = "", 0
	return nil
}
