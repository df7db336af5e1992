package ui_test

import (
	"image"
	"slices"
	"testing"

	"gioui.org/io/key"

	"parley/app/state"
	"parley/ui"
	"parley/ui/uitest"
)

func TestEscapeClosesTheOpenQuestionOrPanel(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Busy()
	d.Frame(st)
	escape := func() {
		d.Press(key.NameEscape, 0)
		d.Frame(st)
	}
	for _, c := range []struct{ open, shows string }{
		{"Log out", "Log out? To log back in you need your ID (4821) and password."},
		{"Leave group", "Leave group: 学习小组 Study Group (512)?"},
		{"Members", "Sofia Rossi"},
		{"Sound devices", "Looking for devices…"},
		{"Attach a file", "Choose file…"},
	} {
		must(t, d.Click(c.open))
		d.Frame(st)
		onScreen(t, d, c.shows)
		escape()
		if _, ok := d.Find(c.shows); ok {
			t.Errorf("Esc left %q open", c.shows)
		}
	}
	// With nothing open, Esc clears the search.
	must(t, d.Fill("Search messages", "读书会"))
	d.Press(key.NameReturn, 0)
	d.Frame(st)
	st.Search = &state.Search{Query: "读书会"}
	d.Frame(st)
	d.Take()
	escape()
	if evs := d.Take(); !slices.Equal(evs, []ui.Event{ui.Search{}}) {
		t.Fatalf("Esc in a search gave %#v, want it cleared", evs)
	}
	if got := fieldText(d, "Search messages"); got != "" {
		t.Fatalf("Esc left %q in the search field", got)
	}
}

func TestCtrlShiftFGoesToSearchNotTheMessage(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Busy()
	d.Frame(st)
	d.Frame(st) // opening the conversation focuses the composer
	d.Type("draft")
	d.Frame(st)
	d.Press("F", key.ModShortcut|key.ModShift) // Ctrl+F alone searches the conversation (find_test.go)
	d.Frame(st)
	d.Frame(st)
	d.Type("读书会")
	d.Frame(st)
	if got := fieldText(d, "Search messages"); got != "读书会" {
		t.Fatalf("after Ctrl+F, typing went elsewhere: the search field holds %q", got)
	}
	d.Press(key.NameReturn, 0)
	d.Frame(st)
	if evs := d.Take(); !slices.Contains(evs, ui.Event(ui.Search{Query: "读书会"})) {
		t.Fatalf("Enter in the search field gave %#v", evs)
	}
}

func TestPageUpAndPageDownScrollTheMessages(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Long(300, 300)
	d.Frame(st)
	d.Frame(st)
	newest := st.Open.Messages[len(st.Open.Messages)-1].Text
	onScreen(t, d, newest)
	d.Press(key.NamePageUp, 0)
	d.Frame(st)
	d.Frame(st)
	if _, ok := d.Find(newest); ok {
		t.Fatalf("Page Up left the newest message %q in sight", newest)
	}
	d.Press(key.NamePageDown, 0)
	d.Frame(st)
	d.Press(key.NamePageDown, 0)
	d.Frame(st)
	d.Frame(st)
	onScreen(t, d, newest)
}

func TestTabGoesFromIDToPasswordToLogIn(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.Login())
	must(t, d.Fill("User ID", "4821"))
	d.Tab(false)
	d.Frame(d.State)
	d.Type("pw") // into the password field, which says nothing of it
	d.Frame(d.State)
	d.Tab(false)
	d.Frame(d.State)
	d.Press(key.NameSpace, 0) // presses the focused button; a field would type a space
	d.Frame(d.State)
	d.Frame(d.State)
	want := ui.Login{Server: "http://127.0.0.1:8080", UserID: "4821", Password: "pw"}
	if evs := d.Take(); !slices.Equal(evs, []ui.Event{want}) {
		t.Fatalf("ID, Tab, password, Tab, Space gave %#v, want %#v", evs, want)
	}
}

func TestTabGoesFromSearchToTheListThenTheComposer(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Busy()
	d.Frame(st)
	must(t, d.Click("Search messages"))
	d.Frame(st)
	// The list's heading comes first: "Call a user ID…", Sound devices
	// and the read-receipts switch, in the order they are drawn.
	for range 4 {
		d.Tab(false)
		d.Frame(st)
	}
	d.Press(key.NameSpace, 0)
	d.Frame(st)
	if evs := d.Take(); !slices.Equal(evs, []ui.Event{ui.Open{Conv: st.Conversations[0].ID}}) {
		t.Fatalf("Search, Tab ×4 (past the heading's three buttons), Space gave %#v, want the first conversation opened", evs)
	}
	// Shift+Tab from the send button comes back to the composer.
	must(t, d.Click("Message"))
	d.Frame(st)
	d.Type("hi")
	d.Frame(st)
	d.Tab(false)
	d.Frame(st)
	d.Tab(true)
	d.Frame(st)
	d.Type(" there")
	d.Frame(st)
	d.Press(key.NameReturn, 0)
	d.Frame(st)
	if evs := d.Take(); !slices.Contains(evs, ui.Event(ui.Send{Conv: st.Open.ID, Text: "hi there"})) {
		t.Fatalf("typing after Tab, Shift+Tab gave %#v", evs)
	}
}

func TestCtrlShiftFOnANarrowWindowGoesBackToTheListAndSearch(t *testing.T) {
	d := newDriver(t, ui.English, image.Pt(400, 800))
	st := uitest.Busy()
	d.Frame(st)
	d.Frame(st)
	d.Press("F", key.ModShortcut|key.ModShift)
	d.Frame(st)
	if evs := d.Take(); !slices.Equal(evs, []ui.Event{ui.Open{Conv: 0}}) {
		t.Fatalf("Ctrl+Shift+F over a conversation gave %#v, want back to the list", evs)
	}
	st.Open = nil // the model closed it
	d.Frame(st)
	d.Frame(st)
	d.Type("Tom")
	d.Frame(st)
	if got := fieldText(d, "Search messages"); got != "Tom" {
		t.Fatalf("the search field holds %q after Ctrl+F and typing", got)
	}
}
