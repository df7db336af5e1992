package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gioui.org/io/semantic"

	"parley/net/proto"
	"parley/net/transfer"
	"parley/ui/uitest"
)

// interceptFileDialogs keeps the page's file dialogs from opening
// (headless Chromium has none to show); chooseFile answers them.
func (b *browser) interceptFileDialogs() {
	b.t.Helper()
	b.call("Page.enable", nil)
	b.call("Page.setInterceptFileChooserDialog", map[string]any{"enabled": true})
}

// chooseFile chooses path in the file dialog the app opened, as a person
// would: it waits for the app's <input type=file> and gives it the file.
func (b *browser) chooseFile(path string) {
	b.t.Helper()
	const input = `new Promise((resolve) => {
		const find = () => document.querySelector("input[type=file]");
		if (find()) { resolve(find()); return; }
		const mo = new MutationObserver(() => { if (find()) { mo.disconnect(); resolve(find()); } });
		mo.observe(document.body, {childList: true});
	})`
	var r struct {
		Result struct {
			ObjectID string `json:"objectId"`
		} `json:"result"`
	}
	if err := b.dt.call(ctxFor(b.t, 60*time.Second), "Runtime.evaluate", map[string]any{"expression": input, "awaitPromise": true}, &r); err != nil || r.Result.ObjectID == "" {
		b.fail("the app opened no file dialog: %v", err)
	}
	b.call("DOM.setFileInputFiles", map[string]any{"files": []string{path}, "objectId": r.Result.ObjectID})
}

// allowDownloads lets the page's downloads land in dir. The Browser
// domain answers the browser itself, not the page's session.
func (b *browser) allowDownloads(dir string) {
	b.t.Helper()
	page := b.dt.session
	b.dt.session = ""
	defer func() { b.dt.session = page }()
	b.call("Browser.setDownloadBehavior", map[string]any{"behavior": "allow", "downloadPath": dir})
}

// clickSaveOf clicks Save on the file card of the file called name: the
// first Save button below its name.
func (b *browser) clickSaveOf(name string) {
	b.t.Helper()
	b.clickWhenFound("Save on "+name, func(sc uitest.Screen) (image.Point, error) {
		title, ok := sc.Find(name)
		if !ok {
			return image.Point{}, errors.New("no " + name)
		}
		var save *uitest.Node
		for i, n := range sc {
			if n.Desc.Label == "Save" && n.Control == semantic.Button && !n.Visible.Empty() && n.Visible.Min.Y >= title.Visible.Max.Y &&
				(save == nil || n.Visible.Min.Y < save.Visible.Min.Y) {
				save = &sc[i]
			}
		}
		if save == nil {
			return image.Point{}, errors.New("no Save under " + name)
		}
		return save.Visible.Min.Add(save.Visible.Max).Div(2), nil
	})
}

// In the browser the picker gives a stream without a path: the app reads
// it into memory and uploads it from there, under the file's own name.
func TestBrowserAppSendsAPickedFile(t *testing.T) {
	srv, b := startWeb(t)
	b.signUp()
	group := b.createGroup()
	tom := srv.NewUser(t, "Tom")
	ctx := ctxFor(t, 60*time.Second)
	if _, err := tom.Conn.JoinGroup(ctx, proto.ConvID(group)); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 3_000_000)
	rand.NewChaCha8([32]byte{3}).Read(data)
	path := filepath.Join(t.TempDir(), "会议纪要 第3章.pdf")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}

	b.interceptFileDialogs()
	b.click("学习小组 Study Group")
	b.click("Attach a file")
	b.click("Choose file…")
	b.chooseFile(path)
	b.see("会议纪要 第3章.pdf") // the transfer row, under the file's own name
	b.see("Sent")
	f := *tom.Message(t, proto.ConvID(group), func(m proto.Message) bool { return m.Kind == proto.MsgFile && m.File != nil }).File
	if f.Name != "会议纪要 第3章.pdf" || f.Size != int64(len(data)) {
		t.Fatalf("Tom was sent %q (%d bytes), want 会议纪要 第3章.pdf (%d)", f.Name, f.Size, len(data))
	}

	// Tom saves the same bytes.
	c, err := transfer.New(srv.HTTPURL, func() string { return tom.Token }, transfer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := &transfer.Download{FileID: f.ID, Name: f.Name, Size: f.Size, SHA256: f.SHA256, Dir: t.TempDir()}
	if err := c.Download(context.Background(), d, transfer.Hooks{}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	if want := sha256.Sum256(data); !bytes.Equal(got, data) || f.SHA256 == "" || sha256.Sum256(got) != want {
		t.Fatal("Tom saved other bytes than the browser picked")
	}

	// An upload that cannot finish before the page is reloaded: the
	// bytes were the page's, so afterwards its row asks for the file
	// again rather than waiting for ever.
	b.call("Network.enable", nil)
	b.call("Network.setBlockedURLs", map[string]any{"urls": []string{"*" + transfer.UploadsPath + "*"}})
	second := filepath.Join(t.TempDir(), "slides.key")
	if err := os.WriteFile(second, data[:100_000], 0o600); err != nil {
		t.Fatal(err)
	}
	b.click("Choose file…") // the file bar stays open
	b.chooseFile(second)
	b.see("slides.key")
	b.until("the upload waiting", func(sc uitest.Screen) bool {
		_, ok := sc.FindContaining("Waiting")
		return ok
	})
	b.call("Page.reload", nil)
	b.click("学习小组 Study Group")
	b.until("the upload asking for the file again", func(sc uitest.Screen) bool {
		_, ok := sc.FindContaining("The page was reloaded, so slides.key is no longer here: choose it again")
		return ok
	})

	// Tom shares a file; the browser saves it. There is no file system
	// there: the app fetches it into memory, verifies it, and hands it
	// to the browser as a download under its own name.
	downloads := t.TempDir()
	b.allowDownloads(downloads)
	notes := data[:1_234_567]
	if _, err := c.Upload(ctxFor(t, 60*time.Second), &transfer.Upload{Source: bytes.NewReader(notes), Name: "汤姆的笔记.csv", Conv: proto.ConvID(group)}, transfer.Hooks{}); err != nil {
		t.Fatal(err)
	}
	b.clickSaveOf("汤姆的笔记.csv")
	b.see("Saved") // the transfer row: no folder to name, nothing to open
	saved := filepath.Join(downloads, "汤姆的笔记.csv")
	b.until("the browser's download of 汤姆的笔记.csv", func(uitest.Screen) bool {
		st, err := os.Stat(saved) // Chromium names it so once it is complete
		return err == nil && st.Size() == int64(len(notes))
	})
	if got, err := os.ReadFile(saved); err != nil || !bytes.Equal(got, notes) {
		t.Fatalf("the browser downloaded other bytes than Tom sent (%v)", err)
	}
	if _, ok := b.screen().Find("Show in folder"); ok {
		t.Fatal("the browser offers Show in folder for a file it has no folder for")
	}
}
