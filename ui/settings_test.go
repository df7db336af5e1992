package ui_test

import (
	"image"
	"slices"
	"testing"

	"gioui.org/io/key"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui"
	"parley/ui/uitest"
)

// tall shows the whole Settings screen without scrolling.
var tall = image.Pt(1200, 2600)

// openSettings opens the Settings screen from the profile card's gear.
func openSettings(t *testing.T, lang ui.Lang) (*uitest.Driver, state.State) {
	t.Helper()
	d := newDriver(t, lang, tall)
	st := uitest.WithSettings(uitest.Busy())
	d.Frame(st)
	gear := "Settings"
	if lang == ui.Chinese {
		gear = "设置"
	}
	must(t, d.Click(gear))
	d.Frame(st)
	if !slices.Contains(d.Take(), ui.Event(ui.OpenSettings{})) {
		t.Fatal("opening Settings did not ask for the devices and blocked people")
	}
	return d, st
}

func has(evs []ui.Event, want ui.Event) bool { return slices.Contains(evs, want) }

func TestSettingsChangesMyNameAndAbout(t *testing.T) {
	d, st := openSettings(t, ui.English)
	if got, _ := d.FieldText("Name"); got != "李华" {
		t.Fatalf("the name field holds %q, want my name", got)
	}
	must(t, d.Click("Name"))
	d.Frame(st)
	d.Press(key.NameDeleteBackward, 0) // the caret is after "李华"
	d.Press(key.NameDeleteBackward, 0)
	d.Type("李小华")
	d.Frame(st)
	if got, _ := d.FieldText("Name"); got != "李小华" {
		t.Fatalf("the name field holds %q after typing", got)
	}
	must(t, d.Click("Save"))
	d.Frame(st)
	if want := (ui.SetProfile{Name: "李小华", About: st.Me.About}); !has(d.Take(), want) {
		t.Fatalf("Save did not send %#v", want)
	}
	// The model says it saved: the section says so.
	st.Settings.Done, st.Settings.DoneIn = 1, state.SectionProfile
	d.Frame(st)
	onScreen(t, d, "Saved")
}

func TestSettingsRevokesADeviceOnlyAfterAsking(t *testing.T) {
	d, st := openSettings(t, ui.English)
	onScreen(t, d, "This device")
	onScreen(t, d, "Li's laptop")
	must(t, d.Click("Sign out")) // the first device that is not this one
	d.Frame(st)
	if evs := d.Take(); slices.ContainsFunc(evs, func(e ui.Event) bool { _, ok := e.(ui.RevokeDevice); return ok }) {
		t.Fatalf("revoked without asking: %#v", evs)
	}
	if _, ok := d.FindContaining("Sign out 李华的手机?"); !ok {
		t.Fatalf("no question; have %q", d.Texts())
	}
	must(t, d.Click("Sign it out"))
	d.Frame(st)
	if want := (ui.RevokeDevice{ID: st.Settings.Devices[1].ID}); !has(d.Take(), want) {
		t.Fatalf("confirming did not send %#v", want)
	}
	if _, ok := d.FindContaining("Sign out 李华的手机?"); ok {
		t.Fatal("the question stayed after the answer")
	}
}

func TestSettingsUnblocksAndShowsErrorsInline(t *testing.T) {
	d, st := openSettings(t, ui.Chinese)
	onScreen(t, d, "Spam Bot")
	must(t, d.Click("取消屏蔽"))
	d.Frame(st)
	if want := (ui.Unblock{User: 7305}); !has(d.Take(), want) {
		t.Fatalf("Unblock did not send %#v", want)
	}
	st.Settings.Error = &state.Notice{Kind: state.NoticeError, Code: proto.CodeWrongPassword}
	st.Settings.ErrorIn = state.SectionPassword
	d.Frame(st)
	onScreen(t, d, "当前密码不正确")
}

func TestEscClosesTheSettingsScreen(t *testing.T) {
	d, st := openSettings(t, ui.English)
	onScreen(t, d, "Delete my account")
	d.Press(key.NameEscape, 0)
	d.Frame(st)
	if _, ok := d.Find("Delete my account"); ok {
		t.Fatal("Esc left the Settings screen open")
	}
}

func TestDeletingTheAccountAsksFirst(t *testing.T) {
	d, st := openSettings(t, ui.English)
	must(t, d.Fill("Password", "secret-password"))
	must(t, d.Click("Delete my account"))
	d.Frame(st)
	onScreen(t, d, "Delete this account for good?")
	must(t, d.Click("Delete for good"))
	d.Frame(st)
	if want := (ui.DeleteAccount{Password: "secret-password"}); !has(d.Take(), want) {
		t.Fatalf("confirming did not send %#v", want)
	}
}

func TestRegisterSendsTheRegistrationCode(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.Login())
	must(t, d.Click("Register"))
	d.Frame(d.State)
	must(t, d.Fill("Name", "李华"))
	must(t, d.Fill("Password", "secret password"))
	must(t, d.Fill("Registration code", " fkd3w46mo2i3tctqq4lmmbumkm "))
	d.Press(key.NameReturn, 0)
	d.Frame(d.State)
	want := ui.Register{Server: "http://127.0.0.1:8080", Name: "李华", Password: "secret password", Confirm: "secret password", Code: "fkd3w46mo2i3tctqq4lmmbumkm"}
	if !has(d.Take(), want) {
		t.Fatalf("register did not send %#v", want)
	}
	for lang, words := range map[ui.Lang]string{ui.English: "There is no such registration code. Check it.", ui.Chinese: "没有这个注册码，请检查。"} {
		d := newDriver(t, lang, desktop)
		st := uitest.Login()
		st.AuthError = &state.Notice{ID: 1, Kind: state.NoticeError, Code: proto.CodeBadCode}
		d.Frame(st)
		onScreen(t, d, words)
	}
}

func TestTheLoginScreenSaysWhyTheSessionWasRevoked(t *testing.T) {
	for _, c := range []struct {
		lang         ui.Lang
		reason, text string
	}{
		{ui.English, proto.ReasonRevoked, "This device was signed out from another device. Log in again to use it."},
		{ui.English, proto.ReasonPasswordChanged, "Your password was changed on another device. Log in with the new password."},
		{ui.Chinese, proto.ReasonAccountDeleted, "帐号已被删除。"},
		{ui.Chinese, proto.ReasonDisabled, "帐号已被服务器管理员停用。"},
	} {
		d := newDriver(t, c.lang, desktop)
		st := uitest.Login()
		st.Notices = []state.Notice{{ID: 1, Kind: state.NoticeRevoked, Args: []string{c.reason}}}
		d.Frame(st)
		onScreen(t, d, c.text)
	}
}
