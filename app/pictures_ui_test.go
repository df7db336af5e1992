package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"testing"

	"gioui.org/io/key"

	"parley/app/model/modeltest"
	"parley/app/state"
	"parley/net/proto"
)

func pngBytes(t *testing.T, w, h int, c color.NRGBA) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Several files chosen at once, one a picture: the preview shows them,
// the caption typed goes with the first, Send sends both in order.
func TestSeveralPickedFilesGoThroughThePreviewWithACaption(t *testing.T) {
	li, wang := twoInAGroup(t)
	photo := pngBytes(t, 800, 600, color.NRGBA{R: 30, G: 120, B: 200, A: 255})
	notes, _ := modeltest.RandomData(50_000, 3)
	picks := []*modeltest.PickedStream{
		modeltest.NewPickedStream(bytes.NewReader(photo), "西湖.png", int64(len(photo))),
		modeltest.NewPickedStream(bytes.NewReader(notes), "notes.pdf", int64(len(notes))),
	}
	li.win.choose = func(_ context.Context, many bool) ([]io.ReadCloser, error) {
		if !many {
			t.Error("the picker was asked for one file to send")
		}
		return []io.ReadCloser{picks[0], picks[1]}, nil
	}
	li.openOnScreen("学习小组")
	li.click("Attach a file")
	li.click("Choose file…")
	li.see("Send 2 files")
	li.see("notes.pdf")
	li.see("The caption goes with the first picture")
	li.typeText("the lake at dusk") // the caption field has the focus
	li.press(key.NameReturn, 0)
	li.until("both sent", func(st state.State) bool {
		done := 0
		for _, tr := range st.Transfers {
			if tr.State == state.TransferDone {
				done++
			}
		}
		return st.Picked == nil && done == 2
	})
	wang.until("both files in the group, in the order picked", func(st state.State) bool {
		for _, c := range st.Conversations {
			if c.Last != nil && c.Last.Kind == proto.MsgFile && c.Last.File.Name == "notes.pdf" {
				return true
			}
		}
		return false
	})
	for _, p := range picks {
		if !p.WasClosed() {
			t.Error("a picked stream was not closed")
		}
	}
}

// Esc in the preview sends nothing.
func TestEscInThePreviewSendsNothing(t *testing.T) {
	li, _ := twoInAGroup(t)
	photo := pngBytes(t, 300, 200, color.NRGBA{G: 160, A: 255})
	pick := modeltest.NewPickedStream(bytes.NewReader(photo), "leaf.png", int64(len(photo)))
	li.win.choose = func(context.Context, bool) ([]io.ReadCloser, error) { return []io.ReadCloser{pick}, nil }
	li.openOnScreen("学习小组")
	li.click("Attach a file")
	li.click("Choose file…")
	li.see("Send a picture")
	li.see("leaf.png · 642 B")
	li.press(key.NameEscape, 0)
	li.until("the preview gone", func(st state.State) bool { return st.Picked == nil })
	if st := li.frame(); len(st.Transfers) != 0 {
		t.Fatalf("Esc sent %+v", st.Transfers)
	}
}
