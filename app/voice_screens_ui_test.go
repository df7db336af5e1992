package main

import (
	"context"
	"fmt"
	"image"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/app/model"
	"parley/app/state"
	"parley/media/audio"
	"parley/server/node/nodetest"
	"parley/ui"
)

// speakingAudio is a microphone that talks: syllables of a voiced sound
// with a gliding pitch and pauses between phrases (a waveform worth
// drawing), paced in real time; the speaker is silent.
type speakingAudio struct{ pitch float64 }

func (s speakingAudio) Devices() ([]audio.Device, []audio.Device, error) {
	d := []audio.Device{{ID: "virtual", Name: "Virtual", Default: true}}
	return d, d, nil
}

func (s speakingAudio) Open(ctx context.Context, input, output string, capture bool) (model.AudioStream, error) {
	n, phase := 0, 0.0
	source := func(f []int16) {
		for i := range f {
			t := float64(n) / 48000
			n++
			syl := math.Mod(t*3.3, 1)
			env := 0.0
			if syl < 0.7 && math.Mod(t, 2.4) < 1.9 {
				env = math.Sin(math.Pi * syl / 0.7)
			}
			phase += 2 * math.Pi * (s.pitch + 30*math.Sin(2*math.Pi*0.7*t)) / 48000
			f[i] = int16(7000 * env * (math.Sin(phase) + 0.5*math.Sin(2*phase) + 0.3*math.Sin(3*phase)))
		}
	}
	return closer{audio.NewVirtual(source, nil)}, nil
}

type closer struct{ *audio.Virtual }

func (closer) Close() error { return nil }

// seedSpeaker is seedUser with a microphone that talks.
func seedSpeaker(t testing.TB, srv *nodetest.Server, dir, name string, pitch float64) *seeded {
	t.Helper()
	s := &seeded{t: t, changed: make(chan struct{}, 1)}
	m, err := model.NewModel(model.Config{DataDir: dir, Server: srv.HTTPURL, Device: "seed",
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		Audio: speakingAudio{pitch: pitch},
		Invalidate: func() {
			select {
			case s.changed <- struct{}{}:
			default:
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	s.m = m
	t.Cleanup(func() { m.Close() })
	ctx := context.Background()
	if err := m.Register(ctx, srv.HTTPURL, name, "correct horse", "correct horse"); err != nil {
		t.Fatal(err)
	}
	s.me = *m.State().Registered
	s.until("online", func(st state.State) bool { return st.Conn == state.Online })
	return s
}

// record records a voice message of about d into the open conversation
// and waits until it is sent.
func (s *seeded) record(d time.Duration) {
	s.t.Helper()
	ctx := context.Background()
	sent := len(s.m.State().Transfers)
	if err := s.m.StartRecording(ctx); err != nil {
		s.t.Fatal(err)
	}
	s.until("recorded", func(st state.State) bool { return st.Voice.Recording != nil && st.Voice.Recording.Elapsed >= d })
	if err := s.m.StopRecording(ctx, true); err != nil {
		s.t.Fatal(err)
	}
	s.until("sent", func(st state.State) bool {
		return len(st.Transfers) == sent+1 && !slices.ContainsFunc(st.Transfers, func(tr state.Transfer) bool { return tr.State != state.TransferDone })
	})
}

// voiceScreens: 王芳 and 李华 exchange voice messages (recorded through
// the model from a talking virtual microphone). 李华's app (English,
// light) plays her first one: its waveform fills with the primary colour
// as it plays, her second still has its unplayed dot. 王芳's app
// (Chinese, dark) records one (click to start) on the null backend and
// sends it, and his app receives it: a voice message between two real
// apps.
func voiceScreens(t *testing.T, bin string) {
	srv := nodetest.Start(t)
	size := image.Pt(1280, 800)
	liDir, wangDir := t.TempDir(), t.TempDir()
	li := seedSpeaker(t, srv, liDir, "李华", 120)
	wang := seedSpeaker(t, srv, wangDir, "王芳", 210)
	dm := li.direct(wang)
	wang.say(dm, "读书会改到周四晚上了，细节听语音。")
	if err := wang.m.Open(context.Background(), dm); err != nil {
		t.Fatal(err)
	}
	wang.record(6 * time.Second)
	li.say(dm, "Got it — thanks! 周四见。")
	li.record(3 * time.Second)
	wang.record(2 * time.Second)
	voices := func(st state.State) bool {
		if st.Open == nil || st.Open.ID != dm {
			return false
		}
		n := 0
		for _, m := range st.Open.Messages {
			if state.IsVoice(m.File) && m.File.Voice != nil {
				n++
			}
		}
		return n == 3
	}
	liSt := li.until("the voice messages", voices)
	wangSt := wang.until("the voice messages", voices)
	li.m.Close()
	wang.m.Close()
	liSt.Notices, liSt.Search, liSt.Voice.Recording = nil, nil, nil
	wangSt.Notices, wangSt.Search = nil, nil

	xa, xb := startXvfb(t, size), startXvfb(t, size)
	args := func(dir, lang, theme string) []string {
		return []string{"-server", srv.HTTPURL, "-data", dir, "-size", fmt.Sprintf("%dx%d", size.X, size.Y), "-lang", lang, "-theme", theme, "-audio", "null"}
	}
	a := startApp(t, bin, xa, args(liDir, "en", "light")...)
	b := startApp(t, bin, xb, args(wangDir, "zh-CN", "dark")...)
	openOnXvfb(t, xa, liSt, size, ui.English, false, "王芳")
	openOnXvfb(t, xb, wangSt, size, ui.Chinese, true, "李华")

	// 李华 plays her first voice message; the shot is taken while it
	// plays, its played part in the primary colour.
	wave := locateAfter(t, liSt, size, ui.English, false, nil, "Position in the voice message").Visible
	xa.clickAt(t, locate(t, liSt, size, ui.English, false, "Play"))
	xa.xdo(t, "mousemove", "700", "120") // off the bubbles: no hover in the picture
	playing := xa.waitForScreen(t, "her voice message a third played", func(img image.Image) bool {
		_, played := colours(img, wave, ui.LightPalette.Primary)
		return played > 500 // about a third of its bars
	})
	save(t, "voice.png", crop(playing, size))

	// 王芳 starts a recording with a click: the bar shows its length,
	// shot once it has counted two seconds.
	micLabel := "语音消息：按住录音，或点击开始、再点击结束"
	mic := locate(t, wangSt, size, ui.Chinese, true, micLabel)
	rec := wangSt
	rec.Voice.Recording = &state.Recording{Conv: dm}
	clock := locateAfter(t, rec, size, ui.Chinese, true, []string{micLabel}, "0:00").Visible
	xb.clickAt(t, mic)
	xb.xdo(t, "mousemove", "700", "120")
	shot := xb.waitForScreen(t, "the recording bar", func(img image.Image) bool {
		// The red dot of the recording, left of its clock.
		_, red := colours(img, image.Rect(clock.Min.X-40, clock.Min.Y, clock.Min.X, clock.Max.Y), ui.DarkPalette.Danger)
		return red > 20
	})
	for i := range 2 { // 0:01, then 0:02
		last := shot
		shot = xb.waitForScreen(t, fmt.Sprintf("the clock's tick %d", i+1), func(img image.Image) bool { return differ(last, img, clock) > 0 })
	}
	save(t, "voice-zh.png", crop(shot, size))

	// She sends it (the button is Send now): it goes up from her app and
	// comes down to his.
	received := logged(a, "msg=notice", "kind=file_received")
	sent := logged(b, "msg=transfer", "direction=up", "state=done")
	xb.clickAt(t, mic)
	b.waitLog(t, sent, "msg=transfer", "direction=up", "state=done")
	a.waitLog(t, received, "msg=notice", "kind=file_received")
}

// logged counts the lines the app logged so far with every one of parts.
func logged(a *runningApp, parts ...string) int {
	n := 0
	for line := range strings.Lines(a.logs.String()) {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}
