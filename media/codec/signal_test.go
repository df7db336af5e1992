package codec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Test signals and measurements shared by the tests.

// speechLike returns n samples at rate fs of a synthetic speech-like
// signal: syllables of voiced sound (harmonics of a gliding pitch shaped by
// four formants) separated by unvoiced noise bursts (fricatives around
// 3–6 kHz) and short pauses. It is deterministic.
func speechLike(n int, fs float64) []int16 {
	rng := rand.New(rand.NewPCG(7, 22))
	formants := [...]struct{ f, bw, gain float64 }{
		{700, 130, 1}, {1220, 90, 0.6}, {2600, 160, 0.25}, {3400, 250, 0.12},
	}
	envelope := func(f float64) float64 {
		e := 0.01
		for _, fm := range formants {
			x := (f - fm.f) / (fm.bw / 2)
			e += fm.gain / math.Sqrt(1+x*x)
		}
		return e
	}
	// Fricative noise: many sinusoids at random frequencies in 2.5–6.5 kHz
	// with random phases, which is band-limited like real fricatives.
	var noise [48]struct{ f, ph float64 }
	for k := range noise {
		noise[k].f = 2500 + 4000*rng.Float64()
		noise[k].ph = 2 * math.Pi * rng.Float64()
	}
	const syllable = 0.25 // seconds: 160 ms voiced, 60 ms fricative, 30 ms pause
	out := make([]int16, n)
	var phases [64]float64
	for i := range out {
		t := float64(i) / fs
		pos := math.Mod(t, syllable)
		var v float64
		switch {
		case pos < 0.16: // voiced
			f0 := 150 + 40*math.Sin(2*math.Pi*0.7*t) + 60*pos // glide within and across syllables
			amp := math.Sin(math.Pi * pos / 0.16)
			for k := range phases {
				fk := float64(k+1) * f0
				if fk > 6500 {
					break
				}
				phases[k] += 2 * math.Pi * fk / fs
				v += amp * envelope(fk) * math.Sin(phases[k])
			}
			v *= 2600
		case pos < 0.22: // unvoiced
			amp := math.Sin(math.Pi * (pos - 0.16) / 0.06)
			for _, c := range noise {
				v += math.Sin(2*math.Pi*c.f*t + c.ph)
			}
			v *= 500 * amp
		}
		out[i] = int16(max(-32768, min(32767, math.Round(v))))
	}
	return out
}

// sine returns n samples of a*sin(2πft/fs).
func sine(n int, f, fs, a float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(math.Round(a * math.Sin(2*math.Pi*f*float64(i)/fs)))
	}
	return out
}

// bestLag returns the delay d in [0, maxLag] that maximises the correlation
// of got[i+d] with want[i].
func bestLag(want, got []int16, maxLag int) int {
	best, bestSum := 0, math.Inf(-1)
	for d := 0; d <= maxLag; d++ {
		var s float64
		for i := 0; i+d < len(got) && i < len(want); i++ {
			s += float64(want[i]) * float64(got[i+d])
		}
		if s > bestSum {
			best, bestSum = d, s
		}
	}
	return best
}

// snr is the signal-to-noise ratio in dB of got[i+lag] against want[i] over
// want[from:to].
func snr(want, got []int16, lag, from, to int) float64 {
	var sig, noise float64
	for i := from; i < to; i++ {
		s, e := float64(want[i]), float64(got[i+lag])-float64(want[i])
		sig += s * s
		noise += e * e
	}
	return 10 * math.Log10(sig/max(noise, 1e-9))
}

// segmentalSNR averages the per-segment SNR (dB, each clamped to [-10, 60])
// over the segments of want[from:to] whose energy is within 40 dB of the
// loudest segment: the usual speech-coder measure, which weights quiet and
// loud passages alike.
func segmentalSNR(want, got []int16, lag, from, to, seg int) float64 {
	var energies []float64
	for s := from; s+seg <= to; s += seg {
		var e float64
		for _, v := range want[s : s+seg] {
			e += float64(v) * float64(v)
		}
		energies = append(energies, e)
	}
	loudest := 0.0
	for _, e := range energies {
		loudest = max(loudest, e)
	}
	var sum float64
	var count int
	for k, e := range energies {
		if e < loudest*1e-4 {
			continue
		}
		s := from + k*seg
		sum += max(-10, min(60, snr(want, got, lag, s, s+seg)))
		count++
	}
	return sum / float64(count)
}

func rms(x []int16) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(x)))
}

func peak(x []int16) int {
	p := 0
	for _, v := range x {
		p = max(p, abs(int(v)))
	}
	return p
}

// maxStep is the largest |x[i]-x[i-1]|.
func maxStep(x []int16) int {
	m := 0
	for i := 1; i < len(x); i++ {
		m = max(m, abs(int(x[i])-int(x[i-1])))
	}
	return m
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// roundTrip48 encodes pcm (a whole number of frames) with a fresh g722
// encoder and decodes every packet with a fresh decoder.
func roundTrip48(t testing.TB, pcm []int16) (out []int16, packets [][]byte) {
	t.Helper()
	c, ok := Lookup("g722")
	if !ok {
		t.Fatal("g722 is not registered")
	}
	enc, dec := c.NewEncoder(), c.NewDecoder()
	for f := 0; f+FrameSamples <= len(pcm); f += FrameSamples {
		pkt, err := enc.Encode(nil, pcm[f:f+FrameSamples])
		if err != nil {
			t.Fatal(err)
		}
		packets = append(packets, pkt)
		if out, err = dec.Decode(out, pkt); err != nil {
			t.Fatal(err)
		}
	}
	return out, packets
}
