package codec

import "math"

// Packet loss concealment for G.722, in the 16 kHz domain, in the spirit of
// ITU-T G.722 Appendix III/IV: repeat the last pitch period of the decoded
// signal, fade it out, and pass the result through a "shadow" G.722 encoder
// so that the codes the decoder consumes during the loss keep its ADPCM and
// QMF state in step with what is being played. When real packets return
// after a short loss, the decoder continues from that state without a
// discontinuity; after a loss long enough to have faded out, it restarts
// (see resume).

const (
	histSamples = 640 // 40 ms of 16 kHz output kept for pitch analysis
	minPitch    = 32  // 500 Hz
	maxPitch    = 320 // 50 Hz
	pitchWindow = 256 // samples correlated per candidate period
	fadeHold    = 160 // the first 10 ms of a loss keep full level,
	fadeLength  = 640 // then the level falls linearly to 0 over 40 ms
)

type concealer struct {
	hist   [histSamples]int16 // the last decoded (or concealed) output, oldest first
	lost   int                // 16 kHz samples concealed since the last good packet
	cycle  [maxPitch]int16    // one pitch period, seam smoothed, repeated during a loss
	period int
	pos    int // next index into cycle
	shadow g722Encoder
	ext    [wideSamples]int16
	codes  [g722PacketBytes]byte
}

// received records a good frame of decoded output.
func (c *concealer) received(out []int16) {
	c.lost = 0
	c.remember(out)
}

func (c *concealer) remember(out []int16) {
	copy(c.hist[:], c.hist[len(out):])
	copy(c.hist[histSamples-len(out):], out)
}

// next returns the codes of one concealed frame, for dec to decode.
func (c *concealer) next(dec *g722Decoder) []byte {
	if c.lost == 0 {
		c.start(dec)
	}
	for i := range c.ext {
		c.ext[i] = int16(int32(c.cycle[c.pos]) * fadeGain(c.lost+i) >> 15)
		if c.pos++; c.pos == c.period {
			c.pos = 0
		}
	}
	c.lost += wideSamples
	return c.shadow.encode(c.codes[:0], c.ext[:])
}

// fadeGain is the Q15 level of the n-th concealed sample.
func fadeGain(n int) int32 {
	switch {
	case n < fadeHold:
		return 32768
	case n >= fadeHold+fadeLength:
		return 0
	default:
		return int32(32768 * (fadeHold + fadeLength - n) / fadeLength)
	}
}

// start prepares a loss: picks the pitch period, cuts one period out of the
// history and primes the shadow encoder with the decoder's state.
func (c *concealer) start(dec *g722Decoder) {
	h := c.hist[:]
	n := len(h)
	p := c.pitch()
	c.period = p
	copy(c.cycle[:p], h[n-p:])
	// The repeat jumps from cycle[p-1] back to cycle[0]. Cross-fade the last
	// quarter period into the samples one period earlier, which lead into
	// cycle[0] smoothly.
	q := p / 4
	for j := range q {
		w := int32((j + 1) * 32768 / (q + 1))
		c.cycle[p-q+j] = int16((int32(h[n-q+j])*(32768-w) + int32(h[n-p-q+j])*w) >> 15)
	}

	// Output lags the encoder input by qmfDelay samples, so the input that
	// would have produced the continuation of the output is the continuation
	// shifted qmfDelay samples earlier. The shadow's QMF history is the
	// last decoded samples and the first continued ones.
	var past [24]int16
	for i := range past {
		if t := i - len(past) + qmfDelay; t < 0 {
			past[i] = h[n+t]
		} else {
			past[i] = c.cycle[t%p]
		}
	}
	c.shadow = g722Encoder{lo: dec.lo, hi: dec.hi}
	c.shadow.prime(past)
	c.pos = qmfDelay % p
}

// pitch returns the period, in samples, that best predicts the end of the
// history from the samples one period earlier (normalised
// cross-correlation), or maxPitch when the history is silent or aperiodic.
// Even periods are searched first, then the odd neighbours of the best.
func (c *concealer) pitch() int {
	h := c.hist[:]
	n := len(h)
	tail := h[n-pitchWindow:]
	e0, _ := correlate(tail, tail)
	if e0 == 0 {
		return maxPitch
	}
	score := func(p int) float64 {
		xy, yy := correlate(h[n-pitchWindow-p:n-p], tail)
		if xy <= 0 {
			return 0
		}
		return float64(xy) / math.Sqrt(float64(e0)*float64(yy))
	}
	best, bestScore := maxPitch, 0.0
	try := func(p int) {
		if s := score(p); s > bestScore {
			best, bestScore = p, s
		}
	}
	for p := minPitch; p <= maxPitch; p += 2 {
		try(p)
	}
	if coarse := best; bestScore > 0 {
		try(max(coarse-1, minPitch))
		try(min(coarse+1, maxPitch))
	}
	return best
}

// correlate returns Σ a·b and Σ a·a over len(a) samples.
func correlate(a, b []int16) (ab, aa int64) {
	b = b[:len(a)]
	for i, v := range a {
		x := int32(v)
		ab += int64(x * int32(b[i]))
		aa += int64(x * x)
	}
	return ab, aa
}

// prime fills the transmit QMF delay lines with past input, oldest first, as
// if it had been encoded (the sub-band state is left as it is).
func (e *g722Encoder) prime(past [24]int16) {
	for k := range 12 {
		e.x0[11-k] = int32(past[2*k])
		e.x1[11-k] = int32(past[2*k+1])
	}
}

// resume prepares dec for the first good packet after a loss. After a short
// loss the shadow-driven state is the best guess of the encoder's, and
// keeping it avoids a discontinuity. Once the concealment has faded to
// silence that state has been driven by zeros and says nothing about the
// encoder, so the sub-band coders restart from their reset state, as a
// decoder joining a stream would: the speech fades in as the scale factors
// adapt, instead of bursting through a mismatched predictor.
func (c *concealer) resume(dec *g722Decoder) {
	if c.lost >= fadeHold+fadeLength {
		dec.lo, dec.hi = newLowBand(), newHighBand()
	}
}
