package echo

import (
	"math"
	"math/rand/v2"
	"testing"

	"parley/media/internal/testsignal"
)

// Test signals, rooms and measurements.

const fs = testsignal.Rate

var (
	farVoice  = testsignal.Talker{Seed: 7, Pitch: 140, Rate: 4, Amp: 0.3}
	nearVoice = testsignal.Talker{Seed: 11, Pitch: 210, Rate: 3.3, Amp: 0.25}
)

// room is a simulated echo path: a bulk delay, then a direct sound and an
// exponentially decaying random tail.
type room struct {
	delay int       // samples before the direct sound
	h     []float64 // the impulse response after the delay
}

// newRoom makes an echo path: after delay seconds, a direct sound of
// amplitude gain and a random tail decaying by 60 dB over length seconds,
// holding tail times the direct sound's energy.
func newRoom(seed uint64, delay, length, gain, tail float64) room {
	rng := rand.New(rand.NewPCG(seed, 5))
	h := make([]float64, int(length*fs))
	var sum float64
	for i := 1; i < len(h); i++ {
		h[i] = math.Pow(10, -3*float64(i)/fs/length) * rng.NormFloat64()
		sum += h[i] * h[i]
	}
	for i := range h {
		h[i] *= gain * math.Sqrt(tail/sum)
	}
	h[0] = gain
	return room{delay: int(delay * fs), h: h}
}

// echoOf returns what a microphone picks up from x played in r.
func (r room) echoOf(x []float64) []float64 {
	y := make([]float64, len(x))
	conv := testsignal.Convolve(x, r.h)
	for i := range y {
		if j := i - r.delay; j >= 0 {
			y[i] = conv[j]
		}
	}
	return y
}

func noise(seed uint64, n int, rms float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 9))
	out := make([]float64, n)
	for i := range out {
		out[i] = rms * rng.NormFloat64()
	}
	return out
}

func add(xs ...[]float64) []float64 {
	out := make([]float64, len(xs[0]))
	for _, x := range xs {
		for i, v := range x {
			out[i] += v
		}
	}
	return out
}

// run plays far through a canceller and captures mic (both full scale
// ±1, whole frames), Playback before Process as the call engine does.
// The output is realigned by the canceller's latency, so out[i] is the
// cleaned mic[i]. onFrame, if set, is called before each frame.
func run(tb testing.TB, c *Canceller, far, mic []float64, onFrame func(n int)) []float64 {
	tb.Helper()
	frame := c.frame
	lat := c.block
	out := make([]float64, len(mic))
	pf, cf := make([]int16, frame), make([]int16, frame)
	for n := 0; (n+1)*frame <= len(mic); n++ {
		if onFrame != nil {
			onFrame(n)
		}
		for i := range pf {
			pf[i] = pcm(far[n*frame+i])
			cf[i] = pcm(mic[n*frame+i])
		}
		c.Playback(pf)
		c.Process(cf)
		for i, v := range cf {
			if j := n*frame + i - lat; j >= 0 {
				out[j] = float64(v) / 32768
			}
		}
	}
	return out
}

func pcm(v float64) int16 { return int16(max(-32768, min(32767, math.Round(v*32768)))) }

func sumSquares(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return s
}

func dB(ratio float64) float64 { return 10 * math.Log10(ratio) }

// erle is 10·log10 of the echo's energy over the output's on [from, to)
// seconds.
func erle(echo, out []float64, from, to float64) float64 {
	a, b := int(from*fs), int(to*fs)
	return dB(sumSquares(echo[a:b]) / max(sumSquares(out[a:b]), 1e-30))
}

// correlation is the normalised correlation of x and y on [from, to) seconds.
func correlation(x, y []float64, from, to float64) float64 {
	a, b := int(from*fs), int(to*fs)
	var xy, xx, yy float64
	for i := a; i < b; i++ {
		xy += x[i] * y[i]
		xx += x[i] * x[i]
		yy += y[i] * y[i]
	}
	return xy / math.Sqrt(xx*yy)
}

// bandLimited low-passes x at cutoff Hz (a windowed sinc, 255 taps,
// delay compensated).
func bandLimited(x []float64, cutoff float64) []float64 {
	const taps = 255
	h := make([]float64, taps)
	fc := cutoff / fs
	for i := range h {
		t := float64(i - taps/2)
		v := 2 * fc
		if t != 0 {
			v = math.Sin(2*math.Pi*fc*t) / (math.Pi * t)
		}
		h[i] = v * (0.54 - 0.46*math.Cos(2*math.Pi*float64(i)/(taps-1)))
	}
	y := testsignal.Convolve(append(x, make([]float64, taps/2)...), h)
	return y[taps/2:]
}
