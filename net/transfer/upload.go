package transfer

import (
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

	"parley/net/proto"
)

// Upload is the resumable state of sending one file. Fill in Path, the
// target (Conv, or User for the direct conversation) and optionally Name,
// Type and ClientID; Client.Upload fills in the rest as it learns it and
// calls Hooks.Save each time. Keep it (all fields) to resume.
type Upload struct {
	Path     string       // the local file
	Name     string       // the name people see (default: the file's base name)
	Type     string       // media type, if known
	Conv     proto.ConvID // the target conversation; set from User once created
	User     proto.UserID // or a user: the direct conversation with them
	ClientID string       // idempotency key of the create (default: random)

	Size    int64     // the file's size when it was hashed
	ModTime time.Time // its modification time then (zero: check the hash on resume)
	SHA256  string    // its SHA-256, hex
	ID      string    // the server's upload ID, once created
	Offset  int64     // bytes the server has acknowledged
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
	f, err := os.Open(u.Path)
	if err != nil {
		return proto.Message{}, fileError("open", u.Path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return proto.Message{}, fileError("read", u.Path, err)
	}
	if !st.Mode().IsRegular() {
		return proto.Message{}, fmt.Errorf("send %s: %w", u.Path, errNotAFile)
	}
	if u.ClientID == "" {
		u.ClientID = newKey()
	}
	if u.Name == "" {
		u.Name = filepath.Base(u.Path)
	}
	m := newMeter(c.opts.Now, c.opts.ProgressEvery, h.Progress)
	switch {
	case u.SHA256 == "":
		if err := c.checkLimits(ctx, st.Size()); err != nil {
			return proto.Message{}, err
		}
		u.Size, u.ModTime = st.Size(), st.ModTime()
		sum, err := hashFile(ctx, f, u.Size, m, Hashing)
		if err != nil {
			return proto.Message{}, fileError("read", u.Path, err)
		}
		if err := u.unchanged(f); err != nil {
			return proto.Message{}, err
		}
		u.SHA256 = sum
		h.save()
	case st.Size() != u.Size || (!u.ModTime.IsZero() && !st.ModTime().Equal(u.ModTime)):
		return proto.Message{}, c.abandon(u, h, changedError(u.Path))
	case u.ModTime.IsZero(): // resumed without the time: compare the content
		sum, err := hashFile(ctx, f, u.Size, m, Verifying)
		if err != nil {
			return proto.Message{}, fileError("read", u.Path, err)
		}
		if sum != u.SHA256 {
			return proto.Message{}, c.abandon(u, h, changedError(u.Path))
		}
		u.ModTime = st.ModTime()
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

var errNotAFile = errors.New("not a regular file")

func (c *Client) checkLimits(ctx context.Context, size int64) error {
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
func (c *Client) send(ctx context.Context, f *os.File, u *Upload, m *meter, h Hooks) (proto.Message, error) {
	if u.ID == "" {
		info, err := c.Create(ctx, CreateRequest{Name: u.Name, Size: u.Size, SHA256: u.SHA256, Type: u.Type, Conv: u.Conv, User: u.User, ClientID: u.ClientID})
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
		if err := u.unchanged(f); err != nil {
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
			return proto.Message{}, fmt.Errorf("send %s: %w: %w", u.Path, ErrFileChanged, err)
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
func (c *Client) patch(ctx context.Context, f *os.File, u *Upload, n int64, m *meter) (int64, *proto.Message, error) {
	trailer := http.Header{HeaderChecksum: nil}
	body := &chunkBody{r: io.NewSectionReader(f, u.Offset, n), crc: crc32.New(castagnoli), m: m, trailer: trailer}
	req, err := c.newRequest(ctx, http.MethodPatch, UploadsPath+"/"+url.PathEscape(u.ID), body)
	if err != nil {
		return 0, nil, err
	}
	req.ContentLength = -1 // chunked, for the trailer
	req.Trailer = trailer
	req.Header.Set("Content-Type", ContentTypeChunk)
	req.Header.Set(HeaderOffset, strconv.FormatInt(u.Offset, 10))
	resp, err := c.hc.Do(req)
	if err != nil {
		if rerr := body.readErr(); rerr != nil { // reading the file failed, not the network
			return 0, nil, fileError("read", u.Path, rerr)
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
		b.trailer.Set(HeaderChecksum, ChecksumCRC32C+" "+base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, b.crc.Sum32())))
	} else if err != nil {
		b.mu.Lock()
		b.err = err
		b.mu.Unlock()
	}
	return n, err
}

// WriteTo sends the chunk in 1 MiB writes (the transport's own copy uses
// 32 KiB).
func (b *chunkBody) WriteTo(w io.Writer) (int64, error) {
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	var total int64
	for {
		n, err := fill(b, *buf)
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

// unchanged checks that the file being sent is still the one that was
// hashed: same size and time, and still at its path.
func (u *Upload) unchanged(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return fileError("read", u.Path, err)
	}
	now, err := os.Stat(u.Path)
	if err != nil {
		return fileError("read", u.Path, err)
	}
	if st.Size() != u.Size || (!u.ModTime.IsZero() && !st.ModTime().Equal(u.ModTime)) || !os.SameFile(st, now) {
		return changedError(u.Path)
	}
	return nil
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
func hashFile(ctx context.Context, f *os.File, size int64, m *meter, phase Phase) (string, error) {
	sum := sha256.New()
	m.start(phase, 0, size)
	if _, err := Copy(countingWriter{io.Discard, m}, ctxReader{ctx, io.NewSectionReader(f, 0, size)}, sum); err != nil {
		return "", err
	}
	return hex.EncodeToString(sum.Sum(nil)), nil
}

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

// fileError wraps a local file error with what it means for the user.
func fileError(op, path string, err error) error {
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
