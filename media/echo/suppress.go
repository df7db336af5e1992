package echo

import "math"

// suppressor takes out what the linear filter leaves of the echo: a gain
// per frequency bin, from the residual echo expected in that bin against
// the power actually there. The residual is the echo estimate's power
// times the larger of the filter's leakage η and the bin's own share of
// it, found by regressing the error on the estimate bin by bin over ~50
// ms (the filter leaves more in some bins than in others), held with a
// short decay for the reverberation the estimate smears. Bins where the near end speaks keep their gain near 1; bins
// holding only residual echo are brought down to the near end's own
// background noise, never below it, so the background does not come and
// go with the far end's speech (no pumping) and nothing is added where
// the input is silent.
//
// It works on a short-time Fourier transform of 2b-sample frames with
// hop b and square-root Hann windows for analysis and synthesis (their
// product sums to exactly 1 over the overlap): with every gain at 1 the
// output is the input, b samples late.
type suppressor struct {
	b, n, bins int
	fft        *rfft
	win        []float32 // n
	ein, yin   []float32 // the last n samples of the error and the echo estimate
	frame      []float32 // n
	E, Y       []complex64
	resid      []float32   // bins: residual echo power, held with a decay
	gain, near []float32   // bins: the gain, and the power the noise floor learns from (negated: holds)
	sey        []complex64 // bins: smoothed E·conj(Y)
	syy        []float32   // bins: smoothed |Y|²
	tail       []float32   // b: the second half of the last frame, to overlap-add
	noise      noiseFloor
}

const (
	// overSubtract: the expected residual is taken four times before it
	// is subtracted, as its estimate is rough from block to block.
	overSubtract = 4
	// residDecay holds the residual estimate over a few blocks (per 5 ms:
	// -2.5 dB), for reverberation the estimate smears in time.
	residDecay = 0.56
	// coherenceRate smooths the per-bin regression over ~10 blocks.
	coherenceRate = 0.1
)

func newSuppressor(b, bins int, rate float64) (*suppressor, error) {
	n := 2 * b
	fft, err := newRFFT(n)
	if err != nil {
		return nil, err
	}
	s := &suppressor{
		b: b, n: n, bins: bins, fft: fft,
		win: make([]float32, n), ein: make([]float32, n), yin: make([]float32, n), frame: make([]float32, n),
		E: make([]complex64, n/2+1), Y: make([]complex64, n/2+1),
		resid: make([]float32, bins), tail: make([]float32, b),
		gain: make([]float32, bins), near: make([]float32, bins),
		sey: make([]complex64, bins), syy: make([]float32, bins),
		noise: newNoiseFloor(bins, int(rate/4)),
	}
	for i := range s.win {
		s.win[i] = float32(math.Sin(math.Pi * (float64(i) + 0.5) / float64(n))) // √Hann
	}
	return s, nil
}

func (s *suppressor) reset() {
	clear(s.ein)
	clear(s.yin)
	clear(s.resid)
	clear(s.sey)
	clear(s.syy)
	clear(s.tail)
	s.noise.reset()
}

// process takes the next block of the filter's output e and of its echo
// estimate y (b samples each) and writes b samples of output, b samples
// late. leak is the share of the echo estimate's power expected to
// remain in e. far marks the bins where the far end plays: there the
// background noise estimate learns nothing.
func (s *suppressor) process(out, e, y []float32, leak float32, far []bool) {
	b := s.b
	copy(s.ein, s.ein[b:])
	copy(s.ein[b:], e)
	copy(s.yin, s.yin[b:])
	copy(s.yin[b:], y)
	for i, w := range s.win {
		s.frame[i] = s.ein[i] * w
	}
	s.fft.forward(s.E, s.frame)
	for i, w := range s.win {
		s.frame[i] = s.yin[i] * w
	}
	s.fft.forward(s.Y, s.frame)

	for k := 0; k < s.bins; k++ {
		// Per bin, the share of the echo estimate still in the error: the
		// regression of E on Y over the last ~50 ms. Near-end speech does
		// not correlate with Y and hardly moves it.
		ey := cmul(s.E[k], complex(real(s.Y[k]), -imag(s.Y[k])))
		yy := float32(sqabs(s.Y[k]))
		s.sey[k] += scale(ey-s.sey[k], coherenceRate)
		s.syy[k] += coherenceRate * (yy - s.syy[k])
		lk := max(leak, min(1, float32(sqabs(s.sey[k]))/(s.syy[k]*s.syy[k]+1e-30)))
		s.resid[k] = max(residDecay*s.resid[k], lk*yy)
	}
	for k := 0; k < s.bins; k++ {
		// The residual spreads a little across neighbouring bins (the
		// window's leakage; the echo estimate's small errors in frequency).
		r := s.resid[k]
		if k+1 < s.bins {
			r = max(r, 0.5*s.resid[k+1])
		}
		if k > 0 {
			r = max(r, 0.5*s.resid[k-1])
		}
		p := float32(sqabs(s.E[k])) + 1e-20
		s.gain[k] = max(0, 1-overSubtract*r/p)
		// The background is learnt where there can be no echo: in bins
		// the far end is not playing (within the filter's span) and the
		// residual is a small part of the power. Elsewhere the estimate
		// holds, or it would learn the echo's own floor.
		s.near[k] = p
		if far[k] || overSubtract*r > 0.5*p {
			s.near[k] = -1
		}
	}
	s.noise.update(s.near)
	for k := 0; k < s.bins; k++ {
		g := s.gain[k]
		p := float32(sqabs(s.E[k])) + 1e-20
		if nf := s.noise.est[k]; g*g*p < nf { // keep the background
			g = float32(math.Sqrt(float64(min(1, nf/p))))
		}
		s.E[k] = scale(s.E[k], g)
	}
	s.fft.inverse(s.frame, s.E)
	for i := range b {
		out[i] = s.tail[i] + s.frame[i]*s.win[i]
	}
	for i := range b {
		s.tail[i] = s.frame[b+i] * s.win[b+i]
	}
}

// noiseFloor follows the background noise power per bin by minimum
// statistics: the minimum of the smoothed power over the last 1.5 s of
// observations of that bin (six windows of 250 ms), which speech, near
// or echoed, does not fill in every bin for that long. Blocks in which a
// bin is held (there may be echo in it) are not observations: they
// neither count nor close a window, so a short gap in the far end's
// speech cannot make a window of near-end speech.
type noiseFloor struct {
	smooth, cur, est []float32
	mins             [][]float32 // per window, per bin: the minima of the last windows
	seen, at         []int       // per bin: observations in the current window, window index
	span             int         // observations per window
	primed           []bool
}

const noiseWindows = 6

// newNoiseFloor follows bins bins, each window span observations long.
func newNoiseFloor(bins, span int) noiseFloor {
	nf := noiseFloor{
		smooth: make([]float32, bins), cur: make([]float32, bins), est: make([]float32, bins),
		mins: make([][]float32, noiseWindows),
		seen: make([]int, bins), at: make([]int, bins), primed: make([]bool, bins),
		span: max(1, span),
	}
	for i := range nf.mins {
		nf.mins[i] = make([]float32, bins)
	}
	nf.reset()
	return nf
}

func (nf *noiseFloor) reset() {
	clear(nf.smooth)
	clear(nf.est)
	clear(nf.seen)
	clear(nf.at)
	clear(nf.primed)
	for _, m := range nf.mins {
		for k := range m {
			m[k] = math.MaxFloat32
		}
	}
	for k := range nf.cur {
		nf.cur[k] = math.MaxFloat32
	}
}

// update takes the next block's power per bin. A negative power holds
// the bin: the block is no observation of it.
func (nf *noiseFloor) update(power []float32) {
	const bias = 2.5 // the minimum of the smoothed power sits below its mean
	for k, p := range power {
		if p < 0 {
			continue
		}
		if !nf.primed[k] {
			nf.smooth[k], nf.primed[k] = p, true
		}
		nf.smooth[k] += 0.1 * (p - nf.smooth[k])
		nf.cur[k] = min(nf.cur[k], nf.smooth[k])
		if nf.seen[k]++; nf.seen[k] == nf.span {
			nf.seen[k] = 0
			nf.mins[nf.at[k]][k] = nf.cur[k]
			nf.at[k] = (nf.at[k] + 1) % noiseWindows
			nf.cur[k] = nf.smooth[k]
		}
		m := nf.cur[k]
		for _, w := range nf.mins {
			m = min(m, w[k])
		}
		nf.est[k] = bias * m
	}
}
