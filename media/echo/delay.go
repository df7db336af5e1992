package echo

import (
	"math"
	"slices"
	"sync/atomic"
)

// coarseRate is the sample rate of the delay search: speech below 1.2 kHz
// is plenty to find where the echo is.
const coarseRate = 4000

// delayFinder finds where in the reference stream the echo comes from.
// Devices add latency nobody tells us (and change it: an underrun, a
// skipped capture, another device), so the main filter cannot simply
// start at lag 0: the finder runs a second, cheap adaptive filter at 4
// kHz over every lag from 0 to the largest delay searched, and reads the
// echo path off its impulse response: the main filter's window goes
// where the strongest path (the direct sound) is (see analyze). A
// filter rather than a cross-correlation, because the adaptive filter
// whitens the speech: the pitch of a voice makes correlation peaks at
// every period, an identified impulse response has one.
type delayFinder struct {
	factor int // full-rate samples per coarse sample
	block  int // coarse samples per frame
	f      *mdf
	refDec decimator
	micDec decimator
	ring   []float32 // decimated reference, by index & mask
	mask   int64
	n      int64 // decimated reference samples written
	// newest is the coarse index of the newest block given to the
	// filter (see Canceller.pull for why blocks are repaired).
	newest   int64
	started  bool
	win      []float32 // 2 blocks, for repairs
	repaired atomic.Uint64

	mic, ref, junk, junk2 []float32 // block
	h                     []float32 // the coarse impulse response
	parts                 []float64 // per partition energy, for the noise floor

	// The last analysis.
	peak     int // coarse tap of the strongest echo; -1 unknown
	proposal int // proposed window start (coarse taps), seen once; -1 none
}

func newDelayFinder(rate, frame int, searchSamples int) (*delayFinder, error) {
	factor := rate / coarseRate
	block := frame / factor
	parts := max(2, (searchSamples/factor+block-1)/block)
	// Adapt only where the decimation filter lets the speech through:
	// above it the reference is empty and the step would be noise.
	bins := 1500*2*block/coarseRate + 1
	f, err := newMDF(block, parts, bins, float64(coarseRate)/float64(block), false)
	if err != nil {
		return nil, err
	}
	// A plain NLMS step: it learns a new echo path (a changed delay) as
	// fast as the first; the leakage-driven step, cautious for double
	// talk, would take seconds. Its errors matter little: a wrong
	// response has to be clear, and found twice, to move the filter.
	f.fixedStep = true
	size := 1
	for size < 2*(parts+2)*block {
		size *= 2
	}
	d := &delayFinder{
		factor: factor, block: block, f: f,
		refDec: newDecimator(rate), micDec: newDecimator(rate),
		ring: make([]float32, size), mask: int64(size - 1),
		mic: make([]float32, block), ref: make([]float32, block),
		junk: make([]float32, block), junk2: make([]float32, block), win: make([]float32, 2*block),
		h:     make([]float32, parts*block),
		parts: make([]float64, parts),
	}
	d.reset()
	return d, nil
}

func (d *delayFinder) reset() {
	d.f.reset()
	d.started = false
	d.peak, d.proposal = -1, -1
}

// pushReference takes the next full-rate reference samples, and
// repairs the blocks the filter learnt before they were all there.
func (d *delayFinder) pushReference(x []float32) {
	before := d.n
	for _, v := range x {
		if y, ok := d.refDec.run(v); ok {
			d.ring[d.n&d.mask] = y
			d.n++
		}
	}
	if !d.started || d.n == before {
		return
	}
	b := int64(d.block)
	for p := 0; p < d.f.parts && d.newest-int64(p)*b+b > before; p++ {
		d.read(d.win, d.newest-int64(p)*b-b)
		d.f.setPartition(p, d.win)
		d.repaired.Add(1)
	}
}

// read fills dst with the decimated reference from index at on (zeros
// where there is none).
func (d *delayFinder) read(dst []float32, at int64) {
	for i := range dst {
		j := at + int64(i)
		if j < 0 || j >= d.n || j < d.n-int64(len(d.ring)) {
			dst[i] = 0
		} else {
			dst[i] = d.ring[j&d.mask]
		}
	}
}

// process adapts the coarse filter to one full-rate frame of the mic
// whose first sample lines up with full-rate reference index at (a
// multiple of the factor) when the delay is 0. quiet: the reference has
// been digital silence over the whole search (see mdf.step).
func (d *delayFinder) process(mic []float32, at int64, quiet bool) {
	j := 0
	for _, v := range mic {
		if y, ok := d.micDec.run(v); ok {
			d.mic[j] = y
			j++
		}
	}
	d.newest, d.started = at/int64(d.factor), true
	d.read(d.ref, d.newest)
	d.f.step(d.ref, d.mic, d.junk, d.junk2, quiet)
}

// analyze reads the coarse impulse response and returns the start (in
// coarse taps, a multiple of quantum) of the window of span taps the
// main filter should cover, and whether to move there from the current
// start.
//
// The window hangs on the strongest path, the direct sound: it starts
// two quanta before it and is fine as long as it starts before it and
// covers 60% of its span after it (the bulk of a room's tail). Anchoring
// on the peak rather than on where most energy fits matters when the
// delay jumps: for a while the response holds the remains of the old
// path and the new one, and the window must follow the new one as soon
// as it is clearly the stronger. A move needs the peak to stand 13 dB
// above the estimate's noise, to be twice as strong as anything outside
// its own stretch, and the same start found on two analyses in a row.
func (d *delayFinder) analyze(current, span, quantum int) (start int, move bool) {
	if !d.f.learnt { // it has not taken 3 dB off anything yet
		return current, false
	}
	d.f.impulse(d.h)
	// The estimate's noise: the median energy of a partition's taps.
	for p := range d.parts {
		d.parts[p] = energy(d.h[p*d.block : (p+1)*d.block])
	}
	slices.Sort(d.parts)
	noise := d.parts[len(d.parts)/2] / float64(d.block)

	peak, top := 0, 0.0
	for j, v := range d.h {
		if a := float64(v) * float64(v); a > top {
			peak, top = j, a
		}
	}
	after := span * 3 / 5
	var second float64
	for j, v := range d.h {
		if j < peak-2*quantum || j >= peak+after {
			second = max(second, float64(v)*float64(v))
		}
	}
	if top < 20*noise || top < 2*second {
		d.proposal = -1
		return current, false
	}
	d.peak = peak
	if current <= peak-quantum && current+span >= peak+after {
		d.proposal = -1
		return current, false
	}
	start = max(0, (peak/quantum-2)*quantum)
	if start == current || d.proposal != start {
		d.proposal = start
		return current, false
	}
	d.proposal = -1
	return start, true
}

// decimator brings a full-rate stream down to coarseRate: a running
// sum over 3 or 2 samples (at 48 or 8k·n kHz: the first stage, cheap;
// the far end has nothing up where its stop band is weak), a fourth-
// order Butterworth low-pass at 1.2 kHz on that, and one sample kept in
// what remains of the factor. The sample kept is the first of its group,
// so stream index i·factor becomes coarse index i.
type decimator struct {
	pre, post int // the two factors: pre·post samples in, one out
	acc       float32
	n, m      int
	lp        lowpass
}

func newDecimator(rate int) decimator {
	factor := rate / coarseRate
	pre := 1
	for _, p := range []int{3, 2} {
		if factor%p == 0 && factor > p {
			pre = p
			break
		}
	}
	return decimator{pre: pre, post: factor / pre, lp: newLowpass(1200, rate/pre)}
}

// run takes the next sample, and returns the next coarse one when it is
// complete.
func (d *decimator) run(x float32) (float32, bool) {
	d.acc += x
	if d.n++; d.n < d.pre {
		return 0, false
	}
	y := d.lp.run(d.acc / float32(d.pre))
	d.acc, d.n = 0, 0
	keep := d.m == 0
	if d.m++; d.m == d.post {
		d.m = 0
	}
	return y, keep
}

// lowpass is a fourth-order Butterworth low-pass: two biquads
// (transposed direct form II), for decimation.
type lowpass [2]biquad

type biquad struct{ b0, b1, b2, a1, a2, z1, z2 float32 }

func newLowpass(cutoff float64, rate int) lowpass {
	var lp lowpass
	for i, q := range []float64{0.5411961001461969, 1.3065629648763766} {
		w := 2 * math.Pi * cutoff / float64(rate)
		alpha := math.Sin(w) / (2 * q)
		a0 := 1 + alpha
		c := math.Cos(w)
		lp[i] = biquad{
			b0: float32((1 - c) / 2 / a0), b1: float32((1 - c) / a0), b2: float32((1 - c) / 2 / a0),
			a1: float32(-2 * c / a0), a2: float32((1 - alpha) / a0),
		}
	}
	return lp
}

func (lp *lowpass) run(x float32) float32 {
	for i := range lp {
		q := &lp[i]
		y := q.b0*x + q.z1
		q.z1 = q.b1*x - q.a1*y + q.z2
		q.z2 = q.b2*x - q.a2*y
		if q.z1 < 1e-25 && q.z1 > -1e-25 { // a decayed tail: no denormals
			q.z1, q.z2 = 0, 0
		}
		x = y
	}
	return x
}
