package call

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// Another microphone or speaker is another echo path, with another
// delay: the canceller starts over rather than keep cancelling the old
// one.
func TestSwitchingDevicesRestartsTheCanceller(t *testing.T) {
	var now time.Duration
	e := simulated(t, 3, &now)
	voice := speechLike(3 * 48000)
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
		t.Fatalf("before the switch: delay %v (found %v), want 60ms", st.Delay, st.DelayFound)
	}
	e.SwitchAudio(noFrames{})
	if _, err := e.packFrame(mic); err != nil {
		t.Fatal(err)
	}
	if st := e.Stats().Echo; st.DelayFound {
		t.Fatalf("after the switch the canceller still knows a delay of %v", st.Delay)
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

// speechLike returns n samples at 48 kHz of a synthetic talker:
// syllables of voiced sound (harmonics of a gliding pitch shaped by four
// formants that move from syllable to syllable), a fricative (noise
// around 3–6 kHz), a short pause, and now and then a pause between
// phrases. Deterministic. It is media/echo's test talker, copied (test
// files cannot be shared between packages), itself media/codec's test
// signal made irregular: an echo canceller cannot learn a 250 ms echo
// path from a signal that repeats every 250 ms, nor from a sweep, which
// excites one frequency at a time.
func speechLike(n int) []int16 {
	const (
		fs    = 48000.0
		pitch = 140.0 // Hz
		rate  = 4.0   // syllables per second
		amp   = 0.3 * 32767
	)
	rng := rand.New(rand.NewPCG(7, 22))
	type formant struct{ f, bw, gain float64 }
	base := [4]formant{{700, 130, 1}, {1220, 90, 0.6}, {2600, 160, 0.25}, {3400, 250, 0.12}}
	var fm [4]formant
	envelope := func(f float64) float64 {
		e := 0.01
		for _, m := range fm {
			x := (f - m.f) / (m.bw / 2)
			e += m.gain / math.Sqrt(1+x*x)
		}
		return e
	}
	out := make([]int16, n)
	var phases [64]float64
	syll := int(fs / rate)
	var voiced, fric, gap, pos int
	var f0, gain, hp, prev float64
	for i := range out {
		if pos == 0 || pos >= voiced+fric+gap {
			pos = 0
			for k := range fm {
				fm[k] = base[k]
				fm[k].f *= 0.8 + 0.4*rng.Float64()
			}
			voiced = int(float64(syll) * (0.5 + 0.2*rng.Float64()))
			fric = int(float64(syll) * 0.2 * rng.Float64())
			gap = syll - voiced - fric
			if rng.IntN(5) == 0 { // a pause between phrases
				gap += int(fs * (0.2 + 0.3*rng.Float64()))
			}
			f0 = pitch * (0.85 + 0.3*rng.Float64())
			gain = 0.6 + 0.4*rng.Float64()
		}
		var v float64
		switch {
		case pos < voiced:
			t := float64(pos) / float64(voiced)
			f := f0 * (1 + 0.15*t - 0.1*t*t)
			env := math.Sin(math.Pi * t)
			for k := range phases {
				fk := float64(k+1) * f
				if fk > 6500 {
					break
				}
				phases[k] += 2 * math.Pi * fk / fs
				v += env * envelope(fk) * math.Sin(phases[k])
			}
			v *= 0.35
		case pos < voiced+fric:
			t := float64(pos-voiced) / float64(fric)
			w := rng.NormFloat64()
			hp = 0.6*hp + w - prev // the hiss of a fricative
			prev = w
			v = 0.05 * math.Sin(math.Pi*t) * hp
		}
		out[i] = int16(max(-32768, min(32767, math.Round(amp*gain*v))))
		pos++
	}
	return out
}
