package web

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/png"
	"testing"
	"time"

	"gioui.org/io/semantic"

	"parley/net/proto"
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
