package call

import (
	"math"

	"parley/media/internal/testsignal"
)

// chirp is the known test signal: an exponential sweep from 150 Hz to
// 6 kHz over 750 ms at -10 dBFS, then 250 ms of silence, repeating every
// second. A sweep's autocorrelation has one sharp peak, so the delay
// between what went in and what came out is found to the sample.
func chirp(n int) float64 {
	const (
		period = 48000
		sweep  = 36000
		f0, f1 = 150.0, 6000.0
		amp    = 0.316 * 32767
	)
	k := n % period
	if k >= sweep {
		return 0
	}
	t := float64(k) / 48000
	T := float64(sweep) / 48000
	r := math.Log(f1 / f0)
	phase := 2 * math.Pi * f0 * T / r * (math.Exp(t/T*r) - 1)
	env := min(1, t/0.005, (T-t)/0.005) // no clicks at the edges
	return amp * env * math.Sin(phase)
}

// match compares a received segment with the sent signal: it finds the
// lag (in samples, 0 to maxLag) at which sent best explains got, and
// returns the normalised correlation there and the SNR of got against the
// best-scaled sent signal.
func match(got []float64, sent func(i int) float64, from, maxLag int) (lag int, corr, snrDB float64) {
	w := len(got)
	ref := make([]float64, w+maxLag) // sent[from-maxLag ...]
	for i := range ref {
		ref[i] = sent(from - maxLag + i)
	}
	c := testsignal.XCorr(got, ref) // c[j] = Σ got[i]·ref[i+j]
	best := 0
	for j := 0; j <= maxLag; j++ {
		if c[j] > c[best] {
			best = j
		}
	}
	lag = maxLag - best
	var gg, rr, gr float64
	for i := range got {
		r := ref[i+best]
		gg += got[i] * got[i]
		rr += r * r
		gr += got[i] * r
	}
	corr = gr / math.Sqrt(gg*rr)
	gain := gr / rr
	var noise float64
	for i := range got {
		d := got[i] - gain*ref[i+best]
		noise += d * d
	}
	snrDB = 10 * math.Log10(gain*gain*rr/noise)
	return lag, corr, snrDB
}
