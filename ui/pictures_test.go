package ui_test

import (
	"fmt"
	"image"
	"slices"
	"testing"

	"gioui.org/f32"
	"gioui.org/io/key"
	"gioui.org/io/pointer"

	"parley/app/state"
	"parley/ui"
	"parley/ui/uitest"
)

// withoutKinds drops the events that are not of the pictures (drafts and
// the like).
func pictureEvents(evs []ui.Event) []ui.Event {
	var out []ui.Event
	for _, e := range evs {
		switch e.(type) {
		case ui.WantThumb, ui.ViewFull, ui.SaveFile, ui.ShowInFolder:
			out = append(out, e)
		}
	}
	return out
}

// tallWindow is a window where the three pictures fit.
var tallWindow = image.Pt(1200, 1200)

// bounds are where the pictures and captions are drawn.
func pictureBounds(t *testing.T, d *uitest.Driver) map[string]image.Rectangle {
	t.Helper()
	out := map[string]image.Rectangle{}
	for _, s := range []string{"Picture 西湖 sunset.jpg", "Picture IMG_2041.jpg", "Picture favicon.png", "our new icon"} {
		n, ok := d.Find(s)
		if !ok {
			t.Fatalf("%q is not on screen; have %q", s, d.Texts())
		}
		out[s] = n.Visible
	}
	return out
}

func TestAPictureReservesItsHeightBeforeItsThumbnailArrives(t *testing.T) {
	d := newDriver(t, ui.English, tallWindow)
	st := uitest.Pictures()
	d.Frame(st)
	d.Frame(st)
	asked := pictureEvents(d.Take())
	for _, id := range []string{"s-lake", "s-tower", "s-icon"} {
		if !slices.Contains(asked, ui.Event(ui.WantThumb{ID: id})) {
			t.Errorf("thumbnail %s not asked for: %#v", id, asked)
		}
	}
	if len(asked) != 3 {
		t.Errorf("asked %#v: once each, in two frames", asked)
	}
	before := pictureBounds(t, d)
	st.Thumbs = uitest.PictureThumbs()
	d.Frame(st)
	d.Frame(st)
	after := pictureBounds(t, d)
	for k, r := range before {
		if after[k] != r {
			t.Errorf("%s moved from %v to %v when the thumbnails arrived", k, r, after[k])
		}
	}
	if evs := pictureEvents(d.Take()); len(evs) != 0 {
		t.Errorf("with the thumbnails there, asked %#v", evs)
	}
	// The landscape photo keeps its 4:3, the portrait one its 9:16 within
	// the height bound, the tiny icon grows to the least size.
	lake, tower, icon := after["Picture 西湖 sunset.jpg"], after["Picture IMG_2041.jpg"], after["Picture favicon.png"]
	if lake.Dx() != 320 || lake.Dy() != 240 {
		t.Errorf("the 4000 × 3000 photo is %v, want 320 × 240", lake.Size())
	}
	if tower.Dy() != 320 || tower.Dx() != 180 {
		t.Errorf("the 1080 × 1920 photo is %v, want 180 × 320", tower.Size())
	}
	if icon.Dx() != 96 || icon.Dy() != 96 {
		t.Errorf("the 24 × 24 icon is %v, want 96 × 96", icon.Size())
	}
	// Thumbnails dropped from memory (a new map without them) are asked
	// for again.
	st.Thumbs = state.Thumbs{}
	d.Frame(st)
	if evs := pictureEvents(d.Take()); len(evs) != 3 {
		t.Errorf("after the thumbnails were dropped, asked %#v", evs)
	}
}

func TestPictureBoxesKeepTheAspectWithinBounds(t *testing.T) {
	for _, c := range []struct {
		w, h, maxW int
		px         float32
		want       image.Point
	}{
		{4000, 3000, 600, 1, image.Pt(320, 240)},
		{4000, 3000, 200, 1, image.Pt(200, 150)},  // a narrow window
		{4000, 3000, 1200, 2, image.Pt(640, 480)}, // at 2 px a dp
		{200, 100, 600, 1, image.Pt(200, 100)},    // never larger than its pixels
		{10, 5, 600, 1, image.Pt(96, 48)},         // a tiny one grows
		{10000, 100, 600, 1, image.Pt(320, 40)},   // a thin strip is cropped
		{0, 0, 600, 1, image.Pt(96, 96)},          // no size: a square
		{1080, 1920, 600, 1.5, image.Pt(270, 480)},
	} {
		if got := ui.PictureBox(c.w, c.h, c.maxW, c.px); got != c.want {
			t.Errorf("%d × %d in %d px at %v: %v, want %v", c.w, c.h, c.maxW, c.px, got, c.want)
		}
	}
}

func TestAPictureWhoseThumbnailFailedShowsItsFileCard(t *testing.T) {
	d := newDriver(t, ui.Chinese, desktop)
	st := uitest.Pictures()
	st.ThumbsFailed = state.ThumbsFailed{"s-lake": true}
	d.Frame(st)
	if _, ok := d.Find("图片 西湖 sunset.jpg"); ok {
		t.Fatal("a picture whose thumbnail failed still shows as a picture")
	}
	onScreen(t, d, "西湖 sunset.jpg")
	onScreen(t, d, "4.81 MB")
	onScreen(t, d, "图片 IMG_2041.jpg")
}

// openViewer draws the Pictures fixture with thumbnails and clicks the
// lake photo.
func openViewer(t *testing.T, lang ui.Lang, st state.State) *uitest.Driver {
	t.Helper()
	d := newDriver(t, lang, tallWindow)
	st.Thumbs = uitest.PictureThumbs()
	d.Frame(st)
	d.Take()
	picture := "Picture 西湖 sunset.jpg"
	if lang == ui.Chinese {
		picture = "图片 西湖 sunset.jpg"
	}
	must(t, d.Click(picture))
	d.Frame(st)
	d.Frame(st)
	if open, seq := d.UI.ViewerOpen(); !open || seq != 14 {
		t.Fatalf("the viewer: open %v on %d, want the lake photo (14)", open, seq)
	}
	return d
}

func TestTheViewersKeys(t *testing.T) {
	d := openViewer(t, ui.English, uitest.Pictures())
	// Not saved yet: it downloads the full file as Save does.
	if evs := pictureEvents(d.Take()); !slices.Contains(evs, ui.Event(ui.SaveFile{Conv: uitest.StudyGroup, Seq: 14})) {
		t.Errorf("opening gave %#v, want the download of the full file", evs)
	}
	onScreen(t, d, "1 of 3 · 王芳")
	press := func(name key.Name, mods key.Modifiers) {
		t.Helper()
		d.Press(name, mods)
		d.Frame(d.State)
	}
	press(key.NameRightArrow, 0)
	if _, seq := d.UI.ViewerOpen(); seq != 15 {
		t.Fatalf("Right went to %d, want 15", seq)
	}
	onScreen(t, d, "2 of 3 · 李华")
	press(key.NameRightArrow, 0)
	press(key.NameRightArrow, 0) // the last: stays
	if _, seq := d.UI.ViewerOpen(); seq != 16 {
		t.Fatalf("Right twice went to %d, want 16 (the last)", seq)
	}
	press(key.NameLeftArrow, 0)
	press(key.NameLeftArrow, 0)
	press(key.NameLeftArrow, 0) // the first: stays
	if _, seq := d.UI.ViewerOpen(); seq != 14 {
		t.Fatalf("Left went to %d, want 14", seq)
	}
	zoom := func() float32 { z, _ := ui.ViewerZoom(d.UI); return z }
	press("+", key.ModShift)
	if z := zoom(); z != 1.25 {
		t.Fatalf("+ zoomed to %v, want 1.25", z)
	}
	press("=", 0)
	press("-", 0)
	if z := zoom(); z != 1.25 {
		t.Fatalf("= then - left %v, want 1.25", z)
	}
	press("0", 0)
	if z, off := ui.ViewerZoom(d.UI); z != 1 || off != (f32.Point{}) {
		t.Fatalf("0 left zoom %v, pan %v; want fitted", z, off)
	}
	press("-", 0)
	press("F", 0)
	if z := zoom(); z != 1 {
		t.Fatalf("F left zoom %v, want 1", z)
	}
	// The wheel zooms in (scrolling up) and out; a drag pans.
	centre := image.Pt(tallWindow.X/2, tallWindow.Y/2)
	d.Scroll(centre, -120)
	d.Frame(d.State)
	if z := zoom(); z <= 1 {
		t.Fatalf("the wheel up left zoom %v", z)
	}
	d.Drag(centre, centre.Add(image.Pt(100, 40)))
	d.Frame(d.State)
	if _, off := ui.ViewerZoom(d.UI); off.X < 99 || off.Y < 39 {
		t.Fatalf("a drag of (100, 40) panned %v", off)
	}
	d.Scroll(centre, 240)
	d.Frame(d.State)
	if z := zoom(); z >= 1 {
		t.Fatalf("the wheel down left zoom %v", z)
	}
	press(key.NameEscape, 0)
	if open, _ := d.UI.ViewerOpen(); open {
		t.Fatal("Esc left the viewer open")
	}
	// Esc closed only the viewer: the conversation is still open.
	if evs := d.Take(); slices.ContainsFunc(evs, func(e ui.Event) bool { _, ok := e.(ui.Open); return ok }) {
		t.Fatalf("Esc also did %#v", evs)
	}
}

func TestTheViewerShowsTheSavedFileAndItsButtonsWork(t *testing.T) {
	st := uitest.Pictures()
	st.Transfers = []state.Transfer{{ID: "t-lake", Direction: state.Download, Conv: uitest.StudyGroup, Name: uitest.Lake.Name,
		Size: uitest.Lake.Size, Done: uitest.Lake.Size, ETA: -1, State: state.TransferDone, Path: "/home/lihua/Downloads/西湖 sunset.jpg", FileID: uitest.Lake.ID}}
	d := openViewer(t, ui.Chinese, st)
	evs := pictureEvents(d.Take())
	if !slices.Contains(evs, ui.Event(ui.ViewFull{File: "f-lake", Transfer: "t-lake"})) || slices.ContainsFunc(evs, func(e ui.Event) bool { _, ok := e.(ui.SaveFile); return ok }) {
		t.Fatalf("opening a saved picture gave %#v, want its full picture and no download", evs)
	}
	onScreen(t, d, "正在加载原图…")
	wantEvents(t, "保存图片", pictureEvents(step(t, d, "保存图片")), ui.ShowInFolder{ID: "t-lake"})
	step(t, d, "复制")
	if _, data, ok := d.Router.WriteClipboard(); !ok || string(data) != "/home/lihua/Downloads/西湖 sunset.jpg" {
		t.Fatalf("Copy wrote %q (%v)", data, ok)
	}
	onScreen(t, d, "已复制文件位置")
	step(t, d, "下一张")
	if _, seq := d.UI.ViewerOpen(); seq != 15 {
		t.Fatalf("下一张 went to %d", seq)
	}
	step(t, d, "放大")
	if z, _ := ui.ViewerZoom(d.UI); z != 1.25 {
		t.Fatalf("放大 zoomed to %v", z)
	}
	step(t, d, "关闭图片查看器")
	if open, _ := d.UI.ViewerOpen(); open {
		t.Fatal("关闭 left the viewer open")
	}
}

func TestTheViewerShowsTheDownloadsProgress(t *testing.T) {
	st := uitest.Pictures()
	st.Transfers = []state.Transfer{{ID: "t-lake", Direction: state.Download, Conv: uitest.StudyGroup, Name: uitest.Lake.Name,
		Size: uitest.Lake.Size, Done: uitest.Lake.Size / 2, ETA: -1, State: state.TransferActive, FileID: uitest.Lake.ID}}
	d := openViewer(t, ui.English, st)
	if evs := pictureEvents(d.Take()); slices.ContainsFunc(evs, func(e ui.Event) bool { _, ok := e.(ui.SaveFile); return ok }) {
		t.Fatalf("a second download started: %#v", evs)
	}
	onScreenContaining(t, d, "Saving · 50%")
}

func picked(id uint64, files ...state.PickedFile) state.State {
	st := uitest.Pictures()
	st.Picked = &state.Picked{ID: id, Conv: int64(uitest.StudyGroup), Files: files}
	return st
}

func TestThePreviewSendsThePicturesWithTheCaptionTyped(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	lake := uitest.PictureThumbs()["l-lake"]
	st := picked(1, state.PickedFile{Name: "lake.jpg", Size: 4_812_000, Preview: lake, Width: 4000, Height: 3000})
	d.Frame(st)
	d.Frame(st)
	onScreen(t, d, "Send a picture")
	onScreen(t, d, "lake.jpg · 4.81 MB")
	if _, ok := d.Find("The caption goes with the first picture"); ok {
		t.Error("the note about the first picture shows for one picture")
	}
	// The caption field has the focus.
	d.Type("西湖 at dusk")
	d.Frame(st)
	d.Press(key.NameReturn, 0)
	d.Frame(st)
	wantEvents(t, "Enter", sendEvents(d.Take()), ui.SendPictures{Caption: "西湖 at dusk"})
	d.Frame(st) // the model has not closed it yet: it is gone anyway
	if _, ok := d.Find("Send a picture"); ok {
		t.Fatal("the preview stays after Send")
	}
	// The next pick shows with an empty caption; Send sends it.
	st = picked(2, state.PickedFile{Name: "lake.jpg", Size: 4_812_000, Preview: lake, Width: 4000, Height: 3000})
	d.Frame(st)
	if got := fieldText(d, "Caption"); got != "" {
		t.Fatalf("the next preview's caption holds %q", got)
	}
	// Two buttons say Send: the composer's, under the preview, and the
	// preview's, drawn last.
	var send image.Rectangle
	for _, n := range d.Screen() {
		if n.Desc.Label == "Send" || n.Desc.Description == "Send" {
			send = n.Visible
		}
	}
	d.ClickAt(send.Min.Add(send.Max).Div(2))
	d.Frame(st)
	wantEvents(t, "Send", sendEvents(d.Take()), ui.SendPictures{})
}

func TestThePreviewOfSeveralFilesCancelsWithTheButtonOrEsc(t *testing.T) {
	d := newDriver(t, ui.Chinese, desktop)
	th := uitest.PictureThumbs()
	files := []state.PickedFile{
		{Name: "lake.jpg", Size: 4_812_000, Preview: th["l-lake"], Width: 4000, Height: 3000},
		{Name: "tower.jpg", Size: 2_204_000, Preview: th["l-tower"], Width: 1080, Height: 1920},
		{Name: "notes.pdf", Size: 120_000},
	}
	st := picked(1, files...)
	d.Frame(st)
	onScreen(t, d, "发送 3 个文件")
	onScreen(t, d, "notes.pdf")
	onScreen(t, d, "说明随第一张图片发送")
	wantEvents(t, "取消", sendEvents(step(t, d, "取消")), ui.SendPictures{Cancel: true})
	// Many files: five lines, the buttons still on screen.
	var many []state.PickedFile
	for i := range 12 {
		many = append(many, state.PickedFile{Name: fmt.Sprintf("scan-%02d.pdf", i), Size: 1000})
	}
	st = picked(9, many...)
	d.Frame(st)
	onScreen(t, d, "scan-03.pdf")
	onScreen(t, d, "还有 8 个")
	if _, ok := d.Find("scan-04.pdf"); ok {
		t.Error("the preview lists more than five lines")
	}
	wantEvents(t, "取消 under many files", sendEvents(step(t, d, "取消")), ui.SendPictures{Cancel: true})
	st = picked(2, files...)
	d.Frame(st)
	d.Frame(st)
	d.Press(key.NameEscape, 0)
	d.Frame(st)
	wantEvents(t, "Esc", sendEvents(d.Take()), ui.SendPictures{Cancel: true})
	if _, ok := d.Find("发送 3 个文件"); ok {
		t.Fatal("the preview stays after Esc")
	}
}

func sendEvents(evs []ui.Event) []ui.Event {
	var out []ui.Event
	for _, e := range evs {
		if _, ok := e.(ui.SendPictures); ok {
			out = append(out, e)
		}
	}
	return out
}

// Two fingers spreading zoom the viewer by the ratio of their distances;
// one finger pans.
func TestPinchingZoomsTheViewer(t *testing.T) {
	d := openViewer(t, ui.English, uitest.Pictures())
	touch := func(kind pointer.Kind, id pointer.ID, x, y float32) pointer.Event {
		return pointer.Event{Kind: kind, Source: pointer.Touch, PointerID: id, Position: f32.Pt(x, y)}
	}
	// Around the middle of the picture (the area is below the bar).
	d.Router.Queue(
		touch(pointer.Press, 1, 500, 600),
		touch(pointer.Press, 2, 700, 600),
		touch(pointer.Move, 2, 800, 600),
		touch(pointer.Move, 1, 400, 600), // 200 px apart, now 400
	)
	d.Frame(d.State)
	if z, _ := ui.ViewerZoom(d.UI); z < 1.99 || z > 2.01 {
		t.Fatalf("spreading two fingers from 200 to 400 px zoomed to %v, want 2", z)
	}
	d.Router.Queue(
		touch(pointer.Release, 2, 800, 600),
		touch(pointer.Move, 1, 450, 650), // the finger left does not pan
		touch(pointer.Release, 1, 450, 650),
	)
	d.Frame(d.State)
	z, off := ui.ViewerZoom(d.UI)
	d.Router.Queue(
		touch(pointer.Press, 3, 600, 600),
		touch(pointer.Move, 3, 650, 620),
		touch(pointer.Release, 3, 650, 620),
	)
	d.Frame(d.State)
	if z2, off2 := ui.ViewerZoom(d.UI); z2 != z || off2.Sub(off) != f32.Pt(50, 20) {
		t.Fatalf("one finger moved zoom %v → %v, pan by %v; want a pan of (50, 20)", z, z2, off2.Sub(off))
	}
}
