package echo

import (
	"testing"
	"time"
)

// frames returns n 20 ms frames of far-end speech and of its echo (with
// the room's noise), as int16, ready to feed a Canceller.
func frames(tb testing.TB, seconds float64) (far, mic [][]int16) {
	tb.Helper()
	f := farSpeech(seconds)
	m := add(newRoom(1, 0.08, 0.15, 0.4, 0.5).echoOf(f), noise(3, len(f), roomNoise))
	const n = fs / 50
	for i := 0; i+n <= len(f); i += n {
		pf, cf := make([]int16, n), make([]int16, n)
		for j := range n {
			pf[j], cf[j] = pcm(f[i+j]), pcm(m[i+j])
		}
		far, mic = append(far, pf), append(mic, cf)
	}
	return far, mic
}

func TestProcessDoesNotAllocate(t *testing.T) {
	far, mic := frames(t, 4)
	c := newCanceller(t)
	buf := make([]int16, len(mic[0]))
	n := 0
	step := func() {
		c.Playback(far[n%len(far)])
		copy(buf, mic[n%len(mic)])
		c.Process(buf)
		n++
	}
	for range 150 { // warm up: past the delay search's first analyses
		step()
	}
	if allocs := testing.AllocsPerRun(200, step); allocs != 0 {
		t.Fatalf("Playback + Process allocate %.1f times per frame", allocs)
	}
}

// BenchmarkCanceller is one 20 ms frame of a call through the canceller:
// the frame played (Playback) and the frame captured (Process), with the
// far end talking and its echo in the microphone. cpu-% is the share of
// one core it takes in real time (a frame every 20 ms).
func BenchmarkCanceller(b *testing.B) {
	far, mic := frames(b, 4)
	c := newCanceller(b)
	buf := make([]int16, len(mic[0]))
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		c.Playback(far[n%len(far)])
		copy(buf, mic[n%len(mic)])
		c.Process(buf)
		n++
	}
	perFrame := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(perFrame)/float64(20*time.Millisecond)*100, "cpu-%")
}

// BenchmarkCancellerFarEndSilent is a frame while the far end sends
// digital silence (muted, or nothing received yet) and the near end
// talks: the filters idle, the suppressor still runs.
func BenchmarkCancellerFarEndSilent(b *testing.B) {
	_, mic := frames(b, 4)
	silence := make([]int16, len(mic[0]))
	c := newCanceller(b)
	buf := make([]int16, len(mic[0]))
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		c.Playback(silence)
		copy(buf, mic[n%len(mic)])
		c.Process(buf)
		n++
	}
	perFrame := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(perFrame)/float64(20*time.Millisecond)*100, "cpu-%")
}
