// Package testsignal makes the synthetic audio that media's tests and
// benchmarks share: a speech-like talker at 48 kHz, the radix-2 FFT
// their measurements use, and speech synthesised by espeak-ng (Espeak,
// with a WAV reader and a resampler). It is for tests only; nothing in a
// shipped program imports it.
package testsignal

import (
	"math"
	"math/rand/v2"
)

// Rate is the sample rate of every signal here, in Hz.
const Rate = 48000

// Talker describes a synthetic voice.
type Talker struct {
	Seed  uint64
	Pitch float64 // Hz, the mean fundamental
	Rate  float64 // syllables per second
	Amp   float64 // peak, full scale 1
}

// Speech returns n samples of a speech-like signal: syllables of voiced
// sound (harmonics of a gliding pitch shaped by four formants that move
// from syllable to syllable) followed by a fricative (noise around 3–6
// kHz) and a short pause, with a pause of a few hundred milliseconds
// between phrases now and then. It is media/codec's test signal made
// irregular: an echo canceller cannot learn a 250 ms echo path from a
// signal that repeats every 250 ms, nor from a sweep, which excites one
// frequency at a time. Deterministic for a talker.
func (tk Talker) Speech(n int) []float64 {
	rng := rand.New(rand.NewPCG(tk.Seed, 22))
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
	out := make([]float64, n)
	var phases [64]float64
	syll := int(Rate / tk.Rate)
	var voiced, fric, gap, pos int // lengths of this syllable's parts, and where we are
	var pitch, gain float64
	hp, prev := 0.0, 0.0 // fricative noise, high-passed
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
				gap += int(Rate * (0.2 + 0.3*rng.Float64()))
			}
			pitch = tk.Pitch * (0.85 + 0.3*rng.Float64())
			gain = 0.6 + 0.4*rng.Float64()
		}
		var v float64
		switch {
		case pos < voiced:
			t := float64(pos) / float64(voiced)
			f0 := pitch * (1 + 0.15*t - 0.1*t*t)
			amp := math.Sin(math.Pi * t)
			for k := range phases {
				fk := float64(k+1) * f0
				if fk > 6500 {
					break
				}
				phases[k] += 2 * math.Pi * fk / Rate
				v += amp * envelope(fk) * math.Sin(phases[k])
			}
			v *= 0.35
		case pos < voiced+fric:
			t := float64(pos-voiced) / float64(fric)
			w := rng.NormFloat64()
			hp = 0.6*hp + w - prev // crude high-pass: the hiss of a fricative
			prev = w
			v = 0.05 * math.Sin(math.Pi*t) * hp
		}
		out[i] = tk.Amp * gain * v
		pos++
	}
	return out
}

// PCM converts samples at full scale 1 to 16-bit PCM, clipping.
func PCM(x []float64) []int16 {
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = int16(max(-32768, min(32767, math.Round(v*32768))))
	}
	return out
}

// FFT is an in-place radix-2 transform (unscaled both ways); len(x) is a
// power of two.
func FFT(x []complex128, inverse bool) {
	n := len(x)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			x[i], x[j] = x[j], x[i]
		}
	}
	sign := -1.0
	if inverse {
		sign = 1
	}
	for size := 2; size <= n; size <<= 1 {
		step := complex(math.Cos(2*math.Pi/float64(size)), sign*math.Sin(2*math.Pi/float64(size)))
		for start := 0; start < n; start += size {
			w := complex(1, 0)
			for k := range size / 2 {
				u, v := x[start+k], x[start+k+size/2]*w
				x[start+k], x[start+k+size/2] = u+v, u-v
				w *= step
			}
		}
	}
}

// Convolve returns the first len(x) samples of x * h, by FFT.
func Convolve(x, h []float64) []float64 {
	fx, fh, n := spectra(x, h)
	for i := range fx {
		fx[i] *= fh[i]
	}
	FFT(fx, true)
	out := make([]float64, len(x))
	for i := range out {
		out[i] = real(fx[i]) / float64(n)
	}
	return out
}

// XCorr returns c[j] = Σ_i a[i]·b[i+j] for j in [0, len(b)-len(a)], by
// FFT.
func XCorr(a, b []float64) []float64 {
	fa, fb, n := spectra(a, b)
	for i := range fa {
		fa[i] = complex(real(fa[i]), -imag(fa[i])) * fb[i]
	}
	FFT(fa, true)
	c := make([]float64, len(b)-len(a)+1)
	for j := range c {
		c[j] = real(fa[j]) / float64(n)
	}
	return c
}

// spectra returns the FFTs of a and b zero-padded to n, the power of two
// that holds their linear convolution.
func spectra(a, b []float64) (fa, fb []complex128, n int) {
	n = 1
	for n < len(a)+len(b) {
		n *= 2
	}
	fa, fb = make([]complex128, n), make([]complex128, n)
	for i, v := range a {
		fa[i] = complex(v, 0)
	}
	for i, v := range b {
		fb[i] = complex(v, 0)
	}
	FFT(fa, false)
	FFT(fb, false)
	return fa, fb, n
}
