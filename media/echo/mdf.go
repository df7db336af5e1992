package echo

import "math"

// mdf is a multidelay block frequency-domain adaptive filter: a long FIR
// filter cut into parts partitions of b taps, each applied and adapted in
// the frequency domain on 2b-point transforms (overlap-save), so that a
// 250 ms echo path costs a few complex multiply-adds per bin and block
// instead of thousands of taps per sample.
//
// Adaptation is NLMS per frequency bin, normalised by the reference power
// in that bin over all partitions, with a step size that follows the
// optimal NLMS step in the presence of noise (Valin, "On Adjusting the
// Learning Rate in Frequency Domain Echo Cancellation With Double-Talk",
// IEEE TASLP 2007): μ(k) = residual echo power / error power. The
// residual echo is the "leakage" η (estimated by regressing the error
// power on the echo estimate's power over time and frequency) times the
// echo estimate's power. When the near end talks, the error grows while
// the residual does not, so the step shrinks and the filter does not
// learn the near-end voice: no double-talk detector to tune.
//
// With dual set, a second (foreground) filter produces the output: it
// takes a copy of the adapting (background) filter when that one has
// been reliably better for a while, and gives its own back when the
// background goes astray — the safety net for the moments the step-size
// control is late.
//
// Only bins [0, bins) adapt; the filter's response above them is only
// what keeps its impulse response short. At 48 kHz this limits the
// adaptation to the speech band the codec sends (the far end has nothing
// above it).
type mdf struct {
	b, n, bins, parts int
	rate              float64 // blocks per second
	dual              bool
	fixedStep         bool // always the initial step, never the leakage-driven one
	fft               *rfft

	x     [][]complex64 // reference spectra; partition p is x[(head+p)%parts], 0 the newest
	head  int
	xpow  []float64 // per bin, Σ over partitions of |X|²
	xavg  []float64 // per bin, xpow averaged over seconds
	w, fg [][]complex64
	// good is the foreground as it was the last time it cancelled well
	// (its measured ERLE above 10 dB): what realign restores, shifted, as
	// a delay jump leaves the echo path's shape as it was, while by the
	// time the jump is found the filters have been learning from it.
	good         [][]complex64
	goodOK       bool
	fgSdd, fgSff float64   // foreground's smoothed mic and error energies, far end active
	sinceGood    int       // blocks since good was taken
	goodTaken    int       // snapshots taken so far
	prev         []float32 // the previous reference block
	turn         int       // the partition the constraint treats next

	tbuf   []float32   // n
	spec   []complex64 // n/2+1
	E, Yb  []complex64 // bins
	yb, yf []float32   // b: echo estimates of the background and foreground filters
	eb, ef []float32   // b: their errors
	mu     []float32   // bins: step size over the normalising power
	prop   []float32   // parts: share of the step per partition
	fade   []float32   // b: a raised-cosine ramp from 0 to 1
	eh, yh []float32   // bins: slow averages of |E|² and |Y|²

	pey, pyy                   float64 // regression of |E|² on |Y|²
	leak                       float64 // η
	adapted                    bool
	sumAdapt                   float64
	learntD                    float64 // smoothed mic energy while the far end is active
	learntE                    float64 // smoothed error energy then
	learnt                     bool    // the filter has once taken 3 dB off the echo
	davg1, davg2, dvar1, dvar2 float64
	saturated                  int

	// The last block's energies, for the canceller's statistics.
	sdd, sout, syy float64
	refPower       float64 // mean over bins of the reference power in the filter
	// Smoothed over a few blocks: reference, error, echo estimate
	// energies and the error's correlation with the estimate.
	sxxS, seeS, syyS, seyS float64
	bypassed               bool
}

const (
	leakMin = 0.005 // below -23 dB the regression is noise; the suppressor handles the rest
	// initialStep is the NLMS step before the filter has learnt anything
	// (and always, for a filter with fixedStep set).
	initialStep = 0.25
	// backtrack: how far (in squared spreads) the background must lose
	// before it is sent back to the foreground.
	backtrack = 64
	// leakGate: the leakage learns at full rate while the error is within
	// this factor of the residual it predicts, proportionally slower
	// beyond. A trade: larger follows a changed echo path sooner, smaller
	// keeps double talk from inflating it.
	leakGate = 8
	// Floors added to powers (signals are in full scale ±1), about -90
	// dBFS per sample: keeps divisions finite in digital silence.
	powerFloor = 1e-9
)

func newMDF(b, parts, bins int, rate float64, dual bool) (*mdf, error) {
	n := 2 * b
	fft, err := newRFFT(n)
	if err != nil {
		return nil, err
	}
	f := &mdf{
		b: b, n: n, bins: bins, parts: parts, rate: rate, dual: dual, fft: fft,
		x: make([][]complex64, parts), xpow: make([]float64, bins), xavg: make([]float64, bins),
		w: make([][]complex64, parts), prev: make([]float32, b),
		tbuf: make([]float32, n), spec: make([]complex64, n/2+1),
		E: make([]complex64, bins), Yb: make([]complex64, bins),
		yb: make([]float32, b), yf: make([]float32, b), eb: make([]float32, b), ef: make([]float32, b),
		mu: make([]float32, bins), prop: make([]float32, parts), fade: make([]float32, b),
		eh: make([]float32, bins), yh: make([]float32, bins),
	}
	for i := range f.fade {
		f.fade[i] = float32(0.5 - 0.5*math.Cos(math.Pi*(float64(i)+0.5)/float64(b)))
	}
	// The weights keep every bin: only [0, bins) adapt and filter, but
	// the constraint (an impulse response b taps long) is a projection
	// only on whole spectra; on truncated ones it would shrink them.
	for p := range parts {
		f.x[p] = make([]complex64, bins)
		f.w[p] = make([]complex64, n/2+1)
	}
	if dual {
		f.fg = make([][]complex64, parts)
		f.good = make([][]complex64, parts)
		for p := range parts {
			f.fg[p] = make([]complex64, n/2+1)
			f.good[p] = make([]complex64, n/2+1)
		}
	}
	f.reset()
	return f, nil
}

// reset forgets the echo path (and the reference history).
func (f *mdf) reset() {
	for p := range f.parts {
		clear(f.x[p])
		clear(f.w[p])
		if f.dual {
			clear(f.fg[p])
			clear(f.good[p])
		}
	}
	f.goodOK, f.fgSdd, f.fgSff, f.sinceGood = false, 0, 0, 0
	clear(f.xpow)
	clear(f.xavg)
	clear(f.prev)
	clear(f.eh)
	clear(f.yh)
	f.resetAdaptation()
}

// resetAdaptation restarts the step-size control as for a new echo path.
func (f *mdf) resetAdaptation() {
	f.pey, f.pyy, f.leak = 0, 0, 1
	f.adapted, f.sumAdapt, f.learntD, f.learntE, f.learnt = false, 0, 0, 0, false
	f.davg1, f.davg2, f.dvar1, f.dvar2 = 0, 0, 0, 0
	f.saturated = 0
	f.sxxS, f.seeS, f.syyS, f.seyS = 0, 0, 0, 0
}

// playing marks the bins where the reference over the filter's span is
// within 20 dB of its usual level (averaged over ~5 s): where an echo
// can be.
func (f *mdf) playing(far []bool) {
	a := 0.2 / f.rate
	for k := range far {
		f.xavg[k] += a * (f.xpow[k] - f.xavg[k])
		far[k] = f.xpow[k] > 0.01*f.xavg[k]+float64(f.n)*powerFloor
	}
}

// partition returns the reference spectrum of partition p.
func (f *mdf) partition(p int) []complex64 { return f.x[(f.head+p)%f.parts] }

// pushReference makes ref (b samples) the newest reference block.
func (f *mdf) pushReference(ref []float32) {
	f.head = (f.head + f.parts - 1) % f.parts
	old := f.x[f.head] // the oldest partition, overwritten
	for k := 0; k < f.bins; k++ {
		f.xpow[k] -= sqabs(old[k])
	}
	copy(f.tbuf, f.prev)
	copy(f.tbuf[f.b:], ref)
	copy(f.prev, ref)
	f.fft.forward(f.spec, f.tbuf)
	copy(old, f.spec[:f.bins])
	for k := 0; k < f.bins; k++ {
		f.xpow[k] = max(0, f.xpow[k]+sqabs(old[k]))
	}
}

// setPartition recomputes partition p's reference spectrum from its 2b
// samples (the block before it, then its own): for samples that arrived
// after it was computed.
func (f *mdf) setPartition(p int, win []float32) {
	xp := f.x[(f.head+p)%f.parts]
	for k := 0; k < f.bins; k++ {
		f.xpow[k] -= sqabs(xp[k])
	}
	f.fft.forward(f.spec, win)
	copy(xp, f.spec[:f.bins])
	for k := 0; k < f.bins; k++ {
		f.xpow[k] = max(0, f.xpow[k]+sqabs(xp[k]))
	}
	if p == 0 {
		copy(f.prev, win[f.b:])
	}
}

// reload replaces the reference history: block(i, dst) fills dst with
// the reference block i blocks before the next one step will be given
// (i ≥ 1). The weights are kept.
func (f *mdf) reload(block func(i int, dst []float32)) {
	clear(f.xpow)
	for p := f.parts - 1; p >= 0; p-- {
		block(p+2, f.tbuf[:f.b])
		block(p+1, f.tbuf[f.b:])
		xp := f.x[(f.head+p)%f.parts]
		f.fft.forward(f.spec, f.tbuf)
		copy(xp, f.spec[:f.bins])
		for k := 0; k < f.bins; k++ {
			f.xpow[k] += sqabs(xp[k])
		}
	}
	block(1, f.prev)
}

// realign follows the window moving: the filters' weights shift by k
// partitions (see shift) to stay on the same reference, and the history
// is reloaded (see reload). The foreground becomes the last good
// snapshot shifted by ks partitions instead, when there is one: the
// caller places it by the echo's direct sound, which is where it belongs
// whether the window moved to cover an echo better (then ks = k) or
// because the echo moved (a delay jump leaves its shape as it was, and
// by the time the jump is found the filters have been learning from the
// wrong one). A wrong snapshot does worse than the mic and is bypassed.
// The background starts over from nothing, with a fresh step-size
// control, so that it learns fast whatever the echo path is now.
func (f *mdf) realign(k, ks int, block func(i int, dst []float32)) {
	shift(f.w, k)
	if f.dual {
		shift(f.fg, k)
		shift(f.good, ks)
		for p := range f.parts {
			if f.goodOK {
				copy(f.fg[p], f.good[p])
			}
			clear(f.w[p])
		}
		f.fgSdd, f.fgSff = 0, 0
	}
	f.reload(block)
	f.resetAdaptation()
}

// shift moves the weights w k partitions later (k < 0: earlier); the
// partitions that come in are empty.
func shift(w [][]complex64, k int) {
	parts := len(w)
	switch {
	case k > 0:
		for p := parts - 1; p >= 0; p-- {
			if p-k >= 0 {
				copy(w[p], w[p-k])
			} else {
				clear(w[p])
			}
		}
	case k < 0:
		for p := range parts {
			if p-k < parts {
				copy(w[p], w[p-k])
			} else {
				clear(w[p])
			}
		}
	}
}

// output computes the echo estimate of weights w into y (b samples).
func (f *mdf) output(w [][]complex64, y []float32) {
	Y := f.spec
	clear(Y)
	acc := Y[:f.bins]
	for p := range f.parts {
		xp, wp := f.partition(p)[:len(acc)], w[p][:len(acc)]
		for k, x := range xp {
			wr, wi := real(wp[k]), imag(wp[k])
			xr, xi := real(x), imag(x)
			acc[k] += complex(wr*xr-wi*xi, wr*xi+wi*xr)
		}
	}
	f.fft.inverse(f.tbuf, Y)
	copy(y, f.tbuf[f.b:])
}

// step runs one block: ref is the newest reference block, aligned with
// mic (b samples each). out receives the mic with the echo estimate
// taken out, echo the estimate taken out. When even the best filter
// makes the block louder than the mic (the echo path just changed), the
// block is not cancelled: out is the mic, and step returns false.
//
// quiet says the reference has been digital silence over the whole
// filter (all of it there, none of it missing): then the estimate and
// the gradient are exactly zero, and the block costs next to nothing.
// So does a silent mic (a muted device), passed on as it is.
func (f *mdf) step(ref, mic, out, echo []float32, quiet bool) bool {
	if quiet || silent(mic) {
		f.idle(ref, mic, out, echo, quiet)
		return true
	}
	f.pushReference(ref)
	// The far end's energy per block, over the filter's span rather
	// than in the newest block alone, which may not be all there yet
	// (see Canceller.pull). Parseval: Σ|X|² over a 2b-point spectrum's
	// half is about n times the block's energy.
	var sxx float64
	for _, p := range f.xpow[:f.bins] {
		sxx += p
	}
	sxx /= float64(f.parts * f.n)
	f.sdd = energy(mic)

	f.output(f.w, f.yb)
	see := subtract(f.eb, mic, f.yb)

	fgEcho, fgErr, sff := f.yb, f.eb, see
	if f.dual {
		f.output(f.fg, f.yf)
		sff = subtract(f.ef, mic, f.yf)
		fgEcho, fgErr = f.yf, f.ef
		var dbf float64 // how much the two filters' outputs differ
		for i, v := range f.yf {
			d := float64(v - f.yb[i])
			dbf += d * d
		}
		v := f.compare(sff, see, dbf)
		if v == backgroundBetter && energy(f.yb) < 0.25*energy(f.yf) {
			// A background that predicts next to nothing (it has just
			// started over) does not replace a foreground that predicts
			// something: where that one is wrong, it is bypassed.
			v = keep
		}
		switch v {
		case backgroundBetter:
			for p := range f.parts {
				copy(f.fg[p], f.w[p])
			}
			// Cross-fade this block from the old foreground's output to
			// the new one's, so the switch does not click.
			for i, r := range f.fade {
				f.yf[i] = (1-r)*f.yf[i] + r*f.yb[i]
				f.ef[i] = mic[i] - f.yf[i]
			}
		case backgroundWorse:
			for p := range f.parts {
				copy(f.w[p], f.fg[p])
			}
			copy(f.yb, f.yf)
			copy(f.eb, f.ef)
			see = sff
		}
	}

	if f.dual && sxx > float64(f.b)*1e-6 {
		f.keepGood(sff)
	}
	f.bypassed = !(sff <= f.sdd) // also catches NaN
	if f.bypassed {
		copy(out, mic)
	} else {
		copy(out, fgErr)
	}
	copy(echo, fgEcho)
	f.sout = energy(out)

	if math.IsNaN(see) || math.IsInf(see, 0) || math.IsNaN(sff) || math.IsInf(sff, 0) {
		f.reset() // numerical trouble: start over rather than play garbage
		copy(out, mic)
		clear(echo)
		f.bypassed = true
		return false
	}
	f.adapt(mic, sxx, see)
	return !f.bypassed
}

// idle is step when there is nothing to cancel or to learn from (see
// step). It keeps the reference history.
func (f *mdf) idle(ref, mic, out, echo []float32, quiet bool) {
	if quiet {
		f.head = (f.head + f.parts - 1) % f.parts
		clear(f.x[f.head])
		clear(f.xpow)
		clear(f.prev)
	} else {
		f.pushReference(ref)
	}
	copy(out, mic)
	clear(echo)
	f.sdd, f.sout, f.syy = energy(mic), energy(mic), 0
	f.bypassed = false
}

func silent(x []float32) bool {
	for _, v := range x {
		if v != 0 {
			return false
		}
	}
	return true
}

// keepGood takes a snapshot of the foreground every half second while
// it takes more than 10 dB off the echo, over the last ~100 ms and in
// this block: quick to notice a change, so that no snapshot is taken
// while the filters start learning a new echo path.
func (f *mdf) keepGood(sff float64) {
	r := 10 / f.rate
	f.fgSdd += r * (f.sdd - f.fgSdd)
	f.fgSff += r * (sff - f.fgSff)
	if f.sinceGood++; f.sinceGood < int(f.rate/2) || f.fgSdd < 10*f.fgSff || f.sdd < 10*sff {
		return
	}
	for p := range f.parts {
		copy(f.good[p], f.fg[p])
	}
	f.goodOK, f.sinceGood = true, 0
	f.goodTaken++
}

type verdict int

const (
	keep verdict = iota
	backgroundBetter
	backgroundWorse
)

// compare decides between the filters from the error energies of the
// foreground (sff) and background (see) and the energy of the difference
// of their outputs (dbf). The difference sff-see fluctuates by about
// √(sff·dbf) when neither filter is better, so it is compared with that
// spread, on the block itself and averaged over two time scales (about 2
// and 6 blocks): a background that wins by more than the noise takes
// over; one that loses by eight times the noise is sent back. (Sent back
// more readily, a background that is still converging loses its
// progress to every unlucky block.)
func (f *mdf) compare(sff, see, dbf float64) verdict {
	d := sff - see
	f.davg1 = 0.6*f.davg1 + 0.4*d
	f.davg2 = 0.85*f.davg2 + 0.15*d
	f.dvar1 = 0.36*f.dvar1 + 0.16*sff*dbf
	f.dvar2 = 0.7225*f.dvar2 + 0.0225*sff*dbf
	switch {
	case d*math.Abs(d) > sff*dbf,
		f.davg1*math.Abs(f.davg1) > 0.5*f.dvar1,
		f.davg2*math.Abs(f.davg2) > 0.25*f.dvar2:
		f.davg1, f.davg2, f.dvar1, f.dvar2 = 0, 0, 0, 0
		return backgroundBetter
	case -d*math.Abs(d) > backtrack*sff*dbf,
		-f.davg1*math.Abs(f.davg1) > backtrack*f.dvar1,
		-f.davg2*math.Abs(f.davg2) > backtrack*f.dvar2:
		f.davg1, f.davg2, f.dvar1, f.dvar2 = 0, 0, 0, 0
		return backgroundWorse
	}
	return keep
}

// adapt updates the background weights from this block's error.
func (f *mdf) adapt(mic []float32, sxx, see float64) {
	// Clipping at the microphone is not linear: learn nothing from it
	// (and from the block after).
	for _, v := range mic {
		if v > 0.99 || v < -0.99 {
			f.saturated = 2
			break
		}
	}

	// Spectra of the error and of the echo estimate, each as the second
	// half of a 2b block (the first half zero), as the gradient needs.
	clear(f.tbuf[:f.b])
	copy(f.tbuf[f.b:], f.eb)
	f.fft.forward(f.spec, f.tbuf)
	copy(f.E, f.spec[:f.bins])
	copy(f.tbuf[f.b:], f.yb)
	f.fft.forward(f.spec, f.tbuf)
	copy(f.Yb, f.spec[:f.bins])
	syy := energy(f.yb)
	f.syy = syy
	var sey float64
	for i, v := range f.eb {
		sey += float64(v) * float64(f.yb[i])
	}
	// The ratios below are taken over a few blocks, not one: over 5 ms,
	// two unrelated voices (mostly below 1 kHz) correlate by chance.
	const sm = 0.5
	f.sxxS += sm * (sxx - f.sxxS)
	f.seeS += sm * (see - f.seeS)
	f.syyS += sm * (syy - f.syyS)
	f.seyS += sm * (sey - f.seyS)

	// Leakage: regress the variations of |E|² on those of |Y|² across
	// bins, averaged over time at a rate that slows down when the error
	// is large compared with the echo estimate (double talk): η is how
	// much of the echo estimate's power is still in the error.
	avg := float32(1 / f.rate) // the averages span about a second
	var cey, cyy float64
	for k := 0; k < f.bins; k++ {
		ep, yp := sqabs(f.E[k]), sqabs(f.Yb[k])
		de, dy := ep-float64(f.eh[k]), yp-float64(f.yh[k])
		cey += de * dy
		cyy += dy * dy
		f.eh[k] += avg * (float32(ep) - f.eh[k])
		f.yh[k] += avg * (float32(yp) - f.yh[k])
	}
	if cyy > 0 {
		s := math.Sqrt(cyy)
		cey, cyy = cey/s, s
	}
	// At most 1/(2 s) per second (the leakage is a slow quantity), and
	// much slower when the error is far above the residual the leakage
	// predicts: then the near end is talking, and its voice and the far
	// end's rise and fall with syllables alike, a covariance that is not
	// leakage. (A changed echo path also raises the error; the step
	// finds it through the error's correlation with the estimate, below.)
	r := min(2/f.rate*f.syyS/(f.seeS+powerFloor), 0.5/f.rate)
	r *= min(1, leakGate*f.leak*f.syyS/(f.seeS+float64(f.b)*powerFloor))
	f.pey += r * (cey - f.pey)
	f.pyy += r * (cyy - f.pyy)
	if f.pyy > 0 {
		f.leak = min(max(f.pey/f.pyy, leakMin), 1)
	}

	// The residual-to-error ratio of the whole block, bounded below by
	// how much of the echo estimate is visibly still in the error (their
	// correlation) and above by 1/2.
	floor := float64(f.b) * powerFloor
	// The normalisation's floor also follows the reference: a bin 30 dB
	// below the average takes a proportionally smaller step, instead of
	// amplifying whatever noise is in it.
	var mean float64
	for _, p := range f.xpow[:f.bins] {
		mean += p
	}
	f.refPower = mean / float64(f.bins)
	reg := floor + 1e-3*f.refPower
	rer := (1e-4*f.sxxS + 3*f.leak*f.syyS) / (f.seeS + floor)
	if c := f.seyS * f.seyS / (f.seeS*f.syyS + floor*floor); rer < c {
		rer = c
	}
	rer = min(rer, 0.5)

	// The leakage-driven step takes over early, but it scales with the
	// echo estimate, which starts at nothing: until the filter has once
	// taken 3 dB off the echo (measured while the far end is active), a
	// fixed step is its floor, or it could sit at zero for ever.
	var a float64                // the fixed step
	if sxx > float64(f.b)*1e-6 { // far end above -60 dBFS
		// Smaller when the mic is much louder than the reference
		// (somebody is talking here).
		a = initialStep * min(sxx/(see+floor), 1)
		r := 2 / f.rate // ~0.5 s
		f.learntD += r * (f.sdd - f.learntD)
		f.learntE += r * (see - f.learntE)
		if f.learntD > 2*f.learntE {
			f.learnt = true
		}
	}
	if !f.fixedStep && !f.adapted && f.sumAdapt > 0.1*float64(f.parts) {
		f.adapted = true
	}
	if f.adapted {
		fixed := a
		if f.learnt {
			fixed = 0
		}
		for k := 0; k < f.bins; k++ {
			e := sqabs(f.E[k]) + floor
			r := min(f.leak*sqabs(f.Yb[k]), 0.5*e)
			r = 0.7*r + 0.3*rer*e // per bin, leaning on the block's estimate
			f.mu[k] = float32(max(r/e, fixed) / (f.xpow[k] + reg))
		}
	} else {
		f.sumAdapt += a
		for k := 0; k < f.bins; k++ {
			f.mu[k] = float32(a / (f.xpow[k] + reg))
		}
	}

	if f.saturated > 0 {
		f.saturated--
		return
	}
	f.proportions()
	for p := range f.parts {
		xp, wp := f.partition(p)[:f.bins], f.w[p][:f.bins]
		g := f.prop[p] * float32(f.parts) // 1 for every partition when they share alike
		mu, E := f.mu[:len(wp)], f.E[:len(wp)]
		for k := 0; k < len(wp); k++ {
			c := mu[k] * g
			xr, xi := real(xp[k]), imag(xp[k])
			er, ei := real(E[k]), imag(E[k])
			wp[k] += complex(c*(xr*er+xi*ei), c*(xr*ei-xi*er)) // c·conj(X)·E
		}
	}
	// The gradient is circular: keep the partitions linear (their impulse
	// responses b taps long), one per block in turn (the AUMDF variant).
	f.turn = (f.turn + 1) % f.parts
	f.constrain(f.turn)
}

// proportions shares the step between partitions in proportion to their
// weights' magnitude (plus a floor), so a sparse echo path (a direct
// sound and a decaying tail) converges where it has energy first. A
func (f *mdf) proportions() {
	var most, sum float32
	for p := range f.parts {
		var s float64
		for _, v := range f.w[p][:f.bins] {
			s += sqabs(v)
		}
		f.prop[p] = float32(math.Sqrt(s))
		most = max(most, f.prop[p])
	}
	for p := range f.parts {
		f.prop[p] += 0.1*most + 1e-12
		sum += f.prop[p]
	}
	for p := range f.parts {
		f.prop[p] *= 0.99 / sum
	}
}

// constrain makes partition p's impulse response b taps long.
func (f *mdf) constrain(p int) {
	f.fft.inverse(f.tbuf, f.w[p])
	clear(f.tbuf[f.b:])
	f.fft.forward(f.w[p], f.tbuf)
}

// impulse writes the background filter's impulse response (parts·b taps).
func (f *mdf) impulse(h []float32) {
	for p := range f.parts {
		f.fft.inverse(f.tbuf, f.w[p])
		copy(h[p*f.b:(p+1)*f.b], f.tbuf[:f.b])
	}
}

func sqabs(c complex64) float64 {
	r, i := float64(real(c)), float64(imag(c))
	return r*r + i*i
}

func energy(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return s
}

// subtract sets e = d - y and returns the energy of e.
func subtract(e, d, y []float32) float64 {
	var s float64
	for i := range e {
		v := d[i] - y[i]
		e[i] = v
		s += float64(v) * float64(v)
	}
	return s
}
