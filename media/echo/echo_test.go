package echo

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// The far end as a call plays it: G.722 carries nothing above 7.75 kHz.
func farSpeech(seconds float64) []float64 {
	return bandLimited(farVoice.Speech(int(seconds*fs)), 7500)
}

func newCanceller(tb testing.TB) *Canceller {
	tb.Helper()
	c, err := New(Config{})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// perSecond formats the ERLE of each second, for the logs.
func perSecond(echo, out []float64) string {
	var b strings.Builder
	for s := 0.0; s+1 <= float64(len(echo))/fs; s++ {
		fmt.Fprintf(&b, "%.0f ", erle(echo, out, s, s+1))
	}
	return b.String()
}

// roomNoise is the microphone's own noise: -70 dBFS.
const roomNoise = 3.2e-4

func TestFarEndEchoIsCancelled(t *testing.T) {
	cases := []struct {
		name          string
		delay, length float64 // seconds
	}{
		{"small room, short delay", 0.04, 0.10},
		{"office, laptop", 0.08, 0.15},
		{"reverberant room, long delay", 0.15, 0.20},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			const secs = 8
			far := farSpeech(secs)
			echo := newRoom(uint64(i+1), tc.delay, tc.length, 0.4, 0.5).echoOf(far)
			mic := add(echo, noise(3, len(far), roomNoise))
			c := newCanceller(t)
			out := run(t, c, far, mic, nil)
			st := c.Stats()
			got := erle(echo, out, 2, secs)
			t.Logf("ERLE per second: %s; from 2 s: %.1f dB; filter alone %.1f dB; delay %v (found %v)", perSecond(echo, out), got, st.ERLE, st.Delay, st.DelayFound)
			if got < 25 {
				t.Errorf("ERLE after 2 s is %.1f dB, want ≥ 25", got)
			}
			if want := time.Duration(tc.delay * float64(time.Second)); !st.DelayFound || absDuration(st.Delay-want) > 5*time.Millisecond {
				t.Errorf("delay %v (found %v), want %v ± 5 ms", st.Delay, st.DelayFound, want)
			}
		})
	}
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// The near end talks over the far end from 3 s to 7 s at the level of
// the echo. What they say must come through (the filter must not learn
// their voice as echo, the suppressor must not eat it), and the echo
// must stay cancelled once they stop: the filter did not diverge.
func TestDoubleTalkKeepsTheNearEndAndTheFilter(t *testing.T) {
	const secs = 11
	far := farSpeech(secs)
	echo := newRoom(2, 0.08, 0.15, 0.4, 0.5).echoOf(far)
	talk := nearVoice.Speech(secs * fs)
	near := make([]float64, len(talk))
	for i := int(3 * fs); i < int(7*fs); i++ {
		near[i] = talk[i]
	}
	t.Logf("echo %.1f dBFS, near end %.1f dBFS while talking", dB(sumSquares(echo[3*fs:7*fs])/(4*fs)), dB(sumSquares(near[3*fs:7*fs])/(4*fs)))
	mic := add(echo, near, noise(3, len(far), roomNoise))
	c := newCanceller(t)
	out := run(t, c, far, mic, nil)

	before := erle(echo, out, 2, 3)
	corr := correlation(out, near, 3, 7)
	// What of the output is not the near end: the echo left, and what the
	// suppressor took of the near end.
	var gain, sig, rest float64
	for i := 3 * fs; i < 7*fs; i++ {
		gain += out[i] * near[i]
		sig += near[i] * near[i]
	}
	gain /= sig
	for i := 3 * fs; i < 7*fs; i++ {
		d := out[i] - gain*near[i]
		rest += d * d
	}
	after := erle(echo, out, 8, secs)
	t.Logf("ERLE per second: %s", perSecond(echo, out))
	t.Logf("double talk: correlation with the near end %.3f, near end kept at %.1f dB, near end over the rest %.1f dB; ERLE before %.1f dB, after %.1f dB",
		corr, dB(gain*gain), dB(gain*gain*sig/rest), before, after)
	if corr < 0.9 {
		t.Errorf("during double talk the output correlates %.3f with the near end, want ≥ 0.9", corr)
	}
	if after < 25 {
		t.Errorf("ERLE after double talk %.1f dB, want ≥ 25: the filter diverged", after)
	}
}

// splice returns a before at and b from at (seconds) on.
func splice(a, b []float64, at float64) []float64 {
	out := append([]float64(nil), a...)
	copy(out[int(at*fs):], b[int(at*fs):])
	return out
}

// recovery returns how long after at (seconds) the ERLE, measured over
// half-second windows, last fell below floor dB; and the ERLE from then
// on to the end.
func recovery(echo, out []float64, at, floor float64) (time.Duration, float64) {
	end := float64(len(echo)) / fs
	last := at
	for s := at; s+0.5 <= end; s += 0.25 {
		if erle(echo, out, s, s+0.5) < floor {
			last = s + 0.5
		}
	}
	return time.Duration((last - at) * float64(time.Second)), erle(echo, out, last, end)
}

// The laptop is moved at 5 s: the direct sound arrives 3 ms later and
// every reflection is different.
func TestEchoPathChangeIsLearntAgain(t *testing.T) {
	const secs, at = 11, 5.0
	far := farSpeech(secs)
	echo := splice(newRoom(4, 0.08, 0.15, 0.4, 0.5).echoOf(far), newRoom(5, 0.083, 0.15, 0.35, 0.6).echoOf(far), at)
	mic := add(echo, noise(3, len(far), roomNoise))
	c := newCanceller(t)
	out := run(t, c, far, mic, nil)
	took, after := recovery(echo, out, at, 20)
	t.Logf("ERLE per second: %s; back above 20 dB %v after the change, then %.1f dB", perSecond(echo, out), took, after)
	if before := erle(echo, out, 2, at); before < 25 {
		t.Errorf("ERLE before the change %.1f dB, want ≥ 25", before)
	}
	if took > 3*time.Second || after < 25 {
		t.Errorf("after the echo path changed: %v to get back above 20 dB (want ≤ 3 s), then %.1f dB (want ≥ 25)", took, after)
	}
}

// The playback device's buffer grows by 200 ms at 5 s (or shrinks): the
// echo moves out of the filter's window, the delay finder sees it and the
// filter follows.
func TestDelayChangeIsFollowed(t *testing.T) {
	cases := []struct {
		name     string
		from, to float64
	}{
		{"longer", 0.06, 0.26},
		{"shorter", 0.26, 0.06},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			const secs, at = 12, 5.0
			far := farSpeech(secs)
			echo := splice(newRoom(6, tc.from, 0.15, 0.4, 0.5).echoOf(far), newRoom(6, tc.to, 0.15, 0.4, 0.5).echoOf(far), at)
			mic := add(echo, noise(3, len(far), roomNoise))
			c := newCanceller(t)
			want := time.Duration(tc.to * float64(time.Second))
			found := time.Duration(-1)
			out := run(t, c, far, mic, func(n int) {
				t := time.Duration(n) * 20 * time.Millisecond
				if st := c.Stats(); found < 0 && t > at*time.Second && st.DelayFound && absDuration(st.Delay-want) <= 5*time.Millisecond {
					found = t - at*time.Second
				}
			})
			took, after := recovery(echo, out, at, 20)
			st := c.Stats()
			t.Logf("ERLE per second: %s; delay %v found %v after the change (realigned %d times); back above 20 dB after %v, then %.1f dB",
				perSecond(echo, out), st.Delay, found, st.Realigned, took, after)
			if found < 0 || found > 3*time.Second {
				t.Errorf("the new delay %v was not found within 3 s (found after %v; now %v)", want, found, st.Delay)
			}
			if took > 3*time.Second || after < 25 {
				t.Errorf("after the delay changed: %v to get back above 20 dB (want ≤ 3 s), then %.1f dB (want ≥ 25)", took, after)
			}
		})
	}
}

func TestSilenceStaysSilent(t *testing.T) {
	t.Run("nothing played, nothing heard", func(t *testing.T) {
		c := newCanceller(t)
		out := run(t, c, make([]float64, 3*fs), make([]float64, 3*fs), nil)
		for i, v := range out {
			if v != 0 {
				t.Fatalf("sample %d is %v: the canceller made noise out of silence", i, v)
			}
		}
	})
	t.Run("the microphone goes dead while the far end talks", func(t *testing.T) {
		// A converged filter must not play its echo estimate into a
		// silent microphone (e.g. muted by a hardware switch).
		const secs, at = 8, 5.0
		far := farSpeech(secs)
		echo := newRoom(1, 0.08, 0.15, 0.4, 0.5).echoOf(far)
		mic := add(echo, noise(3, len(far), roomNoise))
		clear(mic[int(at*fs):])
		c := newCanceller(t)
		out := run(t, c, far, mic, nil)
		var peak float64
		for _, v := range out[int((at+0.01)*fs) : len(out)-c.block] {
			peak = max(peak, math.Abs(v))
		}
		if peak > 1.0/32768 {
			t.Fatalf("output peak %.1f LSB from a silent microphone", peak*32768)
		}
	})
}

// With no far end, the canceller is transparent: what the near end says
// comes out unchanged, one block late.
func TestNearEndAlonePassesUnchanged(t *testing.T) {
	near := add(nearVoice.Speech(4*fs), noise(4, 4*fs, roomNoise))
	c := newCanceller(t)
	out := run(t, c, make([]float64, len(near)), near, nil)
	unchanged(t, "near end alone", near, out, len(near)-c.block)
}

// unchanged checks that out holds the first n samples of near but for
// int16 rounding twice: about -95 dBFS against speech at about -30.
func unchanged(t *testing.T, what string, near, out []float64, n int) {
	t.Helper()
	var sig, diff float64
	for i := range n {
		d := out[i] - near[i]
		sig += near[i] * near[i]
		diff += d * d
	}
	if snr := dB(sig / diff); snr < 55 {
		t.Fatalf("%s comes out with an SNR of %.1f dB, want ≥ 55", what, snr)
	}
}

// The room has a steady background noise (a fan, -50 dBFS). While the
// echo is suppressed, the noise must stay as it is: no holes where the
// far end talks, no breathing (pumping).
func TestBackgroundNoiseIsKeptSteady(t *testing.T) {
	const secs = 10
	far := farSpeech(secs)
	echo := newRoom(2, 0.08, 0.15, 0.4, 0.5).echoOf(far)
	fan := bandLimited(noise(5, len(far), 0.0045), 7000) // about -50 dBFS
	mic := add(echo, fan)
	c := newCanceller(t)
	out := run(t, c, far, mic, nil)
	// In 100 ms windows from 3 s on: the output's level against the fan's.
	lo, hi := math.Inf(1), math.Inf(-1)
	const w = fs / 10
	for a := 3 * fs; a+w <= len(out)-c.block; a += w {
		r := dB(sumSquares(out[a:a+w]) / sumSquares(fan[a:a+w]))
		lo, hi = min(lo, r), max(hi, r)
	}
	t.Logf("output level against the background, in 100 ms windows: %+.1f to %+.1f dB", lo, hi)
	if lo < -3 || hi > 3 {
		t.Errorf("the background comes out at %+.1f to %+.1f dB of its level, want within ±3 dB", lo, hi)
	}
}

// Playback and Process run on two goroutines: the frame played may be
// handed over after the frame that captured its echo is processed. Here
// the playback is on time for a second, then a frame late (two, every
// third frame). The blocks learnt before their samples arrived are
// repaired, and the echo is cancelled as well as when it is on time.
func TestLatePlaybackIsRepaired(t *testing.T) {
	const secs = 8
	far := farSpeech(secs)
	echo := newRoom(1, 0.06, 0.15, 0.4, 0.5).echoOf(far)
	mic := add(echo, noise(3, len(far), roomNoise))
	c := newCanceller(t)
	frame := c.frame
	out := make([]float64, len(mic))
	pf, cf := make([]int16, frame), make([]int16, frame)
	played := 0
	play := func(upTo int) { // hands over the frames before upTo
		for ; played < upTo; played++ {
			for i := range pf {
				pf[i] = pcm(far[played*frame+i])
			}
			c.Playback(pf)
		}
	}
	for n := 0; (n+1)*frame <= len(mic); n++ {
		late := 0
		if n >= 50 {
			late = 1 + btoi(n%3 == 0)
		}
		play(n + 1 - late)
		for i := range cf {
			cf[i] = pcm(mic[n*frame+i])
		}
		c.Process(cf)
		for i, v := range cf {
			if j := n*frame + i - c.block; j >= 0 {
				out[j] = float64(v) / 32768
			}
		}
	}
	st := c.Stats()
	got := erle(echo, out, 2, secs)
	t.Logf("ERLE per second: %s; from 2 s: %.1f dB; blocks repaired %d, delay %v", perSecond(echo, out), got, st.Repaired, st.Delay)
	if st.Repaired == 0 {
		t.Error("nothing was repaired: the playback was not late")
	}
	if got < 25 {
		t.Errorf("ERLE after 2 s with a late playback is %.1f dB, want ≥ 25", got)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestConfigIsChecked(t *testing.T) {
	for _, cfg := range []Config{
		{SampleRate: 44100},
		{FrameSamples: 1000},
		{Tail: -time.Second},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted it", cfg)
		}
	}
	c, err := New(Config{SampleRate: 16000})
	if err != nil {
		t.Fatal(err)
	}
	if c.frame != 320 || c.Latency() != 5*time.Millisecond {
		t.Errorf("16 kHz: frame %d, latency %v", c.frame, c.Latency())
	}
}

// In a call, Playback runs on the speaker's goroutine and Process on the
// microphone's. make test runs this package without the race detector
// (its signal tests are long and single-threaded) except for this test,
// which runs under it: the two sides at once, and a near end that still
// comes out as it went in.
func TestPlaybackAndProcessOnTwoGoroutines(t *testing.T) {
	near := add(nearVoice.Speech(2*fs), noise(5, 2*fs, roomNoise))
	c := newCanceller(t)
	frame := c.frame
	frames := len(near) / frame
	done := make(chan struct{})
	go func() {
		defer close(done)
		silence := make([]int16, frame)
		for range frames {
			c.Playback(silence)
		}
	}()
	out := make([]float64, len(near))
	cf := make([]int16, frame)
	for n := range frames {
		for i := range cf {
			cf[i] = pcm(near[n*frame+i])
		}
		c.Process(cf)
		for i, v := range cf {
			if j := n*frame + i - c.block; j >= 0 {
				out[j] = float64(v) / 32768
			}
		}
		_ = c.Stats()
	}
	<-done
	unchanged(t, "near end with a silent far end on another goroutine", near, out, frames*frame-c.block)
}
