package ui_test

import (
	"image"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/app/state"
	"parley/ui"
	"parley/ui/uitest"
)

// clock is a UI clock that moves only when told.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// newClockDriver returns a driver whose UI reads the time from c.
func newClockDriver(t *testing.T, lang ui.Lang, c *clock) *uitest.Driver {
	t.Helper()
	u := ui.New(ui.Options{Shaper: uitest.Shaper(t), Lang: lang, Now: c.Now, Location: time.UTC})
	return uitest.NewDriver(u, desktop)
}

func TestOfflineBarCountsDownAndRetriesNow(t *testing.T) {
	for _, c := range []struct {
		lang               ui.Lang
		in4, in3, now, btn string
	}{
		{ui.English, "Offline — retrying in 4 s", "Offline — retrying in 3 s", "Offline — reconnecting…", "Retry now"},
		{ui.Chinese, "已离线 — 4 秒后重试", "已离线 — 3 秒后重试", "已离线 — 正在重新连接…", "立即重试"},
	} {
		clk := &clock{now: uitest.Now}
		d := newClockDriver(t, c.lang, clk)
		st := uitest.Busy()
		d.Frame(st)
		if _, ok := d.Find(c.btn); ok {
			t.Fatalf("%s: online, yet %q is offered", c.lang, c.btn)
		}
		st.Conn, st.RetryAt = state.Offline, uitest.Now.Add(4*time.Second).UnixMilli()
		d.Frame(st)
		bar := onScreenNode(t, d, c.in4)
		if w := bar.Visible.Dx(); w < desktop.X/2 {
			t.Errorf("%s: the offline bar is %d px wide; want it across the window", c.lang, w)
		}
		clk.now = clk.now.Add(1500 * time.Millisecond)
		d.Frame(st)
		onScreen(t, d, c.in3)
		must(t, d.Click(c.btn))
		d.Frame(st)
		if evs := d.Take(); !slices.Equal(evs, []ui.Event{ui.Reconnect{}}) {
			t.Fatalf("%s: Retry now gave %#v", c.lang, evs)
		}
		// Trying: the bar stays, without a countdown, until online.
		st.Conn, st.RetryAt = state.Connecting, 0
		d.Frame(st)
		onScreen(t, d, c.now)
		st.Conn = state.Online
		d.Frame(st)
		if _, ok := d.Find(c.btn); ok {
			t.Fatalf("%s: online again, yet the offline bar shows; have %q", c.lang, d.Texts())
		}
	}
}

func TestOfflineShowsNoPresence(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Busy()
	d.Frame(st)
	onScreen(t, d, "#512 · 5 members · 3 online")
	st.Conn = state.Offline
	d.Frame(st)
	onScreen(t, d, "#512 · 5 members")
	for _, s := range d.Texts() {
		if strings.Contains(s, "online") {
			t.Fatalf("offline, yet %q is on screen", s)
		}
	}
	dst := uitest.Direct()
	dst.Conn = state.Offline
	d.Frame(dst)
	onScreen(t, d, "Direct chat · ID 4822")
}

// onScreenNode returns the node labelled s, failing if there is none.
func onScreenNode(t *testing.T, d *uitest.Driver, s string) uitest.Node {
	t.Helper()
	n, ok := d.Find(s)
	if !ok {
		t.Fatalf("%q is not on screen; have %q", s, d.Texts())
	}
	return n
}

// center is the middle of r.
func center(r image.Rectangle) image.Point { return r.Min.Add(r.Max).Div(2) }
