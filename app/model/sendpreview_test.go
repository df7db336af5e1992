package model

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"parley/app/model/modeltest"
	"parley/app/state"
	"parley/net/proto"
	"parley/net/transfer"
	"parley/server/node/nodetest"
)

// creates is a proxy in front of a server that records the upload create
// requests going through it.
type creates struct {
	mu   sync.Mutex
	reqs []transfer.CreateRequest
	url  string
}

func recordCreates(t *testing.T, srv *nodetest.Server) *creates {
	t.Helper()
	target, err := url.Parse(srv.HTTPURL)
	if err != nil {
		t.Fatal(err)
	}
	c := &creates{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == proto.UploadsPath {
			body, _ := io.ReadAll(r.Body)
			var req transfer.CreateRequest
			if json.Unmarshal(body, &req) == nil {
				c.mu.Lock()
				c.reqs = append(c.reqs, req)
				c.mu.Unlock()
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(h.Close)
	c.url = h.URL
	return c
}

func (c *creates) texts() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]string{}
	for _, r := range c.reqs {
		out[r.Name] = r.Text
	}
	return out
}

func TestPickedPicturesWaitInThePreviewAndGoWithTheCaption(t *testing.T) {
	srv := nodetest.Start(t)
	rec := recordCreates(t, srv)
	ctx := context.Background()
	li := newFilesModel(t, srv, t.TempDir(), FilesConfig{})
	wang := newFilesModel(t, srv, t.TempDir(), FilesConfig{})
	li.registerAndLoginAt(rec.url, "Li Hua")
	wang.registerAndLogin(srv, "Wang")
	if err := li.CreateGroup(ctx, "Study Group"); err != nil {
		t.Fatal(err)
	}
	conv := li.State().Open.ID
	if err := wang.JoinGroup(ctx, fmt.Sprint(conv)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	photo := filepath.Join(dir, "lake.png")
	if err := os.Rename(pngFile(t, t.TempDir(), 1000, 500, color.NRGBA{B: 200, A: 255}), photo); err != nil {
		t.Fatal(err)
	}
	notes, _ := modeltest.WriteFile(t, dir, "notes.txt", 3000, 1)

	if err := li.Stage(ctx, "", []Pick{{Path: photo}, {Path: notes}}); err != nil {
		t.Fatal(err)
	}
	st := li.State()
	p := st.Picked
	if p == nil || len(p.Files) != 2 || p.Conv != int64(conv) {
		t.Fatalf("the preview: %+v", p)
	}
	if f := p.Files[0]; f.Name != "lake.png" || f.Width != 1000 || f.Height != 500 || f.Preview == nil ||
		f.Preview.Bounds().Dx() != 320 || f.Preview.Bounds().Dy() != 160 {
		t.Fatalf("the picture in the preview: %+v", f)
	}
	if f := p.Files[1]; f.Name != "notes.txt" || f.Size != 3000 || f.Preview != nil {
		t.Fatalf("the file in the preview: %+v", f)
	}
	if len(st.Transfers) != 0 {
		t.Fatalf("sent before Send: %+v", st.Transfers)
	}

	if err := li.SendPicked(ctx, "  西湖 at dusk \n"); err != nil {
		t.Fatal(err)
	}
	if li.State().Picked != nil {
		t.Fatal("the preview stays after Send")
	}
	wang.waitFor("both files", func(st state.State) bool {
		return st.Open != nil && fileCount(st.Open.Messages) == 2
	})
	var names []string
	for _, m := range wang.State().Open.Messages {
		if m.File != nil {
			names = append(names, m.File.Name)
		}
	}
	if !slices.Equal(names, []string{"lake.png", "notes.txt"}) {
		t.Fatalf("arrived %q, want the picked order", names)
	}
	// The caption goes with the first file's create request (the server
	// makes it the message's text: docs/protocol.md).
	if got := rec.texts(); got["lake.png"] != "西湖 at dusk" || got["notes.txt"] != "" {
		t.Fatalf("create requests' texts: %q", got)
	}

	// Cancel sends nothing and closes what was picked.
	stream := modeltest.NewPickedStream(strings.NewReader("not sent"), "later.pdf", 8)
	if err := li.Stage(ctx, "", []Pick{{Path: photo}, {Stream: &Stream{ReadCloser: stream, Name: "later.pdf", Size: 8}}}); err != nil {
		t.Fatal(err)
	}
	if p := li.State().Picked; p == nil || p.ID != 2 {
		t.Fatalf("the second preview: %+v", p)
	}
	li.CancelPicked()
	if li.State().Picked != nil || !stream.WasClosed() {
		t.Fatal("Cancel left the preview or the stream open")
	}
	if n := len(li.State().Transfers); n != 2 {
		t.Fatalf("%d transfers after Cancel, want the 2 sent", n)
	}

	// Without a picture there is no preview: they go at once.
	if err := li.Stage(ctx, "", []Pick{{Path: notes}}); err != nil {
		t.Fatal(err)
	}
	if li.State().Picked != nil {
		t.Fatal("a preview for a file that is no picture")
	}
	li.waitFor("the third upload", func(st state.State) bool { return len(st.Transfers) == 3 })
}

func TestPictureNames(t *testing.T) {
	for name, want := range map[string]bool{"a.JPG": true, "b.jpeg": true, "c.png": true, "d.gif": true, "e.webp": true, "f.heic": false, "g.pdf": false, "png": false} {
		if IsPictureName(name) != want {
			t.Errorf("IsPictureName(%q) = %v", name, !want)
		}
	}
}

// A caption typed while the server is away survives an app restart: it is
// kept with its queued upload, and the file message carries it once the
// server is back (it used to live in memory until the upload was created).
func TestACaptionSurvivesAnAppRestartBeforeItsUpload(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	dir := t.TempDir()
	li := newFilesModel(t, srv, dir, FilesConfig{})
	li.registerAndLogin(srv, "Li Hua")
	if err := li.CreateGroup(ctx, "Trips"); err != nil {
		t.Fatal(err)
	}
	conv := li.State().Open.ID
	photo := pngFile(t, t.TempDir(), 400, 300, color.NRGBA{G: 180, A: 255})

	srv.Stop()
	li.waitFor("offline", func(st state.State) bool { return st.Conn != state.Online })
	if err := li.Stage(ctx, "", []Pick{{Path: photo}}); err != nil {
		t.Fatal(err)
	}
	if err := li.SendPicked(ctx, "长城 at dawn"); err != nil {
		t.Fatal(err)
	}
	li.waitFor("queued", func(st state.State) bool { return len(st.Transfers) == 1 })
	li.Close()

	srv.Restart(t)
	li2 := newFilesModel(t, srv, dir, FilesConfig{})
	if err := li2.Open(ctx, conv); err != nil {
		t.Fatal(err)
	}
	li2.waitFor("the picture sent with its caption", func(st state.State) bool {
		return st.Open != nil && slices.ContainsFunc(st.Open.Messages, func(m state.Message) bool {
			return m.Status.Stored() && m.File != nil && m.Text == "长城 at dawn"
		})
	})
}
