package ui_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gioui.org/io/key"
	"gioui.org/io/semantic"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui"
	"parley/ui/uitest"
)

// withReply returns st with its newest message made a reply to the
// message seq (quoting text).
func withReply(st state.State, seq int64, text string) state.State {
	o := *st.Open
	o.Messages = slices.Clone(o.Messages)
	last := &o.Messages[len(o.Messages)-1]
	last.ReplyTo = seq
	last.Reply = &proto.Quote{Seq: seq, Sender: uitest.Tom.ID, SenderName: uitest.Tom.Name, Text: text}
	st.Open = &o
	return st
}

// senderOf is the sender's name of message seq in uitest.Long.
func senderOf(st state.State, seq int64) string {
	for _, m := range st.Open.Messages {
		if m.Seq == seq {
			return m.SenderName
		}
	}
	return ""
}

// longText is the text of message seq in uitest.Long.
func longText(st state.State, seq int64) string {
	for _, m := range st.Open.Messages {
		if m.Seq == seq {
			return m.Text
		}
	}
	return ""
}

// shown reports whether a label s shows other than in a button (a reply
// strip quoting it).
func shown(d *uitest.Driver, s string) bool {
	for _, nd := range d.Screen() {
		if nd.Desc.Label == s && !nd.Visible.Empty() && nd.Control != semantic.Button {
			return true
		}
	}
	return false
}

// settle runs frames of st until the list is laid out where it goes.
func settle(d *uitest.Driver, st state.State) {
	for range 3 {
		d.Frame(st)
	}
}

func TestClickingAReplyStripScrollsToTheOriginalAndTintsItAWhile(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Long(1000, 200)
	original := longText(st, 806)
	st = withReply(st, 806, original) // the strip quotes it as it is now
	settle(d, st)
	if shown(d, original) {
		t.Fatalf("%q shows before the jump (other than in the strip)", original)
	}
	must(t, d.Click(original))
	settle(d, st)
	if !shown(d, original) {
		t.Fatalf("%q is not on screen after the jump", original)
	}
	if got := ui.Flashing(d.UI); got != 806 {
		t.Fatalf("tinted %d, want the original 806", got)
	}
	if evs := d.Take(); slices.ContainsFunc(evs, func(e ui.Event) bool { _, ok := e.(ui.JumpTo); return ok }) {
		t.Fatalf("a jump within the window asked the model: %#v", evs)
	}
	// The tint fades out, and then it is gone.
	d.Now = d.Now.Add(time.Second)
	d.Frame(st)
	if got := ui.Flashing(d.UI); got != 806 {
		t.Fatalf("after 1 s tinted %d, want still 806", got)
	}
	d.Now = d.Now.Add(time.Second)
	d.Frame(st)
	if got := ui.Flashing(d.UI); got != 0 {
		t.Fatalf("after 2 s tinted %d, want none", got)
	}
}

// around is what the model publishes after a jump to seq of a Long
// history of total: the window around it, stopping before the newest.
func around(st state.State, seq int64, gen uint64, highlight string) state.State {
	full := uitest.Long(int(seq)+25, int(seq)+25)
	o := *st.Open
	o.Messages = full.Open.Messages
	if first := seq - 25; first > 1 {
		o.Messages = o.Messages[first-1:]
	}
	o.HasOlder = o.Messages[0].Seq > 1
	o.HasNewer = true
	o.Revision += 10
	o.Focus, o.FocusGen, o.Highlight = seq, gen, highlight
	st.Open = &o
	return st
}

func TestClickingAReplyStripToAMessageNotLoadedAsksForItAndShowsIt(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := withReply(uitest.Long(1000, 200), 40, "an old line")
	settle(d, st)
	d.Take()
	must(t, d.Click("an old line"))
	d.Frame(st)
	want := ui.JumpTo{Conv: st.Open.ID, Seq: 40}
	if evs := d.Take(); !slices.Contains(evs, ui.Event(want)) {
		t.Fatalf("the click gave %#v, want %#v", evs, want)
	}
	st = around(st, 40, 1, "")
	settle(d, st)
	onScreen(t, d, longText(st, 40))
	if got := ui.Flashing(d.UI); got != 40 {
		t.Fatalf("tinted %d, want 40", got)
	}
	// Below the newest: the way back to it is offered.
	must(t, d.Click("Jump to the latest messages"))
	d.Frame(st)
	if evs := d.Take(); !slices.Contains(evs, ui.Event(ui.Open{Conv: st.Open.ID})) {
		t.Fatalf("the jump to the latest gave %#v", evs)
	}
}

func TestTheListAsksForNewerMessagesAtTheBottomOfAWindowBelowTheNewest(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := around(uitest.Long(1000, 200), 500, 1, "")
	settle(d, st)
	if n := count(d.Take(), ui.LoadNewer{}); n != 0 {
		t.Fatalf("asked for newer messages %d times away from the bottom", n)
	}
	for range 20 {
		d.Scroll(listPoint, 2000)
		d.Frame(st)
	}
	if n := count(d.Take(), ui.LoadNewer{}); n != 1 {
		t.Fatalf("asked for newer messages %d times at the bottom, want once per window", n)
	}
}

func withPins(st state.State, seqs ...int64) state.State {
	o := *st.Open
	o.Pins = nil
	for _, seq := range seqs {
		m := state.Message{Message: proto.Message{Conv: o.ID, Seq: seq, Sender: uitest.Tom.ID, SenderName: uitest.Tom.Name, Kind: proto.MsgText, Text: fmt.Sprintf("pinned text %d\nsecond line", seq), Pinned: true}}
		for _, w := range o.Messages {
			if w.Seq == seq {
				m = w
			}
		}
		o.Pins = append(o.Pins, m)
	}
	st.Open = &o
	return st
}

func TestThePinBarJumpsToThePinnedMessageAndCyclesToTheNext(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	plain := uitest.Long(1000, 200)
	settle(d, plain)
	if _, ok := d.FindContaining("Pinned message"); ok {
		t.Fatal("a pin bar with nothing pinned")
	}
	st := withPins(plain, 10, 820, 900)
	settle(d, st)
	onScreen(t, d, "Pinned message 3 of 3")
	onScreen(t, d, senderOf(st, 900)+": "+longText(st, 900))
	for _, step := range []struct {
		seq  int64
		next string
	}{{900, "Pinned message 2 of 3"}, {820, "Pinned message 1 of 3"}} {
		must(t, d.Click(fmt.Sprintf("Pinned message %d of 3", map[int64]int{900: 3, 820: 2}[step.seq])))
		settle(d, st)
		if _, ok := d.Find(longText(st, step.seq)); !ok || ui.Flashing(d.UI) != step.seq {
			t.Fatalf("after clicking the bar: %d tinted, want %d on screen", ui.Flashing(d.UI), step.seq)
		}
		onScreen(t, d, step.next)
	}
	// The oldest is not loaded: the model is asked; then the newest again.
	onScreen(t, d, "Tom Baker: pinned text 10")
	d.Take()
	must(t, d.Click("Pinned message 1 of 3"))
	d.Frame(st)
	if evs := d.Take(); !slices.Contains(evs, ui.Event(ui.JumpTo{Conv: st.Open.ID, Seq: 10})) {
		t.Fatalf("the bar gave %#v, want a jump to 10", evs)
	}
	onScreen(t, d, "Pinned message 3 of 3")
	// Unpin the one shown; the model's new list drops it.
	must(t, d.Click("Unpin"))
	d.Frame(st)
	if evs := d.Take(); !slices.Contains(evs, ui.Event(ui.PinMessage{Conv: st.Open.ID, Seq: 900, Unpin: true})) {
		t.Fatalf("Unpin gave %#v", evs)
	}
	st = withPins(plain, 10, 820)
	settle(d, st)
	onScreen(t, d, "Pinned message 2 of 2")
	st = withPins(plain)
	settle(d, st)
	if _, ok := d.FindContaining("Pinned message"); ok {
		t.Fatal("the pin bar stays with nothing pinned")
	}
}

// withFind returns st with the search of its conversation answered by
// the messages seqs (newest first).
func withFind(st state.State, query string, remote state.SearchRemote, seqs ...int64) state.State {
	f := &state.Search{Query: query, Conv: st.Open.ID, Remote: remote}
	for _, seq := range seqs {
		for _, m := range st.Open.Messages {
			if m.Seq == seq {
				f.Results = append(f.Results, m)
			}
		}
	}
	st.Find = f
	return st
}

func TestCtrlFSearchesTheConversationAndStepsThroughTheMatches(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Long(1000, 200)
	settle(d, st)
	d.Press("F", key.ModShortcut)
	settle(d, st)
	d.Type("library")
	d.Frame(st)
	d.Press(key.NameReturn, 0)
	d.Frame(st)
	conv := st.Open.ID
	if evs := d.Take(); !slices.Contains(evs, ui.Event(ui.Find{Conv: conv, Query: "library"})) {
		t.Fatalf("Ctrl+F, typing and Enter gave %#v", evs)
	}
	onScreen(t, d, "Searching…")
	// Matches of Long's "Let's meet at the library after class." (seq % 7 == 1).
	st = withFind(st, "library", state.RemotePending, 995, 988, 806)
	settle(d, st)
	onScreen(t, d, "1 of 3 · searching the server…")
	if got := ui.Flashing(d.UI); got != 995 {
		t.Fatalf("the first match shown is %d, want the newest, 995", got)
	}
	if got := ui.Marked(d.UI); !slices.Equal(got, []string{"library"}) {
		t.Fatalf("marked %q, want the word found", got)
	}
	must(t, d.Click("Older match"))
	settle(d, st)
	onScreen(t, d, "2 of 3 · searching the server…")
	if got := ui.Flashing(d.UI); got != 988 {
		t.Fatalf("the older match shown is %d, want 988", got)
	}
	// Enter again steps on too; the oldest is far up the list.
	d.Press(key.NameReturn, 0)
	settle(d, st)
	onScreen(t, d, longText(st, 806))
	if got := ui.Flashing(d.UI); got != 806 {
		t.Fatalf("Enter again showed %d, want 806", got)
	}
	must(t, d.Click("Newer match"))
	settle(d, st)
	onScreen(t, d, "2 of 3 · searching the server…")
	// Offline: the status says the server's part is missing.
	st = withFind(st, "library", state.RemoteMissing, 995, 988, 806)
	settle(d, st)
	if _, ok := d.FindContaining("offline: only this device's history was searched"); !ok {
		t.Fatalf("offline the status does not say so; have %q", d.Texts())
	}
	// Esc closes it and clears the search.
	d.Take()
	d.Press(key.NameEscape, 0)
	d.Frame(st)
	if evs := d.Take(); !slices.Contains(evs, ui.Event(ui.Find{Conv: conv})) {
		t.Fatalf("Esc gave %#v, want the search cleared", evs)
	}
	st.Find = nil
	settle(d, st)
	if _, ok := d.FindContaining(" of 3"); ok {
		t.Fatal("the search bar stays after Esc")
	}
}

func TestASearchResultOpensItsConversationAtTheMessageWithTheMatchMarked(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Long(1000, 200)
	old := st.Open.Messages[5] // seq 806: "Let's meet at the library after class."
	st.Search = &state.Search{Query: "meet", Results: []state.Message{old}, Remote: state.RemoteMissing}
	settle(d, st)
	if _, ok := d.FindContaining("offline: only this device's history was searched"); !ok {
		t.Fatalf("the results do not say the server's part is missing; have %q", d.Texts())
	}
	must(t, d.Click(old.Text))
	d.Frame(st)
	want := ui.JumpTo{Conv: old.Conv, Seq: old.Seq, Highlight: "meet"}
	if evs := d.Take(); !slices.Contains(evs, ui.Event(want)) {
		t.Fatalf("clicking the result gave %#v, want %#v", evs, want)
	}
	o := *st.Open
	o.Focus, o.FocusGen, o.Highlight = old.Seq, 1, "meet"
	st.Open = &o
	settle(d, st)
	if got := ui.Flashing(d.UI); got != old.Seq {
		t.Fatalf("tinted %d, want %d", got, old.Seq)
	}
	if got := strings.Join(ui.Marked(d.UI), ","); got != "meet" {
		t.Fatalf("marked %q, want meet", got)
	}
}

func TestAReplyToADeletedMessageSaysSoAndStillJumps(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Long(1000, 200)
	o := *st.Open
	o.Messages = slices.Clone(o.Messages)
	last := &o.Messages[len(o.Messages)-1]
	last.ReplyTo, last.Reply = 30, &proto.Quote{Seq: 30, Sender: uitest.Tom.ID, SenderName: uitest.Tom.Name, Deleted: true}
	st.Open = &o
	settle(d, st)
	d.Take()
	must(t, d.Click("Message deleted"))
	d.Frame(st)
	if evs := d.Take(); !slices.Contains(evs, ui.Event(ui.JumpTo{Conv: o.ID, Seq: 30})) {
		t.Fatalf("clicking the deleted quote gave %#v, want a jump to 30", evs)
	}
}
