package ui_test

import (
	"image"
	"image/color"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"gioui.org/f32"
	"gioui.org/io/key"
	"gioui.org/io/pointer"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui"
	"parley/ui/markup"
	"parley/ui/uitest"
)

// withTexts is the busy group holding just these messages from Tom, each
// with the mentions given ("@Name" in its text).
func withTexts(texts []string, mentions ...[]proto.UserID) state.State {
	st := uitest.Busy()
	o := *st.Open
	o.Messages = nil
	for i, s := range texts {
		m := state.Message{Message: proto.Message{Conv: o.ID, Seq: int64(100 + i), Sender: uitest.Tom.ID, SenderName: uitest.Tom.Name,
			Time: uitest.Now.UnixMilli() - int64(len(texts)-i)*60_000, Kind: proto.MsgText, Text: s}}
		if i < len(mentions) {
			m.Mentions = mentions[i]
		}
		o.Messages = append(o.Messages, m)
	}
	last := o.Messages[len(o.Messages)-1].Message
	o.Last, o.HasOlder, o.Revision = &last, false, o.Revision+1
	o.Members = []proto.Member{{User: uitest.LiHua}, {User: uitest.WangFang}, {User: uitest.Tom}}
	st.Open = &o
	return st
}

// textNode finds the message whose shown text is s.
func textNode(t *testing.T, d *uitest.Driver, s string) uitest.Node {
	t.Helper()
	n, ok := d.Find(s)
	if !ok {
		t.Fatalf("%q is not on screen; have %q", s, d.Texts())
	}
	return n
}

func TestFormattedMessageShowsItsTextWithoutMarkers(t *testing.T) {
	in := "**bold** *italic* `code` ok"
	want := []markup.Span{{Text: "bold", Style: markup.Bold}, {Text: " "}, {Text: "italic", Style: markup.Italic}, {Text: " "},
		{Text: "code", Style: markup.Code}, {Text: " ok"}}
	if got := markup.Parse(in); !slices.Equal(got, want) {
		t.Fatalf("Parse(%q) = %v, want %v", in, got, want)
	}
	st := withTexts([]string{in, "bold italic code ok"})
	d, img := render(t, st, ui.English, false, desktop)
	styled := textNode(t, d, "bold italic code ok") // the first of the two
	plain := d.Screen()
	var plainNode uitest.Node
	found := 0
	for _, n := range plain {
		if n.Desc.Label == "bold italic code ok" {
			found++
			plainNode = n
		}
	}
	if found != 2 {
		t.Fatalf("want the formatted and the plain message both shown as %q, found %d", "bold italic code ok", found)
	}
	// The same words, styled: bold and mono are wider, and the code
	// has a background.
	if styled.Visible.Dx() <= plainNode.Visible.Dx() {
		t.Errorf("the formatted text is %dpx wide, the plain one %dpx: no bold or monospace", styled.Visible.Dx(), plainNode.Visible.Dx())
	}
	// Antialiased text has a few pixels of any grey; a background has
	// many.
	codeBg := over(withAlphaT(ui.LightPalette.Fg, 0x18), ui.LightPalette.Bubble)
	if s, p := near(img, styled.Visible, codeBg), near(img, plainNode.Visible, codeBg); s < 4*p+100 {
		t.Errorf("the code span has no background: %d pixels of it, %d in the plain text", s, p)
	}
}

func TestCodeBlockKeepsItsLines(t *testing.T) {
	in := "look:\n```\nfor {\n    x++\n}\n```\ndone"
	st := withTexts([]string{in})
	d := newDriver(t, ui.English, desktop)
	d.Frame(st)
	n := textNode(t, d, "look:\nfor {\n    x++\n}\ndone")
	// Five lines: the text, three of code, the text.
	if h := n.Visible.Dy(); h < 5*16 {
		t.Fatalf("the message is %dpx high: the code block's lines are not kept", h)
	}
}

func TestClickingALinkOpensIt(t *testing.T) {
	st := withTexts([]string{"see https://example.com/a?b=1 now", "and www.example.org"})
	d := newDriver(t, ui.English, desktop)
	d.Frame(st)
	n := textNode(t, d, "see https://example.com/a?b=1 now")
	p := image.Pt(n.Visible.Min.X+n.Visible.Dx()/2, (n.Visible.Min.Y+n.Visible.Max.Y)/2)
	d.Hover(p)
	d.Frame(st)
	if c := d.Router.Cursor(); c != pointer.CursorPointer {
		t.Errorf("the pointer over a link is %v, want a hand", c)
	}
	d.ClickAt(p)
	d.Frame(st)
	if evs := d.Take(); !slices.Contains(evs, ui.Event(ui.OpenLink{URL: "https://example.com/a?b=1"})) {
		t.Fatalf("clicking the link asked for %#v", evs)
	}
	// A double click opens it once.
	d.ClickAt(image.Pt(n.Visible.Min.X+3, p.Y))
	d.ClickAt(p)
	d.ClickAt(p)
	d.Frame(st)
	if evs := d.Take(); count(evs, ui.OpenLink{URL: "https://example.com/a?b=1"}) != 1 {
		t.Fatalf("a double click on the link asked for %#v, want it opened once", evs)
	}
	// The words around it are no link.
	d.ClickAt(image.Pt(n.Visible.Min.X+3, p.Y))
	d.Frame(st)
	for _, ev := range d.Take() {
		if _, ok := ev.(ui.OpenLink); ok {
			t.Fatalf("clicking the text before the link opened %#v", ev)
		}
	}
	n = textNode(t, d, "and www.example.org")
	d.ClickAt(image.Pt(n.Visible.Max.X-10, (n.Visible.Min.Y+n.Visible.Max.Y)/2))
	d.Frame(st)
	if evs := d.Take(); !slices.Contains(evs, ui.Event(ui.OpenLink{URL: "https://www.example.org"})) {
		t.Fatalf("clicking a www. link asked for %#v", evs)
	}
}

func TestDraggingSelectsTextAndCtrlCCopiesIt(t *testing.T) {
	st := withTexts([]string{"first message", "**Hello** 世界 `and` 😀 more words"})
	d := newDriver(t, ui.English, desktop)
	d.Frame(st)
	shown := "Hello 世界 and 😀 more words"
	n := textNode(t, d, shown)
	y := (n.Visible.Min.Y + n.Visible.Max.Y) / 2
	// All of it: from before the first character past the last.
	d.Drag(image.Pt(n.Visible.Min.X, y), image.Pt(n.Visible.Max.X+20, y))
	d.Frame(st)
	d.Press("C", key.ModShortcut)
	d.Frame(st)
	if _, data, ok := d.Router.WriteClipboard(); !ok || string(data) != shown {
		t.Fatalf("Ctrl+C after selecting the whole text copied %q (%v), want %q", data, ok, shown)
	}
	// The start of it: a proper prefix.
	d.Drag(image.Pt(n.Visible.Min.X, y), image.Pt(n.Visible.Min.X+n.Visible.Dx()/2, y))
	d.Frame(st)
	d.Press("C", key.ModShortcut)
	d.Frame(st)
	_, data, ok := d.Router.WriteClipboard()
	if got := string(data); !ok || got == "" || len(got) >= len(shown) || shown[:len(got)] != got {
		t.Fatalf("Ctrl+C after selecting half the text copied %q (%v), want the start of %q", got, ok, shown)
	}
	// A click (no drag) clears the selection: Ctrl+C copies nothing.
	d.ClickAt(image.Pt(n.Visible.Min.X+5, y))
	d.Frame(st)
	d.Press("C", key.ModShortcut)
	d.Frame(st)
	if _, data, ok := d.Router.WriteClipboard(); ok {
		t.Fatalf("Ctrl+C with nothing selected copied %q", data)
	}
}

func TestContextMenuCopyStillCopiesTheWholeMessage(t *testing.T) {
	in := "**bold** words"
	st := withTexts([]string{in})
	d := newDriver(t, ui.English, desktop)
	d.Frame(st)
	n := textNode(t, d, "bold words")
	d.Router.Queue(pointer.Event{Kind: pointer.Press, Source: pointer.Mouse, Buttons: pointer.ButtonSecondary, Position: fpt(n.Visible.Min.Add(image.Pt(5, 5)))},
		pointer.Event{Kind: pointer.Release, Source: pointer.Mouse, Position: fpt(n.Visible.Min.Add(image.Pt(5, 5)))})
	d.Frame(st)
	d.Frame(st)
	must(t, d.Click("Copy"))
	d.Frame(st)
	if _, data, ok := d.Router.WriteClipboard(); !ok || string(data) != in {
		t.Fatalf("the menu's Copy copied %q (%v), want the message as typed, %q", data, ok, in)
	}
}

func TestAMentionOfMeIsHighlighted(t *testing.T) {
	st := withTexts([]string{"@李华 please look", "@王芳 please look", "@Nobody please look"},
		[]proto.UserID{uitest.LiHua.ID}, []proto.UserID{uitest.WangFang.ID}, nil)
	d, img := render(t, st, ui.English, false, desktop)
	pal := ui.LightPalette
	meBg := over(withAlphaT(pal.Warning, 0x60), pal.Bubble)
	otherBg := over(withAlphaT(pal.Primary, 0x24), pal.Bubble)
	me := textNode(t, d, "@李华 please look")
	other := textNode(t, d, "@王芳 please look")
	nobody := textNode(t, d, "@Nobody please look")
	if n := near(img, me.Visible, meBg); n < 50 {
		t.Errorf("a mention of me has %d pixels of its highlight", n)
	}
	if n := near(img, other.Visible, meBg); n > 0 {
		t.Errorf("a mention of someone else has %d pixels of my highlight", n)
	}
	if n := near(img, other.Visible, otherBg); n < 50 {
		t.Errorf("a mention of someone else has %d pixels of its highlight", n)
	}
	if n := near(img, nobody.Visible, otherBg) + near(img, nobody.Visible, meBg); n > 0 {
		t.Errorf("an @ the message does not mention is highlighted (%d pixels)", n)
	}
}

func fpt(p image.Point) f32.Point { return f32.Pt(float32(p.X), float32(p.Y)) }

func withAlphaT(c color.NRGBA, a uint8) color.NRGBA {
	c.A = uint8(uint16(c.A) * uint16(a) / 255)
	return c
}

// over is c drawn over an opaque bg, blended in linear light as Gio
// does.
func over(c, bg color.NRGBA) color.NRGBA {
	lin := func(v uint8) float64 {
		f := float64(v) / 255
		if f <= 0.04045 {
			return f / 12.92
		}
		return math.Pow((f+0.055)/1.055, 2.4)
	}
	srgb := func(f float64) uint8 {
		if f <= 0.0031308 {
			f *= 12.92
		} else {
			f = 1.055*math.Pow(f, 1/2.4) - 0.055
		}
		return uint8(math.Round(f * 255))
	}
	a := float64(c.A) / 255
	mix := func(x, y uint8) uint8 { return srgb(lin(x)*a + lin(y)*(1-a)) }
	return color.NRGBA{R: mix(c.R, bg.R), G: mix(c.G, bg.G), B: mix(c.B, bg.B), A: 0xff}
}

// near counts the pixels of box within a small distance of c.
func near(img *image.RGBA, box image.Rectangle, c color.NRGBA) int {
	n := 0
	box = box.Intersect(img.Bounds())
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			p := img.RGBAAt(x, y)
			if absDiff(p.R, c.R)+absDiff(p.G, c.G)+absDiff(p.B, c.B) <= 6 {
				n++
			}
		}
	}
	return n
}

// An edit that arrives with a drag over the old text selects in the new
// text only.
func TestAnEditDuringADragSelectsOnlyTheNewText(t *testing.T) {
	old := "a long message that the sender will shorten in a moment"
	st := withTexts([]string{old})
	d := newDriver(t, ui.English, desktop)
	d.Frame(st)
	n := textNode(t, d, old)
	y := (n.Visible.Min.Y + n.Visible.Max.Y) / 2
	o := *st.Open
	o.Messages = slices.Clone(o.Messages)
	o.Messages[0].Text, o.Messages[0].Edited = "short", uitest.Now.UnixMilli()
	o.Revision++
	edited := st
	edited.Open = &o
	d.Drag(image.Pt(n.Visible.Min.X, y), image.Pt(n.Visible.Max.X+20, y))
	d.Frame(edited)
	d.Press("C", key.ModShortcut)
	d.Frame(edited)
	if _, data, ok := d.Router.WriteClipboard(); ok && !strings.Contains("short", string(data)) {
		t.Fatalf("Ctrl+C copied %q, which the message no longer says", data)
	}
}

// Message texts are no stops for Tab (only one holding a selection takes
// the focus): going round from the composer takes as many presses with
// messages on screen as without.
func TestMessageTextsAreNoTabStops(t *testing.T) {
	round := func(st state.State) int {
		d := newDriver(t, ui.English, desktop)
		d.Frame(st)
		must(t, d.Click("Message"))
		d.Frame(st)
		d.Type("x")
		d.Frame(st)
		for n := 1; n <= 200; n++ {
			d.Tab(false)
			d.Frame(st)
			if r := d.Router.EditorState().Selection.Range; r.Start == 1 && r.End == 1 { // the caret after "x"
				return n
			}
		}
		t.Fatal("Tab never came back to the composer")
		return 0
	}
	with := withTexts([]string{"one", "two **three**", "see https://example.com", "four"})
	without := withTexts([]string{"one"})
	without.Open.Messages = without.Open.Messages[:0]
	if a, b := round(with), round(without); a != b {
		t.Fatalf("Tab goes round in %d presses with four messages, in %d without: the messages are stops", a, b)
	}
}

func TestDoubleClickSelectsAWordAndTripleClickALine(t *testing.T) {
	st := withTexts([]string{"Hello 世界 and words\nsecond line"})
	d := newDriver(t, ui.English, desktop)
	d.Frame(st)
	n := textNode(t, d, "Hello 世界 and words\nsecond line")
	p := image.Pt(n.Visible.Min.X+8, n.Visible.Min.Y+8) // in "Hello"
	copied := func() string {
		t.Helper()
		d.Press("C", key.ModShortcut)
		d.Frame(st)
		_, data, _ := d.Router.WriteClipboard()
		return string(data)
	}
	d.ClickAt(p)
	d.ClickAt(p)
	d.Frame(st)
	if got := copied(); got != "Hello" {
		t.Fatalf("a double click then Ctrl+C copied %q, want the word %q", got, "Hello")
	}
	d.ClickAt(image.Pt(n.Visible.Max.X-5, n.Visible.Max.Y-5)) // elsewhere: a new series
	d.ClickAt(p)
	d.ClickAt(p)
	d.ClickAt(p)
	d.Frame(st)
	if got := copied(); got != "Hello 世界 and words" {
		t.Fatalf("a triple click then Ctrl+C copied %q, want the line", got)
	}
}

// Colour emoji (bitmap glyphs) are drawn in message text, bold too.
func TestEmojiInMessagesAreInColour(t *testing.T) {
	path, ok := ui.FindEmojiFont()
	if !ok {
		t.Fatalf("no emoji font among %q (make test installs fonts-noto-color-emoji)", ui.EmojiFontFiles())
	}
	emoji, err := ui.LoadEmojiFont(path)
	if err != nil {
		t.Fatal(err)
	}
	u := ui.New(ui.Options{Shaper: ui.NewShaper(append(uitest.Fonts(t), emoji), false), Lang: ui.English, Now: func() time.Time { return uitest.Now }, Location: time.UTC})
	d := uitest.NewDriver(u, desktop)
	st := withTexts([]string{"plain 😀 and **bold 🚶**"})
	d.Frame(st)
	d.Frame(st)
	n := textNode(t, d, "plain 😀 and bold 🚶")
	r, err := uitest.NewRenderer(desktop)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	img, err := r.Render(&d.Ops)
	if err != nil {
		t.Fatal(err)
	}
	if c := colourful(img.SubImage(n.Visible).(*image.RGBA)); c < 100 {
		t.Fatalf("%d colourful pixels in the message, want its two emoji in colour", c)
	}
}

func TestPreviewsShowTheTextWithoutItsMarkers(t *testing.T) {
	st := withTexts([]string{"**bold** and *italic*", "answer"})
	o := *st.Open
	o.Messages[1].ReplyTo = o.Messages[0].Seq
	o.Messages[1].Reply = &proto.Quote{Seq: o.Messages[0].Seq, Sender: uitest.Tom.ID, SenderName: uitest.Tom.Name, Text: "**bold** and *italic*"}
	st.Open = &o
	st.Conversations[0].Last = &o.Messages[0].Message
	d := newDriver(t, ui.English, desktop)
	d.Frame(st)
	if _, ok := d.Find(uitest.Tom.Name + ": bold and italic"); !ok {
		t.Errorf("the conversation's preview is not the text shown; have %q", d.Texts())
	}
	quoted := 0
	for _, n := range d.Screen() {
		if n.Desc.Label == "bold and italic" {
			quoted++
		}
	}
	if quoted < 2 { // the message, and the reply's quote of it
		t.Errorf("the reply's quote keeps the markers: %q", d.Texts())
	}
	for _, s := range d.Texts() {
		if strings.Contains(s, "**") {
			t.Errorf("a marker is on screen: %q", s)
		}
	}
}
