package quality

import (
	"math"
	"math/rand/v2"
	"testing"

	"parley/media/internal/testsignal"
)

// talker is 3 s of the shared synthetic talker.
func talker() []float64 {
	return testsignal.Talker{Seed: 5, Pitch: 130, Rate: 4, Amp: 0.5}.Speech(3 * Rate)
}

// broadband is 3 s of syllables of noise (white, so with as much energy
// above 7 kHz as below), 150 ms on, 100 ms off: speech's rhythm with a
// full band.
func broadband() []float64 {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 3*Rate)
	for i := range x {
		if t := i % (Rate / 4); t < 3*Rate/20 {
			x[i] = 0.1 * math.Sin(math.Pi*float64(t)/(3*Rate/20)) * rng.NormFloat64()
		}
	}
	return x
}

// noisy is x plus white noise snrDB below x's power.
func noisy(x []float64, snrDB float64, seed uint64) []float64 {
	var p float64
	for _, v := range x {
		p += v * v
	}
	sd := math.Sqrt(p / float64(len(x)) / math.Pow(10, snrDB/10))
	rng := rand.New(rand.NewPCG(seed, 9))
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v + sd*rng.NormFloat64()
	}
	return out
}

// lowpass is x with everything above hz removed (a brick wall, by FFT).
func lowpass(x []float64, hz float64) []float64 {
	n := 1
	for n < len(x) {
		n *= 2
	}
	z := make([]complex128, n)
	for i, v := range x {
		z[i] = complex(v, 0)
	}
	testsignal.FFT(z, false)
	cut := int(hz / Rate * float64(n))
	for k := cut + 1; k < n-cut; k++ {
		z[k] = 0
	}
	testsignal.FFT(z, true)
	out := make([]float64, len(x))
	for i := range out {
		out[i] = real(z[i]) / float64(n)
	}
	return out
}

func TestIdenticalSignalsScoreTheMaximum(t *testing.T) {
	x := talker()
	s := Compare(x, x)
	t.Logf("%+v", s)
	// 397 frames, of which the talker's pauses are skipped.
	if s.FWSNRSeg != MaxFWSNRSeg || s.LSD > 1e-9 || s.Frames < 397/2 {
		t.Errorf("identical: %+v, want fwSNRseg %v and LSD 0 over more than half the 397 frames", s, MaxFWSNRSeg)
	}
}

// More noise, lower score, on both measures, step by step.
func TestNoiseLowersTheScoreMonotonically(t *testing.T) {
	x := talker()
	prev := Compare(x, x)
	for _, snr := range []float64{40, 30, 20, 10, 0} {
		s := Compare(x, noisy(x, snr, 1))
		t.Logf("white noise at %v dB SNR: fwSNRseg %.2f dB, LSD %.2f dB", snr, s.FWSNRSeg, s.LSD)
		if s.FWSNRSeg >= prev.FWSNRSeg || s.LSD <= prev.LSD {
			t.Errorf("at %v dB SNR: fwSNRseg %.2f, LSD %.2f; want below %.2f and above %.2f", snr, s.FWSNRSeg, s.LSD, prev.FWSNRSeg, prev.LSD)
		}
		prev = s
	}
}

// A pure delay is found and costs nothing; compared without aligning, the
// same copy scores far lower. A delay that changes mid-signal (a frame
// inserted, as a jitter buffer does) costs only the second where it
// changes.
func TestADelayIsAlignedAway(t *testing.T) {
	x := talker()
	const d = 4321 // 90 ms, about a call's delay
	late := append(make([]float64, d), x...)
	s := Measure(x, late, Rate/10)
	raw := Compare(x, late)
	t.Logf("delayed %d samples: measured %+v; compared unaligned %+v", d, s, raw)
	if s.FWSNRSeg < MaxFWSNRSeg-1e-9 || s.LSD > 1e-9 {
		t.Errorf("delayed copy: %+v, want the maximum", s)
	}
	if raw.FWSNRSeg > 15 {
		t.Errorf("unaligned: fwSNRseg %.2f, want far lower", raw.FWSNRSeg)
	}
	at := Rate + Rate/2
	inserted := append(append(append([]float64(nil), late[:d+at]...), make([]float64, 960)...), late[d+at:]...)
	j := Measure(x, inserted, Rate/10)
	t.Logf("20 ms inserted at 1.5 s: %+v", j)
	if j.FWSNRSeg < MaxFWSNRSeg-3 || j.FWSNRSeg >= MaxFWSNRSeg-0.1 {
		t.Errorf("a 20 ms jump at 1.5 s: fwSNRseg %.2f, want it to cost that second only (above %v, below %v)", j.FWSNRSeg, MaxFWSNRSeg-3, MaxFWSNRSeg)
	}
}

// A copy without the band above 7 kHz (G.722's limit) scores lower than
// the full band, and one without the band above 3.5 kHz lower still.
func TestBandLimitScoresLower(t *testing.T) {
	for _, sig := range []struct {
		name string
		x    []float64
	}{{"broadband syllables", broadband()}, {"synthetic talker", talker()}} {
		full := Compare(sig.x, sig.x)
		wide := Compare(sig.x, lowpass(sig.x, 7000))
		narrow := Compare(sig.x, lowpass(sig.x, 3500))
		t.Logf("%s: full %.2f / %.2f dB, 7 kHz %.2f / %.2f dB, 3.5 kHz %.2f / %.2f dB (fwSNRseg / LSD)",
			sig.name, full.FWSNRSeg, full.LSD, wide.FWSNRSeg, wide.LSD, narrow.FWSNRSeg, narrow.LSD)
		if wide.FWSNRSeg >= full.FWSNRSeg-1 || narrow.FWSNRSeg >= wide.FWSNRSeg || wide.LSD <= full.LSD || narrow.LSD <= wide.LSD {
			t.Errorf("%s: band limits did not lower the score in order", sig.name)
		}
	}
}

// The filters cover 20 Hz–20 kHz, each with unit peak at most and the
// narrowest band's area.
func TestBandsCoverTheAudioBand(t *testing.T) {
	const binHz = float64(Rate) / nfft
	if len(bands) != 25 {
		t.Fatalf("%d bands, want 25", len(bands))
	}
	first, last := bands[0], bands[len(bands)-1]
	if lo, hi := float64(first.from)*binHz, float64(last.from+len(last.w))*binHz; lo > 60 || hi < 18000 {
		t.Errorf("bands span %.0f–%.0f Hz", lo, hi)
	}
	for i, b := range bands {
		var area float64
		for _, w := range b.w {
			area += w
		}
		if len(b.w) == 0 || area < 2 || area > 8 {
			t.Errorf("band %d: %d bins, area %.2f", i, len(b.w), area)
		}
	}
}
