package transfer_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"parley/net/proto"
	"parley/net/transfer"
	"parley/server/node"
	"parley/server/node/nodetest"
)

func TestRoundTripOf200MiBToAGroup(t *testing.T) {
	srv := nodetest.Start(t)
	li, wang := nodetest.NewUser(t, srv.URL, "李华"), nodetest.NewUser(t, srv.URL, "Wang")
	conv := nodetest.Group(t, li, "files", wang)
	path, sum := writeRandomFile(t, t.TempDir(), "data.bin", 200<<20, 1)

	up := &transfer.Upload{Path: path, Conv: conv}
	var mu sync.Mutex
	var phases []transfer.Phase
	msg, err := newClient(t, srv.HTTPURL, li.Token, transfer.Options{}).Upload(context.Background(), up, transfer.Hooks{
		Progress: func(p transfer.Progress) {
			mu.Lock()
			if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
				phases = append(phases, p.Phase)
			}
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if msg.Kind != proto.MsgFile || msg.File.Name != "data.bin" || msg.File.Size != 200<<20 || msg.File.SHA256 != sum || msg.Conv != conv {
		t.Fatalf("file message = %+v (%+v)", msg, msg.File)
	}
	if len(phases) != 2 || phases[0] != transfer.Hashing || phases[1] != transfer.Sending {
		t.Errorf("phases = %v, want hashing then sending", phases)
	}

	d := &transfer.Download{FileID: msg.File.ID, Name: msg.File.Name, Size: msg.File.Size, SHA256: msg.File.SHA256, Dir: t.TempDir()}
	if err := newClient(t, srv.HTTPURL, wang.Token, transfer.Options{}).Download(context.Background(), d, transfer.Hooks{}); err != nil {
		t.Fatal(err)
	}
	if d.Path != filepath.Join(d.Dir, "data.bin") || fileSHA(t, d.Path) != sum || !sameBytes(t, path, d.Path) {
		t.Fatalf("downloaded %s differs from what was sent", d.Path)
	}
	if entries, _ := os.ReadDir(d.Dir); len(entries) != 1 {
		t.Fatalf("the downloads folder holds %d entries, want only the file", len(entries))
	}
}

func TestPausedUploadResumesFromTheServersOffset(t *testing.T) {
	srv := nodetest.Start(t)
	li := nodetest.NewUser(t, srv.URL, "Li")
	conv := nodetest.Group(t, li, "files")
	path, sum := writeRandomFile(t, t.TempDir(), "a.bin", 20<<20, 2)
	opts := transfer.Options{ChunkSize: 1 << 20, ProgressEvery: time.Nanosecond}
	up := &transfer.Upload{Path: path, Conv: conv}

	ctx, pause := context.WithCancel(context.Background())
	_, err := newClient(t, srv.HTTPURL, li.Token, opts).Upload(ctx, up, transfer.Hooks{Save: func() {
		if up.Offset >= 5<<20 {
			pause()
		}
	}})
	if !errors.Is(err, context.Canceled) || up.Offset < 5<<20 || up.ID == "" {
		t.Fatalf("paused upload: err %v, offset %d, id %q", err, up.Offset, up.ID)
	}

	// An app restart: a new client with the saved state, the time unknown.
	saved := *up
	saved.ModTime = time.Time{}
	var rec recorder
	msg, err := newClient(t, srv.HTTPURL, li.Token, rec.client(opts)).Upload(context.Background(), &saved, transfer.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if msg.File.SHA256 != sum {
		t.Fatalf("sha256 = %s, want %s", msg.File.SHA256, sum)
	}
	if sent := rec.sent.Load(); sent > 20<<20-up.Offset {
		t.Fatalf("resumed upload sent %d bytes; only %d remained", sent, 20<<20-up.Offset)
	}
}

func TestCorruptedChunkIsSentAgain(t *testing.T) {
	srv := nodetest.Start(t)
	li := nodetest.NewUser(t, srv.URL, "Li")
	conv := nodetest.Group(t, li, "files")
	path, sum := writeRandomFile(t, t.TempDir(), "a.bin", 3<<20, 3)
	flipped := false
	rec := &recorder{flip: func(req *http.Request) bool {
		if !flipped && req.Header.Get(transfer.HeaderOffset) == "1048576" {
			flipped = true
			return true
		}
		return false
	}}
	msg, err := newClient(t, srv.HTTPURL, li.Token, rec.client(transfer.Options{ChunkSize: 1 << 20})).Upload(context.Background(), &transfer.Upload{Path: path, Conv: conv}, transfer.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if !rec.saw(transfer.StatusChecksumMismatch) || msg.File.SHA256 != sum {
		t.Fatalf("statuses %v, sha256 %s: the corrupt chunk must be refused and sent again", rec.statuses, msg.File.SHA256)
	}
}

func TestChangedFileIsNeverPublished(t *testing.T) {
	srv := nodetest.Start(t)
	li := nodetest.NewUser(t, srv.URL, "Li")
	conv := nodetest.Group(t, li, "files")
	path, _ := writeRandomFile(t, t.TempDir(), "draft.txt", 4<<20, 4)
	up := &transfer.Upload{Path: path, Conv: conv}
	c := newClient(t, srv.HTTPURL, li.Token, transfer.Options{ChunkSize: 1 << 20})
	var uploadID string
	_, err := c.Upload(context.Background(), up, transfer.Hooks{Save: func() {
		if up.Offset == 1<<20 && uploadID == "" { // someone edits the file mid-way
			uploadID = up.ID
			f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString("one more line")
			f.Close()
		}
	}})
	if !errors.Is(err, transfer.ErrFileChanged) {
		t.Fatalf("err = %v, want ErrFileChanged", err)
	}
	if _, err := c.Offset(context.Background(), uploadID); proto.CodeOf(err) != transfer.CodeNoSuchUpload {
		t.Fatalf("the server still has the abandoned upload: %v", err)
	}
	h, err := li.Conn.History(context.Background(), proto.HistoryRequest{Conv: conv})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range h.Messages {
		if m.Kind == proto.MsgFile {
			t.Fatalf("a file was published: %+v", m)
		}
	}
}

func TestFileChangedInPlaceFailsTheHashCheck(t *testing.T) {
	srv := nodetest.Start(t)
	li := nodetest.NewUser(t, srv.URL, "Li")
	conv := nodetest.Group(t, li, "files")
	path, _ := writeRandomFile(t, t.TempDir(), "a.bin", 2<<20, 5)
	up := &transfer.Upload{Path: path, Conv: conv}
	c := newClient(t, srv.HTTPURL, li.Token, transfer.Options{ChunkSize: 1 << 20})
	_, err := c.Upload(context.Background(), up, transfer.Hooks{Save: func() {
		if up.Offset == 1<<20 { // rewrite the second half, keeping size and time
			st, _ := os.Stat(path)
			f, _ := os.OpenFile(path, os.O_WRONLY, 0)
			f.WriteAt(make([]byte, 1<<20), 1<<20)
			f.Close()
			os.Chtimes(path, st.ModTime(), st.ModTime())
		}
	}})
	if !errors.Is(err, transfer.ErrFileChanged) || proto.CodeOf(err) != transfer.CodeHashMismatch {
		t.Fatalf("err = %v, want ErrFileChanged from the server's hash check", err)
	}
}

func TestVanishedFileIsReported(t *testing.T) {
	srv := nodetest.Start(t)
	li := nodetest.NewUser(t, srv.URL, "Li")
	conv := nodetest.Group(t, li, "files")
	path, _ := writeRandomFile(t, t.TempDir(), "a.bin", 2<<20, 6)
	up := &transfer.Upload{Path: path, Conv: conv}
	c := newClient(t, srv.HTTPURL, li.Token, transfer.Options{ChunkSize: 1 << 20})
	_, err := c.Upload(context.Background(), up, transfer.Hooks{Save: func() {
		if up.Offset == 1<<20 {
			os.Remove(path)
		}
	}})
	if !errors.Is(err, transfer.ErrFileMissing) {
		t.Fatalf("err = %v, want ErrFileMissing", err)
	}
	if _, err := c.Upload(context.Background(), up, transfer.Hooks{}); !errors.Is(err, transfer.ErrFileMissing) {
		t.Fatalf("resuming a vanished file: %v", err)
	}
}

func TestOverLimitFileIsRefusedBeforeItIsRead(t *testing.T) {
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.MaxFileSize = 1 << 20 }))
	li := nodetest.NewUser(t, srv.URL, "Li")
	conv := nodetest.Group(t, li, "files")
	path, _ := writeRandomFile(t, t.TempDir(), "big.iso", 2<<20, 7)
	read := false
	rec := &recorder{}
	_, err := newClient(t, srv.HTTPURL, li.Token, rec.client(transfer.Options{})).Upload(context.Background(), &transfer.Upload{Path: path, Conv: conv},
		transfer.Hooks{Progress: func(transfer.Progress) { read = true }})
	if proto.CodeOf(err) != proto.CodeTooLarge {
		t.Fatalf("err = %v, want too_large", err)
	}
	if read || rec.sent.Load() != 0 {
		t.Fatalf("the file was read (%v) or sent (%d bytes) before the refusal", read, rec.sent.Load())
	}
}

func TestNonMemberCannotDownload(t *testing.T) {
	srv := nodetest.Start(t)
	li, outsider := nodetest.NewUser(t, srv.URL, "Li"), nodetest.NewUser(t, srv.URL, "Outsider")
	conv := nodetest.Group(t, li, "files")
	path, _ := writeRandomFile(t, t.TempDir(), "a.bin", 1000, 8)
	msg, err := newClient(t, srv.HTTPURL, li.Token, transfer.Options{}).Upload(context.Background(), &transfer.Upload{Path: path, Conv: conv}, transfer.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	d := &transfer.Download{FileID: msg.File.ID, Name: msg.File.Name, Size: msg.File.Size, SHA256: msg.File.SHA256, Dir: t.TempDir()}
	err = newClient(t, srv.HTTPURL, outsider.Token, transfer.Options{}).Download(context.Background(), d, transfer.Hooks{})
	if proto.CodeOf(err) != proto.CodeNotMember || transfer.Temporary(err) {
		t.Fatalf("err = %v, want not_member (permanent)", err)
	}
	if entries, _ := os.ReadDir(d.Dir); len(entries) != 0 {
		t.Fatalf("the refused download left %d files", len(entries))
	}
}

func TestDownloadResumesAfterClientRestart(t *testing.T) {
	srv := nodetest.Start(t)
	li, wang := nodetest.NewUser(t, srv.URL, "Li"), nodetest.NewUser(t, srv.URL, "Wang")
	conv := nodetest.Group(t, li, "files", wang)
	path, sum := writeRandomFile(t, t.TempDir(), "movie.mkv", 32<<20, 9)
	msg, err := newClient(t, srv.HTTPURL, li.Token, transfer.Options{}).Upload(context.Background(), &transfer.Upload{Path: path, Conv: conv}, transfer.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	d := &transfer.Download{FileID: msg.File.ID, Name: msg.File.Name, Size: msg.File.Size, SHA256: msg.File.SHA256, Dir: t.TempDir()}
	ctx, quit := context.WithCancel(context.Background())
	opts := transfer.Options{ChunkSize: 1 << 20, ProgressEvery: time.Nanosecond}
	var saved transfer.Download
	err = newClient(t, srv.HTTPURL, wang.Token, opts).Download(ctx, d, transfer.Hooks{
		Save: func() { saved = *d },
		Progress: func(p transfer.Progress) {
			if p.Phase == transfer.Receiving && p.Done >= 12<<20 {
				quit() // the app is closed
			}
		},
	})
	if err == nil || saved.Offset < 12<<20 || saved.Temp == "" {
		t.Fatalf("interrupted download: err %v, saved %+v", err, saved)
	}

	rec := &recorder{}
	if err := newClient(t, srv.HTTPURL, wang.Token, rec.client(opts)).Download(context.Background(), &saved, transfer.Hooks{}); err != nil {
		t.Fatal(err)
	}
	if got := rec.received.Load(); got > 32<<20-12<<20 || len(rec.ranges) != 1 || rec.ranges[0] == "" {
		t.Fatalf("the restarted download fetched %d bytes with ranges %q: it must continue, not start over", got, rec.ranges)
	}
	if saved.Path != filepath.Join(d.Dir, "movie.mkv") || fileSHA(t, saved.Path) != sum {
		t.Fatalf("saved %s does not match", saved.Path)
	}
	if _, err := os.Stat(d.Temp); !os.IsNotExist(err) {
		t.Fatalf("the temporary file is still there: %v", err)
	}
}

func TestSavedNamesNeverClash(t *testing.T) {
	srv := nodetest.Start(t)
	li := nodetest.NewUser(t, srv.URL, "Li")
	conv := nodetest.Group(t, li, "files")
	path, _ := writeRandomFile(t, t.TempDir(), "report.pdf", 1000, 10)
	c := newClient(t, srv.HTTPURL, li.Token, transfer.Options{})
	msg, err := c.Upload(context.Background(), &transfer.Upload{Path: path, Conv: conv, Name: "../../report.pdf"}, transfer.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var got []string
	for range 3 {
		d := &transfer.Download{FileID: msg.File.ID, Name: "../" + msg.File.Name, Size: msg.File.Size, SHA256: msg.File.SHA256, Dir: dir}
		if err := c.Download(context.Background(), d, transfer.Hooks{}); err != nil {
			t.Fatal(err)
		}
		got = append(got, filepath.Base(d.Path))
		if filepath.Dir(d.Path) != dir {
			t.Fatalf("saved outside the downloads folder: %s", d.Path)
		}
	}
	want := []string{"report.pdf", "report (1).pdf", "report (2).pdf"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("saved as %q, want %q", got, want)
		}
	}
}

func TestCorruptPartialDownloadIsFetchedAgain(t *testing.T) {
	srv := nodetest.Start(t)
	li := nodetest.NewUser(t, srv.URL, "Li")
	conv := nodetest.Group(t, li, "files")
	path, sum := writeRandomFile(t, t.TempDir(), "a.bin", 3<<20, 11)
	c := newClient(t, srv.HTTPURL, li.Token, transfer.Options{})
	msg, err := c.Upload(context.Background(), &transfer.Upload{Path: path, Conv: conv}, transfer.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// A partial file from before whose bytes are wrong (a crash, a bad disk).
	temp := filepath.Join(dir, ".parley-0123456789abcdef.part")
	os.WriteFile(temp, make([]byte, 1<<20), 0o600)
	d := &transfer.Download{FileID: msg.File.ID, Name: msg.File.Name, Size: msg.File.Size, SHA256: msg.File.SHA256, Dir: dir, Temp: temp}
	if err := c.Download(context.Background(), d, transfer.Hooks{}); err != nil {
		t.Fatal(err)
	}
	if fileSHA(t, d.Path) != sum {
		t.Fatal("the saved file is corrupt")
	}
}
