package call

import (
	"testing"
	"time"

	"parley/media/internal/testsignal"
)

// Another microphone or speaker is another echo path, with another
// delay: the canceller starts over rather than keep cancelling the old
// one.
func TestSwitchingDevicesRestartsTheCanceller(t *testing.T) {
	var now time.Duration
	e := simulated(t, 3, &now)
	mic := learnEcho(t, e)
	e.SwitchAudio(noFrames{})
	if _, err := e.packFrame(mic); err != nil {
		t.Fatal(err)
	}
	if st := e.Stats().Echo; st.DelayFound {
		t.Fatalf("after the switch the canceller still knows a delay of %v", st.Delay)
	}
}

// learnEcho plays a voice into e's canceller and captures its echo 60 ms
// later until the canceller has found that delay; it returns the last
// captured frame.
func learnEcho(t *testing.T, e *Engine) []int16 {
	t.Helper()
	voice := testsignal.PCM(testsignal.Talker{Seed: 7, Pitch: 140, Rate: 4, Amp: 0.3}.Speech(3 * testsignal.Rate))
	const delay = 60 * 48 // 60 ms
	mic := make([]int16, 960)
	for n := 0; (n+1)*960 <= len(voice); n++ {
		e.aec.Playback(voice[n*960 : (n+1)*960])
		for i := range mic {
			if j := n*960 + i - delay; j >= 0 {
				mic[i] = voice[j] / 2
			}
		}
		if _, err := e.packFrame(mic); err != nil {
			t.Fatal(err)
		}
	}
	if st := e.Stats().Echo; !st.DelayFound || st.Delay != 60*time.Millisecond {
		t.Fatalf("delay %v (found %v), want 60ms", st.Delay, st.DelayFound)
	}
	return mic
}

// A headset has no echo: switched off, the canceller leaves the
// microphone alone; switched back on, it starts over.
func TestEchoCancellingCanBeSwitchedOffAndOnInACall(t *testing.T) {
	var now time.Duration
	e := simulated(t, 3, &now)
	learnEcho(t, e)
	if e.SetEchoCancelling(false) || e.Stats().Cancelling {
		t.Fatal("switched off, the engine still cancels")
	}
	voice := testsignal.PCM(testsignal.Talker{Seed: 9, Pitch: 180, Rate: 4, Amp: 0.3}.Speech(960))
	frame := append([]int16(nil), voice...)
	if _, err := e.packFrame(frame); err != nil {
		t.Fatal(err)
	}
	for i := range frame {
		if frame[i] != voice[i] {
			t.Fatalf("switched off, sample %d was changed: %d → %d", i, voice[i], frame[i])
		}
	}
	if !e.SetEchoCancelling(true) || !e.Stats().Cancelling {
		t.Fatal("switched on again, the engine does not cancel")
	}
	if _, err := e.packFrame(frame); err != nil {
		t.Fatal(err)
	}
	if st := e.Stats().Echo; st.DelayFound {
		t.Fatalf("switched on again, the canceller still knows the old delay of %v", st.Delay)
	}
}

func TestEchoModes(t *testing.T) {
	cases := []struct {
		mode EchoMode
		goos string
		want bool
	}{
		{EchoAuto, "linux", true},
		{EchoAuto, "windows", true},
		{EchoAuto, "darwin", true},
		{EchoAuto, "ios", true},
		{EchoAuto, "android", false}, // the platform cancels
		{EchoOn, "android", true},
		{EchoOff, "linux", false},
	}
	for _, c := range cases {
		if got := c.mode.cancels(c.goos); got != c.want {
			t.Errorf("mode %d on %s: cancels %v, want %v", c.mode, c.goos, got, c.want)
		}
	}
	var now time.Duration
	e, err := newEngine(Config{Call: 1, Audio: noFrames{}, Send: SenderFunc(func([]byte) error { return nil }), Clock: func() time.Duration { return now }, Echo: EchoOff})
	if err != nil {
		t.Fatal(err)
	}
	if st := e.Stats(); st.Cancelling {
		t.Error("EchoOff: the engine runs a canceller")
	}
}
