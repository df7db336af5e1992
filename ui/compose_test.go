package ui_test

import (
	"slices"
	"testing"

	"gioui.org/io/key"

	"parley/app/state"
	"parley/ui"
)

// foldedMine is folded() with my message seq 8 not deleted.
func foldedMine() state.State {
	st := folded()
	o := *st.Open
	o.Messages = slices.Clone(o.Messages)
	o.Messages[1].Text, o.Messages[1].Deleted = "有空，我现在打给你\nsecond line", false
	o.Revision++
	st.Open = &o
	return st
}

// Right-click → Reply shows whom Send answers; Enter sends the reply
// with its seq, and the strip goes.
func TestReplyFromTheMenuSendsWithReplyTo(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := foldedMine()
	conv := st.Open.ID
	d.Frame(st)
	d.Frame(st)
	rightClick(t, d, "Chapter three slides are up")
	d.Frame(st)
	must(t, d.Click("Reply"))
	d.Frame(st)
	d.Frame(st)
	onScreen(t, d, "Replying to 王芳: Chapter three slides are up")
	d.Type("thanks")
	d.Frame(st)
	d.Take()
	d.Press(key.NameReturn, 0)
	evs := withoutDrafts(d.Frame(st))
	if want := []ui.Event{ui.ReplyTo{Conv: conv, Seq: 11, Text: "thanks"}}; !slices.Equal(evs, want) {
		t.Fatalf("Enter on a reply gave %#v, want %#v", evs, want)
	}
	d.Frame(st)
	if _, ok := d.FindContaining("Replying to"); ok {
		t.Fatal("the reply strip stays after the reply was sent")
	}
	// The next message is a plain one.
	d.Type("and another")
	d.Press(key.NameReturn, 0)
	if want := (ui.Send{Conv: conv, Text: "and another"}); count(d.Frame(st), want) != 1 {
		t.Fatal("the message after a reply was not a plain send")
	}
}

// Esc, or the strip's ×, drops the reply: Send is a plain message again.
func TestEscapeCancelsTheReply(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := foldedMine()
	conv := st.Open.ID
	d.Frame(st)
	d.Frame(st)
	for _, cancel := range []func(){
		func() { d.Press(key.NameEscape, 0) },
		func() { must(t, d.Click("Cancel reply")) },
	} {
		rightClick(t, d, "周末一起去图书馆吗？")
		d.Frame(st)
		must(t, d.Click("Reply"))
		d.Frame(st)
		d.Frame(st)
		onScreen(t, d, "Replying to 王芳: 周末一起去图书馆吗？")
		cancel()
		d.Frame(st)
		d.Frame(st)
		if _, ok := d.FindContaining("Replying to"); ok {
			t.Fatal("the reply strip stays after it was cancelled")
		}
	}
	d.Type("plain")
	d.Press(key.NameReturn, 0)
	if want := (ui.Send{Conv: conv, Text: "plain"}); count(d.Frame(st), want) != 1 {
		t.Fatal("after a cancelled reply, Enter did not send a plain message")
	}
}

// Right-click → Edit on my message loads its text into the composer;
// Enter sends the edit for its seq and gives back the draft that was
// there; Esc cancels and gives it back too; an empty edit is refused.
func TestEditFromTheMenuChangesMyMessage(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := foldedMine()
	conv := st.Open.ID
	d.Frame(st)
	d.Frame(st) // opening the conversation focuses the composer
	d.Type("my draft")
	d.Frame(st)

	edit := func() {
		t.Helper()
		rightClick(t, d, "有空，我现在打给你\nsecond line")
		d.Frame(st)
		must(t, d.Click("Edit"))
		d.Frame(st)
		d.Frame(st)
		onScreen(t, d, "Editing message")
		if got := fieldText(d, "Message"); got != "有空，我现在打给你\nsecond line" {
			t.Fatalf("the composer holds %q while editing", got)
		}
	}
	edit()
	d.Press(key.NameEscape, 0)
	d.Frame(st)
	if got := fieldText(d, "Message"); got != "my draft" {
		t.Fatalf("Esc left %q in the composer, want the draft back", got)
	}
	if _, ok := d.Find("Editing message"); ok {
		t.Fatal("Esc left the edit strip")
	}

	edit()
	d.Press("A", key.ModShortcut)
	d.Frame(st)
	d.Type("有空，马上打给你")
	d.Frame(st)
	d.Take()
	d.Press(key.NameReturn, 0)
	evs := d.Frame(st)
	if want := []ui.Event{ui.EditMessage{Conv: conv, Seq: 8, Text: "有空，马上打给你"}}; !slices.Equal(evs, want) {
		t.Fatalf("Enter on an edit gave %#v, want %#v (and no draft)", evs, want)
	}
	d.Frame(st)
	if got := fieldText(d, "Message"); got != "my draft" {
		t.Fatalf("after the edit the composer holds %q, want the draft back", got)
	}

	// Emptied: refused, with what to do instead.
	edit()
	d.Press("A", key.ModShortcut)
	d.Frame(st)
	d.Press(key.NameDeleteBackward, 0)
	d.Frame(st)
	d.Take()
	d.Press(key.NameReturn, 0)
	if evs := withoutDrafts(d.Frame(st)); len(evs) != 0 {
		t.Fatalf("Enter on an empty edit gave %#v", evs)
	}
	d.Frame(st)
	onScreen(t, d, "An edit cannot be empty: to remove the message, delete it instead")
}

// Edit is offered on my live text messages only; Reply on every message
// that is not deleted.
func TestEditIsNotOfferedOnOthersMessages(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := folded()
	d.Frame(st)
	rightClick(t, d, "周末一起去图书馆吗？") // hers
	d.Frame(st)
	onScreen(t, d, "Reply")
	if _, ok := d.Find("Edit"); ok {
		t.Fatal("the menu offers to edit someone else's message")
	}
	must(t, d.Click("Cancel"))
	d.Frame(st)
	d.Frame(st)
	rightClick(t, d, "Message deleted") // mine, deleted
	d.Frame(st)
	onScreen(t, d, "Delete for me")
	for _, s := range []string{"Edit", "Reply"} {
		if _, ok := d.Find(s); ok {
			t.Fatalf("the menu offers %q on a deleted message", s)
		}
	}
}

// A reply waiting to be sent stays with its conversation, like a draft;
// an edit ends when another conversation opens.
func TestAReplyStaysWithItsConversation(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := foldedMine()
	conv := st.Open.ID
	d.Frame(st)
	d.Frame(st)
	rightClick(t, d, "Chapter three slides are up")
	d.Frame(st)
	must(t, d.Click("Reply"))
	d.Frame(st)
	d.Frame(st)
	onScreen(t, d, "Replying to 王芳: Chapter three slides are up")

	other := st
	o := *st.Open
	o.ID, o.Name, o.Messages, o.Revision = conv+1000, "Elsewhere", nil, 1
	other.Open = &o
	d.Frame(other)
	d.Frame(other)
	if _, ok := d.FindContaining("Replying to"); ok {
		t.Fatal("the reply shows in another conversation")
	}
	d.Frame(st)
	d.Frame(st)
	onScreen(t, d, "Replying to 王芳: Chapter three slides are up")
	d.Type("back again")
	d.Frame(st)
	d.Take()
	d.Press(key.NameReturn, 0)
	if want := (ui.ReplyTo{Conv: conv, Seq: 11, Text: "back again"}); count(d.Frame(st), want) != 1 {
		t.Fatal("the reply was lost on the way to another conversation and back")
	}

	rightClick(t, d, "有空，我现在打给你\nsecond line")
	d.Frame(st)
	must(t, d.Click("Edit"))
	d.Frame(st)
	d.Frame(st)
	onScreen(t, d, "Editing message")
	d.Frame(other)
	d.Frame(st)
	d.Frame(st)
	if _, ok := d.Find("Editing message"); ok {
		t.Fatal("the edit survived opening another conversation")
	}
}
