package model

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
	"parley/net/transfer"
	"parley/store"
)

// Files the picker gives as a stream rather than a path (Android's and
// iOS's document pickers, the browser's file input). An upload reads its
// file by path so that it can resume after a restart; a stream cannot be
// read again, so it is first copied:
//
//   - where there is a file system (phones), into a staging folder in the
//     data folder, <data>/outgoing/<account>/<transfer ID>/<name>,
//     fsynced; the upload then runs from that path exactly like a file
//     sent by path. The copy is removed when its transfer is done,
//     cancelled or dismissed, and at start-up when no transfer that can
//     still run refers to it.
//   - in the browser (FilesConfig.InMemory), into memory, up to
//     FilesConfig.MemoryLimit. Such an upload resumes after a dropped
//     connection or a pause, but not after the page is reloaded: its
//     record then fails with InputPickAgain.
//
// While it is copied the transfer shows with Preparing set; it exists
// only in memory until the copy is complete, so a restart mid-copy
// leaves no record, only a staged folder that start-up removes.

// Stream is a file the platform's picker gave as a stream rather than a
// path.
type Stream struct {
	io.ReadCloser
	Name string // the file's name; "" if the picker did not say
	Size int64  // its size in bytes; 0 or less if the picker did not say
}

// defaultMemoryLimit is FilesConfig.MemoryLimit's default.
const defaultMemoryLimit = 512 << 20

// prepareEvery throttles the progress of a copy.
const prepareEvery = 250 * time.Millisecond

// preparing is a picked stream being copied, shown as a transfer.
type preparing struct {
	view   state.Transfer // guarded by fileQueue.mu
	cancel context.CancelCauseFunc
	shown  time.Time // last progress shown; the copying goroutine's
	// after is closed once the copy picked before this one is queued (or
	// given up), done once this one is: copies queue in the order picked
	// (several files picked at once go in order).
	after, done chan struct{}
	caption     string // the file message's text, kept in its transfer record
}

// SendStream queues a file the picker gave as a stream, for the open
// conversation or the user ID target as SendFile does. It takes s and
// closes it. It returns once the file is being prepared (copied into the
// app, or read into memory in the browser); the transfer shows with
// Preparing set meanwhile, then uploads like any other. A failure to
// copy is reported in the notice bar.
func (m *Model) SendStream(ctx context.Context, s Stream, target string) error {
	return m.sendStream(ctx, s, target, "")
}

// sendStream is SendStream with a caption, the file message's text.
func (m *Model) sendStream(ctx context.Context, s Stream, target, caption string) error {
	taken := false
	err := m.withFiles(func(a *account) error {
		conv, err := a.target(ctx, target)
		if err != nil {
			return err
		}
		if err := a.files.prepare(ctx, s, conv, caption); err != nil {
			return err
		}
		taken = true
		return nil
	})
	if !taken {
		s.Close()
	}
	return err
}

// prepare checks what can be checked before copying and starts the copy.
// It takes s only if it returns nil.
func (q *fileQueue) prepare(ctx context.Context, s Stream, conv proto.ConvID, caption string) error {
	name := transfer.SafeName(s.Name)
	if s.Size > 0 {
		if q.inMemory && s.Size > q.memLimit {
			return tooBigForMemory(name, s.Size, q.memLimit)
		}
		// Refuse at once what the server would refuse after the copy;
		// offline, the upload checks later.
		if q.http() != nil {
			if err := q.http().CheckLimits(ctx, s.Size); proto.CodeOf(err) == proto.CodeTooLarge || proto.CodeOf(err) == transfer.CodeQuotaExceeded {
				return err
			}
		}
	}
	pctx, cancel := context.WithCancelCause(q.a.ctx)
	p := &preparing{cancel: cancel, view: state.Transfer{
		ID: client.NewClientID(), Direction: state.Upload, Conv: conv, Name: name, Size: max(s.Size, 0),
		State: state.TransferActive, Checking: true, Preparing: true, ETA: -1,
	}, caption: caption}
	q.mu.Lock()
	p.after, p.done = q.lastPrep, make(chan struct{})
	q.lastPrep = p.done
	q.prep = append(q.prep, p)
	q.mu.Unlock()
	q.publish()
	if !q.a.spawn(func() {
		defer cancel(nil)
		defer close(p.done)
		q.runPrepare(pctx, p, s)
	}) {
		cancel(nil)
		close(p.done)
		return errStopped
	}
	return nil
}

// runPrepare copies a stream, closes it, and queues its upload, or says
// why not.
func (q *fileQueue) runPrepare(ctx context.Context, p *preparing, s Stream) {
	a := q.a
	id := p.view.ID
	r := bufio.NewReaderSize(transfer.ContextReader(ctx, s), 64<<10)
	if strings.TrimSpace(s.Name) == "" {
		name := sniffName(r)
		q.mu.Lock()
		p.view.Name = name
		q.mu.Unlock()
	}
	var (
		rec  store.Transfer
		data []byte
		err  error
	)
	if q.inMemory {
		rec, data, err = q.readIn(p, r)
	} else {
		rec, err = q.stage(p, r)
	}
	s.Close()
	if p.after != nil {
		select {
		case <-p.after:
		case <-ctx.Done():
		}
	}

	q.mu.Lock()
	if cause := context.Cause(ctx); cause != nil {
		err = cause // cancelled, or the app is closing
	}
	if err == nil {
		if q.inMemory {
			q.mem[id] = data // nil for an empty file
		}
		rec.Caption = p.caption
		if err = a.db.PutTransfer(a.ctx, rec); err != nil {
			delete(q.mem, id)
		}
	}
	q.prep = slices.DeleteFunc(q.prep, func(x *preparing) bool { return x == p })
	q.mu.Unlock()

	if err != nil {
		q.discard(rec)
		q.publish()
		if !errors.Is(err, errCanceled) && a.ctx.Err() == nil {
			a.m.log.Info("prepare a picked file", "err", err)
			n := q.notice(err)
			a.m.update(func(st *state.State) { st.Notices = a.m.appendNotice(st.Notices, n) })
		}
		return
	}
	q.publish()
	q.kick(store.Up)
}

// stage copies a stream into the staging folder, fsynced, and returns the
// record of its upload. On failure it removes what it wrote.
func (q *fileQueue) stage(p *preparing, r io.Reader) (store.Transfer, error) {
	q.mu.Lock()
	v := p.view
	q.mu.Unlock()
	dir := filepath.Join(q.staging, v.ID)
	path := filepath.Join(dir, v.Name)
	n, err := writeStaged(dir, path, r, func(done int64) { q.prepared(p, done) })
	if err != nil {
		os.RemoveAll(dir)
		if errors.Is(err, transfer.ErrDiskFull) {
			q.a.m.log.Info("copy a picked file", "err", err)
			return store.Transfer{}, badInput(state.InputNoRoomToCopy, "there is no room on this device to copy %s for sending", v.Name)
		}
		return store.Transfer{}, err
	}
	return store.Transfer{ID: v.ID, Direction: store.Up, Conv: v.Conv, Name: v.Name, Size: n, Path: path, State: store.TransferQueued}, nil
}

// writeStaged writes r to a new file path in a new folder dir, and makes
// both durable.
func writeStaged(dir, path string, r io.Reader, progress func(int64)) (int64, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, transfer.FileError("create", dir, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, transfer.FileError("create", path, err)
	}
	w := &countWriter{w: f, progress: progress}
	n, err := io.Copy(w, r)
	switch {
	case w.err != nil:
		err = transfer.FileError("write", path, w.err)
	case err != nil:
		err = fmt.Errorf("read the picked file: %w", err)
	default:
		if err = f.Sync(); err != nil {
			err = transfer.FileError("write", path, err)
		}
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = transfer.FileError("write", path, cerr)
	}
	if err == nil {
		err = syncDirs(dir, filepath.Dir(dir))
	}
	return n, err
}

// syncDirs makes the folders' entries durable (not possible on Windows,
// nor on some file systems).
func syncDirs(dirs ...string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	for _, dir := range dirs {
		d, err := os.Open(dir)
		if err != nil {
			return transfer.FileError("open", dir, err)
		}
		err = d.Sync()
		d.Close()
		if err != nil && !errors.Is(err, syscall.EINVAL) {
			return transfer.FileError("sync", dir, err)
		}
	}
	return nil
}

// readIn reads a stream into memory, up to the limit, and returns the
// record of its upload (without a path: the bytes are in q.mem).
func (q *fileQueue) readIn(p *preparing, r io.Reader) (store.Transfer, []byte, error) {
	q.mu.Lock()
	v := p.view
	q.mu.Unlock()
	var buf bytes.Buffer
	if v.Size > 0 {
		buf.Grow(int(v.Size))
	}
	w := &countWriter{w: &buf, progress: func(done int64) { q.prepared(p, done) }}
	n, err := io.Copy(w, io.LimitReader(r, q.memLimit+1))
	if err != nil {
		return store.Transfer{}, nil, fmt.Errorf("read the picked file: %w", err)
	}
	if n > q.memLimit {
		return store.Transfer{}, nil, tooBigForMemory(v.Name, n, q.memLimit)
	}
	rec := store.Transfer{ID: v.ID, Direction: store.Up, Conv: v.Conv, Name: v.Name, Size: n, State: store.TransferQueued}
	return rec, buf.Bytes(), nil
}

func tooBigForMemory(name string, size, limit int64) error {
	return badInput(state.InputTooBigForMemory, "%s has %s; the browser can send files up to %s", name, proto.FormatSize(size), proto.FormatSize(limit))
}

// pickAgain is why an upload held in memory by an earlier run of the app
// (a page since reloaded) cannot continue.
func pickAgain(name string) error {
	return badInput(state.InputPickAgain, "the page was reloaded, so the browser no longer holds %s: choose it again", name)
}

// prepared shows the progress of a copy, at most every prepareEvery.
func (q *fileQueue) prepared(p *preparing, done int64) {
	now := q.a.m.cfg.Now()
	if now.Sub(p.shown) < prepareEvery {
		return
	}
	p.shown = now
	q.mu.Lock()
	p.view.Done = done
	v := p.view
	q.mu.Unlock()
	q.a.m.update(func(st *state.State) {
		i := slices.IndexFunc(st.Transfers, func(t state.Transfer) bool { return t.ID == v.ID })
		if i < 0 {
			return
		}
		ts := slices.Clone(st.Transfers)
		ts[i] = v
		st.Transfers = ts
	})
}

// preparingLocked returns the copy with transfer ID id, if one runs.
func (q *fileQueue) preparingLocked(id string) *preparing {
	i := slices.IndexFunc(q.prep, func(p *preparing) bool { return p.view.ID == id })
	if i < 0 {
		return nil
	}
	return q.prep[i]
}

// discard drops what an upload kept to be sent: its staged copy, or its
// bytes in memory.
func (q *fileQueue) discard(rec store.Transfer) {
	if rec.Direction != store.Up {
		return
	}
	q.mu.Lock()
	delete(q.mem, rec.ID)
	q.mu.Unlock()
	if dir, ok := q.stagedDir(rec.Path); ok {
		if err := os.RemoveAll(dir); err != nil {
			q.a.m.log.Warn("remove a staged copy", "err", err)
		}
	}
}

// stagedDir returns the staging folder of path, if path is a staged copy.
func (q *fileQueue) stagedDir(path string) (string, bool) {
	if q.staging == "" || path == "" {
		return "", false
	}
	dir := filepath.Dir(path)
	return dir, filepath.Dir(dir) == q.staging
}

// sweepStaged removes the staged copies no transfer that can still run
// refers to: left by a copy the app did not finish, or by a transfer
// that ended while the app was closing.
func (q *fileQueue) sweepStaged(recs []store.Transfer) {
	if q.staging == "" {
		return
	}
	entries, err := os.ReadDir(q.staging)
	if err != nil {
		return // nothing was ever staged
	}
	keep := map[string]bool{}
	for _, r := range recs {
		if dir, ok := q.stagedDir(r.Path); ok && r.Direction == store.Up && (pending(r.State) || r.State == store.TransferFailed) {
			keep[filepath.Base(dir)] = true
		}
	}
	for _, e := range entries {
		if keep[e.Name()] {
			continue
		}
		if err := os.RemoveAll(filepath.Join(q.staging, e.Name())); err != nil {
			q.a.m.log.Warn("remove an orphaned staged copy", "err", err)
		}
	}
}

// forgetMemory fails the uploads an earlier run held in memory: their
// bytes are gone (the browser page was reloaded).
func (q *fileQueue) forgetMemory(recs []store.Transfer) {
	for _, r := range recs {
		if r.Direction != store.Up || r.Path != "" || (!pending(r.State) && r.State != store.TransferFailed) {
			continue
		}
		if pending(r.State) {
			q.edit(q.a.ctx, r.ID, func(r *store.Transfer) { r.State = store.TransferFailed })
		}
		n := q.notice(pickAgain(r.Name))
		q.mu.Lock()
		q.live[r.ID] = &liveTransfer{err: &n}
		q.mu.Unlock()
	}
}

// stagingRoot is the account's staging folder under the data folder.
func stagingRoot(dataDir, server string, user proto.UserID) string {
	key := strings.TrimSuffix(filepath.Base(store.AccountPath(dataDir, server, user)), ".db")
	return filepath.Join(dataDir, "outgoing", key)
}

// sniffName names a file the picker did not name: "file", with the
// extension of its content's type when that is recognisable.
func sniffName(r *bufio.Reader) string {
	head, _ := r.Peek(512)
	if len(head) == 0 {
		return "file"
	}
	typ, _, _ := strings.Cut(http.DetectContentType(head), ";")
	return "file" + sniffedExt[typ]
}

// sniffedExt is the extension of the types http.DetectContentType knows.
var sniffedExt = map[string]string{
	"application/pdf":              ".pdf",
	"application/zip":              ".zip",
	"application/x-gzip":           ".gz",
	"application/x-rar-compressed": ".rar",
	"application/ogg":              ".ogg",
	"application/wasm":             ".wasm",
	"image/png":                    ".png",
	"image/jpeg":                   ".jpg",
	"image/gif":                    ".gif",
	"image/webp":                   ".webp",
	"image/bmp":                    ".bmp",
	"image/x-icon":                 ".ico",
	"audio/mpeg":                   ".mp3",
	"audio/wave":                   ".wav",
	"audio/aiff":                   ".aiff",
	"audio/midi":                   ".mid",
	"video/mp4":                    ".mp4",
	"video/webm":                   ".webm",
	"video/avi":                    ".avi",
	"font/woff":                    ".woff",
	"font/woff2":                   ".woff2",
	"font/ttf":                     ".ttf",
	"font/otf":                     ".otf",
	"text/html":                    ".html",
	"text/xml":                     ".xml",
	"text/plain":                   ".txt",
}

// countWriter counts what it writes for progress, and keeps its own
// error apart from the reader's.
type countWriter struct {
	w        io.Writer
	n        int64
	progress func(int64)
	err      error
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.progress(c.n)
	if err != nil {
		c.err = err
	}
	return n, err
}

// PickedFile turns what the picker gave into a path (a file on a
// desktop: the model reads it itself, so that an upload can resume after
// a restart) or a stream with the name and size the picker knows
// (Android, iOS, the browser: the model copies it first).
func PickedFile(rc io.ReadCloser) (string, *Stream) {
	if f, ok := rc.(*os.File); ok {
		path := f.Name()
		f.Close()
		return path, nil
	}
	s := &Stream{ReadCloser: rc}
	if n, ok := rc.(interface{ Name() string }); ok {
		s.Name = n.Name()
	}
	if n, ok := rc.(interface{ Size() int64 }); ok {
		s.Size = n.Size()
	}
	return "", s
}
