// Package jitter turns audio packets that arrive late, early, out of order,
// twice or not at all into one steady frame per tick of the speaker.
//
// It owns: ordering packets by timestamp, the adaptive playout delay
// (measured from arrival-time variation, bounded by a floor and a ceiling,
// growing at once and decaying slowly), compensation for clock drift between
// the two devices (one frame dropped or stretched at a time), and the
// accounting of lost, late, duplicate, concealed and dropped frames.
//
// Two things it does for the decoder without knowing the codec: when a
// frame is missing and the one after it is here, Pop hands over that next
// packet (Recover), whose redundancy may rebuild the missing frame (Opus
// in-band FEC); and when the delay must shrink, it drops a frame the
// sender marked quiet (Packet.Quiet) or one missing anyway, and a frame of
// speech only when the stream has been above its delay for long.
//
// It must not: decode audio (payloads are opaque codec bytes), read a clock
// (both sides are given the time, so tests are simulations), block, or know
// the transport that carried the packets.
package jitter

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Packet is one frame of encoded audio as it came off the network.
type Packet struct {
	Seq       uint32 // sequence number, +1 per packet; wraps at 1<<Config.SeqBits
	Timestamp uint32 // sampling instant of the frame's first sample, in samples; wraps at 1<<32
	Payload   []byte // codec bytes, never inspected; Push copies them
	// Quiet says the frame holds no speech (silence, background noise, a
	// muted microphone), as the codec's voice activity flag tells: the
	// buffer may drop it unheard to shrink the delay.
	Quiet bool
}

// Result says what Pop returned and what the decoder should do with it.
type Result uint8

const (
	// Silence: playout has not started (buffering) or restarted after a
	// discontinuity. Play silence; there is nothing to conceal.
	Silence Result = iota
	// Play: the payload is the frame to decode.
	Play
	// Conceal: the frame is missing (lost, late, or a gap inserted to grow
	// the delay). Run the decoder's packet-loss concealment.
	Conceal
	// Recover: the frame is missing (lost or late) but the next one is
	// here: the payload is that next frame's packet, which stays in the
	// buffer and is played by the next Pop. Rebuild the missing frame from
	// the redundancy it carries (Opus in-band FEC), or conceal.
	Recover
)

func (r Result) String() string {
	switch r {
	case Silence:
		return "silence"
	case Play:
		return "play"
	case Conceal:
		return "conceal"
	case Recover:
		return "recover"
	}
	return fmt.Sprintf("Result(%d)", uint8(r))
}

// Config describes the stream and bounds the playout delay. The zero value
// is 48 kHz mono, 20 ms frames, a 20 ms floor and a 300 ms ceiling.
type Config struct {
	SampleRate   int           // samples per second; default 48000
	FrameSamples int           // samples per packet; default 960 (20 ms at 48 kHz)
	MinDelay     time.Duration // floor of the target delay; default one frame
	MaxDelay     time.Duration // ceiling of the target delay; default 300 ms, at most 5 s
	StartDelay   time.Duration // target before any jitter is measured; default 3 frames, kept within [MinDelay, MaxDelay]
	SeqBits      int           // width of the sequence number on the wire: 16 or 32; default 32
	// QuietMarks says the stream marks its frames without speech
	// (Packet.Quiet). The buffer then shrinks the delay only by dropping
	// those (or frames missing anyway), and a frame of speech only after
	// 10 s above its band; without marks, after half a second.
	QuietMarks bool
}

// Stats is a snapshot of the buffer's state and counters.
type Stats struct {
	Target time.Duration // target playout delay now
	// Delay is the playout delay at the last Pop: how long after the
	// earliest expected arrival of its frame (the fastest recent network
	// transit) the frame was played. The buffer holds it within
	// [Target−frame/4, Target+1.5 frames).
	Delay time.Duration
	// Wait is how long played frames actually spent in the buffer, from
	// Push to Pop, averaged over about the last 32 frames: the latency the
	// buffer adds on top of the network.
	Wait  time.Duration
	Depth int // packets held, waiting to be played

	Played        uint64 // Pops that returned Play
	Concealed     uint64 // Pops that returned Conceal, for any reason, or Recover
	Recoverable   uint64 // of Concealed: Pops that returned Recover (a missing frame whose next packet was here)
	Stretched     uint64 // of Concealed: frames inserted to grow the delay (target rose, underrun, slow sender clock)
	Dropped       uint64 // frames skipped to shrink the delay (target decayed, fast sender clock) or discarded by a resync
	DroppedVoiced uint64 // of Dropped: frames of speech (not Quiet) skipped to shrink the delay
	Late          uint64 // packets that arrived after their frame was played or skipped; discarded
	Duplicates    uint64 // packets received twice; discarded
	Lost          uint64 // packets never received, by sequence number (RFC 3550: expected − received)
	Resyncs       uint64 // timestamp discontinuities that restarted playout
}

// Tuning that is not worth a Config field.
const (
	excessPatience = 25   // Pops the delay may stay above its band before a frame that has audio is dropped, in a stream without QuietMarks
	voicedPatience = 500  // the same with QuietMarks: 10 s of 20 ms frames, longer than speech goes without a pause; at the start of a call the target falls from its starting guess to the floor, and the frames dropped then were speech
	dedupWindow    = 1024 // sequence numbers remembered for duplicate detection (a power of two)
	farLateResync  = 3    // consecutive packets older than the whole buffer that mean the sender's timestamps jumped back
	waitSmoothing  = 32   // frames in the Wait average
)

// Buffer is an adaptive jitter buffer for one incoming audio stream.
//
// Push (network side) and Pop (playout side) may be called from different
// goroutines; a mutex serialises them and neither blocks on anything else.
// Pop must be called from one goroutine only, because the payload it
// returns is the Buffer's own memory, valid until the next Pop. Both take
// times on a monotonic time base (for example time since the call started;
// see Pop); the Buffer never reads a clock itself.
type Buffer struct {
	mu sync.Mutex

	rate, fs int64         // sample rate, samples per frame
	frame    time.Duration // duration of one frame
	seqMask  uint32
	maxDelay time.Duration
	patience int // Pops the delay may stay above its band before a frame of speech is dropped

	est estimator

	// Sequence numbers: loss and duplicate accounting.
	haveSeq   bool
	seqMax    int64   // highest extended sequence number
	seqFirst  int64   // first extended sequence number of this stream
	received  int64   // unique packets since seqFirst
	lostPrior uint64  // Lost carried over from before a resync
	seen      []int64 // extended seq + 1 at index seq & (dedupWindow-1)

	// Timestamps: playout slots. Slot n starts at sample tsBase + n*fs.
	haveTS bool
	tsBase uint32
	tsMax  int64 // highest timestamp seen, in samples since tsBase

	ring    []slot // slot n lives at ring[n & mask]
	mask    int64
	next    int64 // slot the next Pop plays
	top     int64 // highest slot held or played
	held    int   // full slots in ring
	started bool

	dry     int // consecutive Pops that found the buffer empty
	excess  int // consecutive Pops with the delay above its band
	farLate int // consecutive packets older than the whole ring

	out   []byte // the payload Pop returns
	delay time.Duration
	wait  time.Duration
	st    Stats
}

type slot struct {
	full    bool
	quiet   bool
	n       int64 // which slot this entry holds when full
	arrival time.Duration
	payload []byte
}

// New returns an empty Buffer; zero Config fields take their defaults.
func New(cfg Config) (*Buffer, error) {
	if cfg.SampleRate == 0 {
		cfg.SampleRate = 48000
	}
	if cfg.FrameSamples == 0 {
		cfg.FrameSamples = 960
	}
	if cfg.SeqBits == 0 {
		cfg.SeqBits = 32
	}
	if cfg.SampleRate < 0 || cfg.FrameSamples < 0 {
		return nil, fmt.Errorf("jitter: sample rate %d and frame size %d must be positive", cfg.SampleRate, cfg.FrameSamples)
	}
	if cfg.SeqBits != 16 && cfg.SeqBits != 32 {
		return nil, fmt.Errorf("jitter: sequence numbers of %d bits: want 16 or 32", cfg.SeqBits)
	}
	b := &Buffer{rate: int64(cfg.SampleRate), fs: int64(cfg.FrameSamples)}
	b.frame = b.sampleTime(b.fs)
	if b.frame < time.Millisecond {
		return nil, fmt.Errorf("jitter: frames of %d samples at %d Hz are shorter than 1ms", cfg.FrameSamples, cfg.SampleRate)
	}
	if cfg.MinDelay == 0 {
		cfg.MinDelay = b.frame
	}
	if cfg.MaxDelay == 0 {
		cfg.MaxDelay = max(300*time.Millisecond, cfg.MinDelay)
	}
	if cfg.StartDelay == 0 {
		cfg.StartDelay = 3 * b.frame
	}
	switch {
	case cfg.MinDelay < 0 || cfg.StartDelay < 0:
		return nil, errors.New("jitter: negative delay")
	case cfg.MaxDelay < cfg.MinDelay:
		return nil, fmt.Errorf("jitter: MaxDelay %v below MinDelay %v", cfg.MaxDelay, cfg.MinDelay)
	case cfg.MaxDelay > 5*time.Second:
		return nil, fmt.Errorf("jitter: MaxDelay %v above 5s", cfg.MaxDelay)
	}
	b.maxDelay = cfg.MaxDelay
	b.patience = excessPatience
	if cfg.QuietMarks {
		b.patience = voicedPatience
	}
	b.seqMask = uint32(1<<cfg.SeqBits - 1)
	b.est.init(b.frame, cfg.MinDelay, cfg.MaxDelay, min(max(cfg.StartDelay, cfg.MinDelay), cfg.MaxDelay))

	// The ring holds twice the ceiling plus slack: a packet further ahead
	// than that cannot belong to the stream being played.
	size := int64(64)
	for size < 2*int64(cfg.MaxDelay/b.frame)+32 {
		size *= 2
	}
	b.ring = make([]slot, size)
	b.mask = size - 1
	b.seen = make([]int64, dedupWindow)
	return b, nil
}

// Push hands the Buffer a packet that arrived at the given time. The payload
// is copied: the caller may reuse p.Payload as soon as Push returns. It
// reports whether the packet was kept: false for a duplicate or a late
// one (counted in Stats).
func (b *Buffer) Push(p Packet, arrival time.Duration) bool {
	b.mu.Lock()
	defer b.mu.Unlock()

	if !b.acceptSeq(p.Seq) {
		return false
	}
	ts := b.extendTS(p.Timestamp)
	n := floorDiv(ts+b.fs/2, b.fs)
	size := b.mask + 1

	if n >= b.next+size { // far ahead: the sender's timestamps jumped forward
		b.resync(n)
	}
	if n <= b.next-size || !b.started && n <= b.top-size {
		if b.farLate++; b.farLate >= farLateResync { // far behind, again and again: they jumped back
			b.resync(n)
		}
	} else {
		b.farLate = 0
	}
	rel := b.est.observe(arrival - b.sampleTime(ts))

	if b.started && n < b.next || n <= b.top-size {
		b.st.Late++
		if b.started {
			b.est.late(rel)
		}
		return false
	}
	s := &b.ring[n&b.mask]
	if s.full {
		b.st.Duplicates++ // another packet for the same instant
		return false
	}
	s.full, s.n, s.arrival, s.quiet = true, n, arrival, p.Quiet
	s.payload = append(s.payload[:0], p.Payload...)
	b.held++
	b.top = max(b.top, n)
	if !b.started && n < b.next {
		b.next = n
	}
	return true
}

// Pop returns the frame to play at time now; call it once per frame period
// of the audio device. With Play the payload is the frame to decode, with
// Recover the packet of the frame after the missing one, each valid until
// the next Pop; with Conceal or Silence it is nil.
//
// now is on the clock that times arrivals and should advance by exactly one
// frame per Pop: the playout goroutine fills the device's ring in bursts, so
// reading the clock at each call would look like jitter. Use the device
// position: the time playback started plus frames taken × frame duration.
// That the device's clock runs a little fast or slow against the sender's
// is the drift the Buffer compensates.
func (b *Buffer) Pop(now time.Duration) ([]byte, Result) {
	b.mu.Lock()
	defer b.mu.Unlock()

	if !b.haveTS {
		return nil, Silence
	}
	d := b.delayOf(b.next, now)
	if b.dry >= 2 && b.has(b.next) {
		// The frame the buffer stalled for has come: the stream was late,
		// not lost. Keep the delay the stall built up.
		b.est.stall(d)
	}
	target := b.est.target()
	if !b.started {
		if b.held == 0 || d < target {
			return nil, Silence
		}
		b.started = true
	}
	b.est.tick()

	// Grow the delay: hold the stream back one frame. A bin of slack, because
	// the anchor (the fastest transit) creeps up by a fraction of a
	// millisecond when its packet leaves the window, and a stretch is heard.
	if d < target-b.est.bin {
		b.excess = 0
		b.delay = d
		return b.stretch()
	}
	if over := d - target; over >= b.frame+b.frame/2 && b.held > 0 { // shrink it, unless stalled
		switch {
		case over > b.maxDelay: // far too much (playout started late, or a jump): skip straight back into the band
			k := int64(over / b.frame)
			b.skip(k)
			d -= time.Duration(k) * b.frame
		case !b.has(b.next) || b.ring[b.next&b.mask].quiet || b.excess >= b.patience:
			// Prefer a frame that would have been concealed anyway, or
			// one without speech: its loss is not heard.
			if b.has(b.next) && !b.ring[b.next&b.mask].quiet {
				b.st.DroppedVoiced++
			}
			b.skip(1)
			d -= b.frame
		default:
			b.excess++
		}
	} else {
		b.excess = 0
	}
	b.delay = d

	if s := &b.ring[b.next&b.mask]; s.full && s.n == b.next {
		b.out = append(b.out[:0], s.payload...)
		b.release(s)
		b.next++
		b.dry = 0
		b.st.Played++
		w := now - s.arrival
		if b.st.Played == 1 {
			b.wait = w
		} else {
			b.wait += (w - b.wait) / waitSmoothing
		}
		return b.out, Play
	}
	if b.held > 0 { // later frames are here: this one is lost or late
		b.dry = 0
		b.next++
		b.st.Concealed++
		if s := &b.ring[b.next&b.mask]; s.full && s.n == b.next { // the next one: it may carry this one's redundancy
			b.st.Recoverable++
			b.out = append(b.out[:0], s.payload...)
			return b.out, Recover
		}
		return nil, Conceal
	}
	// Nothing at all to play. Once is likely a loss; twice in a row the
	// stream may be late: hold it back, up to the ceiling, so that what is
	// delayed still plays when it comes. If it was lost after all, the
	// delay gained is shed again like any excess.
	if b.dry++; b.dry >= 2 && d+b.frame <= b.maxDelay {
		return b.stretch()
	}
	b.next++
	b.st.Concealed++
	return nil, Conceal
}

// Stats returns the current state and counters.
func (b *Buffer) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.st
	st.Target = b.est.target()
	st.Delay = b.delay
	st.Wait = b.wait
	st.Depth = b.held
	if b.haveSeq {
		if exp := b.seqMax - b.seqFirst + 1; exp > b.received {
			st.Lost = uint64(exp - b.received)
		}
	}
	st.Lost += b.lostPrior
	return st
}

// stretch conceals one frame without consuming one.
func (b *Buffer) stretch() ([]byte, Result) {
	b.st.Concealed++
	b.st.Stretched++
	return nil, Conceal
}

// skip discards the next k slots, with or without packets.
func (b *Buffer) skip(k int64) {
	for range min(k, b.mask+1) {
		if s := &b.ring[b.next&b.mask]; s.full && s.n == b.next {
			b.release(s)
		}
		b.next++
	}
	b.next += k - min(k, b.mask+1)
	b.st.Dropped += uint64(k)
	b.excess = 0
}

func (b *Buffer) has(n int64) bool {
	s := &b.ring[n&b.mask]
	return s.full && s.n == n
}

func (b *Buffer) release(s *slot) {
	s.full = false
	b.held--
}

// resync restarts playout at slot n after a timestamp discontinuity:
// everything held is discarded and the next Pops buffer afresh.
func (b *Buffer) resync(n int64) {
	for i := range b.ring {
		b.ring[i].full = false
	}
	b.st.Dropped += uint64(b.held)
	b.held = 0
	b.next, b.top = n, n
	b.started = false
	b.dry, b.excess, b.farLate = 0, 0, 0
	b.est.resetTransit()
	if exp := b.seqMax - b.seqFirst + 1; exp > b.received {
		b.lostPrior += uint64(exp - b.received)
	}
	b.seqFirst, b.received = b.seqMax, 1 // count afresh from here (approximately: this packet may not be the newest)
	b.st.Resyncs++
}

// acceptSeq records p's sequence number and reports whether the packet is
// new. Duplicates and packets too old to tell are counted and refused.
func (b *Buffer) acceptSeq(seq uint32) bool {
	seq &= b.seqMask
	var ext int64
	if !b.haveSeq {
		b.haveSeq = true
		ext = int64(seq)
		b.seqMax, b.seqFirst = ext, ext
	} else {
		half := int64(b.seqMask)/2 + 1
		diff := int64((seq - uint32(b.seqMax)) & b.seqMask)
		if diff >= half {
			diff -= 2 * half
		}
		ext = b.seqMax + diff
		if ext <= b.seqMax-dedupWindow {
			b.st.Late++ // older than the duplicate window: can only be late
			return false
		}
	}
	i := ext & (dedupWindow - 1)
	if b.seen[i] == ext+1 {
		b.st.Duplicates++
		return false
	}
	b.seen[i] = ext + 1
	b.seqMax = max(b.seqMax, ext)
	b.received++
	return true
}

// extendTS returns the timestamp as samples since the stream's first packet,
// undoing the 32-bit wrap-around.
func (b *Buffer) extendTS(ts uint32) int64 {
	if !b.haveTS {
		b.haveTS = true
		b.tsBase = ts
		return 0
	}
	ext := b.tsMax + int64(int32(ts-b.tsBase-uint32(b.tsMax)))
	b.tsMax = max(b.tsMax, ext)
	return ext
}

// delayOf is how long after its earliest expected arrival slot n would be
// played at now.
func (b *Buffer) delayOf(n int64, now time.Duration) time.Duration {
	return now - b.est.minTransit - b.sampleTime(n*b.fs)
}

// sampleTime converts samples to a duration without overflowing.
func (b *Buffer) sampleTime(samples int64) time.Duration {
	return time.Duration(samples/b.rate)*time.Second + time.Duration(samples%b.rate)*time.Second/time.Duration(b.rate)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
