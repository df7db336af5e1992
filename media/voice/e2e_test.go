package voice_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"parley/app/model"
	"parley/app/state"
	"parley/media/audio"
	"parley/media/internal/testsignal"
	"parley/media/voice"
	"parley/net/proto"
	"parley/server/node/nodetest"
)

// tapAudio is the machine's audio on malgo's null backend (real devices
// paced in real time, no sound card), with the microphone's frames
// replaced by a known signal and the speaker's frames kept.
type tapAudio struct {
	null model.CallAudio

	mu     sync.Mutex
	mic    []int16 // what the microphone hears next
	heard  int     // samples captured so far
	played []int16
}

func (ta *tapAudio) Devices() ([]audio.Device, []audio.Device, error) { return ta.null.Devices() }

func (ta *tapAudio) Open(ctx context.Context, input, output string, capture bool) (model.AudioStream, error) {
	st, err := ta.null.Open(ctx, input, output, capture)
	if err != nil {
		return nil, err
	}
	return &tapStream{AudioStream: st, ta: ta}, nil
}

type tapStream struct {
	model.AudioStream
	ta *tapAudio
}

func (s *tapStream) ReadFrame(ctx context.Context, dst []int16) error {
	if err := s.AudioStream.ReadFrame(ctx, dst); err != nil {
		return err
	}
	s.ta.mu.Lock()
	defer s.ta.mu.Unlock()
	n := copy(dst, s.ta.mic)
	clear(dst[n:])
	s.ta.mic = s.ta.mic[n:]
	s.ta.heard += len(dst)
	return nil
}

func (s *tapStream) WriteFrame(ctx context.Context, src []int16) error {
	if err := s.AudioStream.WriteFrame(ctx, src); err != nil {
		return err
	}
	s.ta.mu.Lock()
	defer s.ta.mu.Unlock()
	s.ta.played = append(s.ta.played, src...)
	return nil
}

type app struct {
	*model.Model
	t       *testing.T
	changed chan struct{}
}

func newApp(t *testing.T, srv *nodetest.Server, dev model.CallAudio) *app {
	a := &app{t: t, changed: make(chan struct{}, 1)}
	m, err := model.NewModel(model.Config{DataDir: t.TempDir(), Server: srv.HTTPURL, Device: "test", Audio: dev,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		Files: model.FilesConfig{Downloads: t.TempDir()},
		Invalidate: func() {
			select {
			case a.changed <- struct{}{}:
			default:
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	a.Model = m
	t.Cleanup(func() { m.Close() })
	return a
}

// waitFor waits for the state to satisfy ok (the deadline guards against
// a hang; it is not a timing assertion).
func (a *app) waitFor(what string, ok func(st state.State) bool) state.State {
	a.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		st := a.State()
		if ok(st) {
			return st
		}
		select {
		case <-a.changed:
		case <-deadline:
			a.t.Fatalf("timed out waiting for %s; notices %+v", what, st.Notices)
		}
	}
}

func (a *app) register(srv *nodetest.Server, name string) proto.User {
	a.t.Helper()
	if err := a.Register(context.Background(), srv.HTTPURL, name, "secret-password", "secret-password"); err != nil {
		a.t.Fatal(err)
	}
	u := *a.State().Registered
	a.waitFor("online", func(st state.State) bool { return st.Conn == state.Online })
	return u
}

// A voice message recorded on the null audio backend from the test
// talker goes through a real server and plays back on the other side
// with the same duration, and the same sound: the played samples
// correlate with the spoken ones above 0.9 (at the best lag within ±8
// samples). The codec alone gives 0.975 on this talker (the one of
// voice_test.go); nothing else in the path may change a sample (the
// upload and the download are checked by SHA-256, and the player at 1×
// gives the decoder's output), so 0.9 leaves room for Opus's own
// variation, while a frame lost or repeated anywhere shifts everything
// after it by 20 ms, which no lag within ±8 samples lines up.
func TestVoiceMessageEndToEnd(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	talk := testsignal.PCM(testsignal.Talker{Seed: 16, Pitch: 140, Rate: 4, Amp: 0.5}.Speech(48000 * 4))
	null := model.SystemAudio(audio.Config{Null: true})
	liAudio, wangAudio := &tapAudio{null: null, mic: talk}, &tapAudio{null: null}
	li, wang := newApp(t, srv, liAudio), newApp(t, srv, wangAudio)
	li.register(srv, "李华")
	wangU := wang.register(srv, "Wang")
	if err := li.OpenDirect(ctx, fmt.Sprint(wangU.ID)); err != nil {
		t.Fatal(err)
	}
	conv := li.waitFor("the conversation open", func(st state.State) bool { return st.Open != nil }).Open.ID

	if err := li.StartRecording(ctx); err != nil {
		t.Fatal(err)
	}
	li.waitFor("two seconds recorded", func(st state.State) bool {
		return st.Voice.Recording != nil && st.Voice.Recording.Elapsed >= 2*time.Second
	})
	if err := li.StopRecording(ctx, true); err != nil {
		t.Fatal(err)
	}
	liAudio.mu.Lock()
	spoken := slices.Clone(talk[:liAudio.heard])
	liAudio.mu.Unlock()
	li.waitFor("the voice message sent", func(st state.State) bool {
		return len(st.Transfers) == 1 && st.Transfers[0].State == state.TransferDone
	})

	wang.waitFor("the conversation", func(st state.State) bool { return len(st.Conversations) > 0 })
	if err := wang.Open(ctx, conv); err != nil {
		t.Fatal(err)
	}
	st := wang.waitFor("the voice message", func(st state.State) bool {
		return st.Open != nil && slices.ContainsFunc(st.Open.Messages, func(m state.Message) bool { return m.File != nil })
	})
	i := slices.IndexFunc(st.Open.Messages, func(m state.Message) bool { return m.File != nil })
	msg := st.Open.Messages[i]
	if !model.Playable(*msg.File) || msg.File.Type != voice.Type {
		t.Fatalf("the message's file %+v is not a voice message", msg.File)
	}
	if !st.Voice.Unplayed(msg) {
		t.Fatal("the voice message is not unplayed before it is played")
	}
	if err := wang.PlayVoice(ctx, conv, msg.Seq); err != nil {
		t.Fatal(err)
	}
	st = wang.waitFor("played to the end", func(st state.State) bool {
		p := st.Voice.Playing
		wangAudio.mu.Lock()
		n := len(wangAudio.played)
		wangAudio.mu.Unlock()
		return p != nil && !p.Loading && !p.Playing && n >= len(spoken)
	})
	if st.Voice.Unplayed(msg) {
		t.Fatal("still unplayed after playing")
	}
	if got, want := st.Voice.Playing.Length, voice.SamplesToDuration(int64(len(spoken))); got != want {
		t.Fatalf("played a message of %v; %v was recorded", got, want)
	}
	wangAudio.mu.Lock()
	played := slices.Clone(wangAudio.played)
	wangAudio.mu.Unlock()
	if len(played) != (len(spoken)+voice.FrameSamples-1)/voice.FrameSamples*voice.FrameSamples {
		t.Fatalf("%d samples played for %d recorded", len(played), len(spoken))
	}
	c := bestCorrelation(spoken, played[:len(spoken)])
	t.Logf("recorded %d samples (%v); correlation %.3f", len(spoken), voice.SamplesToDuration(int64(len(spoken))), c)
	if c < 0.9 {
		t.Fatalf("the played message correlates %.3f with what was spoken", c)
	}
}

func bestCorrelation(a, b []int16) float64 {
	var best float64
	for lag := -8; lag <= 8; lag++ {
		x, y := a, b
		if lag >= 0 {
			x, y = a[:len(a)-lag], b[lag:]
		} else {
			x = a[-lag:]
		}
		var xy, xx, yy float64
		for i := range min(len(x), len(y)) {
			xy += float64(x[i]) * float64(y[i])
			xx += float64(x[i]) * float64(x[i])
			yy += float64(y[i]) * float64(y[i])
		}
		best = max(best, xy/math.Sqrt(xx*yy))
	}
	return best
}
