package transfer

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"parley/net/hashcopy"
	"parley/net/proto"
)

// Upload is the resumable state of sending one file. Fill in Path (or
// Source), the target (Conv, or User for the direct conversation) and
// optionally Name, Type and ClientID; Client.Upload fills in the rest as
// it learns it and calls Hooks.Save each time. Keep it (all fields) to
// resume.
type Upload struct {
	Path     string       // the local file
	Source   Source       // or the content itself, when there is no file (Path is then unused)
	Name     string       // the name people see (default: the file's base name; "file" for a Source)
	Type     string       // media type, if known
	Conv     proto.ConvID // the target conversation; set from User once created
	User     proto.UserID // or a user: the direct conversation with them
	ClientID string       // idempotency key of the create (default: random)
	Voice    *proto.Voice // a voice message (Type "audio/ogg"): its length and waveform
	Text     string       // a caption: the file message's text (CreateRequest.Text)

	Size    int64     // the file's size when it was hashed
	ModTime time.Time // its modification time then (zero: check the hash on resume)
	SHA256  string    // its SHA-256, hex
	ID      string    // the server's upload ID, once created
	Offset  int64     // bytes the server has acknowledged
}

// Source is the content of an upload that is not a file at a path: bytes
// the caller holds, for a platform without a file system (the browser).
// A *bytes.Reader is one. It must not change while it is sent: unlike a
// file, it has no time to compare, so only its size is checked between
// chunks, and a change of content is caught by the server's SHA-256
// check at the end (the upload then fails with ErrFileChanged).
type Source interface {
	io.ReaderAt
	Size() int64
}

// maxRetries bounds the chunks sent again in a row (checksum mismatches,
// offset corrections) before Upload gives up.
const maxRetries = 3

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Upload sends a file, continuing from where u says it stopped. It checks
// the server's limits before reading the file, hashes it (phase Hashing),
// creates the upload, and sends the rest in chunks from the offset the
// server holds, each with a CRC-32C; the server acknowledges a chunk only
// once it is on its disk. It returns the file message the server posted.
//
// A file that changes or disappears while it is sent fails with
// ErrFileChanged or ErrFileMissing, and the server discards the upload:
// a corrupt file is never published. Errors for which Temporary is true
// (the network, a server restart) leave u ready to resume.
func (c *Client) Upload(ctx context.Context, u *Upload, h Hooks) (proto.Message, error) {
	f, err := openContent(u)
	if err != nil {
		return proto.Message{}, err
	}
	defer f.Close()
	size, mod, err := f.stat()
	if err != nil {
		return proto.Message{}, err
	}
	if u.ClientID == "" {
		u.ClientID = newKey()
	}
	if u.Name == "" {
		u.Name = "file"
		if u.Source == nil {
			u.Name = filepath.Base(u.Path)
		}
	}
	m := newMeter(c.opts.Now, c.opts.ProgressEvery, h.Progress)
	switch {
	case u.SHA256 == "":
		if err := c.CheckLimits(ctx, size); err != nil {
			return proto.Message{}, err
		}
		u.Size, u.ModTime = size, mod
		sum, err := hashFile(ctx, f, u.Size, m, Hashing)
		if err != nil {
			return proto.Message{}, FileError("read", u.what(), err)
		}
		if err := f.unchanged(u); err != nil {
			return proto.Message{}, err
		}
		u.SHA256 = sum
		h.save()
	case size != u.Size || (!u.ModTime.IsZero() && !mod.Equal(u.ModTime)):
		return proto.Message{}, c.abandon(u, h, changedError(u.what()))
	case u.ModTime.IsZero() && u.Source == nil: // resumed without the time: compare the content
		sum, err := hashFile(ctx, f, u.Size, m, Verifying)
		if err != nil {
			return proto.Message{}, FileError("read", u.what(), err)
		}
		if sum != u.SHA256 {
			return proto.Message{}, c.abandon(u, h, changedError(u.what()))
		}
		u.ModTime = mod
		h.save()
	}
	for attempt := 0; ; attempt++ {
		msg, err := c.send(ctx, f, u, m, h)
		if proto.CodeOf(err) == CodeNoSuchUpload && attempt == 0 {
			u.ID, u.Offset = "", 0 // expired on the server: start over
			h.save()
			continue
		}
		return msg, err
	}
}

// what names the upload's content in errors: its path, or its name.
func (u *Upload) what() string {
	if u.Source != nil {
		return u.Name
	}
	return u.Path
}

// content is what an upload reads: the file at its path, or its Source.
type content interface {
	io.ReaderAt
	// stat returns the content's size and modification time (zero for
	// a Source).
	stat() (int64, time.Time, error)
	// unchanged fails with ErrFileChanged (or ErrFileMissing) unless the
	// content is still the one u was hashed from, as far as can be told
	// without reading it.
	unchanged(u *Upload) error
	Close() error
}

func openContent(u *Upload) (content, error) {
	if u.Source != nil {
		return sourceContent{u.Source}, nil
	}
	f, err := os.Open(u.Path)
	if err != nil {
		return nil, FileError("open", u.Path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, FileError("read", u.Path, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("send %s: %w", u.Path, errNotAFile)
	}
	return fileContent{f}, nil
}

// fileContent is a file at a path.
type fileContent struct{ *os.File }

func (f fileContent) stat() (int64, time.Time, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, time.Time{}, FileError("read", f.Name(), err)
	}
	return st.Size(), st.ModTime(), nil
}

// unchanged checks that the file being sent is still the one that was
// hashed: same size and time, and still at its path.
func (f fileContent) unchanged(u *Upload) error {
	st, err := f.Stat()
	if err != nil {
		return FileError("read", u.Path, err)
	}
	now, err := os.Stat(u.Path)
	if err != nil {
		return FileError("read", u.Path, err)
	}
	if st.Size() != u.Size || (!u.ModTime.IsZero() && !st.ModTime().Equal(u.ModTime)) || !os.SameFile(st, now) {
		return changedError(u.Path)
	}
	return nil
}

// sourceContent is a Source.
type sourceContent struct{ Source }

func (s sourceContent) stat() (int64, time.Time, error) { return s.Size(), time.Time{}, nil }

func (s sourceContent) unchanged(u *Upload) error {
	if s.Size() != u.Size {
		return changedError(u.what())
	}
	return nil
}

func (sourceContent) Close() error { return nil }

var errNotAFile = errors.New("not a regular file")

// CheckLimits asks the server whether a file of size bytes may be
// uploaded now: too_large or quota_exceeded if not. Upload checks it
// itself; a caller that must do work before it can upload (copy a file)
// asks first.
func (c *Client) CheckLimits(ctx context.Context, size int64) error {
	l, err := c.Limits(ctx)
	if err != nil {
		return err
	}
	if size > l.MaxSize {
		return proto.Errorf(proto.CodeTooLarge, "the file has %s; the server accepts files up to %s", proto.FormatSize(size), proto.FormatSize(l.MaxSize))
	}
	if l.Quota > 0 && l.Used+size > l.Quota {
		return proto.Errorf(CodeQuotaExceeded, "the file has %s but only %s of your %s quota are left", proto.FormatSize(size), proto.FormatSize(max(0, l.Quota-l.Used)), proto.FormatSize(l.Quota))
	}
	return nil
}

// send creates the upload if needed and sends it from the server's
// offset to the end.
func (c *Client) send(ctx context.Context, f content, u *Upload, m *meter, h Hooks) (proto.Message, error) {
	if u.ID == "" {
		info, err := c.Create(ctx, CreateRequest{Name: u.Name, Size: u.Size, SHA256: u.SHA256, Type: u.Type, Conv: u.Conv, User: u.User, ClientID: u.ClientID, Voice: u.Voice, Text: u.Text})
		if err != nil {
			return proto.Message{}, err
		}
		u.ID, u.Conv, u.Offset = info.ID, info.Conv, info.Offset
		h.save()
		if info.Message != nil { // a retried create of a finished upload
			return *info.Message, nil
		}
	} else {
		off, err := c.Offset(ctx, u.ID)
		if err != nil {
			return proto.Message{}, err
		}
		u.Offset = off
		h.save()
	}
	m.start(Sending, u.Offset, u.Size)
	retries := 0
	for {
		if err := f.unchanged(u); err != nil {
			return proto.Message{}, c.abandon(u, h, err)
		}
		n := min(c.opts.ChunkSize, u.Size-u.Offset)
		off, msg, err := c.patch(ctx, f, u, n, m)
		switch code := proto.CodeOf(err); {
		case err == nil:
		case (code == CodeChecksumMismatch || code == CodeOffsetMismatch) && retries < maxRetries:
			retries++
			if code == CodeOffsetMismatch {
				u.Offset = off
				h.save()
			}
			m.set(u.Offset)
			continue
		case code == CodeHashMismatch:
			// Every chunk arrived as read, yet the whole is not what was
			// hashed: the file changed in place. The server deleted it.
			u.ID, u.Offset = "", 0
			h.save()
			return proto.Message{}, fmt.Errorf("send %s: %w: %w", u.what(), ErrFileChanged, err)
		default:
			return proto.Message{}, err
		}
		if msg != nil {
			u.Offset = u.Size
			h.save()
			return *msg, nil
		}
		if off <= u.Offset {
			return proto.Message{}, &NetError{Op: "PATCH upload", Err: fmt.Errorf("the server acknowledged offset %d after %d", off, u.Offset)}
		}
		u.Offset, retries = off, 0
		h.save()
	}
}

// patch sends n bytes from u.Offset. It returns the server's new offset,
// or the file message when the upload is complete. With offset_mismatch
// it returns the server's offset along with the error.
func (c *Client) patch(ctx context.Context, f content, u *Upload, n int64, m *meter) (int64, *proto.Message, error) {
	if c.opts.BufferChunks {
		return c.patchBuffered(ctx, f, u, n, m)
	}
	trailer := http.Header{HeaderChecksum: nil}
	body := &chunkBody{r: io.NewSectionReader(f, u.Offset, n), crc: crc32.New(castagnoli), m: m, trailer: trailer}
	req, err := c.newRequest(ctx, http.MethodPatch, UploadsPath+"/"+url.PathEscape(u.ID), body)
	if err != nil {
		return 0, nil, err
	}
	req.ContentLength = -1 // chunked, for the trailer
	req.Trailer = trailer
	return c.sendPatch(req, u, body.readErr)
}

// patchBuffered is patch with the chunk read first, its checksum in a
// header (Options.BufferChunks). The chunk counts as done once the
// server has answered.
func (c *Client) patchBuffered(ctx context.Context, f content, u *Upload, n int64, m *meter) (int64, *proto.Message, error) {
	chunk := make([]byte, n)
	if _, err := io.ReadFull(io.NewSectionReader(f, u.Offset, n), chunk); err != nil {
		return 0, nil, FileError("read", u.what(), err)
	}
	req, err := c.newRequest(ctx, http.MethodPatch, UploadsPath+"/"+url.PathEscape(u.ID), bytes.NewReader(chunk))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set(HeaderChecksum, crc32cChecksum(crc32.Checksum(chunk, castagnoli)))
	off, msg, err := c.sendPatch(req, u, func() error { return nil })
	if err == nil {
		m.add(n)
	}
	return off, msg, err
}

func crc32cChecksum(sum uint32) string {
	return ChecksumCRC32C + " " + base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, sum))
}

// sendPatch sends a PATCH of u and reads the answer; readErr tells a
// failure to read the local file from one of the network.
func (c *Client) sendPatch(req *http.Request, u *Upload, readErr func() error) (int64, *proto.Message, error) {
	req.Header.Set("Content-Type", ContentTypeChunk)
	req.Header.Set(HeaderOffset, strconv.FormatInt(u.Offset, 10))
	resp, err := c.hc.Do(req)
	if err != nil {
		if rerr := readErr(); rerr != nil { // reading the file failed, not the network
			return 0, nil, FileError("read", u.what(), rerr)
		}
		return 0, nil, &NetError{Op: "PATCH upload", Err: err}
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNoContent:
		off, err := headerOffset(resp)
		return off, nil, err
	case http.StatusOK:
		var info UploadInfo
		if err := decodeJSON(resp, &info); err != nil {
			return 0, nil, err
		}
		if info.Message == nil {
			return 0, nil, &NetError{Op: "PATCH upload", Err: errors.New("the completed upload has no message")}
		}
		return info.Offset, info.Message, nil
	case http.StatusConflict:
		off, _ := headerOffset(resp)
		return off, nil, responseError(req, resp)
	}
	return 0, nil, responseError(req, resp)
}

// chunkBody is a PATCH body: a section of the file, counted into the
// progress meter, with its CRC-32C put into the trailer at the end.
type chunkBody struct {
	r       io.Reader
	crc     hash.Hash32
	m       *meter
	trailer http.Header

	mu  sync.Mutex
	err error // a read error of the file
}

func (b *chunkBody) readErr() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

func (b *chunkBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.crc.Write(p[:n])
	b.m.add(int64(n))
	if err == io.EOF {
		b.trailer.Set(HeaderChecksum, crc32cChecksum(b.crc.Sum32()))
	} else if err != nil {
		b.mu.Lock()
		b.err = err
		b.mu.Unlock()
	}
	return n, err
}

// chunkBufs hold the 1 MiB writes of chunkBody.WriteTo.
var chunkBufs = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// WriteTo sends the chunk in 1 MiB writes (the transport's own copy uses
// 32 KiB).
func (b *chunkBody) WriteTo(w io.Writer) (int64, error) {
	buf := chunkBufs.Get().(*[]byte)
	defer chunkBufs.Put(buf)
	var total int64
	for {
		n, err := hashcopy.Fill(b, *buf)
		if n > 0 {
			nw, werr := w.Write((*buf)[:n])
			total += int64(nw)
			if werr != nil {
				return total, werr
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func changedError(path string) error { return fmt.Errorf("send %s: %w", path, ErrFileChanged) }

// abandon cancels the server's copy of an upload that cannot complete
// (best effort: the server expires it anyway) and forgets it.
func (c *Client) abandon(u *Upload, h Hooks, err error) error {
	if u.ID != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c.Abort(ctx, u.ID)
		cancel()
		u.ID, u.Offset = "", 0
		h.save()
	}
	return err
}

// hashFile computes the SHA-256 of the first size bytes of f.
func hashFile(ctx context.Context, f io.ReaderAt, size int64, m *meter, phase Phase) (string, error) {
	sum := sha256.New()
	m.start(phase, 0, size)
	if _, err := Copy(countingWriter{io.Discard, m}, ctxReader{ctx, io.NewSectionReader(f, 0, size)}, sum); err != nil {
		return "", err
	}
	return hex.EncodeToString(sum.Sum(nil)), nil
}

// ContextReader returns a reader of r that stops reading once ctx is
// done, for copies that have no other way to be cancelled.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx, r} }

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

// FileError wraps a local file error with what it means for the user:
// ErrFileMissing, ErrPermission or ErrDiskFull (match with errors.Is),
// after "op path". Cancellations come back as they are.
func FileError(op, path string, err error) error {
	var kind error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, fs.ErrNotExist):
		kind = ErrFileMissing
	case errors.Is(err, fs.ErrPermission):
		kind = ErrPermission
	case isDiskFull(err):
		kind = ErrDiskFull
	default:
		return fmt.Errorf("%s %s: %w", op, path, err)
	}
	return fmt.Errorf("%s %s: %w: %w", op, path, kind, err)
}

func isDiskFull(err error) bool {
	var errno syscall.Errno
	return errors.Is(err, syscall.ENOSPC) || (errors.As(err, &errno) && diskFullErrno(errno))
}

func newKey() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
