package ui_test

import (
	"image"
	"reflect"
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
	"parley/ui/uitest"
)

// reactions are the React events among evs.
func reactions(evs []ui.Event) []ui.React {
	var out []ui.React
	for _, ev := range evs {
		if r, ok := ev.(ui.React); ok {
			out = append(out, r)
		}
	}
	return out
}

// openEmojiPicker opens the picker from the menu of the message s.
func openEmojiPicker(t *testing.T, d *uitest.Driver, st state.State, s string) {
	t.Helper()
	rightClick(t, d, s)
	d.Frame(st)
	must(t, d.Click("More reactions"))
	d.Frame(st)
	d.Frame(st) // the field takes the focus
	onScreen(t, d, "Search emoji")
	if _, ok := d.Find("Delete for me"); ok {
		t.Fatal("the menu stays open under the picker")
	}
}

// The menu's "+" opens the picker; typing filters it by name or
// shortcode; a click or Enter on the chosen emoji reacts with it (taking
// mine back if I had it), arrows move the choice, Esc closes.
func TestEmojiPickerFiltersAndReactsByMouseAndKeyboard(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := folded()
	conv := st.Open.ID
	d.Frame(st)

	openEmojiPicker(t, d, st, "周末一起去图书馆吗？") // seq 9, my 👍 on it
	onScreen(t, d, "Smileys & emotion")
	headings := map[image.Rectangle]bool{} // a row may be measured twice
	for _, n := range d.Screen() {
		if n.Desc.Label == "Smileys & emotion" {
			headings[n.Visible] = true
		}
	}
	if len(headings) != 1 {
		t.Fatalf("“Smileys & emotion” heads %d rows, want one heading per group", len(headings))
	}
	d.Type("heart eyes")
	d.Frame(st)
	if _, ok := d.Find("grinning face"); ok {
		t.Fatal("the filter keeps 😀 for “heart eyes”")
	}
	d.Take()
	must(t, d.Click("😍"))
	if got, want := reactions(d.Frame(st)), []ui.React{{Conv: conv, Seq: 9, Emoji: "😍"}}; !slices.Equal(got, want) {
		t.Fatalf("clicking 😍 gave %+v, want %+v", got, want)
	}
	d.Frame(st)
	if _, ok := d.Find("Search emoji"); ok {
		t.Fatal("the picker stays open after a pick")
	}

	// A shortcode, and Enter: my 👍 is taken back.
	openEmojiPicker(t, d, st, "周末一起去图书馆吗？")
	d.Type(":+1:")
	d.Frame(st)
	d.Press(key.NameReturn, 0)
	if got, want := reactions(d.Frame(st)), []ui.React{{Conv: conv, Seq: 9, Emoji: "👍", Remove: true}}; !slices.Equal(got, want) {
		t.Fatalf("Enter on :+1: gave %+v, want %+v", got, want)
	}

	// Arrows: Right moves from the first emoji to the second.
	openEmojiPicker(t, d, st, "Chapter three slides are up")
	d.Press(key.NameRightArrow, 0)
	d.Frame(st)
	d.Press(key.NameReturn, 0)
	if got, want := reactions(d.Frame(st)), []ui.React{{Conv: conv, Seq: 11, Emoji: "😁"}}; !slices.Equal(got, want) {
		t.Fatalf("Right and Enter gave %+v, want %+v", got, want)
	}

	// Nothing matches; then Esc closes without reacting.
	openEmojiPicker(t, d, st, "Chapter three slides are up")
	d.Type("zzqx")
	d.Frame(st)
	onScreen(t, d, "No emoji for “zzqx”")
	d.Take()
	d.Press(key.NameEscape, 0)
	d.Frame(st)
	d.Frame(st)
	if _, ok := d.Find("Search emoji"); ok {
		t.Fatal("Esc leaves the picker open")
	}
	if evs := reactions(d.Take()); len(evs) != 0 {
		t.Fatalf("Esc reacted: %+v", evs)
	}
	// The composer has the focus again.
	d.Type("back to typing")
	d.Frame(st)
	if got := fieldText(d, "Message"); got != "back to typing" {
		t.Fatalf("after the picker closed, typing gave the composer %q", got)
	}
}

func TestEmojiPickerInChinese(t *testing.T) {
	d := newDriver(t, ui.Chinese, desktop)
	st := folded()
	d.Frame(st)
	rightClick(t, d, "周末一起去图书馆吗？")
	d.Frame(st)
	must(t, d.Click("更多表情回应"))
	d.Frame(st)
	for _, s := range []string{"搜索表情", "笑脸与情感"} {
		onScreen(t, d, s)
	}
}

// Every emoji of the picker is one the server takes and the emoji font
// draws; there are a few hundred, and none twice.
func TestEmojiPickerHoldsValidDrawableEmoji(t *testing.T) {
	path, ok := ui.FindEmojiFont()
	if !ok {
		t.Fatalf("no emoji font among %q", ui.EmojiFontFiles())
	}
	face, err := ui.LoadEmojiFont(path)
	if err != nil {
		t.Fatal(err)
	}
	sh := ui.NewShaper(ui.Collection(face), false)
	all := ui.EmojiTable()
	if len(all) < 300 {
		t.Fatalf("the picker has %d emoji, want a few hundred", len(all))
	}
	seen := map[string]bool{}
	for _, e := range all {
		if !proto.IsEmoji(e) {
			t.Errorf("%q (%+q) is not an emoji the server takes", e, e)
		}
		if n := uitest.MissingGlyphs(sh, e); n != 0 {
			t.Errorf("%q (%+q): %d runes without a glyph", e, e, n)
		}
		if seen[e] {
			t.Errorf("%q twice", e)
		}
		seen[e] = true
	}
}

// chipAt is the middle of the reaction chip labelled s.
func chipAt(t *testing.T, d *uitest.Driver, s string) f32.Point {
	t.Helper()
	n, ok := d.Find(s)
	if !ok {
		t.Fatalf("no chip %q; have %q", s, d.Texts())
	}
	c := n.Visible.Min.Add(n.Visible.Max).Div(2)
	return f32.Pt(float32(c.X), float32(c.Y))
}

// Hovering a chip (after a rest) shows who reacted, me as "You"; a long
// press shows it on a touch screen, and does not also press the chip.
func TestWhoReactedShowsOnHoverAndOnLongPress(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := folded()
	d.Frame(st)
	at := chipAt(t, d, "👍 2")
	d.Router.Queue(pointer.Event{Kind: pointer.Move, Source: pointer.Mouse, Position: at})
	d.Frame(st)
	if _, ok := d.Find("👍 王芳, You"); ok {
		t.Fatal("who reacted shows before the pointer rests")
	}
	d.Now = d.Now.Add(time.Second)
	d.Frame(st)
	onScreen(t, d, "👍 王芳, You")
	d.Router.Queue(pointer.Event{Kind: pointer.Move, Source: pointer.Mouse, Position: f32.Pt(1, 1)})
	d.Frame(st)
	if _, ok := d.Find("👍 王芳, You"); ok {
		t.Fatal("who reacted stays after the pointer left")
	}

	at = chipAt(t, d, "❤️ 1")
	d.Router.Queue(pointer.Event{Kind: pointer.Press, Source: pointer.Touch, Buttons: pointer.ButtonPrimary, Position: at})
	d.Frame(st)
	d.Now = d.Now.Add(time.Second)
	d.Frame(st)
	onScreen(t, d, "❤️ 王芳")
	d.Take()
	d.Router.Queue(pointer.Event{Kind: pointer.Release, Source: pointer.Touch, Position: at})
	d.Frame(st)
	d.Frame(st)
	if evs := reactions(d.Take()); len(evs) != 0 {
		t.Fatalf("the long press also pressed the chip: %+v", evs)
	}
	// A short tap still reacts.
	d.Router.Queue(
		pointer.Event{Kind: pointer.Press, Source: pointer.Touch, Buttons: pointer.ButtonPrimary, Position: at},
		pointer.Event{Kind: pointer.Release, Source: pointer.Touch, Position: at},
	)
	if got := reactions(d.Frame(st)); len(got) != 1 || got[0].Emoji != "❤️" {
		t.Fatalf("a tap on ❤️ gave %+v", got)
	}
}

// withMembers is Busy with two more members whose names start like
// "li".
func withMembers() state.State {
	st := uitest.Busy()
	o := *st.Open
	o.Members = append(slices.Clone(o.Members),
		proto.Member{User: proto.User{ID: 4840, Name: "Lin Feng"}}, proto.Member{User: proto.User{ID: 4841, Name: "Li Hua"}})
	st.Open = &o
	return st
}

// sends are the events that send a message among evs.
func sends(evs []ui.Event) []ui.Event {
	var out []ui.Event
	for _, ev := range evs {
		switch ev.(type) {
		case ui.Send, ui.ReplyTo, ui.SendMentioning:
			out = append(out, ev)
		}
	}
	return out
}

// Typing "@li" lists the members it finds (not me); Down and Enter put
// "@Li Hua " in the composer, and the send mentions her.
func TestMentionPickerInsertsTheNameAndTheSendMentions(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := withMembers()
	conv := st.Open.ID
	d.Frame(st)
	d.Frame(st)
	d.Type("@")
	d.Frame(st)
	onScreen(t, d, "Mention a member")
	for _, n := range d.Screen() {
		if n.Desc.Label == "ID 4821" && n.Visible.Min.Y > 400 {
			t.Fatalf("the list offers me; have %q", d.Texts())
		}
	}
	d.Press(key.NameDeleteBackward, 0)
	d.Frame(st)
	d.Type("see you @li")
	d.Frame(st)
	onScreen(t, d, "Lin Feng")
	onScreen(t, d, "Li Hua")
	d.Press(key.NameDownArrow, 0)
	d.Frame(st)
	d.Press(key.NameReturn, 0)
	d.Frame(st)
	d.Frame(st)
	if got := fieldText(d, "Message"); got != "see you @Li Hua " {
		t.Fatalf("the composer holds %q, want %q", got, "see you @Li Hua ")
	}
	if _, ok := d.Find("Mention a member"); ok {
		t.Fatal("the list stays open after the pick")
	}
	if evs := sends(d.Take()); len(evs) != 0 {
		t.Fatalf("Enter in the list sent %+v", evs)
	}
	d.Type("明天见")
	d.Frame(st)
	d.Press(key.NameReturn, 0)
	want := ui.SendMentioning{Conv: conv, Text: "see you @Li Hua 明天见", Mentions: []proto.UserID{4841}}
	if got := sends(d.Frame(st)); !reflect.DeepEqual(got, []ui.Event{want}) {
		t.Fatalf("the send was %#v, want %#v", got, want)
	}
}

// The list finds CJK names; Tab picks too; a click picks; Esc closes it
// and keeps the text; a name taken out of the text before the send is no
// mention.
func TestMentionPickerFiltersClicksClosesAndForgets(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := withMembers()
	conv := st.Open.ID
	d.Frame(st)
	d.Frame(st)
	d.Type("@王")
	d.Frame(st)
	onScreen(t, d, "王芳")
	if _, ok := d.Find("Lin Feng"); ok {
		t.Fatal("“王” finds Lin Feng")
	}
	d.Press(key.NameTab, 0)
	d.Frame(st)
	d.Frame(st)
	if got := fieldText(d, "Message"); got != "@王芳 " {
		t.Fatalf("Tab left %q", got)
	}

	d.Type("and @tom")
	d.Frame(st)
	onScreen(t, d, "Mention a member")
	d.Press(key.NameEscape, 0)
	d.Frame(st)
	d.Frame(st)
	if _, ok := d.Find("Mention a member"); ok {
		t.Fatal("Esc leaves the list open")
	}
	if got := fieldText(d, "Message"); got != "@王芳 and @tom" {
		t.Fatalf("Esc changed the text to %q", got)
	}
	d.Type(" @so")
	d.Frame(st)
	must(t, d.Click("Sofia Rossi"))
	d.Frame(st)
	d.Frame(st)
	if got := fieldText(d, "Message"); got != "@王芳 and @tom @Sofia Rossi " {
		t.Fatalf("the click left %q", got)
	}
	d.Press(key.NameReturn, 0)
	want := ui.SendMentioning{Conv: conv, Text: "@王芳 and @tom @Sofia Rossi", Mentions: []proto.UserID{uitest.WangFang.ID, uitest.Sofia.ID}}
	if got := sends(d.Frame(st)); !reflect.DeepEqual(got, []ui.Event{want}) {
		t.Fatalf("the send was %#v, want %#v", got, want)
	}

	// Picked, then deleted from the text: a plain message.
	d.Frame(st)
	d.Type("@lin")
	d.Frame(st)
	d.Press(key.NameReturn, 0)
	d.Frame(st)
	d.Frame(st)
	d.Press("A", key.ModShortcut)
	d.Frame(st)
	d.Type("never mind")
	d.Frame(st)
	d.Press(key.NameReturn, 0)
	if got := sends(d.Frame(st)); !reflect.DeepEqual(got, []ui.Event{ui.Send{Conv: conv, Text: "never mind"}}) {
		t.Fatalf("the send was %#v, want a plain message", got)
	}
}

// An unread mention shows "@" by the conversation's unread count.
func TestTheUnreadBadgeShowsAnUnreadMention(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Busy()
	d.Frame(st)
	if _, ok := d.Find("@"); ok {
		t.Fatal("“@” shows with no mention")
	}
	st.Conversations = slices.Clone(st.Conversations)
	c := &st.Conversations[2] // Project Parley, 5 unread
	c.MentionUnread = true
	d.Frame(st)
	n := onScreenNode(t, d, "@")
	five := onScreenNode(t, d, "5")
	if n.Visible.Max.X > five.Visible.Min.X || n.Visible.Min.Y > five.Visible.Max.Y || n.Visible.Max.Y < five.Visible.Min.Y {
		t.Fatalf("“@” at %v is not just before the count 5 at %v", n.Visible, five.Visible)
	}
	if !strings.Contains(strings.Join(d.Texts(), "|"), "Project Parley") {
		t.Fatal("the row is gone")
	}
}
