package ui_test

import (
	"image"
	"io"
	"slices"
	"testing"

	"gioui.org/io/key"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui"
	"parley/ui/uitest"
)

var desktop = image.Pt(1200, 800)

func newDriver(t *testing.T, lang ui.Lang, size image.Point) *uitest.Driver {
	t.Helper()
	return uitest.NewDriver(uitest.NewUI(t, lang, false), size)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func onScreen(t *testing.T, d *uitest.Driver, s string) {
	t.Helper()
	if _, ok := d.Find(s); !ok {
		t.Fatalf("%q is not on screen; have %q", s, d.Texts())
	}
}

func TestLoginFormSubmitsOnEnter(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.Login())
	must(t, d.Fill("User ID", "4821"))
	must(t, d.Fill("Password", "secret password"))
	d.Press(key.NameReturn, 0)
	d.Frame(d.State)
	want := ui.Login{Server: "http://127.0.0.1:8080", UserID: "4821", Password: "secret password"}
	if evs := d.Take(); !slices.Contains(evs, ui.Event(want)) {
		t.Fatalf("Enter in the password field gave %#v, want %#v", evs, want)
	}
}

func TestLoginWithoutPasswordSaysSoInline(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.Login())
	must(t, d.Fill("User ID", "4821"))
	must(t, d.Click("Log in")) // the button, not the tab: the button is found last? see below
	d.Frame(d.State)
	d.Frame(d.State)
	for _, ev := range d.Take() {
		if _, ok := ev.(ui.Login); ok {
			t.Fatalf("logged in without a password: %#v", ev)
		}
	}
	onScreen(t, d, "Enter your password")
}

func TestRegisterAsksForThePasswordOnceAndShowsIt(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.Login())
	must(t, d.Click("Register"))
	d.Frame(d.State)
	if _, ok := d.Find("Confirm password"); ok {
		t.Fatal("the register form asks for the password twice")
	}
	must(t, d.Fill("Name", "李华"))
	must(t, d.Fill("Password", "short"))
	d.Press(key.NameReturn, 0)
	d.Frame(d.State)
	d.Frame(d.State)
	if evs := d.Take(); len(evs) != 0 {
		t.Fatalf("a short password was sent: %#v", evs)
	}
	onScreen(t, d, "A password has at least 6 characters")

	// Show password reveals what was typed, to check it.
	if got := fieldText(d, "Password"); got != "" {
		t.Fatalf("the password field shows %q while hidden", got)
	}
	must(t, d.Click("Show password"))
	d.Frame(d.State)
	d.Frame(d.State)
	if got := fieldText(d, "Password"); got != "short" {
		t.Fatalf("Show password shows %q, want short", got)
	}
	must(t, d.Click("Hide password"))
	d.Frame(d.State)
	must(t, d.Click("Password"))
	d.Frame(d.State)
	d.Press("A", key.ModShortcut) // select all, then type over it
	d.Frame(d.State)
	d.Type("correct horse")
	d.Frame(d.State)
	d.Press(key.NameReturn, 0)
	d.Frame(d.State)
	want := ui.Register{Server: "http://127.0.0.1:8080", Name: "李华", Password: "correct horse", Confirm: "correct horse"}
	if evs := d.Take(); !slices.Contains(evs, ui.Event(want)) {
		t.Fatalf("register gave %#v, want %#v", evs, want)
	}
}

func TestANewAccountIsWelcomedWithItsIDToCopy(t *testing.T) {
	for _, c := range []struct {
		lang                      ui.Lang
		welcome, registered, copy string
	}{
		{ui.English, "Welcome, 李华!", "Registered — your ID is 4821", "Copy"},
		{ui.Chinese, "欢迎，李华！", "注册成功，你的 ID 是 4821", "复制"},
	} {
		d := newDriver(t, c.lang, desktop)
		st := uitest.Empty()
		st.Registered = st.Me
		d.Frame(st)
		d.Frame(st)
		onScreen(t, d, c.welcome)
		onScreen(t, d, c.registered)
		if n := onScreenNode(t, d, "4821"); n.Visible.Dy() < 28 {
			t.Errorf("%s: the new ID is %d px tall; want it large", c.lang, n.Visible.Dy())
		}
		must(t, d.Click(c.copy))
		d.Frame(st)
		if _, data, ok := d.Router.WriteClipboard(); !ok || string(data) != "4821" {
			t.Fatalf("%s: Copy put %q on the clipboard", c.lang, data)
		}
	}
}

func TestRegisteredShowsTheIDToCopyAndFillsTheLogin(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Login()
	d.Frame(st)
	st.Registered = &proto.User{ID: 4821, Name: "李华"}
	d.Frame(st)
	d.Frame(st)
	onScreen(t, d, "Registered — your ID is 4821")
	onScreen(t, d, "4821") // the selectable ID
	if got := fieldText(d, "User ID"); got != "4821" {
		t.Fatalf("the login form has user ID %q, want the new 4821", got)
	}

	must(t, d.Click("Copy"))
	d.Frame(st)
	mime, data, ok := d.Router.WriteClipboard()
	if !ok || mime != "application/text" {
		t.Fatalf("Copy wrote no text to the clipboard (%q, %v)", mime, ok)
	}
	if b, _ := io.ReadAll(io.NopCloser(bytesReader(data))); string(b) != "4821" {
		t.Fatalf("clipboard holds %q, want 4821", b)
	}
	d.Frame(st)
	onScreen(t, d, "Copied")

	// The password field has the focus: typing and Enter logs in as 4821.
	d.Type("pw123456")
	d.Frame(st)
	d.Press(key.NameReturn, 0)
	d.Frame(st)
	want := ui.Login{Server: st.Server, UserID: "4821", Password: "pw123456"}
	if evs := d.Take(); !slices.Contains(evs, ui.Event(want)) {
		t.Fatalf("got %#v, want %#v", evs, want)
	}
}

func TestAuthErrorIsShownInline(t *testing.T) {
	for _, c := range []struct {
		lang ui.Lang
		want string
	}{{ui.English, "Wrong user ID or password"}, {ui.Chinese, "用户 ID 或密码错误"}} {
		d := newDriver(t, c.lang, desktop)
		st := uitest.Login()
		st.AuthError = &state.Notice{ID: 3, Kind: state.NoticeError, Code: proto.CodeBadCredentials, Text: "wrong user or password"}
		d.Frame(st)
		onScreen(t, d, c.want)
		st.Busy = true // a new attempt hides the old error
		d.Frame(st)
		if _, ok := d.Find(c.want); ok {
			t.Errorf("%s: the error stays on screen while the next attempt runs", c.lang)
		}
	}
}

func TestLanguageSwitchTranslatesTheScreen(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.Login())
	onScreen(t, d, "Log in")
	must(t, d.Click("中文"))
	d.Frame(d.State)
	d.Frame(d.State)
	onScreen(t, d, "登录")
	onScreen(t, d, "用户 ID")
	if evs := d.Take(); !slices.Contains(evs, ui.Event(ui.Prefs{Lang: ui.Chinese})) {
		t.Fatalf("the switch was not reported: %#v", evs)
	}
}

func TestLoggingOutLeavesNoPasswordBehind(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.Login())
	must(t, d.Fill("User ID", "4821"))
	must(t, d.Fill("Password", "secret password"))
	d.Frame(uitest.Busy())  // logged in
	d.Frame(uitest.Login()) // logged out
	d.Frame(d.State)
	if got := fieldText(d, "User ID"); got != "4821" {
		t.Errorf("user ID %q after logout, want it kept", got)
	}
	d.Press(key.NameReturn, 0) // the password field has the focus
	d.Frame(d.State)
	for _, ev := range d.Take() {
		if l, ok := ev.(ui.Login); ok && l.Password != "" {
			t.Fatalf("the old password was kept: %#v", l)
		}
	}
	onScreen(t, d, "Enter your password")
}

func TestAnUnreadableCacheCanBeClearedFromTheLoginScreen(t *testing.T) {
	for _, c := range []struct {
		lang                    ui.Lang
		problem, button, banner string
	}{
		{ui.English, "This device's copy of account 4821 cannot be opened: it may be damaged", "Clear this device's copy",
			"This device's copy of account 4821 was cleared. Log in to fetch your conversations again."},
		{ui.Chinese, "本机保存的账号 4821 副本无法打开，可能已损坏", "清除本机副本", "已清除账号 4821 在本机的副本。请登录以重新获取会话。"},
	} {
		d := newDriver(t, c.lang, desktop)
		st := uitest.Login()
		d.Frame(st)
		if _, ok := d.Find(c.button); ok {
			t.Fatalf("%s: the clear button shows without a cache error", c.lang)
		}
		st.AuthError = &state.Notice{ID: 4, Kind: state.NoticeError, Code: state.CodeCache, Args: []string{"4821"}, Text: "open: file is not a database"}
		d.Frame(st)
		onScreen(t, d, c.problem)
		if got := fieldText(d, map[ui.Lang]string{ui.English: "User ID", ui.Chinese: "用户 ID"}[c.lang]); got != "4821" {
			t.Errorf("%s: user ID field %q with the cache error, want the account's 4821", c.lang, got)
		}
		must(t, d.Click(c.button))
		d.Frame(st)
		if evs := d.Take(); !slices.Contains(evs, ui.Event(ui.ResetCache{})) {
			t.Fatalf("%s: got %#v, want ResetCache", c.lang, evs)
		}
		// Cleared: the ID is filled in and the screen says what happens next.
		st.AuthError, st.CacheCleared = nil, 4821
		d.Frame(st)
		d.Frame(st)
		onScreen(t, d, c.banner)
		if _, ok := d.Find(c.button); ok {
			t.Errorf("%s: the clear button stays after clearing", c.lang)
		}
		if got := fieldText(d, map[ui.Lang]string{ui.English: "User ID", ui.Chinese: "用户 ID"}[c.lang]); got != "4821" {
			t.Errorf("%s: user ID field %q, want 4821", c.lang, got)
		}
	}
}

func TestAnAccountOpenInAnotherTabCanBeUsedHere(t *testing.T) {
	for _, c := range []struct {
		lang            ui.Lang
		problem, button string
	}{
		{ui.English, "Account 4821 is open in another tab of this browser", "Use here"},
		{ui.Chinese, "账号 4821 已在本浏览器的另一个标签页中打开", "在此使用"},
	} {
		d := newDriver(t, c.lang, desktop)
		st := uitest.Login()
		st.AuthError = &state.Notice{ID: 5, Kind: state.NoticeError, Code: state.CodeInUse, Args: []string{"4821"}, Text: "open in another tab"}
		d.Frame(st)
		onScreen(t, d, c.problem)
		for _, clear := range []string{"Clear this device's copy", "清除本机副本"} {
			if _, ok := d.Find(clear); ok {
				t.Fatalf("%s: a cache in use is offered to be cleared", c.lang)
			}
		}
		must(t, d.Click(c.button))
		d.Frame(st)
		if evs := d.Take(); !slices.Contains(evs, ui.Event(ui.UseHere{})) {
			t.Fatalf("%s: got %#v, want UseHere", c.lang, evs)
		}
	}
}

// The server field takes the nodes of one server as a list: it shows the
// list back as typed, the login carries it whole (the model splits it),
// and the error for a bad entry names that entry, in both languages.
func TestTheServerFieldTakesSeveralAddresses(t *testing.T) {
	const servers = "https://a.example.com, https://b.example.com"
	for _, c := range []struct {
		lang ui.Lang
		bad  string
	}{{ui.English, "ftp://b.example.com is not a server address"}, {ui.Chinese, "ftp://b.example.com 不是有效的服务器地址"}} {
		d := newDriver(t, c.lang, desktop)
		st := uitest.Login()
		st.Server = servers
		d.Frame(st)
		server := "Server"
		if c.lang == ui.Chinese {
			server = "服务器"
		}
		if got := fieldText(d, server); got != servers {
			t.Fatalf("%s: the server field shows %q, want %q", c.lang, got, servers)
		}
		if c.lang == ui.English {
			must(t, d.Fill("User ID", "4821"))
			must(t, d.Fill("Password", "secret password"))
			d.Press(key.NameReturn, 0)
			d.Frame(d.State)
			want := ui.Login{Server: servers, UserID: "4821", Password: "secret password"}
			if evs := d.Take(); !slices.Contains(evs, ui.Event(want)) {
				t.Fatalf("login gave %#v, want %#v", evs, want)
			}
		}
		st.AuthError = &state.Notice{ID: 5, Kind: state.NoticeError, Code: state.CodeBadInput, Detail: state.InputServerBad,
			Args: []string{"ftp://b.example.com"}, Text: "ftp://b.example.com is not a server address"}
		d.Frame(st)
		onScreen(t, d, c.bad)
	}
}
