package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"parley/app/model/modeltest"
	"parley/app/state"
	"parley/net/proto"
	"parley/ui/uitest"
)

// mediaPanelScreens fills a group with files through the server binary
// (pictures, slides, notes, sent by three people) and saves the README's
// screenshots of its "Files and media" panel: the files tab (English,
// light) and the pictures tab (Chinese, dark). With a server that makes
// thumbnails the pictures show as a grid; one that does not answer the
// media request leaves the panel the files this device has, saying so.
func mediaPanelScreens(t *testing.T, bin string) {
	srv := startServer(t)
	size := image.Pt(1280, 800)
	dir := t.TempDir()
	me := seedUserAt(t, srv, dir, "李华")
	wang := seedUserAt(t, srv, t.TempDir(), "王芳")
	tom := seedUserAt(t, srv, t.TempDir(), "Tom Baker")
	study := me.group("学习小组 Study Group", wang, tom)
	src := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(src, name)
		must(t, os.WriteFile(p, data, 0o600))
		return p
	}
	slides, _ := modeltest.WriteFile(t, src, "chapter-3-slides.pdf", 2_400_000, 3)
	notes, _ := modeltest.WriteFile(t, src, "meeting-notes.txt", 18_300, 4)
	list, _ := modeltest.WriteFile(t, src, "reading-list.xlsx", 46_000, 5)

	wang.say(study, "白板的照片 👇")
	sendFile(t, wang, study, write("whiteboard.png", picturePNG(t, 1200, 900)))
	sendFile(t, wang, study, slides)
	tom.say(study, "Photos from the library, and the reading list.")
	sendFile(t, tom, study, write("library.jpg", pictureJPEG(t, 1600, 1200)))
	sendFile(t, tom, study, list)
	sendFile(t, me, study, notes)
	me.until("every file", func(st state.State) bool {
		n := 0
		for _, m := range st.Open.Messages {
			if m.File != nil && m.Seq > 0 {
				n++
			}
		}
		return n == 5
	})
	me.m.Close()

	args := func(lang, theme string) []string {
		return []string{"-server", srv, "-data", dir, "-size", fmt.Sprintf("%dx%d", size.X, size.Y), "-lang", lang, "-theme", theme, "-audio", "null"}
	}
	x := startXvfb(t, size)
	a := startWatched(t, bin, x, args("en", "light")...)
	a.click("学习小组 Study Group")
	a.see("meeting-notes.txt", 1)
	a.click("Files and media")
	a.click("Files")
	a.until("the files, newest first", func(sc uitest.Screen) bool {
		notes, ok1 := sc.Find("meeting-notes.txt")
		slides, ok2 := sc.Find("chapter-3-slides.pdf")
		_, ok3 := sc.FindContaining("2.4 MB · 王芳")
		return ok1 && ok2 && ok3 && notes.Visible.Min.Y < slides.Visible.Min.Y
	})
	x.xdo(t, "mousemove", "1200", "780") // off the buttons: no hover in the picture
	save(t, "media-panel.png", settled(t, x))
	a.stop()

	b := startWatched(t, bin, x, args("zh", "dark")...)
	b.click("学习小组 Study Group")
	b.click("文件与媒体")
	b.until("the pictures tab", func(sc uitest.Screen) bool {
		_, tab := sc.Find("图片")
		_, close := sc.Find("关闭文件与媒体")
		return tab && close
	})
	x.xdo(t, "mousemove", "1200", "780")
	save(t, "media-panel-zh.png", settled(t, x))
	b.stop()
}

// sendFile sends the file at path to conv and waits until it is sent.
func sendFile(t *testing.T, s *seeded, conv proto.ConvID, path string) {
	t.Helper()
	ctx := context.Background()
	if st := s.m.State(); st.Open == nil || st.Open.ID != conv {
		must(t, s.m.Open(ctx, conv))
	}
	must(t, s.m.SendFile(ctx, path, ""))
	name := filepath.Base(path)
	s.until("sent: "+name, func(st state.State) bool {
		for _, tr := range st.Transfers {
			if tr.Name == name && tr.State == state.TransferDone {
				return true
			}
		}
		return false
	})
}

// picturePNG is a w×h drawing: coloured bands on a light ground.
func picturePNG(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	must(t, png.Encode(&b, drawing(w, h, 0)))
	return b.Bytes()
}

// pictureJPEG is another w×h drawing, as a JPEG.
func pictureJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	must(t, jpeg.Encode(&b, drawing(w, h, 1), &jpeg.Options{Quality: 80}))
	return b.Bytes()
}

// drawing is a w×h picture of diagonal colour bands (variant v).
func drawing(w, h, v int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	cols := [][3]uint8{{0x2f, 0x6f, 0xd8}, {0xf2, 0xa3, 0x3a}, {0x3f, 0xb5, 0x8a}, {0xe5, 0x5b, 0x5b}}
	for y := range h {
		for x := range w {
			c := cols[((x+y*(1+v))/(w/6)+v)%len(cols)]
			img.SetNRGBA(x, y, color.NRGBA{R: c[0], G: c[1], B: c[2], A: 255})
		}
	}
	return img
}
