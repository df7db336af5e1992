package model

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"parley/app/state"
	"parley/server/node/nodetest"
)

// sendPNG sends a w × h PNG from li to the open conversation and returns
// the file message as wang sees it (the newest file message).
func sendPNG(t *testing.T, li, wang *testModel, w, h int, c color.NRGBA) state.Message {
	t.Helper()
	dir := t.TempDir()
	path := pngFile(t, dir, w, h, c)
	named := filepath.Join(dir, "photo.png")
	if err := os.Rename(path, named); err != nil {
		t.Fatal(err)
	}
	before := 0
	if st := wang.State(); st.Open != nil {
		before = fileCount(st.Open.Messages)
	}
	if err := li.SendFile(context.Background(), named, ""); err != nil {
		t.Fatal(err)
	}
	st := wang.waitFor("the picture's file message", func(st state.State) bool {
		return st.Open != nil && fileCount(st.Open.Messages) > before
	})
	msgs := st.Open.Messages
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].File != nil {
			return msgs[i]
		}
	}
	panic("unreachable")
}

func fileCount(ms []state.Message) int {
	n := 0
	for _, m := range ms {
		if m.File != nil {
			n++
		}
	}
	return n
}

// filesPair is Li and Wang in one group, Wang saving into downloads.
func filesPair(t *testing.T, srv *nodetest.Server, wangDir string) (li, wang *testModel) {
	t.Helper()
	ctx := context.Background()
	li = newFilesModel(t, srv, t.TempDir(), FilesConfig{})
	wang = newFilesModel(t, srv, wangDir, FilesConfig{Downloads: t.TempDir()})
	li.registerAndLogin(srv, "Li Hua")
	wang.registerAndLogin(srv, "Wang")
	if err := li.CreateGroup(ctx, "Study Group"); err != nil {
		t.Fatal(err)
	}
	if err := wang.JoinGroup(ctx, fmt.Sprint(li.State().Open.ID)); err != nil {
		t.Fatal(err)
	}
	return li, wang
}

// Thumbnails are files downloaded by ID like any other (the server's
// thumbnails are not made here): a PNG sent as a file stands for one.
func TestAThumbnailIsFetchedOnceCachedOnDiskAndShownOffline(t *testing.T) {
	srv := nodetest.Start(t)
	dir := t.TempDir()
	li, wang := filesPair(t, srv, dir)
	msg := sendPNG(t, li, wang, 320, 240, color.NRGBA{G: 200, A: 255})
	id := msg.File.ID

	wang.WantThumb(id)
	wang.WantThumb(id) // once in flight, not fetched twice
	st := wang.waitFor("the thumbnail", func(st state.State) bool { return st.Thumbs[id] != nil })
	if b := st.Thumbs[id].Bounds(); b.Dx() != 320 || b.Dy() != 240 {
		t.Fatalf("thumbnail of %v", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "pictures", id)); err != nil {
		t.Fatalf("the thumbnail is not in the cache: %v", err)
	}
	wang.WantThumb("no-such-file")
	wang.waitFor("the missing thumbnail failed", func(st state.State) bool { return st.ThumbsFailed["no-such-file"] })

	// Offline, on a fresh start: from the disk cache.
	wang.Close()
	srv.Stop()
	again := newFilesModel(t, srv, dir, FilesConfig{})
	again.waitFor("the account, offline", func(st state.State) bool { return st.Me != nil })
	again.WantThumb(id)
	st = again.waitFor("the cached thumbnail, offline", func(st state.State) bool { return st.Thumbs[id] != nil })
	if st.Conn == state.Online {
		t.Fatal("online: the test proves nothing")
	}
	if c := color.NRGBAModel.Convert(st.Thumbs[id].At(10, 10)).(color.NRGBA); c.G != 200 {
		t.Fatalf("the cached thumbnail's pixel is %v", c)
	}
	// What failed offline is tried again once the connection is back.
	again.WantThumb("gone-offline")
	again.waitFor("failed offline", func(st state.State) bool { return st.ThumbsFailed["gone-offline"] })
	srv.Restart(t)
	again.waitFor("failures forgotten online", func(st state.State) bool {
		return st.Conn == state.Online && !st.ThumbsFailed["gone-offline"]
	})
}

func TestTheViewerDecodesTheSavedPictureFullSize(t *testing.T) {
	srv := nodetest.Start(t)
	li, wang := filesPair(t, srv, t.TempDir())
	msg := sendPNG(t, li, wang, 1600, 1200, color.NRGBA{B: 180, A: 255})
	if err := wang.SaveFile(context.Background(), msg.Conv, msg.Seq); err != nil {
		t.Fatal(err)
	}
	st := wang.waitFor("the download", func(st state.State) bool {
		return transferIn(st, state.Download, func(tr state.Transfer) bool { return tr.State == state.TransferDone })
	})
	tr := st.Transfers[slices.IndexFunc(st.Transfers, func(tr state.Transfer) bool { return tr.Direction == state.Download })]
	wang.ViewFull(msg.File.ID, tr.ID)
	st = wang.waitFor("the full picture", func(st state.State) bool { return st.Thumbs[msg.File.ID] != nil })
	if b := st.Thumbs[msg.File.ID].Bounds(); b.Dx() != 1600 || b.Dy() != 1200 {
		t.Fatalf("full picture of %v", b)
	}
	// Over half the memory bound it is scaled down to fit, not dropped.
	a := wang.account()
	a.thumbs.mu.Lock()
	a.thumbs.max = 1_000_000 * 4 // a full picture gets 500,000 pixels at most
	a.thumbs.mu.Unlock()
	other := sendPNG(t, li, wang, 2000, 1000, color.NRGBA{R: 90, A: 255})
	if err := wang.SaveFile(context.Background(), other.Conv, other.Seq); err != nil {
		t.Fatal(err)
	}
	st = wang.waitFor("the second download", func(st state.State) bool {
		return transferIn(st, state.Download, func(tr state.Transfer) bool { return tr.State == state.TransferDone && tr.FileID == other.File.ID })
	})
	i := slices.IndexFunc(st.Transfers, func(tr state.Transfer) bool { return tr.FileID == other.File.ID })
	wang.ViewFull(other.File.ID, st.Transfers[i].ID)
	st = wang.waitFor("the large picture, scaled", func(st state.State) bool { return st.Thumbs[other.File.ID] != nil })
	if b := st.Thumbs[other.File.ID].Bounds(); b.Dx()*b.Dy() > 500_000 || b.Dx() != 2*b.Dy() {
		t.Fatalf("a 2000 × 1000 picture under a 500,000-pixel bound shows at %v", b.Size())
	}
	wang.ViewFull("other", "no-such-transfer")
	wang.waitFor("a transfer that is not there fails", func(st state.State) bool { return st.ThumbsFailed["other"] })
}

// The decoded pictures stay within the memory bound: the least recently
// asked for leaves State.Thumbs, and comes back when asked for again.
func TestDecodedPicturesAreBoundedLeastRecentFirst(t *testing.T) {
	srv := nodetest.Start(t)
	li, wang := filesPair(t, srv, t.TempDir())
	a := wang.account()
	a.thumbs.mu.Lock()
	a.thumbs.max = 2 * 100 * 100 * 4 // two 100 × 100 pictures
	a.thumbs.mu.Unlock()
	var ids []string
	for i := range 3 {
		ids = append(ids, sendPNG(t, li, wang, 100, 100, color.NRGBA{R: uint8(50 * i), A: 255}).File.ID)
	}
	for i, id := range ids {
		wang.WantThumb(id)
		wang.waitFor(fmt.Sprint("picture ", i), func(st state.State) bool { return st.Thumbs[id] != nil })
	}
	st := wang.State()
	if st.Thumbs[ids[0]] != nil || len(st.Thumbs) != 2 {
		t.Fatalf("over the bound: %d pictures held, the first one %v", len(st.Thumbs), st.Thumbs[ids[0]] != nil)
	}
	wang.WantThumb(ids[0])
	st = wang.waitFor("the first again", func(st state.State) bool { return st.Thumbs[ids[0]] != nil })
	if st.Thumbs[ids[1]] != nil || st.Thumbs[ids[2]] == nil {
		t.Fatal("the least recent one was not the one dropped")
	}
}

func TestTheLRUDropsTheLeastRecentlyUsed(t *testing.T) {
	var c lru
	img := image.NewRGBA(image.Rect(0, 0, 1, 1))
	for _, id := range []string{"a", "b", "c"} {
		if d := c.put(id, img, 10, 30); d != nil {
			t.Fatalf("dropped %q within the bound", d)
		}
	}
	c.get("a") // a is the most recent now: b goes first
	if d := c.put("d", img, 10, 30); !slices.Equal(d, []string{"b"}) {
		t.Fatalf("dropped %q, want b", d)
	}
	if d := c.put("big", img, 40, 30); !slices.Equal(d, []string{"c", "a", "d", "big"}) {
		t.Fatalf("dropped %q, want everything (the big one does not fit alone)", d)
	}
	if c.size != 0 || len(c.at) != 0 {
		t.Fatalf("left %d bytes in %d entries", c.size, len(c.at))
	}
	c.put("x", img, 10, 30)
	c.put("x", img, 20, 30) // replaced, not counted twice
	if c.size != 20 {
		t.Fatalf("size %d after replacing, want 20", c.size)
	}
}
