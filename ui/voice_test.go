package ui_test

import (
	"image"
	"testing"
	"time"

	"gioui.org/f32"
	"gioui.org/io/key"
	"gioui.org/io/pointer"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui"
	"parley/ui/uitest"
)

// voiceChat is the direct conversation with 王芳 and a voice message of
// hers (12 s, unplayed) and one of mine (3 s).
func voiceChat() state.State {
	st := uitest.Direct()
	o := *st.Open
	wave := make([]byte, 100)
	for i := range wave {
		wave[i] = byte((i * 37) % 256)
	}
	voice := func(seq int64, from proto.User, mine bool, ms int64) state.Message {
		m := state.Message{Mine: mine}
		m.Seq, m.Conv, m.Sender, m.SenderName, m.Kind = seq, o.ID, from.ID, from.Name, proto.MsgFile
		m.Time = o.Messages[len(o.Messages)-1].Time + seq
		m.File = &proto.File{ID: "v" + string(rune('0'+seq)), Name: "voice.ogg", Size: 24_000, SHA256: "ab", Type: "audio/ogg",
			Voice: &proto.Voice{DurationMS: ms, Waveform: wave}}
		return m
	}
	o.Messages = append(append([]state.Message(nil), o.Messages...), voice(10, uitest.WangFang, false, 12_000), voice(11, uitest.LiHua, true, 3_000))
	o.Revision++
	st.Open = &o
	st.Voice.Played = map[string]bool{}
	return st
}

func pt(p image.Point) f32.Point { return f32.Pt(float32(p.X), float32(p.Y)) }

func micPoint(t *testing.T, d *uitest.Driver) image.Point {
	t.Helper()
	p, err := d.Screen().ClickPoint("Voice message: hold to record, or click to start and stop")
	must(t, err)
	return p
}

// Hold to record: a press starts, the bar shows the length, a release a
// while later sends; a press that slides left discards.
func TestRecorderHoldToRecord(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := voiceChat()
	d.Frame(st)
	at := micPoint(t, d)
	d.Router.Queue(pointer.Event{Kind: pointer.Press, Source: pointer.Touch, Buttons: pointer.ButtonPrimary, Position: pt(at)})
	if evs := d.Frame(st); count(evs, ui.StartRecording{}) != 1 {
		t.Fatalf("a press on the microphone: %+v", evs)
	}
	rec := st
	rec.Voice.Recording = &state.Recording{Conv: st.Open.ID, Elapsed: 7 * time.Second, Level: 0.6}
	d.Frame(rec)
	for _, s := range []string{"0:07", "Slide left to cancel", "Discard the recording"} {
		onScreen(t, d, s)
	}
	d.Now = d.Now.Add(time.Second)
	d.Router.Queue(pointer.Event{Kind: pointer.Release, Source: pointer.Touch, Position: pt(at)})
	if evs := d.Frame(rec); count(evs, ui.StopRecording{Send: true}) != 1 {
		t.Fatalf("a release after a second: %+v", evs)
	}
	d.Frame(st)
	if _, ok := d.Find("Slide left to cancel"); ok {
		t.Fatal("the recording bar stays after sending")
	}

	// Slide away.
	d.Router.Queue(pointer.Event{Kind: pointer.Press, Source: pointer.Touch, Buttons: pointer.ButtonPrimary, Position: pt(at)})
	d.Frame(st)
	d.Frame(rec)
	for _, x := range []int{20, 60, 120} {
		d.Router.Queue(pointer.Event{Kind: pointer.Move, Source: pointer.Touch, Buttons: pointer.ButtonPrimary, Position: pt(at.Sub(image.Pt(x, 0)))})
	}
	if evs := d.Frame(rec); count(evs, ui.StopRecording{Send: false}) != 1 || count(evs, ui.StopRecording{Send: true}) != 0 {
		t.Fatalf("sliding left: %+v", evs)
	}
	d.Router.Queue(pointer.Event{Kind: pointer.Release, Source: pointer.Touch, Position: pt(at.Sub(image.Pt(120, 0)))})
	if evs := d.Frame(st); len(evs) != 0 {
		t.Fatalf("the release after the slide: %+v", evs)
	}
}

// Click to start and click to stop: a short press leaves the recording
// on, the button becomes Send; Cancel discards.
func TestRecorderClickToStartAndStop(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := voiceChat()
	rec := st
	rec.Voice.Recording = &state.Recording{Conv: st.Open.ID, Elapsed: 2 * time.Second, Level: 0.3}
	d.Frame(st)
	d.ClickAt(micPoint(t, d))
	if evs := d.Frame(st); count(evs, ui.StartRecording{}) != 1 || len(evs) != 1 {
		t.Fatalf("a click on the microphone: %+v", evs)
	}
	d.Frame(rec)
	onScreen(t, d, "Click send when done")
	must(t, d.Click("Send the voice message"))
	if evs := d.Frame(rec); count(evs, ui.StopRecording{Send: true}) != 1 {
		t.Fatalf("Send: %+v", evs)
	}
	d.Frame(st)
	d.ClickAt(micPoint(t, d))
	d.Frame(st)
	d.Frame(rec)
	must(t, d.Click("Discard the recording"))
	if evs := d.Frame(rec); count(evs, ui.StopRecording{Send: false}) != 1 {
		t.Fatalf("Cancel: %+v", evs)
	}

	// Full: it says so, and Send still sends.
	d.Frame(st)
	d.ClickAt(micPoint(t, d))
	d.Frame(st)
	full := st
	full.Voice.Recording = &state.Recording{Conv: st.Open.ID, Elapsed: 15 * time.Minute, Full: true}
	d.Frame(full)
	onScreen(t, d, "15-minute limit reached")
	onScreen(t, d, "15:00")
	must(t, d.Click("Send the voice message"))
	if evs := d.Frame(full); count(evs, ui.StopRecording{Send: true}) != 1 {
		t.Fatalf("Send at the limit: %+v", evs)
	}
	// The model ended a recording by itself (the device failed): the
	// bar goes.
	d.Frame(st)
	d.ClickAt(micPoint(t, d))
	d.Frame(st)
	d.Frame(rec)
	d.Frame(st)
	d.Frame(st)
	if _, ok := d.Find("Discard the recording"); ok {
		t.Fatal("the bar stays after the model ended the recording")
	}
}

// The microphone shows only while the composer is empty, and not where
// there is no sound (the browser app).
func TestMicrophoneOnlyWithAnEmptyComposer(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := voiceChat()
	d.Frame(st)
	micPoint(t, d)
	st.Drafts = map[proto.ConvID]string{st.Open.ID: "hello"}
	d2 := newDriver(t, ui.English, desktop)
	d2.Frame(st)
	if _, ok := d2.Find("Voice message: hold to record, or click to start and stop"); ok {
		t.Fatal("the microphone shows with text in the composer")
	}
	onScreen(t, d2, "Send")
	st = voiceChat()
	st.NoAudio = true
	d3 := newDriver(t, ui.English, desktop)
	d3.Frame(st)
	if _, ok := d3.Find("Voice message: hold to record, or click to start and stop"); ok {
		t.Fatal("the microphone shows without sound")
	}
}

// The voice bubble: play and pause, the position, the unplayed dot, the
// speed toggle, and seeking on the waveform.
func TestVoiceBubble(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := voiceChat()
	conv := st.Open.ID
	d.Frame(st)
	onScreen(t, d, "0:12")
	onScreen(t, d, "0:03")
	onScreen(t, d, "Not played yet") // hers; mine has none
	if n := countDesc(d, "Not played yet"); n != 1 {
		t.Fatalf("%d unplayed dots, want 1 (hers)", n)
	}
	plays := playButtons(d)
	if len(plays) != 2 {
		t.Fatalf("%d Play buttons", len(plays))
	}
	d.ClickAt(plays[0])
	if evs := d.Frame(st); count(evs, ui.PlayVoice{Conv: conv, Seq: 10}) != 1 {
		t.Fatalf("Play: %+v", evs)
	}
	playing := st
	playing.Voice.Played = map[string]bool{"v:": true}
	playing.Voice.Played[st.Open.Messages[len(st.Open.Messages)-2].File.ID] = true
	playing.Voice.Playing = &state.Playback{Conv: conv, Seq: 10, FileID: "x", Playing: true, Position: 3 * time.Second, Length: 12 * time.Second}
	d.Frame(playing)
	onScreen(t, d, "0:03 / 0:12")
	if _, ok := d.Find("Not played yet"); ok {
		t.Fatal("the dot stays once played")
	}
	must(t, d.Click("Pause"))
	if evs := d.Frame(playing); count(evs, ui.PauseVoice{}) != 1 {
		t.Fatalf("Pause: %+v", evs)
	}
	d.Frame(playing)
	must(t, d.Click("1×"))
	if evs := d.Frame(playing); count(evs, ui.VoiceSpeed{Speed: 1.5}) != 1 {
		t.Fatalf("the speed toggle: %+v", evs)
	}
	fast := playing
	fast.Voice.Speed = 2
	d.Frame(fast)
	must(t, d.Click("2×"))
	if evs := d.Frame(fast); count(evs, ui.VoiceSpeed{Speed: 1}) != 1 {
		t.Fatalf("the speed toggle from 2×: %+v", evs)
	}

	// Seek: a click at three quarters of her waveform, while playing.
	wave := waveforms(d)[0]
	x := wave.Min.X + wave.Dx()*3/4
	d.ClickAt(image.Pt(x, (wave.Min.Y+wave.Max.Y)/2))
	evs := d.Frame(playing)
	var seek *ui.SeekVoice
	for _, e := range evs {
		if s, ok := e.(ui.SeekVoice); ok {
			seek = &s
		}
	}
	if seek == nil || seek.Seq != 10 || seek.Position < 8500*time.Millisecond || seek.Position > 9500*time.Millisecond {
		t.Fatalf("a click at 3/4 of 12 s: %+v", evs)
	}
	// On my message, not playing: it plays from there.
	mine := waveforms(d)[1]
	d.Drag(image.Pt(mine.Min.X+2, mine.Min.Y+5), image.Pt(mine.Min.X+mine.Dx()/2, mine.Min.Y+5))
	evs = d.Frame(playing)
	if count(evs, ui.PlayVoice{Conv: conv, Seq: 11}) != 1 {
		t.Fatalf("a drag on a message not playing: %+v", evs)
	}
}

func countDesc(d *uitest.Driver, s string) int {
	n := 0
	for _, nd := range d.Screen() {
		if nd.Desc.Description == s && !nd.Visible.Empty() {
			n++
		}
	}
	return n
}

func playButtons(d *uitest.Driver) []image.Point {
	var out []image.Point
	for _, nd := range d.Screen() {
		if nd.Desc.Description == "Play" && !nd.Visible.Empty() {
			out = append(out, nd.Visible.Min.Add(nd.Visible.Max).Div(2))
		}
	}
	return out
}

func waveforms(d *uitest.Driver) []image.Rectangle {
	var out []image.Rectangle
	for _, nd := range d.Screen() {
		if nd.Desc.Description == "Position in the voice message" && !nd.Visible.Empty() {
			out = append(out, nd.Visible)
		}
	}
	return out
}

// The conversation list says "[Voice message] 0:12", not the file's name.
func TestVoicePreviewInTheList(t *testing.T) {
	st := voiceChat()
	last := st.Open.Messages[len(st.Open.Messages)-2].Message
	for i := range st.Conversations {
		if st.Conversations[i].ID == st.Open.ID {
			st.Conversations[i].Last = &last
		}
	}
	for lang, want := range map[ui.Lang]string{ui.English: "[Voice message] 0:12", ui.Chinese: "[语音] 0:12"} {
		d := newDriver(t, lang, desktop)
		d.Frame(st)
		if _, ok := d.FindContaining(want); !ok {
			t.Errorf("%s: %q is not in the list; have %q", lang, want, d.Texts())
		}
	}
}

// From the keyboard: Tab from the message field to the microphone, Enter
// starts, Enter again sends; Escape discards.
func TestRecorderFromTheKeyboard(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := voiceChat()
	rec := st
	rec.Voice.Recording = &state.Recording{Conv: st.Open.ID, Elapsed: time.Second}
	d.Frame(st)
	p, err := d.Screen().FieldPoint("Message")
	must(t, err)
	d.ClickAt(p)
	d.Frame(st)
	d.Tab(false)
	d.Frame(st)
	d.Press(key.NameReturn, 0)
	if evs := d.Frame(st); count(evs, ui.StartRecording{}) != 1 {
		t.Fatalf("Tab, Enter: %+v", evs)
	}
	d.Frame(rec)
	d.Press(key.NameReturn, 0)
	if evs := d.Frame(rec); count(evs, ui.StopRecording{Send: true}) != 1 {
		t.Fatalf("Enter while recording: %+v", evs)
	}
	d.Frame(st)
	d.Take()
	d.Press(key.NameSpace, 0)
	d.Frame(st)
	d.Frame(rec)
	d.Press(key.NameEscape, 0)
	d.Frame(rec)
	if evs := d.Take(); count(evs, ui.StartRecording{}) != 1 || count(evs, ui.StopRecording{Send: false}) != 1 {
		t.Fatalf("Space, Escape: %+v", evs)
	}
}
