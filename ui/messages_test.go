package ui_test

import (
	"fmt"
	"image"
	"slices"
	"testing"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui"
	"parley/ui/uitest"
)

// listPoint is a point inside the message list of a desktop window.
var listPoint = image.Pt(800, 400)

// older returns st with n older messages put in front of the window, as
// LoadOlder does.
func older(st state.State, n int) state.State {
	o := *st.Open
	first := o.Messages[0]
	msgs := make([]state.Message, 0, n+len(o.Messages))
	for i := n; i > 0; i-- {
		m := first
		m.Seq -= int64(i)
		m.ClientID = fmt.Sprintf("older-%d", m.Seq)
		m.Text = fmt.Sprintf("older message %d", m.Seq)
		m.Sender, m.SenderName, m.Mine = 4999, "Someone Else", false // not a run with the old top
		m.Time -= int64(i) * 60_000
		msgs = append(msgs, m)
	}
	o.Messages = append(msgs, o.Messages...)
	o.HasOlder = o.Messages[0].Seq > 1
	o.Revision++
	o.Prepended = n
	st.Open = &o
	return st
}

// newer returns st with a message from someone else appended.
func newer(st state.State, s string) state.State {
	o := *st.Open
	last := o.Messages[len(o.Messages)-1]
	m := state.Message{Message: proto.Message{Conv: o.ID, Seq: last.Seq + 1, ClientID: "new-" + s, Sender: uitest.Tom.ID, SenderName: uitest.Tom.Name, Time: last.Time + 1000, Kind: proto.MsgText, Text: s}}
	o.Messages = append(slices.Clone(o.Messages), m)
	o.Revision++
	o.Prepended = 0
	lm := m.Message
	o.Last = &lm
	st.Open = &o
	return st
}

// topMessage is the first message text visible in the list, and its y.
func topMessage(t *testing.T, d *uitest.Driver) (string, int) {
	t.Helper()
	for _, n := range d.Nodes() {
		if len(n.Desc.Label) > 0 && n.Desc.Bounds.Min.X > 330 {
			if m, ok := d.Find(n.Desc.Label); ok && m.Visible.Min.Y > 80 {
				for _, msg := range d.State.Open.Messages {
					if msg.Text == n.Desc.Label {
						return msg.Text, m.Visible.Min.Y
					}
				}
			}
		}
	}
	t.Fatalf("no message on screen; have %q", d.Texts())
	return "", 0
}

func TestListKeepsItsPlaceWhenOlderMessagesArrive(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Long(100_000, 200)
	d.Frame(st)
	// Scroll up a few screens, away from both ends.
	for range 5 {
		d.Scroll(listPoint, -600)
		d.Frame(st)
	}
	text, y := topMessage(t, d)
	if evs := d.Take(); slices.Contains(evs, ui.Event(ui.LoadOlder{})) {
		t.Fatalf("asked for older messages far from the top: %#v", evs)
	}
	st = older(st, 50)
	d.Frame(st)
	d.Frame(st)
	if y2 := yOf(t, d, text); y2 != y {
		t.Fatalf("the list jumped: %q moved from y=%d to y=%d", text, y, y2)
	}
}

func TestListAsksForOlderMessagesOnceNearTheTop(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Long(100_000, 60)
	d.Frame(st)
	for range 40 {
		d.Scroll(listPoint, -2000)
		d.Frame(st)
	}
	if n := count(d.Take(), ui.LoadOlder{}); n != 1 {
		t.Fatalf("asked for older messages %d times at the top, want once per window", n)
	}
	text, y := topMessage(t, d)
	st = older(st, 50)
	d.Frame(st)
	if y2 := yOf(t, d, text); y2 != y {
		t.Fatalf("the list jumped at the top: %q moved from y=%d to y=%d", text, y, y2)
	}
	if _, ok := d.Find("older message 99891"); ok {
		t.Fatal("the new page shows above the old top at once; the view should stay put")
	}
}

func TestListFollowsTheBottomWhenThere(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Long(100_000, 200)
	d.Frame(st)
	if _, ok := d.Find("Jump to the latest messages"); ok {
		t.Fatal("the first frame offers a jump to the bottom it is at")
	}
	st = newer(st, "fresh off the press")
	d.Frame(st)
	d.Frame(st)
	onScreen(t, d, "fresh off the press")
	if _, ok := d.Find("New messages (1)"); ok {
		t.Fatal("jump button shown while at the bottom")
	}
}

func TestListOffersAJumpToNewMessagesWhenScrolledUp(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Long(100_000, 200)
	d.Frame(st)
	for range 3 {
		d.Scroll(listPoint, -600)
		d.Frame(st)
	}
	text, y := topMessage(t, d)
	st = newer(st, "one")
	d.Frame(st)
	st = newer(st, "two")
	d.Frame(st)
	d.Frame(st)
	if y2 := yOf(t, d, text); y2 != y {
		t.Fatalf("new messages moved the view: %q moved from y=%d to y=%d", text, y, y2)
	}
	must(t, d.Click("New messages (2)"))
	d.Frame(st)
	d.Frame(st)
	onScreen(t, d, "two")
	if _, ok := d.FindContaining("New messages"); ok {
		t.Fatal("the jump button stays after jumping")
	}
}

func TestMySentMessageKeepsItsPlace(t *testing.T) {
	// A "sending" message becomes "sent" (it gets a seq): same row.
	d := newDriver(t, ui.English, desktop)
	st := uitest.Busy()
	d.Frame(st)
	onScreen(t, d, "15:29 · Sending…")
	o := *st.Open
	o.Messages = slices.Clone(o.Messages)
	last := &o.Messages[len(o.Messages)-1]
	last.Seq, last.Status = 14, state.Sent
	o.Revision++
	st.Open = &o
	d.Frame(st)
	onScreen(t, d, "15:29 · Sent")
}

// yOf is the top of the message s on screen.
func yOf(t *testing.T, d *uitest.Driver, s string) int {
	t.Helper()
	n, ok := d.Find(s)
	if !ok {
		t.Fatalf("%q is no longer on screen; have %q", s, d.Texts())
	}
	return n.Visible.Min.Y
}

func count(evs []ui.Event, e ui.Event) int {
	n := 0
	for _, ev := range evs {
		if ev == e {
			n++
		}
	}
	return n
}
