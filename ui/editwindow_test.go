package ui_test

import (
	"slices"
	"testing"

	"parley/net/proto"
	"parley/ui"
	"parley/ui/uitest"
)

// The menu offers Edit on my own text message only while the server's
// edit window (from its hello) is open: the fixture's message of mine is
// 19 minutes old at the fixtures' clock. A forward of mine has no Edit.
func TestMenuOffersEditOnlyWithinTheEditWindow(t *testing.T) {
	for _, c := range []struct {
		name   string
		window int64 // ms
		edit   bool
	}{
		{"unknown window", 0, true},
		{"48 hours", 48 * 3600_000, true},
		{"19 minutes, just", 19 * 60_000, true},
		{"10 minutes", 10 * 60_000, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := newDriver(t, ui.English, desktop)
			st := uitest.Direct()
			st.EditWindow = c.window
			d.Frame(st)
			rightClick(t, d, "有空，我现在打给你 — calling you now.")
			d.Frame(st)
			onScreen(t, d, "Delete for everyone")
			if _, ok := d.Find("Edit"); ok != c.edit {
				t.Fatalf("Edit offered: %v, want %v; the menu: %q", ok, c.edit, d.Texts())
			}
		})
	}

	t.Run("a forward of mine", func(t *testing.T) {
		d := newDriver(t, ui.English, desktop)
		st := uitest.Direct()
		o := *st.Open
		o.Messages = slices.Clone(o.Messages)
		o.Messages[1].Forwarded = &proto.Forwarded{From: uitest.Tom.ID, FromName: uitest.Tom.Name}
		st.Open = &o
		d.Frame(st)
		rightClick(t, d, "有空，我现在打给你 — calling you now.")
		d.Frame(st)
		onScreen(t, d, "Delete for everyone")
		if _, ok := d.Find("Edit"); ok {
			t.Fatalf("Edit offered on a forward, which the server refuses; the menu: %q", d.Texts())
		}
	})
}
