package jitter

import "time"

// Estimator tuning.
const (
	transitWindow  = 128   // packets over which the fastest transit is taken (about 2.5 s)
	quantile       = 0.95  // share of recent packets the target must cover
	forget         = 0.998 // histogram forgetting factor per packet: a memory of about 10 s
	peakHoldSec    = 2     // seconds without a packet needing the peak before it decays by one frame
	binsPerFrame   = 4     // histogram resolution
	lateStepFrames = 2     // most a late packet raises the target by
	lateWindowSec  = 2     // seconds within which a second late packet raises the target
)

// estimator measures how much delay the network's jitter needs.
//
// Every packet's transit (arrival minus its timestamp as a time) is compared
// with the fastest transit of the last transitWindow packets: the difference
// is the packet's relative delay, how much later than the fastest path it
// came. The target delay is the larger of
//
//   - the 95th percentile of relative delay, from a histogram whose old
//     samples fade out (forgetting factor): it follows steady jitter and
//     decays over tens of seconds once the network calms, and
//   - a peak: raised at once when a packet comes too late to be played
//     for the second time in a short while (by two frames at most) or when
//     the buffer ran dry and the stream turned out to be late, held while packets keep needing it, and lowered
//     one frame per peakHoldSec otherwise.
//
// The fastest transit also anchors playout: the Buffer plays each frame a
// target delay after the earliest moment it could have arrived. Because the
// anchor moves with the sender's clock, drift between the two clocks shows
// up as a slowly growing or shrinking delay, which the Buffer corrects.
type estimator struct {
	frame, bin time.Duration
	minDelay   time.Duration
	maxDelay   time.Duration

	transits   [transitWindow]time.Duration
	nTransits  int
	minTransit time.Duration

	hist    []float64 // hist[i]: share of packets with relative delay in ((i-1)*bin, i*bin]
	samples int

	peak      time.Duration
	sincePeak int // ticks since a packet needed the peak
	holdTicks int

	ticks      int // frame periods played
	lateSeen   bool
	lastLate   int // tick of the last late packet
	lateWindow int
}

func (e *estimator) init(frame, minDelay, maxDelay, start time.Duration) {
	e.frame = frame
	e.bin = max(frame/binsPerFrame, time.Millisecond)
	e.minDelay, e.maxDelay = minDelay, maxDelay
	e.hist = make([]float64, int(maxDelay/e.bin)+1)
	// The starting guess counts as one sample: real ones outweigh it soon.
	e.hist[e.binOf(start)] = 1
	e.holdTicks = int(peakHoldSec * time.Second / frame)
	e.lateWindow = int(lateWindowSec * time.Second / frame)
}

// observe records one packet's transit and returns its relative delay.
func (e *estimator) observe(transit time.Duration) time.Duration {
	e.transits[e.nTransits%transitWindow] = transit
	e.nTransits++
	e.minTransit = transit
	for _, t := range e.transits[:min(e.nTransits, transitWindow)] {
		e.minTransit = min(e.minTransit, t)
	}
	rel := transit - e.minTransit

	// Forget with weight 1/(n+2) at first, so that the first samples count
	// as much as the starting guess, then with the fixed factor.
	e.samples++
	f := min(forget, 1-1/float64(e.samples+1))
	for i := range e.hist {
		e.hist[i] *= f
	}
	e.hist[e.binOf(rel)] += 1 - f

	if e.peak > 0 && e.ceilBin(rel) >= e.peak {
		e.sincePeak = 0
	}
	return rel
}

// late records a packet that came after its frame was played. A second
// late packet within lateWindowSec steps the target towards the relative
// delay it needed, by at least a bin and at most lateStepFrames: a worsening network is
// followed within a few packets, while a lone straggler (as good as lost)
// does not inflate the delay.
func (e *estimator) late(rel time.Duration) {
	if e.lateSeen && e.ticks-e.lastLate <= e.lateWindow {
		t := e.target()
		e.raise(min(max(e.ceilBin(rel), t+e.bin), t+lateStepFrames*e.frame))
	}
	e.lateSeen, e.lastLate = true, e.ticks
}

// stall records that the buffer ran dry, playout was held back, and the
// late frame then came: the target must keep the delay d it needed.
func (e *estimator) stall(d time.Duration) {
	e.raise(d / e.bin * e.bin)
}

func (e *estimator) raise(d time.Duration) {
	e.peak = max(e.peak, min(d, e.maxDelay))
	e.sincePeak = 0
}

// tick advances the peak's decay by one frame period.
func (e *estimator) tick() {
	e.ticks++
	if e.peak == 0 {
		return
	}
	if e.sincePeak++; e.sincePeak >= e.holdTicks {
		e.peak = max(e.peak-e.frame, 0)
		e.sincePeak = 0
	}
}

// target is the playout delay the network needs now, within the bounds.
func (e *estimator) target() time.Duration {
	var sum float64
	var q time.Duration
	for i, h := range e.hist {
		if sum += h; sum >= quantile {
			q = time.Duration(i) * e.bin
			break
		}
	}
	if sum < quantile { // rounding: the last bin
		q = time.Duration(len(e.hist)-1) * e.bin
	}
	return min(max(q, e.peak, e.minDelay), e.maxDelay)
}

// resetTransit forgets the fastest transit, after a timestamp discontinuity.
func (e *estimator) resetTransit() {
	e.nTransits = 0
}

func (e *estimator) binOf(rel time.Duration) int {
	if rel <= 0 {
		return 0
	}
	return min(int((rel+e.bin-1)/e.bin), len(e.hist)-1)
}

func (e *estimator) ceilBin(rel time.Duration) time.Duration {
	if rel <= 0 {
		return 0
	}
	return (rel + e.bin - 1) / e.bin * e.bin
}
