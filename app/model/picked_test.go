package model

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"parley/app/model/modeltest"
	"parley/app/state"
	"parley/net/proto"
	"parley/net/transfer"
	"parley/server/node"
	"parley/server/node/nodetest"
	"parley/store"
)

// streamOf is the picked stream as the window hands it to the model.
func streamOf(s io.ReadCloser) Stream {
	_, st := PickedFile(s)
	return *st
}

// staged lists the staged copies of the model's account.
func (tm *testModel) staged() []string {
	tm.t.Helper()
	return modeltest.Entries(tm.t, tm.account().files.staging)
}

// uploadRecord returns the store's record of the model's only upload.
func (tm *testModel) uploadRecord() store.Transfer {
	tm.t.Helper()
	recs, err := tm.account().db.Transfers(context.Background())
	if err != nil {
		tm.t.Fatal(err)
	}
	i := slices.IndexFunc(recs, func(r store.Transfer) bool { return r.Direction == store.Up })
	if i < 0 {
		tm.t.Fatalf("no upload record in %+v", recs)
	}
	return recs[i]
}

// filesOnServer lists the files shared in conv.
func (tm *testModel) filesOnServer(conv proto.ConvID) []proto.File {
	tm.t.Helper()
	h, err := tm.account().sess.History(context.Background(), proto.HistoryRequest{Conv: conv})
	if err != nil {
		tm.t.Fatal(err)
	}
	var files []proto.File
	for _, m := range h.Messages {
		if m.Kind == proto.MsgFile {
			files = append(files, *m.File)
		}
	}
	return files
}

func TestAPickedStreamIsCopiedAndItsUploadResumesAfterARestart(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	dir := t.TempDir()
	g := newGate(2 << 20)
	li := newFilesModel(t, srv, dir, FilesConfig{Transfer: transfer.Options{ChunkSize: 1 << 20, HTTP: &http.Client{Transport: g}}})
	li.registerAndLogin(srv, "Li")
	if err := li.CreateGroup(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	conv := li.State().Open.ID
	data, sum := modeltest.RandomData(6<<20, 1)
	picked := modeltest.NewPickedStream(bytes.NewReader(data), "相册 2024.zip", int64(len(data)))
	if err := li.SendStream(ctx, streamOf(picked), ""); err != nil {
		t.Fatal(err)
	}
	<-g.blocked // two chunks are on the server, the third is held back

	// The upload runs from a durable copy in the data folder.
	rec := li.uploadRecord()
	root := li.account().files.staging
	if filepath.Dir(filepath.Dir(rec.Path)) != root || filepath.Dir(root) != filepath.Join(dir, "outgoing") {
		t.Fatalf("the upload reads %s, not a copy in the staging folder %s", rec.Path, root)
	}
	if got, err := os.ReadFile(rec.Path); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the staged copy differs from the picked file (%v)", err)
	}
	if rec.Name != "相册 2024.zip" || rec.Size != 6<<20 || !picked.WasClosed() {
		t.Fatalf("record %+v; stream closed: %v", rec, picked.WasClosed())
	}
	li.Close() // the app quits

	// A copy that no transfer refers to (a copy cut short by a crash)
	// is removed at start-up; the paused upload's is kept.
	orphan := filepath.Join(root, "0123456789abcdef0123456789abcdef")
	if err := os.MkdirAll(orphan, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(orphan, "half.mp4"), make([]byte, 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	after := newGate(1 << 62)
	li = newFilesModel(t, srv, dir, FilesConfig{Transfer: transfer.Options{ChunkSize: 1 << 20, HTTP: &http.Client{Transport: after}}})
	if got := li.staged(); !slices.Equal(got, []string{rec.ID}) {
		t.Fatalf("after the restart the staging folder holds %q, want only %q", got, rec.ID)
	}
	if err := li.Open(ctx, conv); err != nil {
		t.Fatal(err)
	}
	li.waitFor("the upload done after the restart", func(st state.State) bool {
		return transferIn(st, state.Upload, func(tr state.Transfer) bool { return tr.State == state.TransferDone })
	})
	if sent := after.sent.Load(); sent > 4<<20 {
		t.Fatalf("after the restart %d bytes were sent; 4 MiB remained", sent)
	}
	if got := li.staged(); len(got) != 0 {
		t.Fatalf("the staged copy is still there after the upload: %q", got)
	}
	if files := li.filesOnServer(conv); len(files) != 1 || files[0].SHA256 != sum || files[0].Name != "相册 2024.zip" {
		t.Fatalf("the server has %+v, want 相册 2024.zip with the SHA-256 %s", files, sum)
	}
}

// slowStream is a picked stream whose bytes come when the test sends
// them, like a large file read from a slow provider.
type slowStream struct {
	*modeltest.PickedStream
	chunks chan []byte
	left   []byte
}

func newSlowStream(name string, size int64) *slowStream {
	s := &slowStream{chunks: make(chan []byte)}
	s.PickedStream = modeltest.NewPickedStream(s, name, size)
	return s
}

func (s *slowStream) Read(p []byte) (int, error) {
	if len(s.left) == 0 {
		b, ok := <-s.chunks
		if !ok {
			return 0, io.EOF
		}
		s.left = b
	}
	n := copy(p, s.left)
	s.left = s.left[n:]
	return n, nil
}

func TestCancellingAPickedFileRemovesItsCopy(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	g := newGate(1 << 20)
	li := newFilesModel(t, srv, t.TempDir(), FilesConfig{Transfer: transfer.Options{ChunkSize: 1 << 20, HTTP: &http.Client{Transport: g}}})
	li.registerAndLogin(srv, "Li")
	if err := li.CreateGroup(ctx, "g"); err != nil {
		t.Fatal(err)
	}

	// Cancelled while it is copied: the row shows the copy going, then
	// goes, and so do the copy and the stream.
	slow := newSlowStream("backup.tar", 0)
	if err := li.SendStream(ctx, streamOf(slow), ""); err != nil {
		t.Fatal(err)
	}
	slow.chunks <- make([]byte, 1<<20)
	st := li.waitFor("the copy under way", func(st state.State) bool {
		return transferIn(st, state.Upload, func(tr state.Transfer) bool {
			return tr.Preparing && tr.State == state.TransferActive && tr.Name == "backup.tar" && tr.Done > 0
		})
	})
	if err := li.PauseTransfer(ctx, st.Transfers[0].ID); err != nil { // a copy cannot be paused: nothing happens
		t.Fatal(err)
	}
	if err := li.CancelTransfer(ctx, st.Transfers[0].ID); err != nil {
		t.Fatal(err)
	}
	select { // the read under way, if any, ends
	case slow.chunks <- make([]byte, 1<<20):
	case <-slow.Closed():
	}
	<-slow.Closed()
	li.waitFor("the row gone", func(st state.State) bool { return len(st.Transfers) == 0 })
	if got := li.staged(); len(got) != 0 {
		t.Fatalf("the cancelled copy is still staged: %q", got)
	}
	if slices.ContainsFunc(li.State().Notices, func(n state.Notice) bool { return n.Kind == state.NoticeError }) {
		t.Fatalf("cancelling was reported as an error: %+v", li.State().Notices)
	}

	// Cancelled while it is sent: the staged copy goes with it.
	data, _ := modeltest.RandomData(4<<20, 2)
	if err := li.SendStream(ctx, streamOf(modeltest.NewPickedStream(bytes.NewReader(data), "clip.mov", int64(len(data)))), ""); err != nil {
		t.Fatal(err)
	}
	<-g.blocked
	id := li.uploadRecord().ID
	if got := li.staged(); !slices.Equal(got, []string{id}) {
		t.Fatalf("staged %q while sending, want %q", got, id)
	}
	if err := li.CancelTransfer(ctx, id); err != nil {
		t.Fatal(err)
	}
	li.waitFor("cancelled", func(st state.State) bool {
		return transferIn(st, state.Upload, func(tr state.Transfer) bool { return tr.ID == id && tr.State == state.TransferCanceled })
	})
	root := li.account().files.staging
	li.Close() // waits for the worker's clean-up
	if got := modeltest.Entries(t, root); len(got) != 0 {
		t.Fatalf("the cancelled upload's copy is still staged: %q", got)
	}
}

func TestAPickedFileTooLargeForTheServerIsRefusedBeforeItIsCopied(t *testing.T) {
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.MaxFileSize = 1 << 20 }))
	ctx := context.Background()
	li := newFilesModel(t, srv, t.TempDir(), FilesConfig{})
	li.registerAndLogin(srv, "Li")
	if err := li.CreateGroup(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	slow := newSlowStream("film.mkv", 3<<30) // never read: the test sends it nothing
	if err := li.SendStream(ctx, streamOf(slow), ""); proto.CodeOf(err) != proto.CodeTooLarge {
		t.Fatalf("err = %v, want too_large", err)
	}
	if !slow.WasClosed() || len(li.State().Transfers) != 0 || len(li.staged()) != 0 {
		t.Fatalf("closed %v, transfers %+v, staged %q", slow.WasClosed(), li.State().Transfers, li.staged())
	}
	if !hasNotice(li.State(), state.NoticeError, proto.CodeTooLarge) {
		t.Fatalf("notices = %+v, want too_large", li.State().Notices)
	}
}

func TestInTheBrowserAPickedFileIsSentFromMemory(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	dir := t.TempDir()
	g := newGate(2 << 20)
	li := newFilesModel(t, srv, dir, FilesConfig{InMemory: true, Transfer: transfer.Options{ChunkSize: 1 << 20, HTTP: &http.Client{Transport: g}}})
	li.registerAndLogin(srv, "Li")
	if err := li.CreateGroup(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	conv := li.State().Open.ID

	// A file the picker did not name is named after its content.
	data, _ := modeltest.RandomData(6<<20, 3)
	copy(data, "%PDF-1.7\n")
	sum := sumOfBytes(data)
	if err := li.SendStream(ctx, streamOf(modeltest.NewPickedStream(bytes.NewReader(data), "", 0)), ""); err != nil {
		t.Fatal(err)
	}
	<-g.blocked
	rec := li.uploadRecord()
	if rec.Path != "" || rec.Name != "file.pdf" || rec.Size != 6<<20 {
		t.Fatalf("record %+v, want file.pdf held in memory", rec)
	}
	// Paused and resumed within the page: it continues from memory.
	if err := li.PauseTransfer(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	li.waitFor("paused", func(st state.State) bool {
		return transferIn(st, state.Upload, func(tr state.Transfer) bool { return tr.State == state.TransferPaused })
	})
	close(g.open)
	if err := li.ResumeTransfer(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	li.waitFor("sent", func(st state.State) bool {
		return transferIn(st, state.Upload, func(tr state.Transfer) bool { return tr.State == state.TransferDone })
	})
	if files := li.filesOnServer(conv); len(files) != 1 || files[0].SHA256 != sum || files[0].Name != "file.pdf" {
		t.Fatalf("the server has %+v, want file.pdf with the SHA-256 %s", files, sum)
	}
	if _, err := os.Stat(filepath.Join(dir, "outgoing")); !os.IsNotExist(err) {
		t.Fatalf("something was staged on disk: %v", err)
	}
	li.Close()

	// The page is reloaded while an upload is unfinished: its bytes are
	// gone, and its row says so instead of waiting for ever.
	g2 := newGate(1 << 20)
	li = newFilesModel(t, srv, dir, FilesConfig{InMemory: true, Transfer: transfer.Options{ChunkSize: 1 << 20, HTTP: &http.Client{Transport: g2}}})
	li.online()
	if err := li.Open(ctx, conv); err != nil {
		t.Fatal(err)
	}
	more, _ := modeltest.RandomData(4<<20, 4)
	if err := li.SendStream(ctx, streamOf(modeltest.NewPickedStream(bytes.NewReader(more), "notes.md", int64(len(more)))), ""); err != nil {
		t.Fatal(err)
	}
	<-g2.blocked
	li.Close()
	li = newFilesModel(t, srv, dir, FilesConfig{InMemory: true})
	pickAgain := func(st state.State) bool {
		return transferIn(st, state.Upload, func(tr state.Transfer) bool {
			return tr.Name == "notes.md" && tr.State == state.TransferFailed && tr.Error != nil && tr.Error.Detail == state.InputPickAgain
		})
	}
	li.waitFor("the unfinished upload failed: choose it again", pickAgain)
	i := slices.IndexFunc(li.State().Transfers, func(tr state.Transfer) bool { return tr.Name == "notes.md" })
	if err := li.ResumeTransfer(ctx, li.State().Transfers[i].ID); err != nil {
		t.Fatal(err)
	}
	li.waitFor("retrying still asks for the file", func(st state.State) bool {
		return pickAgain(st) && hasNotice(st, state.NoticeError, state.CodeBadInput)
	})
}

func sumOfBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestTheBrowserRefusesFilesAboveItsMemoryLimit(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	li := newFilesModel(t, srv, t.TempDir(), FilesConfig{InMemory: true, MemoryLimit: 1 << 20})
	li.registerAndLogin(srv, "Li")
	if err := li.CreateGroup(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	tooBig := func(name string) func(state.Notice) bool {
		return func(n state.Notice) bool {
			return n.Code == state.CodeBadInput && n.Detail == state.InputTooBigForMemory && n.Args[0] == name
		}
	}

	// Its size known: refused before a byte is read.
	known := newSlowStream("dvd.iso", 2<<20)
	if err := li.SendStream(ctx, streamOf(known), ""); err == nil {
		t.Fatal("a file above the limit was accepted")
	}
	if !known.WasClosed() || !slices.ContainsFunc(li.State().Notices, tooBig("dvd.iso")) {
		t.Fatalf("closed %v, notices %+v", known.WasClosed(), li.State().Notices)
	}

	// Its size unknown: refused once the limit is passed.
	data, _ := modeltest.RandomData(2<<20, 5)
	unknown := modeltest.NewPickedStream(bytes.NewReader(data), "dump.bin", 0)
	if err := li.SendStream(ctx, streamOf(unknown), ""); err != nil {
		t.Fatal(err)
	}
	li.waitFor("refused", func(st state.State) bool {
		return slices.ContainsFunc(st.Notices, tooBig("dump.bin")) && len(st.Transfers) == 0
	})
	if !unknown.WasClosed() {
		t.Fatal("the stream was not closed")
	}
	if recs, _ := li.account().db.Transfers(ctx); len(recs) != 0 {
		t.Fatalf("records %+v", recs)
	}
}
