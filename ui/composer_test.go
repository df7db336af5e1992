package ui_test

import (
	"strings"
	"testing"

	"gioui.org/io/key"

	"parley/ui"
	"parley/ui/uitest"
)

func TestTheComposerCountsFromNinetyPercentOfTheLimitAndRefusesOverIt(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.Busy()) // opening a conversation focuses the composer
	d.Frame(d.State)
	d.Paste(strings.Repeat("a", 14_745)) // just under 90 % of 16,384
	if _, ok := d.FindContaining("/ 16,384 bytes"); ok {
		t.Fatalf("a count shows under 90 %% of the limit: %q", d.Texts())
	}
	d.Type("b")
	d.Frame(d.State)
	onScreen(t, d, "14,746 / 16,384 bytes · 1,638 left")
	d.Paste(strings.Repeat("c", 1_639))
	onScreen(t, d, "16,385 / 16,384 bytes — too long for one message")
	onScreen(t, d, "Send as a file")
	d.Take()
	d.Press(key.NameReturn, 0)
	d.Frame(d.State)
	if evs := withoutDrafts(d.Take()); len(evs) != 0 {
		t.Fatalf("Enter on an over-long text gave %#v", evs)
	}
	onScreen(t, d, "Not sent: a message holds at most 16,384 bytes and this text has 16,385. Shorten it, or send it as a file.")
	if got := fieldText(d, "Message"); len(got) != 16_385 {
		t.Fatalf("the composer holds %d bytes after the refusal", len(got))
	}
}
