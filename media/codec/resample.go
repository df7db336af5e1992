package codec

import (
	"math"
	"slices"
)

// The 48 kHz ↔ 16 kHz converters around G.722. Both use one linear-phase
// low-pass prototype (Kaiser-windowed sinc, 117 taps at 48 kHz: flat within
// 0.01 dB to 7 kHz, 59 dB down from 8.5 kHz) in polyphase form, so only the
// samples that are kept (decimator) or non-zero (interpolator) are
// computed. Each keeps the last inputs of the previous frame, so a stream
// of frames is filtered exactly as one long signal would be.

const (
	resampleFactor = SampleRate / 16000            // 3
	phaseTaps      = 39                            // taps per polyphase branch
	lowpassTaps    = phaseTaps * resampleFactor    // 117; delay (117-1)/2 = 58 samples at 48 kHz
	lowpassCutoff  = 7750.0                        // Hz, -6 dB point between 7 and 8.5 kHz
	lowpassBeta    = 5.65                          // Kaiser β for ≈ 60 dB stop band
	wideSamples    = FrameSamples / resampleFactor // 320 samples per frame at 16 kHz
)

// lowpass returns the prototype filter at 48 kHz with a DC gain of 1.
func lowpass() [lowpassTaps]float64 {
	var h [lowpassTaps]float64
	mid := float64(lowpassTaps-1) / 2
	fc := lowpassCutoff / SampleRate // cycles per sample
	sum := 0.0
	for i := range h {
		t := float64(i) - mid
		sinc := 2 * fc
		if t != 0 {
			sinc = math.Sin(2*math.Pi*fc*t) / (math.Pi * t)
		}
		r := t / mid
		h[i] = sinc * besselI0(lowpassBeta*math.Sqrt(1-r*r)) / besselI0(lowpassBeta)
		sum += h[i]
	}
	for i := range h {
		h[i] /= sum
	}
	return h
}

// besselI0 is the modified Bessel function of the first kind, order 0, by
// its power series (converges quickly for the β used here).
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; term > 1e-12*sum; k++ {
		q := x / (2 * float64(k))
		term *= q * q
		sum += term
	}
	return sum
}

// Taps are fixed point with tapBits fraction bits. The taps' absolute sum
// is below 2.3, so with 14 bits |Σ tap·x| < 2.3·2^14·2^15 < 2^31 and the
// accumulators can be int32 (TestResamplerTapsCannotOverflowInt32).
const tapBits = 14

// quantizeTaps scales taps by gain into fixed point and nudges the largest
// tap so they sum to exactly 1.0: a DC input then passes with unit gain
// and, for an interpolator branch, without a ripple at the branch rate.
func quantizeTaps(dst []int32, taps []float64, gain float64) {
	var sum, peak int32
	for i, h := range taps {
		dst[i] = int32(math.Round(h * gain * (1 << tapBits)))
		sum += dst[i]
		if abs32(dst[i]) > abs32(dst[peak]) {
			peak = int32(i)
		}
	}
	dst[peak] += 1<<tapBits - sum
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// fromAcc rounds a filter accumulator to a saturated 16-bit sample.
func fromAcc(acc int32) int16 { return int16(sat16((acc + 1<<(tapBits-1)) >> tapBits)) }

// decimator low-pass filters 48 kHz frames and keeps every third sample.
type decimator struct {
	taps [lowpassTaps]int32                    // symmetric, so no reversal needed
	buf  [lowpassTaps - 1 + FrameSamples]int16 // previous frame's tail, then this frame
}

func (d *decimator) init() {
	h := lowpass()
	quantizeTaps(d.taps[:], h[:], 1)
}

// process filters one frame: len(in) == FrameSamples, len(out) == wideSamples.
func (d *decimator) process(out []int16, in []int16) {
	const hist = lowpassTaps - 1
	copy(d.buf[hist:], in)
	// The taps are symmetric: fold the window and multiply each tap once.
	const half = lowpassTaps / 2
	taps := d.taps[:half]
	for m := range out[:wideSamples] {
		x := d.buf[resampleFactor*m+resampleFactor-1:][:lowpassTaps]
		acc := d.taps[half] * int32(x[half])
		for j, h := range taps {
			acc += h * (int32(x[j]) + int32(x[lowpassTaps-1-j]))
		}
		out[m] = fromAcc(acc)
	}
	copy(d.buf[:hist], d.buf[FrameSamples:])
}

// interpolator raises 16 kHz frames to 48 kHz: zero-stuffing by 3 followed
// by the low-pass (gain 3), computed as three 39-tap branches, one per
// output phase.
type interpolator struct {
	taps [phaseTaps][resampleFactor]int32   // taps[i][p]: branch p, oldest input first
	buf  [phaseTaps - 1 + wideSamples]int16 // previous frame's tail, then this frame
}

func (it *interpolator) init() {
	h := lowpass()
	for p := range resampleFactor {
		var taps [phaseTaps]float64
		for i := range taps {
			// Output 3m+p sums h[3j+p]·x[m-j]; store j reversed so the
			// branch walks the buffer forwards.
			taps[i] = h[resampleFactor*(phaseTaps-1-i)+p]
		}
		var q [phaseTaps]int32
		quantizeTaps(q[:], taps[:], resampleFactor)
		for i, h := range q {
			it.taps[i][p] = h
		}
	}
}

// process appends the 48 kHz version of in (wideSamples long) to dst.
func (it *interpolator) process(dst []int16, in []int16) []int16 {
	const hist = phaseTaps - 1
	copy(it.buf[hist:], in)
	n := len(dst)
	dst = slices.Grow(dst, FrameSamples)[:n+FrameSamples]
	out := dst[n:]
	for m := range wideSamples {
		// One pass over the input window feeds all three branches.
		x := it.buf[m:][:phaseTaps]
		var a0, a1, a2 int32
		for i := range it.taps {
			h, v := &it.taps[i], int32(x[i])
			a0 += h[0] * v
			a1 += h[1] * v
			a2 += h[2] * v
		}
		y := out[resampleFactor*m:][:resampleFactor]
		y[0], y[1], y[2] = fromAcc(a0), fromAcc(a1), fromAcc(a2)
	}
	copy(it.buf[:hist], it.buf[wideSamples:])
	return dst
}
