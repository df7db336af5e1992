package codec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// toneLevel is the amplitude of the f Hz component of x (sampled at fs),
// measured through a Hann window.
func toneLevel(x []int16, f, fs float64) float64 {
	var re, im, wsum float64
	for i, v := range x {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(len(x)))
		ph := 2 * math.Pi * f * float64(i) / fs
		re += w * float64(v) * math.Cos(ph)
		im += w * float64(v) * math.Sin(ph)
		wsum += w
	}
	return 2 * math.Hypot(re, im) / wsum
}

func dB(x float64) float64 { return 20 * math.Log10(x) }

func decimate(in []int16) []int16 {
	var d decimator
	d.init()
	out := make([]int16, len(in)/resampleFactor)
	for f := 0; f+FrameSamples <= len(in); f += FrameSamples {
		d.process(out[f/resampleFactor:][:wideSamples], in[f:f+FrameSamples])
	}
	return out
}

func interpolate(in []int16) []int16 {
	var it interpolator
	it.init()
	var out []int16
	for f := 0; f+wideSamples <= len(in); f += wideSamples {
		out = it.process(out, in[f:f+wideSamples])
	}
	return out
}

func TestResamplerTapsCannotOverflowInt32(t *testing.T) {
	// Accumulators are int32: Σ|tap| · 32768 must stay below 2^31, and the
	// taps of each filter sum to exactly 1.0 (unit DC gain).
	var d decimator
	d.init()
	var it interpolator
	it.init()
	filters := [][]int32{d.taps[:]}
	for p := range resampleFactor {
		filters = append(filters, branch(&it, p))
	}
	for k, taps := range filters {
		var sum, absSum int64
		for _, h := range taps {
			sum += int64(h)
			absSum += int64(abs(int(h)))
		}
		if sum != 1<<tapBits {
			t.Errorf("filter %d: taps sum to %d, want %d", k, sum, 1<<tapBits)
		}
		if absSum*32768 >= math.MaxInt32 {
			t.Errorf("filter %d: Σ|tap| = %d can overflow an int32 accumulator", k, absSum)
		}
	}
}

func TestLowpassResponse(t *testing.T) {
	// The fixed-point prototype: flat to 7 kHz (the G.722 band), at least
	// 58 dB down from 8.5 kHz to 24 kHz. Measured: ±0.01 dB, -59.3 dB.
	var d decimator
	d.init()
	gain := func(f float64) float64 {
		var re, im float64
		for i, h := range d.taps {
			w := 2 * math.Pi * f / SampleRate * float64(i)
			re += float64(h) * math.Cos(w)
			im += float64(h) * math.Sin(w)
		}
		return dB(math.Hypot(re, im) / (1 << tapBits))
	}
	for f := 0.0; f <= 7000; f += 10 {
		if g := gain(f); math.Abs(g) > 0.05 {
			t.Fatalf("pass band: %.0f Hz at %.3f dB, want within ±0.05 dB", f, g)
		}
	}
	for f := 8500.0; f <= SampleRate/2; f += 5 {
		if g := gain(f); g > -58 {
			t.Fatalf("stop band: %.0f Hz at %.1f dB, want ≤ -58 dB", f, g)
		}
	}
}

func TestResamplersStreamLikeOneLongFilter(t *testing.T) {
	// Frame-by-frame processing equals filtering the whole signal at once:
	// the state carried across frame borders is exactly right.
	rng := rand.New(rand.NewPCG(3, 4))
	in := make([]int16, 12*FrameSamples)
	for i := range in {
		in[i] = int16(rng.IntN(40000) - 20000)
	}
	var d decimator
	d.init()
	want := make([]int16, len(in)/resampleFactor)
	for m := range want {
		var acc int32
		for k, h := range d.taps { // y[m] = Σ h[k]·x[3m+2-k]
			if i := resampleFactor*m + resampleFactor - 1 - k; i >= 0 {
				acc += h * int32(in[i])
			}
		}
		want[m] = fromAcc(acc)
	}
	if got := decimate(in); !equal(got, want) {
		t.Errorf("decimator: frame-by-frame output differs from one-shot filtering")
	}

	var it interpolator
	it.init()
	up := make([]int16, len(want)*resampleFactor)
	for n := range up {
		m, p := n/resampleFactor, n%resampleFactor
		var acc int32
		for i, h := range branch(&it, p) { // y[3m+p] = Σ branch[p][i]·x[m-(phaseTaps-1-i)]
			if j := m - (phaseTaps - 1 - i); j >= 0 {
				acc += h * int32(want[j])
			}
		}
		up[n] = fromAcc(acc)
	}
	if got := interpolate(want); !equal(got, up) {
		t.Errorf("interpolator: frame-by-frame output differs from one-shot filtering")
	}
}

// branch returns the taps of the interpolator's output phase p.
func branch(it *interpolator, p int) []int32 {
	var b []int32
	for i := range it.taps {
		b = append(b, it.taps[i][p])
	}
	return b
}

func equal(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestResamplersPassSpeechBandAndRejectAliases(t *testing.T) {
	const n = 50 * FrameSamples
	// The speech band passes 48→16→48 kHz within 0.1 dB.
	for _, hz := range []float64{200, 1000, 4000, 6500} {
		out := interpolate(decimate(sine(n, hz, SampleRate, 10000)))
		if g := dB(toneLevel(out[4800:], hz, SampleRate) / 10000); math.Abs(g) > 0.1 {
			t.Errorf("%.0f Hz: gain %.2f dB, want within ±0.1 dB", hz, g)
		}
	}
	// Above 8.5 kHz the decimator removes what would fold back into the
	// band: 10 kHz would alias to 6 kHz and 20 kHz to 4 kHz.
	for _, tc := range []struct{ hz, alias float64 }{{10000, 6000}, {12000, 4000}, {20000, 4000}} {
		out := decimate(sine(n, tc.hz, SampleRate, 10000))
		level := dB(toneLevel(out[1600:], tc.alias, 16000) / 10000)
		t.Logf("%5.0f Hz input: alias at %.0f Hz is %.1f dB", tc.hz, tc.alias, level)
		if level > -55 {
			t.Errorf("%.0f Hz input aliases to %.0f Hz at %.1f dB, want ≤ -55 dB", tc.hz, tc.alias, level)
		}
	}
	// The interpolator removes the images of a 16 kHz signal: a 3 kHz tone
	// must not reappear at 13 or 19 kHz.
	out := interpolate(sine(n/resampleFactor, 3000, 16000, 10000))
	for _, img := range []float64{13000, 19000} {
		level := dB(toneLevel(out[4800:], img, SampleRate) / 10000)
		t.Logf("3 kHz tone: image at %.0f Hz is %.1f dB", img, level)
		if level > -55 {
			t.Errorf("image at %.0f Hz is %.1f dB, want ≤ -55 dB", img, level)
		}
	}
}
