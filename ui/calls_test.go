package ui_test

import (
	"image"
	"image/color"
	"slices"
	"strings"
	"testing"

	"gioui.org/io/key"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui"
	"parley/ui/uitest"
)

// step clicks s and returns the intents of the frame that delivers it.
func step(t *testing.T, d *uitest.Driver, s string) []ui.Event {
	t.Helper()
	must(t, d.Click(s))
	d.Frame(d.State)
	return d.Take()
}

func wantEvents(t *testing.T, what string, got []ui.Event, want ...ui.Event) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s gave %#v, want %#v", what, got, want)
	}
}

// No call, no call bar: calls start from a person or from "Call a user
// ID…", which opens a small dialog that calls the ID typed.
func TestCallAUserIDFromAboveTheConversationList(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.Busy())
	if _, ok := d.Find("User ID to call"); ok {
		t.Fatal("a user-ID field is on screen without a call")
	}
	wantEvents(t, "Call a user ID…", step(t, d, "Call a user ID…"))
	onScreen(t, d, "Voice call")
	must(t, d.Fill("User ID to call", "4822"))
	wantEvents(t, "Call", step(t, d, "Call"), ui.Call{UserID: "4822"})
	if _, ok := d.Find("User ID to call"); ok {
		t.Error("the dialog stays after calling")
	}
	// Enter in the field calls too; letters are not IDs.
	wantEvents(t, "Call a user ID…", step(t, d, "Call a user ID…"))
	if got := fieldText(d, "User ID to call"); got != "" {
		t.Errorf("the dialog opens with %q in the field", got)
	}
	must(t, d.Fill("User ID to call", "48x23"))
	d.Press(key.NameReturn, 0)
	d.Frame(d.State)
	wantEvents(t, "Enter", d.Take(), ui.Call{UserID: "4823"})

	// A new account, with no conversations yet, can call by ID too.
	d2 := newDriver(t, ui.English, desktop)
	d2.Frame(uitest.Empty())
	onScreen(t, d2, "No conversations yet — create or join a group")
	wantEvents(t, "Call a user ID… with no conversations", step(t, d2, "Call a user ID…"))
	onScreen(t, d2, "User ID to call")

	// Cancel calls nobody; the field is empty when the dialog opens again.
	step(t, d, "Call a user ID…")
	must(t, d.Fill("User ID to call", "4830"))
	wantEvents(t, "Cancel", step(t, d, "Cancel"))
	if _, ok := d.Find("User ID to call"); ok {
		t.Error("the dialog stays after Cancel")
	}
}

func TestCallAUserIDWithNoConversationOpen(t *testing.T) {
	d := newDriver(t, ui.Chinese, desktop)
	st := uitest.Busy()
	st.Open = nil
	d.Frame(st)
	step(t, d, "按 ID 呼叫")
	onScreen(t, d, "语音通话")
	must(t, d.Fill("要呼叫的用户 ID", "4830"))
	wantEvents(t, "呼叫", step(t, d, "呼叫"), ui.Call{UserID: "4830"})
}

func TestTheMemberListCallsAMember(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Busy()
	d.Frame(st)
	step(t, d, "Members")
	wantEvents(t, "a member's call button", step(t, d, "Call Tom Baker"), ui.Call{UserID: "4823"})
	if _, ok := d.Find("Call 李华"); ok {
		t.Error("the member list offers to call myself")
	}
	// During a call, nobody else can be called.
	st = uitest.WithCall(st, state.CallActive)
	d.Frame(st)
	wantEvents(t, "a member's call button during a call", step(t, d, "Call Tom Baker"))
}

func TestDirectChatHeaderCallsThePeer(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.Direct())
	wantEvents(t, "the header's call button", step(t, d, "Call 王芳"), ui.Call{UserID: "4822"})
	// A group has no one person to call.
	d.Frame(uitest.Busy())
	if _, ok := d.Find("Call 王芳"); ok {
		t.Error("a group's header offers to call 王芳")
	}
}

func TestCallBarFollowsTheCall(t *testing.T) {
	for _, c := range []struct {
		lang           ui.Lang
		state          state.CallState
		says, hangUp   string
		mute           bool
		ringingWithout bool // the server has not answered the call request yet
	}{
		{ui.English, state.CallRinging, "Calling…", "Cancel call", false, true},
		{ui.English, state.CallRinging, "Ringing…", "Cancel call", false, false},
		{ui.English, state.CallConnecting, "Connecting…", "Hang up", true, false},
		{ui.English, state.CallActive, "In call · 02:13", "Hang up", true, false},
		{ui.Chinese, state.CallRinging, "等待对方接听…", "取消呼叫", false, false},
		{ui.Chinese, state.CallActive, "通话中 · 02:13", "挂断", true, false},
	} {
		st := uitest.WithCall(uitest.Direct(), c.state)
		if c.ringingWithout {
			st.Call.ID = 0
		}
		d := newDriver(t, c.lang, desktop)
		d.Frame(st)
		onScreen(t, d, c.says)
		who := "王芳 (4822)"
		if c.lang == ui.Chinese {
			who = "王芳（4822）"
		}
		onScreen(t, d, who)
		wantEvents(t, c.hangUp, step(t, d, c.hangUp), ui.HangUp{})
		mute := map[ui.Lang]string{ui.English: "Mute", ui.Chinese: "静音"}[c.lang]
		if _, ok := d.Find(mute); ok != c.mute {
			t.Errorf("%s %v: mute button shown %v, want %v", c.lang, c.state, ok, c.mute)
		}
	}
}

func TestMuteSaysSoAndUnmutes(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.WithCall(uitest.Direct(), state.CallActive)
	d.Frame(st)
	wantEvents(t, "Mute", step(t, d, "Mute"), ui.Mute{Muted: true})
	st.Call.Muted = true
	d.Frame(st)
	onScreen(t, d, "In call · 02:13 · Muted")
	wantEvents(t, "Unmute", step(t, d, "Unmute"), ui.Mute{Muted: false})
}

func TestEndedCallSaysHowAndOffersToCallAgain(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.WithCall(uitest.Direct(), state.CallEnded)
	d.Frame(st)
	onScreen(t, d, "Call ended (3:41)")
	wantEvents(t, "Call again", step(t, d, "Call again"), ui.Call{UserID: "4822"})
	wantEvents(t, "Clear", step(t, d, "Clear"), ui.DismissCall{})

	st.Call.EndReason, st.Call.Duration = proto.EndDeclined, 0
	d.Frame(st)
	onScreen(t, d, "王芳 declined")
}

func TestIncomingCallDialogAnswersOrDeclines(t *testing.T) {
	d := newDriver(t, ui.Chinese, desktop)
	st := uitest.WithCall(uitest.Direct(), state.CallIncoming)
	d.Frame(st)
	onScreen(t, d, "语音来电")
	onScreen(t, d, "ID 4822 · 邀请你语音通话…")
	// Once: the dialog says it, and nothing behind it says it again.
	places := map[image.Rectangle]bool{}
	for _, n := range d.Screen() {
		if strings.Contains(n.Desc.Label, "邀请你语音通话") && !n.Visible.Empty() {
			places[n.Visible] = true
		}
	}
	if len(places) != 1 {
		t.Errorf("\"is calling you\" is on screen %d times: %q", len(places), d.Texts())
	}
	wantEvents(t, "接听", step(t, d, "接听"), ui.AcceptCall{})
	wantEvents(t, "拒绝", step(t, d, "拒绝"), ui.DeclineCall{})

	// Nothing behind the dialog takes a click: the conversation row of
	// Project Parley is under the scrim.
	row, ok := d.Find("Project Parley")
	if !ok {
		t.Fatalf("no Project Parley row; have %q", d.Texts())
	}
	d.ClickAt(row.Visible.Min.Add(row.Visible.Max).Div(2))
	d.Frame(st)
	wantEvents(t, "a click beside the dialog", d.Take())
}

func TestIncomingCallWithoutAudioCanOnlyBeDeclined(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.WithCall(uitest.Direct(), state.CallIncoming)
	st.NoAudio = true
	d.Frame(st)
	onScreen(t, d, "This browser cannot make calls: answer in the desktop app")
	wantEvents(t, "a click on the disabled Accept", step(t, d, "Accept"))
	wantEvents(t, "Decline", step(t, d, "Decline"), ui.DeclineCall{})

	// A browser with WebRTC answers; on a server with UDP off it says why not.
	st.WebCalls = true
	d.Frame(st)
	wantEvents(t, "Accept in the browser", step(t, d, "Accept"), ui.AcceptCall{})
	st.CallsNeedUDP = true
	d.Frame(st)
	onScreen(t, d, "Calls in the browser need UDP on this server, which has it off: use the desktop app")
	wantEvents(t, "a click on the disabled Accept", step(t, d, "Accept"))
}

func TestDevicePickerChoosesMicrophoneAndSpeaker(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.WithCall(uitest.Direct(), state.CallActive)
	d.Frame(st)
	wantEvents(t, "Sound devices", step(t, d, "Sound devices"), ui.ListAudioDevices{})
	onScreen(t, d, "Looking for devices…")
	st.AudioDevices = &state.AudioDevices{
		Inputs:  []state.AudioDevice{{ID: "mic0", Name: "Built-in Microphone", Default: true}, {ID: "mic1", Name: "USB Headset Mic"}},
		Outputs: []state.AudioDevice{{ID: "spk0", Name: "Speakers", Default: true}, {ID: "spk1", Name: "USB Headset"}},
		Output:  "spk1",
	}
	d.Frame(st)
	// The device the system marks as its default is the system default:
	// one choice, not two.
	onScreen(t, d, "System default (Built-in Microphone)")
	for _, name := range []string{"Built-in Microphone", "Speakers", "System default"} {
		if _, ok := d.Find(name); ok {
			t.Errorf("%q is a choice of its own", name)
		}
	}
	wantEvents(t, "a microphone", step(t, d, "USB Headset Mic"), ui.SelectDevices{Input: "mic1", Output: "spk1"})
	wantEvents(t, "a speaker", step(t, d, "System default (Speakers)"), ui.SelectDevices{Output: ""})
	// The default device chosen by its own ID shows as the system's: its
	// button is the filled one (the strip just above its text is ink,
	// not the panel's surface).
	st.AudioDevices.Output = "spk0"
	d.Frame(st)
	d.Frame(st)
	r, err := uitest.NewRenderer(desktop)
	must(t, err)
	defer r.Release()
	img, err := r.Render(&d.Ops)
	must(t, err)
	filled := func(label string) bool {
		n, ok := d.Find(label)
		if !ok {
			t.Fatalf("no %q; have %q", label, d.Texts())
		}
		v := n.Visible
		strip := image.Rect(v.Min.X, v.Min.Y-5, v.Max.X, v.Min.Y-1)
		return ink(img, strip, ui.LightPalette.Surface) > strip.Dx()*strip.Dy()/2
	}
	if !filled("System default (Speakers)") || filled("USB Headset") {
		t.Errorf("with the default speaker chosen by its ID, System default filled %v, USB Headset filled %v",
			filled("System default (Speakers)"), filled("USB Headset"))
	}

	// Echo cancellation: on by default; the chosen one does nothing.
	wantEvents(t, "echo on while on", step(t, d, "Cancel the echo"))
	wantEvents(t, "echo off", step(t, d, "Off (headset)"), ui.SetEchoCancelling{On: false})
	st.AudioDevices.EchoOff = true
	d.Frame(st)
	wantEvents(t, "echo off while off", step(t, d, "Off (headset)"))
	wantEvents(t, "echo on", step(t, d, "Cancel the echo"), ui.SetEchoCancelling{On: true})

	// The panel goes with the call: it does not come back as the dialog
	// of the devices outside a call.
	st.Call.State = state.CallEnded
	d.Frame(st)
	d.Frame(st)
	if _, ok := d.Find("Microphone"); ok {
		t.Error("the call's device panel stays after the call ended")
	}
}

func TestNarrowWindowKeepsTheCallInSight(t *testing.T) {
	d := newDriver(t, ui.English, image.Pt(400, 760))
	st := uitest.WithCall(uitest.Busy(), state.CallActive)
	st.Open = nil
	d.Frame(st)
	onScreen(t, d, "In call · 02:13")
	onScreen(t, d, "Search messages")
	wantEvents(t, "Hang up", step(t, d, "Hang up"), ui.HangUp{})
}

func TestIncomingCallDialogPaintsAcceptAndDecline(t *testing.T) {
	for _, dark := range []bool{false, true} {
		p := ui.LightPalette
		if dark {
			p = ui.DarkPalette
		}
		d, img := render(t, uitest.WithCall(uitest.Direct(), state.CallIncoming), ui.English, dark, desktop)
		for _, b := range []struct {
			label string
			c     color.NRGBA
		}{{"Accept", p.Accept}, {"Decline", p.Reject}} {
			n, ok := d.Find(b.label)
			if !ok {
				t.Fatalf("no %s button", b.label)
			}
			if got := matching(img, n.Visible.Inset(-24), b.c); got < 1000 {
				t.Errorf("dark %v: the %s button has %d pixels of its colour", dark, b.label, got)
			}
		}
		// The scrim darkens the window's background around the dialog.
		if c := img.RGBAAt(desktop.X-10, desktop.Y/2); int(c.R)+int(c.G)+int(c.B) >= int(p.Bg.R)+int(p.Bg.G)+int(p.Bg.B) {
			t.Errorf("dark %v: the scrim does not darken the window: %v over %v", dark, c, p.Bg)
		}
	}
}

// matching counts the pixels of box that have (nearly) colour c.
func matching(img *image.RGBA, box image.Rectangle, c color.NRGBA) int {
	n := 0
	box = box.Intersect(img.Bounds())
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			p := img.RGBAAt(x, y)
			if absDiff(p.R, c.R)+absDiff(p.G, c.G)+absDiff(p.B, c.B) <= 12 {
				n++
			}
		}
	}
	return n
}

func TestWithoutAudioThereAreNoCalls(t *testing.T) {
	for _, c := range []struct {
		lang ui.Lang
		says string
	}{
		{ui.English, "This browser cannot make calls: use the desktop app"},
		{ui.Chinese, "此浏览器无法通话，请使用桌面版"},
	} {
		d := newDriver(t, c.lang, desktop)
		st := uitest.Direct()
		st.NoAudio = true
		d.Frame(st)
		for _, s := range []string{"User ID to call", "Call a user ID…", "按 ID 呼叫"} {
			if _, ok := d.Find(s); ok {
				t.Errorf("%v: %q is on screen without audio", c.lang, s)
			}
		}
		// The header's call button says why it is off, and does nothing.
		wantEvents(t, "the disabled call button", step(t, d, c.says))
		onScreen(t, d, c.says)
	}
}

// described counts the visible controls described as desc.
func described(d *uitest.Driver, desc string) int {
	n := 0
	for _, nd := range d.Screen() {
		if nd.Desc.Description == desc && !nd.Visible.Empty() {
			n++
		}
	}
	return n
}

// On a phone-sized window the call bar's words and its controls take two
// rows where they do not fit on one, and "Call again" is an icon with a
// tooltip: nothing is cut (TestNoLabelOrHintIsCutOff), and the controls
// still work. The default window has room for one row.
func TestCallBarFitsAPhoneSizedWindow(t *testing.T) {
	for _, c := range []struct {
		lang                 ui.Lang
		ringing, inCall, end string
		cancel, hangUp       string // the ringing call's button, the active one's
	}{
		{ui.English, "Ringing…", "In call · 02:13", "Call ended (3:41)", "Cancel call", "Hang up"},
		{ui.Chinese, "等待对方接听…", "通话中 · 02:13", "通话结束（3:41）", "取消呼叫", "挂断"},
	} {
		d := newDriver(t, c.lang, image.Pt(320, 480))
		d.Frame(uitest.WithCall(uitest.Direct(), state.CallRinging))
		onScreen(t, d, c.ringing)
		wantEvents(t, c.cancel, step(t, d, c.cancel), ui.HangUp{})
		d.Frame(uitest.WithCall(uitest.Direct(), state.CallActive))
		if s, b := onScreenNode(t, d, c.inCall), onScreenNode(t, d, c.hangUp); b.Visible.Min.Y < s.Visible.Max.Y {
			t.Errorf("%v: %q is beside %q, not under it", c.lang, c.hangUp, c.inCall)
		}
		wantEvents(t, c.hangUp, step(t, d, c.hangUp), ui.HangUp{})

		d.Frame(uitest.WithCall(uitest.Direct(), state.CallEnded))
		onScreen(t, d, c.end)
		again := map[ui.Lang]string{ui.English: "Call again", ui.Chinese: "再次呼叫"}[c.lang]
		if n, ok := d.Find(again); !ok || n.Desc.Label != "" {
			t.Errorf("%v: %q is not an icon button on a narrow window: %+v", c.lang, again, n.Desc)
		}
		wantEvents(t, again, step(t, d, again), ui.Call{UserID: "4822"})

		wide := newDriver(t, c.lang, image.Pt(840, 480))
		wide.Frame(uitest.WithCall(uitest.Direct(), state.CallActive))
		if s, b := onScreenNode(t, wide, c.inCall), onScreenNode(t, wide, c.hangUp); b.Visible.Min.Y >= s.Visible.Max.Y {
			t.Errorf("%v: at 840 dp the call bar takes two rows", c.lang)
		}
	}
}

// The "Call a user ID…" dialog takes the keyboard: its field has the
// focus, Enter calls, and Esc closes it (and only it).
func TestCallAUserIDDialogTakesTheKeyboard(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Busy()
	d.Frame(st)
	d.Frame(st) // the open conversation's composer takes the focus
	step(t, d, "Members")
	onScreen(t, d, "Sofia Rossi")
	wantEvents(t, "Call a user ID…", step(t, d, "Call a user ID…"))
	d.Type("4822")
	d.Frame(st)
	if got := fieldText(d, "User ID to call"); got != "4822" {
		t.Fatalf("typing after the dialog opened put %q in its field", got)
	}
	d.Press(key.NameReturn, 0)
	d.Frame(st)
	wantEvents(t, "Enter", withoutDrafts(d.Take()), ui.Call{UserID: "4822"})

	step(t, d, "Call a user ID…")
	d.Type("48")
	d.Frame(st)
	d.Press(key.NameEscape, 0)
	d.Frame(st)
	if _, ok := d.Find("User ID to call"); ok {
		t.Fatal("Esc left the dialog open")
	}
	onScreen(t, d, "Sofia Rossi") // the member list behind it stays
	wantEvents(t, "Esc", withoutDrafts(d.Take()))
	step(t, d, "Call a user ID…")
	if got := fieldText(d, "User ID to call"); got != "" {
		t.Errorf("the dialog opens again with %q", got)
	}
}

// The sound devices can be chosen before a call, from the button next to
// "Call a user ID…": a dialog that Esc or Done closes. During a call the
// call bar has the one button; the browser has none.
func TestSoundDevicesCanBeChosenOutsideACall(t *testing.T) {
	for _, size := range []image.Point{desktop, {320, 480}} {
		d := newDriver(t, ui.English, size)
		st := uitest.Busy()
		st.Open = nil
		d.Frame(st)
		wantEvents(t, "Sound devices", step(t, d, "Sound devices"), ui.ListAudioDevices{})
		onScreen(t, d, "Looking for devices…")
		st.AudioDevices = &state.AudioDevices{
			Inputs:  []state.AudioDevice{{ID: "mic0", Name: "Built-in Microphone", Default: true}, {ID: "mic1", Name: "USB Headset Mic"}},
			Outputs: []state.AudioDevice{{ID: "spk0", Name: "Speakers", Default: true}, {ID: "spk1", Name: "USB Headset"}},
		}
		d.Frame(st)
		wantEvents(t, "a microphone", step(t, d, "USB Headset Mic"), ui.SelectDevices{Input: "mic1"})
		wantEvents(t, "a speaker", step(t, d, "USB Headset"), ui.SelectDevices{Output: "spk1"})
		wantEvents(t, "echo off", step(t, d, "Off (headset)"), ui.SetEchoCancelling{On: false})
		// Nothing behind the dialog takes a click.
		wantEvents(t, "a click beside the dialog", step(t, d, "Project Parley"))
		d.Press(key.NameEscape, 0)
		d.Frame(st)
		if _, ok := d.Find("USB Headset Mic"); ok {
			t.Fatalf("%v: Esc left the sound devices open", size)
		}
		step(t, d, "Sound devices")
		onScreen(t, d, "USB Headset Mic")
		wantEvents(t, "Done", step(t, d, "Done"))
		if _, ok := d.Find("USB Headset Mic"); ok {
			t.Fatalf("%v: Done left the sound devices open", size)
		}
	}

	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.WithCall(uitest.Busy(), state.CallActive))
	if n := described(d, "Sound devices"); n != 1 {
		t.Errorf("during a call %d Sound devices buttons are on screen, want the call bar's", n)
	}
	st := uitest.Busy()
	st.NoAudio = true
	d.Frame(st)
	if n := described(d, "Sound devices"); n != 0 {
		t.Error("the browser offers sound devices")
	}
}

// A direct chat's header has the call button; its member list does not
// offer the same call again. A group's member list does.
func TestADirectChatOffersOneCallButton(t *testing.T) {
	d := newDriver(t, ui.Chinese, desktop)
	d.Frame(uitest.Direct())
	step(t, d, "成员")
	onScreen(t, d, "4822")
	if n := described(d, "呼叫 王芳"); n != 1 {
		t.Fatalf("%d buttons call 王芳; have %q", n, d.Texts())
	}
	wantEvents(t, "呼叫 王芳", step(t, d, "呼叫 王芳"), ui.Call{UserID: "4822"})
	d.Frame(uitest.Busy())
	if _, ok := d.Find("Sofia Rossi"); !ok {
		step(t, d, "成员")
	}
	if n := described(d, "呼叫 Tom Baker"); n != 1 {
		t.Errorf("a group's member list has %d buttons to call Tom Baker", n)
	}
}
