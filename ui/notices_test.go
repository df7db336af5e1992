package ui_test

import (
	"image"
	"slices"
	"testing"
	"time"

	"parley/app/state"
	"parley/ui"
	"parley/ui/uitest"
)

func TestNoticesFloatOverTheListAndExpire(t *testing.T) {
	clk := &clock{now: uitest.Now}
	d := newClockDriver(t, ui.English, clk)
	d.Size = image.Pt(1200, 560) // short: the list goes on under the notices
	st := uitest.Busy()
	st.Notices = nil
	d.Frame(st)
	before := onScreenNode(t, d, "Project Parley").Visible

	now := uitest.Now.UnixMilli()
	life := state.NoticeLife.Milliseconds()
	st.Notices = []state.Notice{
		{ID: 1, Kind: state.NoticeJoined, Args: []string{"家庭群", "530"}, Time: now, Expires: now + life},
		{ID: 2, Kind: state.NoticeLeft, Args: []string{"Old Group", "77"}, Time: now, Expires: now + life},
		{ID: 3, Kind: state.NoticeGroupCreated, Args: []string{"Project Parley", "517"}, Time: now, Expires: now + life, Count: 2},
		{ID: 4, Kind: state.NoticeError, Code: "no_such_group", Args: []string{"999"}, Time: now, Expires: now + state.ErrorNoticeLife.Milliseconds()},
	}
	d.Frame(st)
	if after := onScreenNode(t, d, "Project Parley").Visible; after != before {
		t.Fatalf("notices moved the conversation list: a row was at %v, now %v", before, after)
	}
	onScreen(t, d, "No group with ID 999")
	onScreen(t, d, "Created Project Parley — its ID is 517 (×2)") // a repeat says how often
	// A click on a notice stops there, not on the conversation under it.
	d.Take()
	d.ClickAt(center(onScreenNode(t, d, "No group with ID 999").Visible))
	d.Frame(st)
	if evs := d.Take(); len(evs) != 0 {
		t.Fatalf("a click on a notice gave %#v", evs)
	}
	if _, ok := d.Find("Joined 家庭群 (530)"); ok {
		t.Error("four notices shown; at most three fit")
	}
	// Past their life the info notices go; the error stays longer.
	clk.now = clk.now.Add(state.NoticeLife + time.Second)
	d.Frame(st)
	if _, ok := d.FindContaining("Created Project Parley"); ok {
		t.Fatalf("a notice is shown after its life; have %q", d.Texts())
	}
	onScreen(t, d, "No group with ID 999")
	must(t, d.Click("Dismiss"))
	d.Frame(st)
	if evs := d.Take(); !slices.Equal(evs, []ui.Event{ui.DismissNotice{ID: 4}}) {
		t.Fatalf("dismiss gave %#v", evs)
	}
}

func TestLoggedOutIsNotShownAfterLoggingIn(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Busy()
	st.Notices = []state.Notice{{ID: 1, Kind: state.NoticeLoggedOut, Time: uitest.Now.UnixMilli()}}
	d.Frame(st)
	if _, ok := d.Find("Logged out"); ok {
		t.Fatal("logged in, yet the notices say Logged out")
	}
}

func TestTheLoginScreenSaysWhyItIsBack(t *testing.T) {
	clk := &clock{now: uitest.Now}
	d := newClockDriver(t, ui.Chinese, clk)
	st := uitest.Login()
	now := uitest.Now.UnixMilli()
	st.Notices = []state.Notice{{ID: 7, Kind: state.NoticeSessionEnded, Time: now, Expires: now + state.NoticeLife.Milliseconds()}}
	d.Frame(st)
	onScreen(t, d, "登录已失效，请重新登录")
	clk.now = clk.now.Add(state.NoticeLife)
	d.Frame(st)
	if _, ok := d.Find("登录已失效，请重新登录"); ok {
		t.Fatal("the login screen still says the session ended after the notice's life")
	}
}

// When the sound devices cannot be listed, the notice says so in plain
// words with the short reason, not the raw error.
func TestUnlistableSoundDevicesAreSaidPlainly(t *testing.T) {
	now := uitest.Now.UnixMilli()
	for _, c := range []struct {
		lang ui.Lang
		says string
	}{
		{ui.English, "Cannot list the sound devices: no sound card found"},
		{ui.Chinese, "无法列出声音设备：no sound card found"},
	} {
		d := newDriver(t, c.lang, desktop)
		st := uitest.Busy()
		st.Notices = []state.Notice{{ID: 9, Kind: state.NoticeError, Code: state.CodeNoDevices, Args: []string{"no sound card found"},
			Text: "list sound devices: audio: list devices: no sound card found", Time: now, Expires: now + state.ErrorNoticeLife.Milliseconds()}}
		d.Frame(st)
		onScreen(t, d, c.says)
		if _, ok := d.FindContaining("list sound devices"); ok {
			t.Errorf("%v: the raw error is on screen", c.lang)
		}
	}
}
