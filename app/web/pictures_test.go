package web

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"testing"
	"time"

	"gioui.org/io/semantic"

	"parley/net/client"
	"parley/net/proto"
	"parley/net/transfer"
	"parley/ui/uitest"
)

// dispatchFiles fires a paste event (on Gio's textarea) or a drop event
// (on the page) carrying files: name and base64 content pairs, typed by
// their extension, as the browser does when a person pastes a picture
// or drops files on the page.
const dispatchFiles = `((kind, files) => {
	const dt = new DataTransfer();
	for (const [name, b64] of files) {
		const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
		dt.items.add(new File([bytes], name, {type: name.endsWith(".png") ? "image/png" : "text/plain"}));
	}
	if (kind === "paste") {
		const ta = document.querySelector("textarea") || document.body;
		ta.dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true, cancelable: true}));
	} else {
		document.body.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
		document.body.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
	}
	return "ok";
})(%q, %s)`

func (b *browser) dispatchFiles(kind string, files [][2]string) {
	b.t.Helper()
	list := "["
	for i, f := range files {
		if i > 0 {
			list += ","
		}
		list += fmt.Sprintf("[%q, %q]", f[0], f[1])
	}
	list += "]"
	var r string
	if err := b.dt.eval(ctxFor(b.t, 30*time.Second), fmt.Sprintf(dispatchFiles, kind, list), &r); err != nil || r != "ok" {
		b.fail("%s: %v %q", kind, err, r)
	}
}

// clickPreviewSend clicks the preview's Send: of the two buttons saying
// Send (the composer's is under the preview), the one drawn last.
func (b *browser) clickPreviewSend() {
	b.t.Helper()
	b.clickWhenFound("the preview's Send", func(sc uitest.Screen) (image.Point, error) {
		var send *uitest.Node
		for i, n := range sc {
			if n.Desc.Label == "Send" && n.Control == semantic.Button && !n.Visible.Empty() {
				send = &sc[i]
			}
		}
		if send == nil {
			return image.Point{}, errors.New("no Send")
		}
		return send.Visible.Min.Add(send.Visible.Max).Div(2), nil
	})
}

// A picture pasted into the page, and files dropped on it, wait in the
// preview and go to the open conversation, the caption with the first.
func TestBrowserAppSendsPastedAndDroppedPictures(t *testing.T) {
	srv, b := startWeb(t)
	b.signUp()
	group := b.createGroup()
	tom := srv.NewUser(t, "Tom")
	if _, err := tom.Conn.JoinGroup(ctxFor(t, 60*time.Second), proto.ConvID(group)); err != nil {
		t.Fatal(err)
	}
	var pic bytes.Buffer
	if err := png.Encode(&pic, uitest.Lakeside(64, 48)); err != nil {
		t.Fatal(err)
	}
	photo := base64.StdEncoding.EncodeToString(pic.Bytes())
	b.click("学习小组 Study Group")

	b.dispatchFiles("paste", [][2]string{{"pasted.png", photo}})
	b.see("Send a picture")
	// The caption field has the focus, and the page's text input with it.
	b.typeText("the lake at dusk")
	b.until("the caption typed", func(sc uitest.Screen) bool {
		got, _ := sc.FieldText("Caption")
		return got == "the lake at dusk"
	})
	b.pressEnter()
	tom.Message(t, proto.ConvID(group), func(m proto.Message) bool { return m.File != nil && m.File.Name == "pasted.png" })

	b.dispatchFiles("drop", [][2]string{{"dropped.png", photo}, {"notes.txt", base64.StdEncoding.EncodeToString([]byte("notes"))}})
	b.see("Send 2 files")
	b.clickPreviewSend()
	b.until("the preview sent", func(sc uitest.Screen) bool {
		_, open := sc.Find("Send 2 files")
		_, row := sc.Find("notes.txt") // its transfer row
		return !open && row
	})
	// In the order dropped (Message skips what comes before its match).
	tom.Message(t, proto.ConvID(group), func(m proto.Message) bool { return m.File != nil && m.File.Name == "dropped.png" })
	tom.Message(t, proto.ConvID(group), func(m proto.Message) bool { return m.File != nil && m.File.Name == "notes.txt" })
}

// pictureColour is the colour of Tom's profile picture: no avatar's.
var pictureColour = color.NRGBA{R: 0xe0, G: 0x10, B: 0xe0, A: 0xff}

// pictureShown counts the pixels of the picture's colour left of the
// label name (the avatar beside the sender's name).
func pictureShown(b *browser, name string) int {
	n := b.see(name)
	box := image.Rect(n.Visible.Min.X-80, n.Visible.Min.Y-10, n.Visible.Min.X, n.Visible.Max.Y+40)
	img := b.screenshotImage()
	count := 0
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if dr, dg, db := int(r>>8)-int(pictureColour.R), int(g>>8)-int(pictureColour.G), int(bl>>8)-int(pictureColour.B); dr*dr+dg*dg+db*db < 900 {
				count++
			}
		}
	}
	return count
}

// The browser keeps the pictures it fetched in the page's Cache Storage:
// after a reload with the files service blocked, Tom's profile picture
// still shows beside his message.
func TestBrowserAppShowsCachedPicturesAfterAReload(t *testing.T) {
	srv, b := startWeb(t)
	b.signUp()
	group := b.createGroup()
	tom := srv.NewUser(t, "Tom")
	ctx := ctxFor(t, 60*time.Second)
	if _, err := tom.Conn.JoinGroup(ctx, proto.ConvID(group)); err != nil {
		t.Fatal(err)
	}
	img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	draw.Draw(img, img.Bounds(), &image.Uniform{pictureColour}, image.Point{}, draw.Src)
	var pic bytes.Buffer
	if err := png.Encode(&pic, img); err != nil {
		t.Fatal(err)
	}
	c, err := transfer.New(srv.HTTPURL, func() string { return tom.Token }, transfer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.UploadPicture(ctx, "tom.png", "image/png", pic.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tom.Conn.SetProfile(ctx, proto.SetProfileRequest{Picture: &id}); err != nil {
		t.Fatal(err)
	}
	if _, err := tom.Conn.Send(ctx, proto.ConvID(group), client.NewClientID(), "hello from Tom"); err != nil {
		t.Fatal(err)
	}
	b.click("学习小组 Study Group")
	b.see("hello from Tom")
	b.until("Tom's picture", func(uitest.Screen) bool { return pictureShown(b, "Tom") > 200 })

	b.call("Network.enable", nil)
	b.call("Network.setBlockedURLs", map[string]any{"urls": []string{"*" + transfer.FilesPath + "*"}})
	b.call("Page.reload", nil)
	b.click("学习小组 Study Group")
	b.see("hello from Tom")
	b.until("Tom's picture from the cache", func(uitest.Screen) bool { return pictureShown(b, "Tom") > 200 })
}
