package model

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"parley/app/model/modeltest"
	"parley/app/state"
	"parley/net/proto"
	"parley/net/transfer"
	"parley/server/node/nodetest"
)

// gate is an HTTP transport that lets the first after bytes of file
// bodies through (uploads and downloads), then holds the rest until
// opened, and counts what passes.
type gate struct {
	after          int64
	open           chan struct{}
	blocked        chan struct{} // closed when a body first waits at the gate
	blockOnce      sync.Once
	n              atomic.Int64
	sent, received atomic.Int64
}

func newGate(after int64) *gate {
	return &gate{after: after, open: make(chan struct{}), blocked: make(chan struct{})}
}

func (g *gate) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPatch {
		req.Body = &gatedBody{ReadCloser: req.Body, g: g, ctx: req.Context(), count: &g.sent}
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && req.Method == http.MethodGet && req.URL.Path != transfer.FilesPath { // a file, not the limits
		resp.Body = &gatedBody{ReadCloser: resp.Body, g: g, ctx: req.Context(), count: &g.received}
	}
	return resp, err
}

type gatedBody struct {
	io.ReadCloser
	g     *gate
	ctx   context.Context
	count *atomic.Int64
}

func (b *gatedBody) Read(p []byte) (int, error) {
	g := b.g
	if left := g.after - g.n.Load(); left > 0 && int64(len(p)) > left {
		p = p[:left]
	}
	n, err := b.ReadCloser.Read(p)
	if n > 0 && g.n.Load() >= g.after { // hold bytes past the gate (an EOF passes)
		g.blockOnce.Do(func() { close(g.blocked) })
		select {
		case <-g.open:
		case <-b.ctx.Done():
			return 0, b.ctx.Err()
		}
	}
	g.n.Add(int64(n))
	b.count.Add(int64(n))
	return n, err
}

func newFilesModel(t *testing.T, srv *nodetest.Server, dir string, files FilesConfig) *testModel {
	t.Helper()
	return newTestModel(t, srv, dir, func(c *Config) { c.Files = files })
}

func transferIn(st state.State, dir state.TransferDirection, ok func(state.Transfer) bool) bool {
	return slices.ContainsFunc(st.Transfers, func(tr state.Transfer) bool { return tr.Direction == dir && ok(tr) })
}

func hasNotice(st state.State, kind state.NoticeKind, code proto.Code) bool {
	return slices.ContainsFunc(st.Notices, func(n state.Notice) bool { return n.Kind == kind && n.Code == code })
}

// fileMessage waits until the open conversation shows a file message.
func (tm *testModel) fileMessage() state.Message {
	tm.t.Helper()
	st := tm.waitFor("a file message", func(st state.State) bool {
		return st.Open != nil && slices.ContainsFunc(st.Open.Messages, func(m state.Message) bool { return m.Kind == proto.MsgFile })
	})
	i := slices.IndexFunc(st.Open.Messages, func(m state.Message) bool { return m.Kind == proto.MsgFile })
	return st.Open.Messages[i]
}

func TestSentFileIsAnnouncedToTheGroupAndSaved(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	li := newFilesModel(t, srv, t.TempDir(), FilesConfig{})
	opener := &modeltest.Opener{}
	downloads := t.TempDir()
	wang := newFilesModel(t, srv, t.TempDir(), FilesConfig{Downloads: downloads, Opener: opener})
	liUser := li.registerAndLogin(srv, "Li Hua")
	wang.registerAndLogin(srv, "Wang")
	if err := li.CreateGroup(ctx, "Study Group"); err != nil {
		t.Fatal(err)
	}
	conv := li.State().Open.ID
	if err := wang.JoinGroup(ctx, fmt.Sprint(conv)); err != nil {
		t.Fatal(err)
	}
	path, sum := modeltest.WriteFile(t, t.TempDir(), "report.pdf", 12_400_000, 1)

	if err := li.SendFile(ctx, path, ""); err != nil {
		t.Fatal(err)
	}
	li.waitFor("the upload done", func(st state.State) bool {
		return transferIn(st, state.Upload, func(tr state.Transfer) bool {
			return tr.State == state.TransferDone && tr.Done == 12_400_000 && tr.Name == "report.pdf" && tr.Conv == conv
		})
	})

	st := wang.waitFor("the notice", func(st state.State) bool {
		return slices.ContainsFunc(st.Notices, func(n state.Notice) bool { return n.Kind == state.NoticeFileReceived })
	})
	n := st.Notices[slices.IndexFunc(st.Notices, func(n state.Notice) bool { return n.Kind == state.NoticeFileReceived })]
	if want := []string{"Li Hua", fmt.Sprint(liUser.ID), "report.pdf", "12.4 MB", fmt.Sprint(conv)}; !slices.Equal(n.Args, want) {
		t.Fatalf("notice args = %q, want %q", n.Args, want)
	}

	msg := wang.fileMessage()
	if err := wang.SaveFile(ctx, conv, msg.Seq); err != nil {
		t.Fatal(err)
	}
	// The finished transfer and its notice are published one after the
	// other: wait for both.
	st = wang.waitFor("the download done and announced", func(st state.State) bool {
		return transferIn(st, state.Download, func(tr state.Transfer) bool { return tr.State == state.TransferDone }) &&
			hasNotice(st, state.NoticeFileSaved, "")
	})
	saved := st.Transfers[0]
	if saved.Path != filepath.Join(downloads, "report.pdf") || modeltest.SumOf(t, saved.Path) != sum || saved.FileID == "" {
		t.Fatalf("saved %+v", saved)
	}
	if err := wang.OpenFile(ctx, saved.ID); err != nil {
		t.Fatal(err)
	}
	if err := wang.ShowInFolder(ctx, saved.ID); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(opener.Opened(), []string{saved.Path}) || !slices.Equal(opener.Shown(), []string{saved.Path}) {
		t.Fatalf("opener saw open %q, show %q", opener.Opened(), opener.Shown())
	}
	if err := wang.DismissTransfer(ctx, saved.ID); err != nil {
		t.Fatal(err)
	}
	if len(wang.State().Transfers) != 0 {
		t.Fatalf("dismissed transfer still listed: %+v", wang.State().Transfers)
	}
}

func TestUploadContinuesAfterAppRestart(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	dir := t.TempDir()
	g := newGate(4 << 20)
	opts := transfer.Options{ChunkSize: 1 << 20, HTTP: &http.Client{Transport: g}}
	li := newFilesModel(t, srv, dir, FilesConfig{Transfer: opts})
	li.registerAndLogin(srv, "Li")
	if err := li.CreateGroup(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	path, sum := modeltest.WriteFile(t, t.TempDir(), "video.mp4", 16<<20, 2)
	if err := li.SendFile(ctx, path, ""); err != nil {
		t.Fatal(err)
	}
	<-g.blocked // four chunks are on the server, the fifth is held back
	conv := li.State().Open.ID
	li.Close() // the app quits

	rec := newGate(1 << 62)
	li = newFilesModel(t, srv, dir, FilesConfig{Transfer: transfer.Options{ChunkSize: 1 << 20, HTTP: &http.Client{Transport: rec}}})
	if err := li.Open(ctx, conv); err != nil {
		t.Fatal(err)
	}
	li.waitFor("the upload done after the restart", func(st state.State) bool {
		return transferIn(st, state.Upload, func(tr state.Transfer) bool { return tr.State == state.TransferDone })
	})
	if sent := rec.sent.Load(); sent > 12<<20 {
		t.Fatalf("after the restart %d bytes were sent; 12 MiB remained", sent)
	}
	li.fileMessage()
	h, err := li.account().sess.History(ctx, proto.HistoryRequest{Conv: conv})
	if err != nil {
		t.Fatal(err)
	}
	var files []proto.File
	for _, m := range h.Messages {
		if m.Kind == proto.MsgFile {
			files = append(files, *m.File)
		}
	}
	if len(files) != 1 || files[0].SHA256 != sum || files[0].Size != 16<<20 {
		t.Fatalf("the server has the files %+v, want one with the sha256 %s", files, sum)
	}
}

func TestDownloadContinuesAfterAppRestart(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	li := newFilesModel(t, srv, t.TempDir(), FilesConfig{})
	li.registerAndLogin(srv, "Li")
	if err := li.CreateGroup(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	conv := li.State().Open.ID
	dir, downloads := t.TempDir(), t.TempDir()
	g := newGate(5 << 20)
	wang := newFilesModel(t, srv, dir, FilesConfig{Downloads: downloads, Transfer: transfer.Options{ChunkSize: 1 << 20, HTTP: &http.Client{Transport: g}}})
	wang.registerAndLogin(srv, "Wang")
	if err := wang.JoinGroup(ctx, fmt.Sprint(conv)); err != nil {
		t.Fatal(err)
	}
	path, sum := modeltest.WriteFile(t, t.TempDir(), "photos.zip", 16<<20, 3)
	if err := li.SendFile(ctx, path, ""); err != nil {
		t.Fatal(err)
	}
	msg := wang.fileMessage()
	if err := wang.SaveFile(ctx, conv, msg.Seq); err != nil {
		t.Fatal(err)
	}
	<-g.blocked
	wang.Close()

	rec := newGate(1 << 62)
	wang = newFilesModel(t, srv, dir, FilesConfig{Downloads: downloads, Transfer: transfer.Options{HTTP: &http.Client{Transport: rec}}})
	st := wang.waitFor("the download done after the restart", func(st state.State) bool {
		return transferIn(st, state.Download, func(tr state.Transfer) bool { return tr.State == state.TransferDone })
	})
	if got := rec.received.Load(); got > 11<<20+1<<20 {
		t.Fatalf("after the restart %d bytes were fetched; about 11 MiB remained", got)
	}
	if p := st.Transfers[0].Path; p != filepath.Join(downloads, "photos.zip") || modeltest.SumOf(t, p) != sum {
		t.Fatalf("saved %s", p)
	}
	if entries, _ := os.ReadDir(downloads); len(entries) != 1 {
		t.Fatalf("downloads folder holds %d entries, want the file only", len(entries))
	}
}

func TestPauseResumeAndCancel(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	g := newGate(3 << 20)
	li := newFilesModel(t, srv, t.TempDir(), FilesConfig{Transfer: transfer.Options{ChunkSize: 1 << 20, HTTP: &http.Client{Transport: g}}})
	li.registerAndLogin(srv, "Li")
	if err := li.CreateGroup(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	path, _ := modeltest.WriteFile(t, t.TempDir(), "a.bin", 8<<20, 4)
	if err := li.SendFile(ctx, path, ""); err != nil {
		t.Fatal(err)
	}
	<-g.blocked
	id := li.State().Transfers[0].ID
	if err := li.PauseTransfer(ctx, id); err != nil {
		t.Fatal(err)
	}
	st := li.waitFor("paused", func(st state.State) bool {
		return transferIn(st, state.Upload, func(tr state.Transfer) bool { return tr.State == state.TransferPaused })
	})
	if st.Transfers[0].Done < 3<<20 {
		t.Fatalf("paused transfer lost its progress: %+v", st.Transfers[0])
	}
	close(g.open)
	if err := li.ResumeTransfer(ctx, id); err != nil {
		t.Fatal(err)
	}
	li.waitFor("resumed to the end", func(st state.State) bool {
		return transferIn(st, state.Upload, func(tr state.Transfer) bool { return tr.ID == id && tr.State == state.TransferDone })
	})

	// Cancel: a second upload, held at the gate, is abandoned on the server.
	g2 := newGate(2 << 20)
	li.Close()
	li2 := newFilesModel(t, srv, li.cfg.DataDir, FilesConfig{Transfer: transfer.Options{ChunkSize: 1 << 20, HTTP: &http.Client{Transport: g2}}})
	li2.online()
	path2, _ := modeltest.WriteFile(t, t.TempDir(), "b.bin", 8<<20, 5)
	if err := li2.Open(ctx, st.Transfers[0].Conv); err != nil {
		t.Fatal(err)
	}
	if err := li2.SendFile(ctx, path2, ""); err != nil {
		t.Fatal(err)
	}
	<-g2.blocked
	i := slices.IndexFunc(li2.State().Transfers, func(tr state.Transfer) bool { return tr.Name == "b.bin" })
	id2 := li2.State().Transfers[i].ID
	if err := li2.CancelTransfer(ctx, id2); err != nil {
		t.Fatal(err)
	}
	li2.waitFor("cancelled", func(st state.State) bool {
		return transferIn(st, state.Upload, func(tr state.Transfer) bool { return tr.ID == id2 && tr.State == state.TransferCanceled })
	})
	a := li2.account()
	rec, err := a.db.Transfer(ctx, id2)
	if err != nil || rec.UploadID == "" {
		t.Fatalf("record %+v, %v", rec, err)
	}
	token := a.token
	li2.Close() // waits for the cancellation to reach the server
	c, _ := transfer.New(srv.HTTPURL, func() string { return token }, transfer.Options{})
	if _, err := c.Offset(ctx, rec.UploadID); proto.CodeOf(err) != transfer.CodeNoSuchUpload {
		t.Fatalf("the server still has the cancelled upload: %v", err)
	}
}

func TestSendFileToAUserOpensTheDirectConversation(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	li := newFilesModel(t, srv, t.TempDir(), FilesConfig{})
	wang := newFilesModel(t, srv, t.TempDir(), FilesConfig{})
	li.registerAndLogin(srv, "Li")
	wangUser := wang.registerAndLogin(srv, "Wang")
	path, _ := modeltest.WriteFile(t, t.TempDir(), "note.txt", 100, 6)
	if err := li.SendFile(ctx, path, fmt.Sprint(wangUser.ID)); err != nil {
		t.Fatal(err)
	}
	st := wang.waitFor("the notice", func(st state.State) bool { return hasNotice(st, state.NoticeFileReceived, "") })
	i := slices.IndexFunc(st.Notices, func(n state.Notice) bool { return n.Kind == state.NoticeFileReceived })
	conv := st.Notices[i].Args[4]
	wang.waitFor("the direct conversation", func(st state.State) bool {
		return slices.ContainsFunc(st.Conversations, func(c state.Conversation) bool {
			return fmt.Sprint(c.ID) == conv && c.Kind == proto.KindDirect && c.Last != nil && c.Last.Kind == proto.MsgFile
		})
	})
}

func TestSendFileExplainsWhatIsWrong(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	li := newFilesModel(t, srv, t.TempDir(), FilesConfig{})
	li.registerAndLogin(srv, "Li")
	gone := filepath.Join(t.TempDir(), "gone.txt")
	if err := li.SendFile(ctx, gone, "1234"); err == nil {
		t.Fatal("a missing file was accepted")
	}
	// A path with nothing there is the path's problem, said beside the
	// field: not a notice.
	st := li.State()
	if e := st.PathError; e == nil || e.Detail != state.InputNoSuchFile || !slices.Equal(e.Args, []string{gone}) || slices.ContainsFunc(st.Notices, func(n state.Notice) bool { return n.Kind == state.NoticeError }) {
		t.Fatalf("path error %+v, notices %+v; want no_such_file for %s beside the field", e, st.Notices, gone)
	}
	path, _ := modeltest.WriteFile(t, t.TempDir(), "a.txt", 10, 7)
	if err := li.SendFile(ctx, path, ""); err == nil || !hasNotice(li.State(), state.NoticeError, state.CodeBadInput) {
		t.Fatalf("send without a conversation: %v, notices %+v", err, li.State().Notices)
	}
	if err := li.SendFile(ctx, t.TempDir(), "1234"); err == nil || li.State().PathError.Detail != state.InputNotAFile {
		t.Fatalf("a folder: %v, path error %+v", err, li.State().PathError)
	}
}
