package model

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"parley/app/state"
	"parley/media/voice"
	"parley/net/client"
	"parley/net/proto"
	"parley/net/transfer"
	"parley/store"
)

// FilesConfig configures file transfers (Config.Files). The zero value is
// ready to use.
type FilesConfig struct {
	// Downloads is the folder saved files go to (default: the platform's
	// downloads folder; on phones, one inside DataDir).
	Downloads string
	// Opener opens saved files and shows them in their folder (default:
	// the desktop's file handlers).
	Opener Opener
	// Transfer tunes the file client (tests use small chunks).
	Transfer transfer.Options
	// InMemory holds files the picker gives as streams in memory rather
	// than copying them into the data folder (default: in the browser,
	// which has no file system). Such uploads resume after a dropped
	// connection, not after the app restarts (picked.go).
	InMemory bool
	// MemoryLimit bounds a file held in memory (default 512 MiB).
	MemoryLimit int64
	// Deliver, if set, makes Save download a file into memory (up to
	// MemoryLimit) and hand it over, rather than into Downloads (default:
	// in the browser, which has no file system, a download of the page;
	// elsewhere unset). Such a save has no local file to open.
	Deliver func(name string, data []byte) error
}

// Opener hands a local file to the system.
type Opener interface {
	Open(path string) error         // open with the default application
	ShowInFolder(path string) error // show in the file manager
}

// keepFinished is how long finished, failed and cancelled transfers stay
// in the list.
const keepFinished = 30 * 24 * time.Hour

// Why a running transfer was stopped by the user.
var (
	errPaused   = errors.New("paused")
	errCanceled = errors.New("cancelled")
)

// fileQueue runs an account's transfers: one upload and one download at a
// time, oldest first, from records in the store, so the queues survive
// restarts. Progress and errors live in memory.
type fileQueue struct {
	a         *account
	clients   map[string]*transfer.Client // per node, by its WebSocket URL (http)
	client    *transfer.Client            // the first node's
	downloads string
	opener    Opener
	kicks     map[store.Direction]chan struct{}

	// Picked streams (picked.go): copied into staging, or held in
	// memory.
	staging  string // the account's staging folder; "" in memory
	inMemory bool
	memLimit int64

	// deliver hands over a file saved into memory (FilesConfig.Deliver);
	// nil saves into downloads.
	deliver func(name string, data []byte) error

	// pubMu makes publishes one at a time, so that the last one shows
	// the records as they are last (a publish reads them, then updates
	// the state).
	pubMu sync.Mutex

	mu   sync.Mutex                   // guards what follows and the records' read-modify-write
	live map[string]*liveTransfer     // by transfer ID
	mod  map[string]time.Time         // upload ID → the file's time when hashed
	view map[string]transfer.Progress // last progress, by transfer ID
	prep []*preparing                 // picked streams being copied, oldest first
	mem  map[string][]byte            // uploads held in memory, by transfer ID
	// lastPrep is closed once the last picked stream is queued (picked.go).
	lastPrep chan struct{}
}

type liveTransfer struct {
	cancel context.CancelCauseFunc // while it runs
	err    *state.Notice           // the last failure
}

// startFiles starts the account's transfer workers. The session may not be
// connected yet; HTTP transfers do not need it.
func startFiles(a *account) *fileQueue {
	cfg := a.m.cfg.Files
	q := &fileQueue{
		a: a, downloads: cfg.Downloads, opener: cfg.Opener,
		kicks: map[store.Direction]chan struct{}{store.Up: make(chan struct{}, 1), store.Down: make(chan struct{}, 1)},
		live:  map[string]*liveTransfer{}, mod: map[string]time.Time{}, view: map[string]transfer.Progress{},
		inMemory: cfg.InMemory || runtime.GOOS == "js", memLimit: cfg.MemoryLimit, mem: map[string][]byte{},
		deliver: cfg.Deliver,
	}
	if q.deliver == nil {
		q.deliver = platformDeliver()
	}
	if q.memLimit <= 0 {
		q.memLimit = defaultMemoryLimit
	}
	if !q.inMemory {
		q.staging = stagingRoot(a.m.cfg.DataDir, home(a.srv), a.user.ID)
	}
	if q.downloads == "" {
		q.downloads = defaultDownloads(a.m.cfg.DataDir)
	}
	if q.opener == nil {
		q.opener = desktopOpener{}
	}
	urls, err := serverURLs(a.srv)
	if err != nil { // the address was valid when the session was saved
		a.m.log.Error("file client", "err", err)
	}
	q.clients = make(map[string]*transfer.Client, len(urls))
	for i, u := range urls {
		c, err := transfer.New(u, func() string { return a.token }, cfg.Transfer)
		if err != nil { // the address was valid for the WebSocket
			a.m.log.Error("file client", "err", err)
			continue
		}
		q.clients[u] = c
		if i == 0 {
			q.client = c
		}
	}
	q.prune()
	if recs, err := a.db.Transfers(a.ctx); err == nil {
		q.forgetMemory(recs)
		q.sweepStaged(recs)
	}
	q.publish()
	for dir := range q.kicks {
		a.spawn(func() { q.run(dir) })
	}
	return q
}

// http is the file client of the node the session is on (Session.URL),
// so that files go where the messages go and move with them off a dead
// node; the first node's if none is known.
func (q *fileQueue) http() *transfer.Client {
	if c := q.clients[q.a.sess.URL()]; c != nil {
		return c
	}
	return q.client
}

func (q *fileQueue) kick(dir store.Direction) {
	select {
	case q.kicks[dir] <- struct{}{}:
	default:
	}
}

func (q *fileQueue) kickAll() {
	if q == nil {
		return
	}
	q.kick(store.Up)
	q.kick(store.Down)
}

// received shows "Li Hua sent report.pdf (12.4 MB)" for a file someone
// else shared.
func (q *fileQueue) received(msg proto.Message) {
	if q == nil || msg.Kind != proto.MsgFile || msg.File == nil || msg.Sender == q.a.user.ID {
		return
	}
	q.a.m.notify(state.NoticeFileReceived, msg.SenderName, fmt.Sprint(msg.Sender), msg.File.Name, proto.FormatSize(msg.File.Size), fmt.Sprint(msg.Conv))
}

// ---- Actions ----

// SendFile queues a local file for a conversation: the open one when
// target is "", else the direct conversation with the user ID target. It
// returns once queued; the upload runs in the background, resumes after
// a dropped connection or an app restart, and shows in State.Transfers.
func (m *Model) SendFile(ctx context.Context, path, target string) error {
	return m.sendFile(ctx, path, target, "")
}

// sendFile is SendFile with a caption, the file message's text.
func (m *Model) sendFile(ctx context.Context, path, target, caption string) error {
	a := m.account()
	if a == nil {
		return m.fail(errLoggedOut)
	}
	// What is wrong with the path is said next to the field, which keeps
	// it (State.PathError); the rest goes to the notice bar.
	path, info, err := statPath(path)
	if err != nil {
		n := a.files.notice(err)
		m.update(func(st *state.State) { st.PathError = &n })
		return err
	}
	err = m.withFiles(func(a *account) error {
		conv, err := a.target(ctx, target)
		if err != nil {
			return err
		}
		rec := store.Transfer{ID: client.NewClientID(), Direction: store.Up, Conv: conv, Name: transfer.SafeName(filepath.Base(path)),
			Size: info.Size(), Path: path, State: store.TransferQueued, Caption: caption}
		if err := a.db.PutTransfer(ctx, rec); err != nil {
			return err
		}
		a.files.publish()
		a.files.kick(store.Up)
		return nil
	})
	if err == nil {
		m.update(func(st *state.State) {
			st.PathError = nil
			st.PathsSent++
		})
	}
	return err
}

// statPath cleans a path a person typed or picked and checks that it
// names a file.
func statPath(typed string) (string, os.FileInfo, error) {
	path, err := localPath(typed)
	if err != nil {
		return "", nil, err
	}
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", nil, badInput(state.InputNoSuchFile, "No file at %s — check the path", path)
	case err != nil:
		return "", nil, fmt.Errorf("send %s: %w", path, fileErrorKind(err))
	case !info.Mode().IsRegular():
		return "", nil, badInput(state.InputNotAFile, "%s is not a file", path)
	}
	return path, info, nil
}

// withFiles runs a file action of the logged-in account and shows its
// error in the notice bar, with the file codes (file_missing, ...).
func (m *Model) withFiles(f func(a *account) error) error {
	a := m.account()
	if a == nil {
		return m.fail(errLoggedOut)
	}
	err := f(a)
	if err != nil {
		n := a.files.notice(err)
		m.update(func(st *state.State) { st.Notices = m.appendNotice(st.Notices, n) })
	}
	return err
}

// localPath cleans a path a person typed or picked: "~/" is the home
// folder, and relative paths are made absolute.
func localPath(p string) (string, error) {
	p = strings.TrimSpace(p)
	if p == "" {
		return "", badInput(state.InputChooseFile, "choose a file or enter its path")
	}
	if rest, ok := strings.CutPrefix(p, "~"+string(filepath.Separator)); ok || p == "~" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", badInput(state.InputNoHome, "%s: there is no home folder here", p)
		}
		p = filepath.Join(home, rest)
	}
	return filepath.Abs(p)
}

// target resolves where a file goes: the open conversation, or the direct
// conversation with a user ID (opened on the server, so both people learn
// of it).
func (a *account) target(ctx context.Context, target string) (proto.ConvID, error) {
	if strings.TrimSpace(target) == "" {
		a.mu.Lock()
		conv := a.open
		a.mu.Unlock()
		if conv == 0 {
			return 0, badInput(state.InputFileTarget, "open a conversation or enter a user ID")
		}
		return conv, nil
	}
	uid, err := parseID(target, state.InputUserID)
	if err != nil {
		return 0, err
	}
	cv, err := a.sess.Direct(ctx, proto.UserID(uid))
	if err != nil {
		return 0, err
	}
	if err := a.adopt(ctx, cv); err != nil {
		return 0, err
	}
	return cv.ID, nil
}

// SaveFile downloads the file of message seq in conv into the downloads
// folder. A download of that file already queued or paused is resumed
// instead of starting another.
func (m *Model) SaveFile(ctx context.Context, conv proto.ConvID, seq int64) error {
	return m.withFiles(func(a *account) error {
		f, err := a.fileOf(ctx, conv, seq)
		if err != nil {
			return err
		}
		if a.files.deliver != nil && f.Size > a.files.memLimit {
			return tooBigToSave(f.Name, f.Size, a.files.memLimit)
		}
		recs, err := a.db.Transfers(ctx)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if r.Direction == store.Down && r.UploadID == f.ID && pending(r.State) {
				if r.State == store.TransferPaused {
					return a.files.setState(ctx, r.ID, store.TransferQueued)
				}
				return nil
			}
		}
		rec := store.Transfer{ID: client.NewClientID(), Direction: store.Down, Conv: conv, Name: transfer.SafeName(f.Name),
			Size: f.Size, SHA256: f.SHA256, UploadID: f.ID, State: store.TransferQueued}
		if err := a.db.PutTransfer(ctx, rec); err != nil {
			return err
		}
		a.files.publish()
		a.files.kick(store.Down)
		return nil
	})
}

func pending(s store.TransferState) bool {
	return s == store.TransferQueued || s == store.TransferActive || s == store.TransferPaused
}

// fileOf finds the file a message shared, in the cache or on the server.
func (a *account) fileOf(ctx context.Context, conv proto.ConvID, seq int64) (proto.File, error) {
	ms, err := a.db.After(ctx, conv, seq-1, 1)
	if err != nil {
		return proto.File{}, err
	}
	if len(ms) == 0 || ms[0].Seq != seq || ms[0].File == nil {
		h, err := a.sess.History(ctx, proto.HistoryRequest{Conv: conv, After: new(seq - 1), Limit: 1})
		if err != nil {
			return proto.File{}, err
		}
		ms = h.Messages
	}
	if len(ms) == 0 || ms[0].Seq != seq || ms[0].Kind != proto.MsgFile || ms[0].File == nil {
		return proto.File{}, badInput(state.InputNotFileMessage, "message %d of %d is not a file", seq, conv)
	}
	return *ms[0].File, nil
}

// PauseTransfer stops a queued or running transfer, keeping what is done.
func (m *Model) PauseTransfer(ctx context.Context, id string) error {
	return m.withFiles(func(a *account) error { return a.files.stop(ctx, id, store.TransferPaused, errPaused) })
}

// ResumeTransfer queues a paused or failed transfer again; it continues
// from where it stopped.
func (m *Model) ResumeTransfer(ctx context.Context, id string) error {
	return m.withFiles(func(a *account) error {
		rec, err := a.db.Transfer(ctx, id)
		if err != nil {
			return err
		}
		if rec.State != store.TransferPaused && rec.State != store.TransferFailed {
			return nil
		}
		return a.files.setState(ctx, id, store.TransferQueued)
	})
}

// CancelTransfer stops a transfer for good: the server forgets a partial
// upload, a partial download is deleted.
func (m *Model) CancelTransfer(ctx context.Context, id string) error {
	return m.withFiles(func(a *account) error { return a.files.stop(ctx, id, store.TransferCanceled, errCanceled) })
}

// DismissTransfer removes a finished, failed or cancelled transfer from
// the list (the file stays where it is).
func (m *Model) DismissTransfer(ctx context.Context, id string) error {
	return m.withFiles(func(a *account) error {
		rec, err := a.db.Transfer(ctx, id)
		if err != nil {
			return err
		}
		if pending(rec.State) {
			return badInput(state.InputTransferBusy, "pause or cancel the transfer first")
		}
		if err := a.db.DeleteTransfer(ctx, id); err != nil {
			return err
		}
		a.files.discard(rec)
		a.files.publish()
		return nil
	})
}

// OpenFile opens a transfer's local file: the file sent, or the file saved.
func (m *Model) OpenFile(ctx context.Context, id string) error {
	return m.withFiles(func(a *account) error {
		path, err := a.files.localFile(ctx, id)
		if err != nil {
			return err
		}
		return a.files.opener.Open(path)
	})
}

// ShowInFolder shows a transfer's local file in the file manager.
func (m *Model) ShowInFolder(ctx context.Context, id string) error {
	return m.withFiles(func(a *account) error {
		path, err := a.files.localFile(ctx, id)
		if err != nil {
			return err
		}
		return a.files.opener.ShowInFolder(path)
	})
}

func (q *fileQueue) localFile(ctx context.Context, id string) (string, error) {
	rec, err := q.a.db.Transfer(ctx, id)
	if err != nil {
		return "", err
	}
	if rec.Direction == store.Down && rec.State != store.TransferDone {
		return "", badInput(state.InputNotSaved, "%s is not saved yet", rec.Name)
	}
	if _, err := os.Stat(rec.Path); err != nil {
		return "", fmt.Errorf("open %s: %w", rec.Path, fileErrorKind(err))
	}
	return rec.Path, nil
}

// ---- Records and state ----

// edit changes a transfer's record atomically with respect to the other
// writers (the worker saving progress, the user pausing).
func (q *fileQueue) edit(ctx context.Context, id string, f func(*store.Transfer)) (store.Transfer, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	rec, err := q.a.db.Transfer(ctx, id)
	if err != nil {
		return rec, err
	}
	f(&rec)
	return rec, q.a.db.PutTransfer(ctx, rec)
}

func (q *fileQueue) setState(ctx context.Context, id string, s store.TransferState) error {
	rec, err := q.edit(ctx, id, func(r *store.Transfer) { r.State = s })
	if err != nil {
		return err
	}
	if s == store.TransferQueued {
		q.mu.Lock()
		delete(q.live, id)
		q.mu.Unlock()
		q.kick(rec.Direction)
	}
	q.publish()
	return nil
}

// stop pauses or cancels a transfer; a running one is interrupted with
// why, and its worker leaves the record alone.
func (q *fileQueue) stop(ctx context.Context, id string, s store.TransferState, why error) error {
	q.mu.Lock()
	if p := q.preparingLocked(id); p != nil { // a copy can be cancelled, not paused
		if s == store.TransferCanceled {
			p.cancel(why)
		}
		q.mu.Unlock()
		return nil
	}
	q.mu.Unlock()
	var running bool
	rec, err := q.edit(ctx, id, func(r *store.Transfer) {
		if pending(r.State) || (s == store.TransferCanceled && r.State == store.TransferFailed) {
			r.State = s
		}
		if lt := q.live[id]; lt != nil && lt.cancel != nil {
			lt.cancel(why)
			running = true
		}
	})
	if err != nil {
		return err
	}
	if rec.State == store.TransferCanceled && !running {
		q.cleanUp(rec)
	}
	q.publish()
	return nil
}

// cleanUp drops what a cancelled transfer left: the server's partial
// upload (it would expire there anyway) and the staged copy, or the
// partial download. It runs to the end even while the app closes, for at
// most a few seconds.
func (q *fileQueue) cleanUp(rec store.Transfer) {
	q.discard(rec)
	switch {
	case rec.Direction == store.Up && rec.UploadID != "" && q.http() != nil:
		ctx, cancel := context.WithTimeout(context.WithoutCancel(q.a.ctx), 10*time.Second)
		defer cancel()
		if err := q.http().Abort(ctx, rec.UploadID); err != nil {
			q.a.m.log.Info("cancel upload on the server", "err", err)
		}
	case rec.Direction == store.Down && rec.Path != "":
		d := transfer.Download{Temp: rec.Path}
		if err := d.Discard(); err != nil {
			q.a.m.log.Warn("remove cancelled download", "err", err)
		}
	}
}

// prune forgets finished transfers older than keepFinished.
func (q *fileQueue) prune() {
	ctx := q.a.ctx
	recs, err := q.a.db.Transfers(ctx)
	if err != nil {
		return
	}
	old := q.a.m.cfg.Now().Add(-keepFinished).UnixMilli()
	for _, r := range recs {
		if !pending(r.State) && r.Updated < old {
			q.a.db.DeleteTransfer(ctx, r.ID)
		}
	}
}

// publish rebuilds State.Transfers from the records and what is live.
func (q *fileQueue) publish() {
	q.pubMu.Lock()
	defer q.pubMu.Unlock()
	recs, err := q.a.db.Transfers(q.a.ctx)
	if err != nil {
		if q.a.ctx.Err() == nil {
			q.a.m.log.Error("read transfers", "err", err)
		}
		return
	}
	q.mu.Lock()
	views := make([]state.Transfer, len(recs), len(recs)+len(q.prep))
	for i, r := range recs {
		views[i] = q.viewLocked(r)
	}
	for _, p := range q.prep {
		if !slices.ContainsFunc(recs, func(r store.Transfer) bool { return r.ID == p.view.ID }) {
			views = append(views, p.view)
		}
	}
	q.mu.Unlock()
	if q.a.current() {
		q.a.m.update(func(st *state.State) { st.Transfers = views })
	}
}

func (q *fileQueue) viewLocked(r store.Transfer) state.Transfer {
	v := state.Transfer{
		ID: r.ID, Direction: state.TransferDirection(r.Direction), Conv: r.Conv, Name: r.Name, Size: r.Size,
		Done: r.Offset, ETA: -1, State: state.TransferState(r.State),
	}
	if r.Direction == store.Down {
		v.FileID = r.UploadID
		if r.State == store.TransferDone {
			v.Path = r.Path
		}
	} else {
		v.Path = r.Path
	}
	if r.State == store.TransferDone {
		v.Done = r.Size
	}
	if p, ok := q.view[r.ID]; ok && r.State == store.TransferActive {
		v.Done, v.Speed, v.ETA = p.Done, p.Speed, p.ETA
		v.Checking = p.Phase == transfer.Hashing || p.Phase == transfer.Verifying
	}
	if lt := q.live[r.ID]; lt != nil {
		v.Error = lt.err
	}
	return v
}

// progress updates one transfer's row in the state without reading the
// store.
func (q *fileQueue) progress(id string, p transfer.Progress) {
	q.mu.Lock()
	q.view[id] = p
	q.mu.Unlock()
	q.a.m.update(func(st *state.State) {
		i := slices.IndexFunc(st.Transfers, func(t state.Transfer) bool { return t.ID == id })
		if i < 0 {
			return
		}
		ts := slices.Clone(st.Transfers)
		ts[i].Done, ts[i].Speed, ts[i].ETA = p.Done, p.Speed, p.ETA
		ts[i].Checking = p.Phase == transfer.Hashing || p.Phase == transfer.Verifying
		st.Transfers = ts
	})
}

// ---- Workers ----

// run works through one direction's queue until the account stops.
func (q *fileQueue) run(dir store.Direction) {
	ctx := q.a.ctx
	wait := time.Second
	for ctx.Err() == nil {
		rec, ok := q.next(dir)
		if !ok {
			select {
			case <-ctx.Done():
			case <-q.kicks[dir]:
			}
			continue
		}
		if err := q.runOne(rec); err == nil {
			wait = time.Second
			continue
		}
		// A temporary failure: try again when the connection comes back
		// or after a growing pause.
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-q.kicks[dir]:
		case <-t.C:
		}
		t.Stop()
		wait = min(2*wait, time.Minute)
	}
}

// next is the oldest transfer of dir that is queued, or was running when
// the app stopped.
func (q *fileQueue) next(dir store.Direction) (store.Transfer, bool) {
	recs, err := q.a.db.Transfers(q.a.ctx)
	if err != nil {
		return store.Transfer{}, false
	}
	for _, r := range recs {
		if r.Direction == dir && (r.State == store.TransferQueued || r.State == store.TransferActive) {
			return r, true
		}
	}
	return store.Transfer{}, false
}

// runOne runs a transfer until it ends, fails or is stopped. It returns
// an error only for a temporary failure, after which the transfer stays
// queued.
func (q *fileQueue) runOne(rec store.Transfer) error {
	if q.http() == nil {
		return errors.New("no file client")
	}
	ctx, cancel := context.WithCancelCause(q.a.ctx)
	defer cancel(nil)
	q.mu.Lock()
	lt := q.live[rec.ID]
	if lt == nil {
		lt = &liveTransfer{}
		q.live[rec.ID] = lt
	}
	lt.cancel = cancel
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		lt.cancel = nil
		delete(q.view, rec.ID)
		q.mu.Unlock()
	}()
	rec, err := q.edit(ctx, rec.ID, func(r *store.Transfer) {
		if r.State == store.TransferQueued {
			r.State = store.TransferActive
		}
	})
	if err != nil || rec.State != store.TransferActive {
		return nil // stopped meanwhile
	}
	q.publish()

	hooks := transfer.Hooks{Progress: func(p transfer.Progress) { q.progress(rec.ID, p) }}
	var msg proto.Message
	if rec.Direction == store.Up {
		u := &transfer.Upload{Path: rec.Path, Name: rec.Name, Conv: rec.Conv, ClientID: rec.ID,
			Size: rec.Size, SHA256: rec.SHA256, ID: rec.UploadID, Offset: rec.Offset}
		if rec.Voice != nil { // a recorded voice message (voice.go)
			u.Type, u.Voice = voice.Type, rec.Voice
		}
		q.mu.Lock()
		u.ModTime, u.Text = q.mod[rec.ID], rec.Caption
		data, inMemory := q.mem[rec.ID]
		q.mu.Unlock()
		if rec.Path == "" { // held in memory (picked.go)
			if !inMemory {
				return q.finish(ctx, rec, msg, pickAgain(rec.Name))
			}
			u.Source = bytes.NewReader(data)
		}
		hooks.Save = func() {
			q.mu.Lock()
			q.mod[rec.ID] = u.ModTime
			q.mu.Unlock()
			q.save(rec.ID, func(r *store.Transfer) { r.Size, r.SHA256, r.UploadID, r.Offset = u.Size, u.SHA256, u.ID, u.Offset })
		}
		msg, err = q.http().Upload(ctx, u, hooks)
	} else if q.deliver != nil {
		err = q.saveInMemory(ctx, rec, hooks)
	} else {
		d := &transfer.Download{FileID: rec.UploadID, Name: rec.Name, Size: rec.Size, SHA256: rec.SHA256, Dir: q.downloads, Temp: rec.Path, Offset: rec.Offset}
		hooks.Save = func() {
			q.save(rec.ID, func(r *store.Transfer) {
				r.Path, r.Offset = d.Temp, d.Offset
				if d.Path != "" {
					r.Path = d.Path
				}
			})
		}
		err = q.http().Download(ctx, d, hooks)
		rec.Path = d.Path
	}
	return q.finish(ctx, rec, msg, err)
}

// save records progress in a running transfer's record.
func (q *fileQueue) save(id string, f func(*store.Transfer)) {
	if _, err := q.edit(q.a.ctx, id, f); err != nil && q.a.ctx.Err() == nil {
		q.a.m.log.Error("save transfer", "id", id, "err", err)
	}
}

func (q *fileQueue) finish(ctx context.Context, rec store.Transfer, msg proto.Message, err error) error {
	a := q.a
	switch cause := context.Cause(ctx); {
	case err == nil:
		q.edit(a.ctx, rec.ID, func(r *store.Transfer) { r.State, r.Offset = store.TransferDone, r.Size })
		if rec.Direction == store.Up {
			a.keepSent(rec, msg) // voice.go
		}
		q.discard(rec)
		q.publish()
		if rec.Direction == store.Up {
			a.receive(a.ctx, msg) // it also comes as a push; storing it twice is harmless
		} else if rec.Path != "" { // a file handed to the browser: its own download shows it
			a.m.notify(state.NoticeFileSaved, rec.Name, rec.Path)
		}
		return nil
	case errors.Is(cause, errPaused):
		q.publish()
		return nil
	case errors.Is(cause, errCanceled):
		if r, err := a.db.Transfer(context.WithoutCancel(a.ctx), rec.ID); err == nil {
			q.cleanUp(r)
		}
		q.publish()
		return nil
	case a.ctx.Err() != nil:
		return nil // the app is closing: it stays active and resumes next time
	}
	n := q.notice(err)
	q.mu.Lock()
	if lt := q.live[rec.ID]; lt != nil {
		lt.err = &n
	}
	q.mu.Unlock()
	code := proto.CodeOf(err)
	if transfer.Temporary(err) || code == proto.CodeBadToken || code == proto.CodeUnauthenticated {
		a.m.log.Info("transfer interrupted; it will continue", "name", rec.Name, "err", err)
		q.edit(a.ctx, rec.ID, func(r *store.Transfer) {
			if r.State == store.TransferActive {
				r.State = store.TransferQueued
			}
		})
		q.publish()
		return err
	}
	q.edit(a.ctx, rec.ID, func(r *store.Transfer) {
		if r.State == store.TransferActive {
			r.State = store.TransferFailed
		}
	})
	q.publish()
	a.m.update(func(st *state.State) { st.Notices = a.m.appendNotice(st.Notices, n) })
	return nil
}

// notice turns a transfer error into a notice with a code the UI
// translates.
func (q *fileQueue) notice(err error) state.Notice {
	var code proto.Code
	switch {
	case errors.Is(err, transfer.ErrFileChanged):
		code = state.CodeFileChanged
	case errors.Is(err, transfer.ErrFileMissing):
		code = state.CodeFileMissing
	case errors.Is(err, transfer.ErrDiskFull):
		code = state.CodeDiskFull
	case errors.Is(err, transfer.ErrPermission):
		code = state.CodeNoPermission
	case errors.Is(err, transfer.ErrCorrupt):
		code = state.CodeCorrupt
	case errors.As(err, new(*transfer.NetError)):
		code = state.CodeUnreachable
	}
	n := q.a.m.errorNotice(err)
	if code != "" {
		n.Code, n.Text = code, err.Error()
	}
	return n
}

// fileErrorKind turns a local file error into one the notices classify.
func fileErrorKind(err error) error {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%w: %w", transfer.ErrFileMissing, err)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("%w: %w", transfer.ErrPermission, err)
	}
	return err
}

// ---- The platform ----

// defaultDownloads is the user's downloads folder: XDG's on Linux,
// ~/Downloads on desktops, a folder in the app's data on phones and in
// browsers.
func defaultDownloads(dataDir string) string {
	switch runtime.GOOS {
	case "android", "ios", "js":
		return filepath.Join(dataDir, "Downloads")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(dataDir, "Downloads")
	}
	if dir := xdgDownloadDir(home); dir != "" {
		return dir
	}
	return filepath.Join(home, "Downloads")
}

// xdgDownloadDir reads XDG_DOWNLOAD_DIR from user-dirs.dirs, if any.
func xdgDownloadDir(home string) string {
	cfg := os.Getenv("XDG_CONFIG_HOME")
	if cfg == "" {
		cfg = filepath.Join(home, ".config")
	}
	f, err := os.Open(filepath.Join(cfg, "user-dirs.dirs"))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "XDG_DOWNLOAD_DIR=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"`)
		v = strings.Replace(v, "$HOME", home, 1)
		if filepath.IsAbs(v) {
			return v
		}
	}
	return ""
}

// desktopOpener uses the desktop's own commands.
type desktopOpener struct{}

func (desktopOpener) Open(path string) error {
	switch runtime.GOOS {
	case "darwin":
		return start("open", path)
	case "windows":
		return start("rundll32", "url.dll,FileProtocolHandler", path)
	case "linux", "freebsd", "openbsd", "netbsd":
		return start("xdg-open", path)
	}
	return errors.New("opening files is not supported on this device")
}

func (o desktopOpener) ShowInFolder(path string) error {
	switch runtime.GOOS {
	case "darwin":
		return start("open", "-R", path)
	case "windows":
		return start("explorer", "/select,"+path)
	}
	return o.Open(filepath.Dir(path))
}

func start(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", name, err)
	}
	go cmd.Wait()
	return nil
}
