// Package echo is Parley's acoustic echo canceller: it takes out of the
// microphone signal what the loudspeaker played into it, so that on
// loudspeakers the other party does not hear their own voice come back.
//
// A Canceller is given every frame sent to the speaker (Playback) and
// every captured frame (Process, which cleans it in place). Inside, per 5
// ms block:
//
//   - a delay finder (delay.go) identifies the echo path at 4 kHz over
//     every lag up to Config.MaxDelay and tells where the echo is, as
//     devices add latency nobody reports, and change it;
//   - a partitioned-block frequency-domain adaptive filter (mdf.go,
//     the MDF algorithm with a foreground and a background filter and a
//     step size set from the estimated residual echo) covering
//     Config.Tail from there, predicts the echo and subtracts it;
//   - a residual echo suppressor (suppress.go) brings what the filter
//     leaves down to the near end's background noise, bin by bin.
//
// It works at the rate of the frames (48 kHz in Parley) but adapts only
// below Config.Band (8 kHz: all that G.722 sends), leaving higher
// frequencies as they came. It adds Latency (one 5 ms block) to the
// capture path. Playback and Process run on different goroutines, and
// the two streams are lined up by sample count, not by clock: a frame
// played late is repaired into the history when it arrives (see pull).
// After warm-up it allocates nothing; while the far end sends digital
// silence, the filters idle.
//
// The package must not know devices, codecs or calls: it is given
// samples, and returns samples.
package echo

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a Canceller. The zero value is Parley's: 48 kHz, 20
// ms frames, a 250 ms echo tail searched for up to 600 ms of delay.
type Config struct {
	SampleRate   int           // Hz, a multiple of 4000; 0: 48000
	FrameSamples int           // samples per Playback and Process frame, a multiple of 5 ms; 0: 20 ms
	Tail         time.Duration // how long an echo path the filter covers; 0: 250 ms
	MaxDelay     time.Duration // the largest delay from playback to capture searched; 0: 600 ms
	Band         int           // Hz: the band cancelled; 0: 8000 (capped at half the rate)
}

func (c Config) withDefaults() (Config, error) {
	if c.SampleRate == 0 {
		c.SampleRate = 48000
	}
	if c.FrameSamples == 0 {
		c.FrameSamples = c.SampleRate / 50
	}
	if c.Tail == 0 {
		c.Tail = 250 * time.Millisecond
	}
	if c.MaxDelay == 0 {
		c.MaxDelay = 600 * time.Millisecond
	}
	if c.Band == 0 {
		c.Band = 8000
	}
	c.Band = min(c.Band, c.SampleRate/2)
	block := c.SampleRate / blocksPerSecond
	switch {
	case c.SampleRate <= 0 || c.SampleRate%coarseRate != 0:
		return c, fmt.Errorf("echo: sample rate %d is not a multiple of %d Hz", c.SampleRate, coarseRate)
	case c.FrameSamples <= 0 || c.FrameSamples%block != 0:
		return c, fmt.Errorf("echo: a frame of %d samples is not a whole number of 5 ms blocks", c.FrameSamples)
	case c.Tail < 0 || c.MaxDelay < 0 || c.Band < 0:
		return c, fmt.Errorf("echo: negative tail, delay or band in %+v", c)
	}
	return c, nil
}

// blocksPerSecond: the filter and the suppressor work in 5 ms blocks.
const blocksPerSecond = 200

// Stats describes what a Canceller found.
type Stats struct {
	// Delay is the echo's delay (the strongest path) from a frame's
	// Playback to the Process of the frame that captured it, once found.
	Delay      time.Duration
	DelayFound bool
	// ERLE is the echo return loss enhancement of the adaptive filter
	// alone (before the suppressor), in dB, averaged over about the last
	// second in which the far end spoke.
	ERLE float64
	// Realigned counts the times the filter moved to a new delay.
	Realigned uint64
	// Repaired counts the reference blocks learnt before all their
	// samples had been played, recomputed when the rest arrived.
	Repaired uint64
}

// Canceller cancels the echo of one playback stream in one capture
// stream. Playback and Process may be called concurrently, each from one
// goroutine; Stats from any goroutine.
type Canceller struct {
	cfg                  Config
	frame, block, factor int
	parts                int

	play playbackRing

	// Owned by Process.
	hist    []float32 // the reference at full rate, by index & histMsk
	histMsk int64
	pulled  int64 // reference samples taken from play
	pullBuf []int16
	pullF   []float32
	started bool
	origin  int64 // reference index of capture index 0 at delay 0
	capIdx  int64 // capture samples processed
	delay   int64 // where the filter's window starts, in samples (a multiple of block)
	// newest is the reference index of the newest block given to the
	// filter: its partitions' blocks end at newest+block, newest, ...
	newest int64
	win    []float32 // 2 blocks, for repairs
	// lastSound is the index of the last reference sample that was not
	// digital silence.
	lastSound int64
	// goodPeak: how far into the window the direct sound was when the
	// filter's last good snapshot was taken; -1: unknown.
	goodPeak int64
	frames   int

	finder *delayFinder
	main   *mdf
	sup    *suppressor
	mic    []float32 // frame
	ref    []float32 // block
	e, y   []float32 // block
	out    []float32 // frame
	erleD  float64   // smoothed mic energy in far-end blocks
	erleE  float64   // smoothed filter output energy there
	far    []bool    // bins: the far end plays there

	delayNs   atomic.Int64 // -1: unknown
	erle      atomic.Uint64
	realigned atomic.Uint64
	repaired  atomic.Uint64
}

// New returns a Canceller.
func New(cfg Config) (*Canceller, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	rate := cfg.SampleRate
	block := rate / blocksPerSecond
	n := 2 * block
	bins := min(n/2+1, int(math.Ceil(float64(cfg.Band)*float64(n)/float64(rate)))+1)
	parts := max(1, int((cfg.Tail.Seconds()*float64(rate)+float64(block)-1)/float64(block)))
	search := int(cfg.MaxDelay.Seconds() * float64(rate))
	main, err := newMDF(block, parts, bins, blocksPerSecond, true)
	if err != nil {
		return nil, err
	}
	sup, err := newSuppressor(block, bins, blocksPerSecond)
	if err != nil {
		return nil, err
	}
	finder, err := newDelayFinder(rate, cfg.FrameSamples, search)
	if err != nil {
		return nil, err
	}
	histLen := 1
	for histLen < search+(parts+3)*block+2*cfg.FrameSamples {
		histLen *= 2
	}
	c := &Canceller{
		cfg: cfg, frame: cfg.FrameSamples, block: block, factor: rate / coarseRate, parts: parts, win: make([]float32, 2*block),
		play: newPlaybackRing(rate), hist: make([]float32, histLen), histMsk: int64(histLen - 1),
		pullBuf: make([]int16, cfg.FrameSamples), pullF: make([]float32, cfg.FrameSamples),
		finder: finder, main: main, sup: sup,
		mic: make([]float32, cfg.FrameSamples), ref: make([]float32, block),
		e: make([]float32, block), y: make([]float32, block), out: make([]float32, cfg.FrameSamples),
		far: make([]bool, bins),
	}
	c.delayNs.Store(-1)
	c.goodPeak, c.lastSound = -1, math.MinInt64/2
	return c, nil
}

// Latency is how late Process's output is behind its input.
func (c *Canceller) Latency() time.Duration {
	return time.Duration(c.block) * time.Second / time.Duration(c.cfg.SampleRate)
}

// Playback records a frame handed to the speaker: the reference the echo
// is cancelled against. Call it for every frame the device takes,
// silence included, in order, right after handing it over.
func (c *Canceller) Playback(frame []int16) { c.play.write(frame) }

// Process cancels the echo in a captured frame, in place.
func (c *Canceller) Process(frame []int16) {
	if len(frame) != c.frame {
		panic(fmt.Sprintf("echo: Process of %d samples, want %d", len(frame), c.frame))
	}
	c.pull()
	if !c.started {
		// The newest reference sample lines up with the newest captured
		// one at delay 0: from here, every delay is positive.
		o := c.pulled - int64(c.frame)
		c.origin = o - mod(o, int64(c.factor))
		c.started = true
	}
	for i, v := range frame {
		c.mic[i] = float32(v) / 32768
	}
	now := c.capIdx + c.origin // the reference index of the frame's first sample at delay 0
	span := int64(c.finder.f.parts * c.frame)
	c.finder.process(c.mic, now, now+int64(c.frame) <= c.pulled && c.lastSound < now-span)
	if c.frames++; c.frames%5 == 0 { // every 100 ms
		c.realign(now)
	}
	for j := 0; j < c.frame; j += c.block {
		c.newest = now - c.delay + int64(j)
		c.reference(c.ref, c.newest)
		mic := c.mic[j : j+c.block]
		taken := c.main.goodTaken
		b := int64(c.block)
		quiet := c.newest+b <= c.pulled && c.lastSound < c.newest-int64(c.parts)*b
		cancelled := c.main.step(c.ref, mic, c.e, c.y, quiet)
		if c.main.goodTaken != taken {
			// Where the direct sound was in the window when the snapshot
			// was taken (see realign); unknown without a peak.
			c.goodPeak = -1
			if c.finder.peak >= 0 {
				c.goodPeak = int64(c.finder.peak*c.factor) - c.delay
			}
		}
		leak := float32(c.main.leak)
		if !cancelled {
			leak = 1
		}
		c.main.playing(c.far)
		c.sup.process(c.out[j:j+c.block], c.e, c.y, leak, c.far)
		c.measure()
	}
	for i, v := range c.out {
		frame[i] = int16(max(-32768, min(32767, math.Round(float64(v)*32768))))
	}
	c.capIdx += int64(c.frame)
}

// realign moves the filter's window where the delay finder says the
// echo is, keeping what it learnt of the echo path (see mdf.realign).
func (c *Canceller) realign(now int64) {
	q := c.block / c.factor
	start, move := c.finder.analyze(int(c.delay)/c.factor, c.parts*q, q)
	if c.finder.peak >= 0 {
		lag := int64(c.finder.peak * c.factor)
		c.delayNs.Store(int64(time.Duration(lag) * time.Second / time.Duration(c.cfg.SampleRate)))
	}
	if !move {
		return
	}
	d := int64(start * c.factor)
	k := int((c.delay - d) / int64(c.block))
	ks := k
	if c.goodPeak >= 0 {
		// Place the snapshot by the direct sound: as far into the new
		// window as it was into the window of its time.
		peak := int64(c.finder.peak * c.factor)
		ks = int(math.Round(float64(peak-d-c.goodPeak) / float64(c.block)))
	}
	c.main.realign(k, ks, func(i int, dst []float32) {
		c.reference(dst, now-d-int64(i*c.block))
	})
	c.delay = d
	c.newest = now - d - int64(c.block)
	c.realigned.Add(1)
}

// measure folds the last block into the ERLE estimate.
func (c *Canceller) measure() {
	m := c.main
	if m.syy < float64(c.block)*1e-7 { // no echo expected (the far end is quiet)
		return
	}
	const a = 0.005 // ~1 s at 200 blocks/s
	c.erleD += a * (m.sdd - c.erleD)
	c.erleE += a * (m.sout - c.erleE)
	if c.erleE > 0 {
		c.erle.Store(math.Float64bits(10 * math.Log10(c.erleD/c.erleE)))
	}
}

// reference fills dst with the reference from index at on (zeros where
// the stream has nothing).
func (c *Canceller) reference(dst []float32, at int64) {
	for i := range dst {
		j := at + int64(i)
		if j < 0 || j >= c.pulled || j < c.pulled-int64(len(c.hist)) {
			dst[i] = 0
		} else {
			dst[i] = c.hist[j&c.histMsk]
		}
	}
}

// pull moves what Playback wrote into the history, and repairs the
// filter's reference blocks that were learnt before all their samples
// were there.
//
// Playback and Process run on two goroutines, and a frame may be handed
// to the speaker after the frame that captured its echo is processed:
// the filter then learnt the newest blocks with zeros where the late
// samples belong. (Searching for the echo from an older reference
// instead would leave out the shortest echo paths of low-latency
// devices.) Their spectra stay in the filter's history for its whole
// span, so as soon as the samples arrive, the blocks they belong to
// are computed again: the filter was wrong about them for a frame at
// most. It costs nothing while the playback is in time.
func (c *Canceller) pull() {
	before := c.pulled
	defer c.repair(before)
	for {
		n, lost := c.play.read(c.pulled, c.pullBuf)
		for lost > 0 { // Process fell a second behind: the lost samples count as silence
			k := int(min(lost, int64(len(c.pullF))))
			clear(c.pullF[:k])
			c.append(c.pullF[:k])
			lost -= int64(k)
		}
		if n == 0 {
			return
		}
		for i, v := range c.pullBuf[:n] {
			c.pullF[i] = float32(v) / 32768
		}
		c.append(c.pullF[:n])
	}
}

// repair recomputes the filter's partitions whose 2 blocks reached past
// the reference available before the last pull (before).
func (c *Canceller) repair(before int64) {
	if !c.started || c.pulled == before {
		return
	}
	b := int64(c.block)
	for p := 0; p < c.parts && c.newest-int64(p)*b+b > before; p++ {
		c.reference(c.win, c.newest-int64(p)*b-b)
		c.main.setPartition(p, c.win)
		c.repaired.Add(1)
	}
}

func (c *Canceller) append(x []float32) {
	for _, v := range x {
		c.hist[c.pulled&c.histMsk] = v
		if v != 0 {
			c.lastSound = c.pulled
		}
		c.pulled++
	}
	c.finder.pushReference(x)
}

// Reset forgets the echo path and the delay, as for another device.
// Call it from the goroutine that calls Process.
func (c *Canceller) Reset() { c.reset() }

func (c *Canceller) reset() {
	c.main.reset()
	c.sup.reset()
	c.finder.reset()
	c.started, c.capIdx, c.delay, c.frames, c.goodPeak = false, 0, 0, 0, -1
	c.erleD, c.erleE = 0, 0
	c.delayNs.Store(-1)
}

// Stats returns what the canceller found so far.
func (c *Canceller) Stats() Stats {
	d := c.delayNs.Load()
	return Stats{
		Delay: time.Duration(max(d, 0)), DelayFound: d >= 0,
		ERLE:      math.Float64frombits(c.erle.Load()),
		Realigned: c.realigned.Load(),
		Repaired:  c.repaired.Load() + c.finder.repaired.Load(),
	}
}

func mod(a, m int64) int64 { return ((a % m) + m) % m }

// playbackRing carries the played frames from the playback goroutine to
// Process: one second of samples under a mutex (a frame's copy is all
// that is done while holding it). The writer overwrites what the reader
// has not taken after a second; the reader learns how much.
type playbackRing struct {
	mu  sync.Mutex
	buf []int16
	w   int64 // samples written
}

func newPlaybackRing(rate int) playbackRing {
	size := 1
	for size < rate {
		size *= 2
	}
	return playbackRing{buf: make([]int16, size)}
}

func (p *playbackRing) write(x []int16) {
	p.mu.Lock()
	mask := int64(len(p.buf) - 1)
	for _, v := range x {
		p.buf[p.w&mask] = v
		p.w++
	}
	p.mu.Unlock()
}

// read copies samples from index from on into dst: n of them, after
// lost samples that were overwritten before they could be read.
func (p *playbackRing) read(from int64, dst []int16) (n int, lost int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if oldest := p.w - int64(len(p.buf)); from < oldest {
		lost, from = oldest-from, oldest
	}
	n = int(min(int64(len(dst)), p.w-from))
	mask := int64(len(p.buf) - 1)
	for i := range n {
		dst[i] = p.buf[(from+int64(i))&mask]
	}
	return n, lost
}
