package ui_test

import (
	"fmt"
	"image"
	"image/color"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gioui.org/io/key"
	"gioui.org/io/semantic"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui"
	"parley/ui/uitest"
)

// withMedia is the busy group with its files and media panel open on
// kind, holding items.
func withMedia(kind string, items ...state.Message) state.State {
	st := uitest.Busy()
	st.Notices = nil
	st.Media = &state.MediaPanel{Conv: st.Open.ID, Kind: kind, Items: items}
	return st
}

// mediaItem is file message seq of the busy group, sent by Wang Fang:
// a picture, a voice message of seq seconds, or a file.
func mediaItem(seq int64, kind string) state.Message {
	f := &proto.File{ID: fmt.Sprint("f", seq), Name: fmt.Sprintf("slides-%d.pdf", seq), Size: 2_400_000, SHA256: "00"}
	switch kind {
	case proto.MediaPictures:
		f.Name = fmt.Sprintf("photo-%d.jpg", seq)
		f.Image = &proto.Image{Width: 400, Height: 300, Small: fmt.Sprint("s", seq), Large: fmt.Sprint("l", seq)}
	case proto.MediaVoice:
		f.Name, f.Type = "voice.ogg", "audio/ogg"
		f.Voice = &proto.Voice{DurationMS: seq * 1000}
	}
	u := uitest.WangFang
	return state.Message{Message: proto.Message{Conv: uitest.StudyGroup, Seq: seq, Kind: proto.MsgFile, Sender: u.ID, SenderName: u.Name,
		Time: uitest.Now.Add(-2 * 24 * 3600e9).UnixMilli(), File: f}}
}

// nodes are the visible nodes labelled or described s.
func nodes(d *uitest.Driver, s string) []uitest.Node {
	var ns []uitest.Node
	for _, n := range d.Screen() {
		if (n.Desc.Label == s || n.Desc.Description == s) && !n.Visible.Empty() {
			ns = append(ns, n)
		}
	}
	return ns
}

// controlOnRowOf is the control described desc on the row of the text
// label (the nearest in height on screen).
func controlOnRowOf(t *testing.T, d *uitest.Driver, label, desc string) uitest.Node {
	t.Helper()
	ls := nodes(d, label)
	if len(ls) == 0 {
		t.Fatalf("no %q on screen; have %q", label, d.Texts())
	}
	y := (ls[0].Visible.Min.Y + ls[0].Visible.Max.Y) / 2
	var best uitest.Node
	dist := 1 << 30
	for _, n := range nodes(d, desc) {
		dy := (n.Visible.Min.Y+n.Visible.Max.Y)/2 - y
		if n.Control != semantic.Unknown && max(dy, -dy) < dist {
			best, dist = n, max(dy, -dy)
		}
	}
	if dist > 40 {
		t.Fatalf("no %q on the row of %q", desc, label)
	}
	return best
}

func click(d *uitest.Driver, n uitest.Node) { d.ClickAt(n.Visible.Min.Add(n.Visible.Max).Div(2)) }

// frames draws st twice (a click lands in the second).
func frames(d *uitest.Driver, st state.State) []ui.Event {
	evs := d.Frame(st)
	return append(evs, d.Frame(st)...)
}

func TestTheHeaderAndTheMenuOpenTheFilesAndMediaPanel(t *testing.T) {
	st := uitest.Busy()
	st.Notices = nil
	d := uitest.NewDriver(uitest.NewUI(t, ui.English, false), image.Pt(1280, 800))
	frames(d, st)
	d.Take()
	if err := d.Click("Files and media"); err != nil {
		t.Fatal(err)
	}
	frames(d, st)
	if got := d.Take(); !slices.Contains(got, ui.Event(ui.OpenMedia{Conv: st.Open.ID})) {
		t.Fatalf("the header's button: events %#v, want OpenMedia of %d", got, st.Open.ID)
	}
	// The conversation's menu has it too, and closes.
	if err := d.Click("More options"); err != nil {
		t.Fatal(err)
	}
	frames(d, st)
	if _, ok := d.Find("Archive"); !ok {
		t.Fatalf("the menu did not open; have %q", d.Texts())
	}
	var entry uitest.Node
	for _, n := range nodes(d, "Files and media") {
		if n.Control != semantic.Unknown && (entry.Visible.Empty() || n.Visible.Min.Y > entry.Visible.Min.Y) {
			entry = n // the menu's, under the header's button
		}
	}
	click(d, entry)
	frames(d, st)
	if got := d.Take(); !slices.Contains(got, ui.Event(ui.OpenMedia{Conv: st.Open.ID})) {
		t.Fatalf("the menu's entry: events %#v, want OpenMedia of %d", got, st.Open.ID)
	}
	if _, ok := d.Find("Archive"); ok {
		t.Fatal("the menu stayed open")
	}
}

func TestTheMediaPanelsTabsSwitchTheKind(t *testing.T) {
	st := withMedia(proto.MediaPictures, mediaItem(40, proto.MediaPictures), mediaItem(30, proto.MediaPictures))
	d := uitest.NewDriver(uitest.NewUI(t, ui.English, false), image.Pt(1280, 800))
	frames(d, st)
	for _, s := range []string{"Pictures", "Files", "Voice messages", "Close files and media"} {
		if _, ok := d.Find(s); !ok {
			t.Fatalf("no %q in the panel; have %q", s, d.Texts())
		}
	}
	if _, ok := d.Find("Send"); ok {
		t.Fatal("the composer shows under the panel")
	}
	if n := len(nodes(d, fmt.Sprintf("Picture from %s, %s", uitest.WangFang.Name, "10 Mar"))); n != 2 {
		t.Fatalf("%d picture cells, want 2; have %q", n, d.Texts())
	}
	d.Take()
	for _, tc := range []struct {
		tab  string
		want []ui.Event
	}{
		{"Files", []ui.Event{ui.OpenMedia{Conv: st.Open.ID, Kind: proto.MediaFiles}}},
		{"Voice messages", []ui.Event{ui.OpenMedia{Conv: st.Open.ID, Kind: proto.MediaVoice}}},
		{"Pictures", nil}, // the tab shown
	} {
		if err := d.Click(tc.tab); err != nil {
			t.Fatal(err)
		}
		frames(d, st)
		if got := d.Take(); !reflect.DeepEqual(got, tc.want) {
			t.Fatalf("%s: events %#v, want %#v", tc.tab, got, tc.want)
		}
	}
}

func TestAPictureOfThePanelJumpsToItsMessageAndTintsIt(t *testing.T) {
	st := withMedia(proto.MediaPictures, mediaItem(11, proto.MediaPictures))
	st.Media.Thumbs = map[string]image.Image{"s11": solid(40, 30, color.NRGBA{R: 200, A: 255})}
	u := uitest.NewUI(t, ui.English, false)
	d := uitest.NewDriver(u, image.Pt(1280, 800))
	frames(d, st)
	d.Take()
	if err := d.Click(fmt.Sprintf("Picture from %s, %s", uitest.WangFang.Name, "10 Mar")); err != nil {
		t.Fatal(err)
	}
	frames(d, st)
	want := []ui.Event{ui.CloseMedia{}, ui.JumpTo{Conv: st.Open.ID, Seq: 11}}
	if got := d.Take(); !reflect.DeepEqual(got, want) {
		t.Fatalf("events %#v, want %#v", got, want)
	}
	// The panel is gone at once, before the model drops it.
	if _, ok := d.Find("Close files and media"); ok {
		t.Fatal("the panel still shows after the jump")
	}
	if _, ok := d.Find("Also, could we record the call this time?"); !ok {
		t.Fatalf("the messages do not show; have %q", d.Texts())
	}
	// The model closes the panel and names the message: its row is tinted.
	st.Media = nil
	o := *st.Open
	o.Focus, o.FocusGen = 11, 1
	st.Open = &o
	frames(d, st)
	if got := ui.Flashing(u); got != 11 {
		t.Fatalf("tinted %d, want 11", got)
	}
}

func TestEscClosesTheMediaPanel(t *testing.T) {
	st := withMedia(proto.MediaFiles, mediaItem(9, proto.MediaFiles))
	d := uitest.NewDriver(uitest.NewUI(t, ui.English, false), image.Pt(1280, 800))
	frames(d, st)
	d.Take()
	d.Press(key.NameEscape, 0)
	frames(d, st)
	if got := d.Take(); !reflect.DeepEqual(got, []ui.Event{ui.CloseMedia{}}) {
		t.Fatalf("events %#v, want CloseMedia", got)
	}
	if _, ok := d.Find("slides-9.pdf"); ok {
		t.Fatal("the panel still shows after Esc")
	}
	// A second Esc is not the panel's.
	d.Press(key.NameEscape, 0)
	frames(d, st)
	if got := d.Take(); slices.Contains(got, ui.Event(ui.CloseMedia{})) {
		t.Fatalf("events %#v: the panel closed twice", got)
	}
}

func TestTheFilesTabListsFilesWithSaveAndJump(t *testing.T) {
	st := withMedia(proto.MediaFiles, mediaItem(12, proto.MediaFiles), mediaItem(7, proto.MediaFiles))
	d := uitest.NewDriver(uitest.NewUI(t, ui.English, false), image.Pt(1280, 800))
	frames(d, st)
	d.Take()
	if _, ok := d.FindContaining("2.4 MB · " + uitest.WangFang.Name); !ok {
		t.Fatalf("no size and sender under the file; have %q", d.Texts())
	}
	click(d, controlOnRowOf(t, d, "slides-7.pdf", "Save"))
	frames(d, st)
	if got := d.Take(); !reflect.DeepEqual(got, []ui.Event{ui.SaveFile{Conv: st.Open.ID, Seq: 7}}) {
		t.Fatalf("Save: events %#v, want SaveFile of seq 7", got)
	}
	click(d, controlOnRowOf(t, d, "slides-12.pdf", "Show in the conversation"))
	frames(d, st)
	want := []ui.Event{ui.CloseMedia{}, ui.JumpTo{Conv: st.Open.ID, Seq: 12}}
	if got := d.Take(); !reflect.DeepEqual(got, want) {
		t.Fatalf("jump: events %#v, want %#v", got, want)
	}
}

func TestTheVoiceTabShowsSenderAndDuration(t *testing.T) {
	st := withMedia(proto.MediaVoice, mediaItem(42, proto.MediaVoice))
	d := uitest.NewDriver(uitest.NewUI(t, ui.Chinese, true), image.Pt(1280, 800))
	frames(d, st)
	if _, ok := d.FindContaining("语音消息 · 0:42"); !ok {
		t.Fatalf("no duration; have %q", d.Texts())
	}
	if len(nodes(d, uitest.WangFang.Name)) == 0 {
		t.Fatalf("no sender; have %q", d.Texts())
	}
}

func TestTheMediaPanelSaysWhenItIsEmptyOrOnlyThisDevices(t *testing.T) {
	for _, tc := range []struct {
		lang  ui.Lang
		kind  string
		empty string
	}{
		{ui.English, proto.MediaPictures, "No pictures in this conversation yet"},
		{ui.English, proto.MediaFiles, "No files in this conversation yet"},
		{ui.English, proto.MediaVoice, "No voice messages in this conversation yet"},
		{ui.Chinese, proto.MediaPictures, "此会话中还没有图片"},
		{ui.Chinese, proto.MediaVoice, "此会话中还没有语音消息"},
	} {
		st := withMedia(tc.kind)
		d := uitest.NewDriver(uitest.NewUI(t, tc.lang, false), image.Pt(1280, 800))
		frames(d, st)
		if _, ok := d.Find(tc.empty); !ok {
			t.Errorf("%s %s: no %q; have %q", tc.lang, tc.kind, tc.empty, d.Texts())
		}
		st.Media.Loading = true
		frames(d, st)
		if _, ok := d.Find(tc.empty); ok {
			t.Errorf("%s %s: %q while loading", tc.lang, tc.kind, tc.empty)
		}
	}
	st := withMedia(proto.MediaFiles, mediaItem(3, proto.MediaFiles))
	d := uitest.NewDriver(uitest.NewUI(t, ui.English, false), image.Pt(1280, 800))
	frames(d, st)
	if _, ok := d.FindContaining("Only what this device has downloaded"); ok {
		t.Fatal("the note that the list is this device's shows for the server's list")
	}
	st.Media.Local = true
	frames(d, st)
	if _, ok := d.FindContaining("Only what this device has downloaded"); !ok {
		t.Fatalf("no note that the list is only this device's; have %q", d.Texts())
	}
}

func TestTheMediaPanelAsksForTheNextPageOnceAtItsEnd(t *testing.T) {
	var items []state.Message
	for seq := int64(300); seq > 100; seq -= 2 {
		items = append(items, mediaItem(seq, proto.MediaFiles))
	}
	st := withMedia(proto.MediaFiles, items...)
	st.Media.More = true
	d := uitest.NewDriver(uitest.NewUI(t, ui.English, false), image.Pt(1280, 800))
	if evs := frames(d, st); slices.Contains(evs, ui.Event(ui.MoreMedia{})) {
		t.Fatal("the next page was asked for with the end out of view")
	}
	more := 0
	for range 60 {
		d.Scroll(image.Pt(800, 500), 400)
		for _, e := range d.Frame(st) {
			if e == (ui.MoreMedia{}) {
				more++
			}
		}
	}
	if more != 1 {
		t.Fatalf("MoreMedia asked %d times at the end, want once", more)
	}
	// A new page came: at its end, once more.
	st.Media.Items = append(slices.Clone(items), mediaItem(99, proto.MediaFiles))
	more = 0
	for range 20 {
		d.Scroll(image.Pt(800, 500), 400)
		for _, e := range d.Frame(st) {
			if e == (ui.MoreMedia{}) {
				more++
			}
		}
	}
	if more != 1 {
		t.Fatalf("after a page, MoreMedia asked %d times, want once", more)
	}
}

// solid is a w×h picture of one colour.
func solid(w, h int, c color.NRGBA) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

func TestTheMediaPanelIsWordedInBothLanguages(t *testing.T) {
	en, zh := reflect.ValueOf(ui.MediaWords(ui.English)), reflect.ValueOf(ui.MediaWords(ui.Chinese))
	for i := range en.NumField() {
		name := en.Type().Field(i).Name
		if strings.TrimSpace(en.Field(i).String()) == "" || strings.TrimSpace(zh.Field(i).String()) == "" {
			t.Errorf("%s is empty in a language", name)
		}
		if en.Field(i).String() == zh.Field(i).String() {
			t.Errorf("zh-CN %s is the English text %q", name, en.Field(i).String())
		}
	}
}

// The grid fills each cell with its thumbnail, cropped to the centre
// whatever its shape, and shows a placeholder where none came yet.
func TestThePicturesGridFillsItsCellsWithTheThumbnails(t *testing.T) {
	wide, tall, none := mediaItem(30, proto.MediaPictures), mediaItem(20, proto.MediaPictures), mediaItem(10, proto.MediaPictures)
	wide.SenderName, tall.SenderName, none.SenderName = "Wide", "Tall", "None"
	st := withMedia(proto.MediaPictures, wide, tall, none)
	red, blue := color.NRGBA{R: 220, G: 30, B: 30, A: 255}, color.NRGBA{R: 30, G: 60, B: 220, A: 255}
	st.Media.Thumbs = map[string]image.Image{"s30": solid(80, 30, red), "s20": solid(30, 90, blue)}
	d, img := render(t, st, ui.English, false, image.Pt(1280, 800))
	cell := func(who string) image.Rectangle {
		ns := nodes(d, fmt.Sprintf("Picture from %s, %s", who, "10 Mar"))
		if len(ns) == 0 {
			t.Fatalf("no cell of %s; have %q", who, d.Texts())
		}
		return ns[0].Visible
	}
	for _, tc := range []struct {
		who  string
		want color.NRGBA
	}{{"Wide", red}, {"Tall", blue}} {
		r := cell(tc.who)
		if r.Dx() != r.Dy() || r.Dx() < 112 {
			t.Fatalf("%s's cell is %v, want a square of 112 px at least", tc.who, r)
		}
		in := r.Inset(8) // inside the rounded corners
		for _, p := range []image.Point{in.Min, in.Max.Sub(image.Pt(1, 1)), {in.Min.X, in.Max.Y - 1}, {in.Max.X - 1, in.Min.Y}, in.Min.Add(in.Max).Div(2)} {
			if c := img.RGBAAt(p.X, p.Y); absDiff(c.R, tc.want.R)+absDiff(c.G, tc.want.G)+absDiff(c.B, tc.want.B) > 40 {
				t.Fatalf("%s's cell at %v is %v, want its thumbnail's %v all over", tc.who, p, c, tc.want)
			}
		}
	}
	r := cell("None").Inset(8)
	far := func(c color.RGBA, w color.NRGBA) bool {
		return absDiff(c.R, w.R)+absDiff(c.G, w.G)+absDiff(c.B, w.B) > 200
	}
	if c := img.RGBAAt(r.Min.X, r.Min.Y); !far(c, red) || !far(c, blue) {
		t.Fatalf("the cell with no thumbnail is %v: another's thumbnail, not a placeholder", c)
	}
}

// A phone's header leaves the panel to the menu: the title needs the
// room. The panel, once open, has its own ×.
func TestANarrowWindowOpensTheMediaPanelFromTheMenu(t *testing.T) {
	st := uitest.Busy()
	st.Notices = nil
	d := uitest.NewDriver(uitest.NewUI(t, ui.English, false), image.Pt(360, 740))
	frames(d, st)
	if n := len(nodes(d, "Files and media")); n != 0 {
		t.Fatalf("%d \"Files and media\" in the narrow header, want none", n)
	}
	if err := d.Click("More options"); err != nil {
		t.Fatal(err)
	}
	frames(d, st)
	d.Take()
	if err := d.Click("Files and media"); err != nil {
		t.Fatal(err)
	}
	frames(d, st)
	if got := d.Take(); !slices.Contains(got, ui.Event(ui.OpenMedia{Conv: st.Open.ID})) {
		t.Fatalf("events %#v, want OpenMedia", got)
	}
	st = withMedia(proto.MediaFiles, mediaItem(5, proto.MediaFiles))
	frames(d, st)
	if _, ok := d.Find("Close files and media"); !ok {
		t.Fatalf("the narrow panel has no ×; have %q", d.Texts())
	}
}

// The grid asks for the thumbnails of the pictures it shows without one,
// once while the same ones are missing.
func TestThePicturesGridAsksForTheThumbnailsItShows(t *testing.T) {
	var items []state.Message
	for seq := int64(400); seq > 0; seq -= 2 {
		items = append(items, mediaItem(seq, proto.MediaPictures))
	}
	st := withMedia(proto.MediaPictures, items...)
	st.Media.Thumbs = map[string]image.Image{"s400": solid(4, 3, color.NRGBA{A: 255})}
	d := uitest.NewDriver(uitest.NewUI(t, ui.English, false), image.Pt(1280, 800))
	evs := frames(d, st)
	var asks []ui.MediaThumbs
	for _, e := range evs {
		if a, ok := e.(ui.MediaThumbs); ok {
			asks = append(asks, a)
		}
	}
	if len(asks) != 1 || asks[0].Conv != st.Open.ID {
		t.Fatalf("asks %#v, want one for %d", asks, st.Open.ID)
	}
	ids := asks[0].IDs
	if slices.Contains(ids, "s400") || !slices.Contains(ids, "s398") || len(ids) >= len(items)-1 {
		t.Fatalf("asked for %d thumbnails %v: want those in view without one (s398 on, s400 not), not all %d", len(ids), ids, len(items))
	}
	// One came: the rest are asked for again, once.
	st.Media.Thumbs = map[string]image.Image{"s400": st.Media.Thumbs["s400"], "s398": solid(4, 3, color.NRGBA{A: 255})}
	evs = frames(d, st)
	evs = append(evs, frames(d, st)...)
	asks = nil
	for _, e := range evs {
		if a, ok := e.(ui.MediaThumbs); ok {
			asks = append(asks, a)
		}
	}
	if len(asks) != 1 || slices.Contains(asks[0].IDs, "s398") || len(asks[0].IDs) != len(ids)-1 {
		t.Fatalf("after s398 came: asks %#v, want one for the %d others", asks, len(ids)-1)
	}
}
