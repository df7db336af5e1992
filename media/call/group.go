package call

import (
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"parley/media/codec"
	"parley/media/jitter"
	"parley/net/proto"
)

// Group calls (Config.Group). The server forwards every speaker's packets
// unchanged, tagged with the speaker's slot (proto.GroupAudioPacket), and
// each client mixes what it hears itself, so the server never decodes.
//
//   - Receive: one stream (jitter buffer and decoder, the same as a 1:1
//     call's, FEC recovery and concealment included) per slot, made on
//     the slot's first packet, dropped by ResetSlot, and made afresh
//     when the slot's packets come back after a second without any, or
//     after a second of packets its buffer refused (receiveGroup).
//   - Playout: every 20 ms each slot that is not idle plays one frame and
//     the frames are summed in int32, then through limit (below). The mix
//     is what plays and so the echo canceller's reference. A slot that
//     had no packet for idleAfter (its buffer long empty: the person
//     left, or their link stalled) is no longer popped, decoded nor
//     concealed; its next packet brings it back, as a new stream.
//   - Loss reports: once a second one group loss report per slot that
//     played or missed a frame in that second (proto.GroupLossReport),
//     instead of the 1:1 report. The reports about our own stream, one
//     per listener per second, are combined by taking the worst of each
//     second (see Engine.adapt); the encoder then adapts as in a 1:1
//     call (adapt.go).
//   - What the engine sends is unchanged: ordinary audio packets.

// SlotStats is what the engine hears from one slot of a group call.
type SlotStats struct {
	Active   bool    // a packet came from this slot since it was last reset
	Level    float32 // the slot's decoded level, 0 to 1, on Stats.Level's scale
	Speaking bool    // the level was above the speaking threshold within the last 300 ms
	// Idle: no packet came for about a second; the slot is not decoded
	// until the next one.
	Idle      bool
	Recovered uint64       // missing frames rebuilt from FEC
	Jitter    jitter.Stats // the slot's jitter buffer
}

const (
	// idleAfter is how long a slot goes without a packet before it is
	// no longer decoded: longer than any jitter buffer delay (300 ms at
	// most), so its buffer is empty and all that is left to play is
	// concealment fading to silence. Muted speakers still send a packet
	// every 20 ms, so they never go idle.
	idleAfter = time.Second
	// speakingLevel is the threshold of Speaking on the meter's scale: a
	// frame at −40 dBFS RMS. Speech at a normal distance from the
	// microphone is −30 to −15 dBFS RMS, and its syllables rarely drop
	// below −40 while someone talks; a quiet room through an unmuted
	// microphone is −60 to −50 dBFS, and a muted one is silence. With
	// the 300 ms hold, a speaker stays marked through the short pauses
	// between words.
	speakingLevel = 1 - 40.0/60
	speakingHold  = 300 * time.Millisecond
	// restartAfter is how many packets in a row a slot's jitter buffer
	// may refuse (as duplicates or late) before the slot starts afresh:
	// a second of them. A stream's own late packets come in shorter
	// runs: after a stall of a second or more the slot is idle and
	// starts afresh anyway.
	restartAfter = 50
	// limitKnee is where the mix's limiter starts: 0.75 of full scale
	// (−2.5 dBFS). See limit.
	limitKnee = 24576
)

// groupState is a group call's receiving side.
type groupState struct {
	slots [proto.MaxGroupCall]atomic.Pointer[slot]
	// worst is the highest loss (1/256) reported about our stream since
	// the last second's turn; -1: no report.
	worst atomic.Int32
	// Owned by the playout loop.
	mix []int32
	out []int16
}

// slot is one speaker's stream in a group call.
type slot struct {
	*stream
	lastHeard atomic.Int64  // clock ns of the last packet
	level     atomic.Uint32 // float32 bits: the meter
	loud      atomic.Int64  // clock ns when the last frame above speakingLevel played; -1: none
	idle      atomic.Bool   // owned by the playout loop, read by Stats
	refused   atomic.Int32  // packets in a row that the jitter buffer refused
}

func newGroupState() *groupState {
	g := &groupState{
		mix: make([]int32, codec.FrameSamples),
		out: make([]int16, codec.FrameSamples),
	}
	g.worst.Store(-1)
	return g
}

// report takes a loss report about our own stream from one listener.
func (g *groupState) report(loss uint8) {
	for {
		old := g.worst.Load()
		if int32(loss) <= old || g.worst.CompareAndSwap(old, int32(loss)) {
			return
		}
	}
}

// ResetSlot forgets what slot played so far: someone else holds it now
// (proto.GroupCallState showed a new person in it), so their stream
// starts afresh with its own sequence numbers and timestamps. It does
// nothing in a 1:1 call or for a slot out of range. Should the previous
// holder's last packets arrive after it and take the slot back, it heals
// itself a second later (see receiveGroup).
func (e *Engine) ResetSlot(slot int) {
	if e.group == nil || slot < 0 || slot >= proto.MaxGroupCall {
		return
	}
	e.group.slots[slot].Store(nil)
}

// receiveGroup takes a group audio packet that came at now into its
// slot's stream.
//
// A slot is made on its first packet, and made afresh on the first after
// it went idle: whoever sends after a second of silence may be a new
// stream (the same person back with a new engine after their connection
// dropped, whose numbering starts again, with or without a ResetSlot),
// which the old jitter buffer would refuse as duplicates or late packets
// for as long as the old stream had run; a stream that merely paused
// loses nothing, as its buffer was empty. It is made afresh too after
// restartAfter packets in a row that its buffer refused: a new stream
// that came too soon for that, such as the new holder's right after a
// ResetSlot that the previous holder's last packets, arriving after it,
// undid.
func (e *Engine) receiveGroup(p proto.GroupAudioPacket, now time.Duration) error {
	i := int(p.Slot)
	s, err := e.slotFor(i, now, nil)
	if err != nil {
		return err
	}
	if s.push(p.AudioPacket, now) {
		s.refused.Store(0)
	} else if s.refused.Add(1) >= restartAfter {
		if s, err = e.slotFor(i, now, s); err != nil {
			return err
		}
		s.push(p.AudioPacket, now)
	}
	s.lastHeard.Store(int64(now))
	return nil
}

// slotFor returns slot i for a packet that came at now: the one there,
// unless there is none, it is idle, or it is stale (then a fresh one
// replaces it).
func (e *Engine) slotFor(i int, now time.Duration, stale *slot) (*slot, error) {
	p := &e.group.slots[i]
	var fresh *slot
	for {
		old := p.Load()
		if old != nil && old != stale && now-time.Duration(old.lastHeard.Load()) <= idleAfter {
			return old, nil
		}
		if fresh == nil {
			st, err := e.newStream()
			if err != nil {
				return nil, fmt.Errorf("slot %d: %w", i, err)
			}
			fresh = &slot{stream: st}
			fresh.loud.Store(-1)
			fresh.lastHeard.Store(int64(now))
		}
		if p.CompareAndSwap(old, fresh) {
			return fresh, nil
		}
		// Another packet of the slot, or a reset, came between: look again.
	}
}

// playGroup mixes what every slot plays at now; valid until the next call.
// Idleness and the speaking hold are timed on the engine's clock, like
// the arrivals, not on now (the device's position), which drifts from it
// over a long call.
func (e *Engine) playGroup(now time.Duration) []int16 {
	g := e.group
	at := e.clock()
	clear(g.mix)
	for i := range g.slots {
		s := g.slots[i].Load()
		if s == nil {
			continue
		}
		if at-time.Duration(s.lastHeard.Load()) > idleAfter {
			if !s.idle.Load() {
				s.idle.Store(true)
				s.silent = true // when it comes back, nothing to conceal before its first frame
				s.level.Store(0)
			}
			continue
		}
		s.idle.Store(false)
		frame := s.play(now)
		lv := frameLevel(frame)
		if lv > speakingLevel {
			s.loud.Store(int64(at))
		}
		s.level.Store(math.Float32bits(meterLevel(math.Float32frombits(s.level.Load()), lv)))
		if s.silent {
			continue // it played silence: nothing to add
		}
		for j, v := range frame {
			g.mix[j] += int32(v)
		}
	}
	for j, v := range g.mix {
		g.out[j] = limit(v)
	}
	return g.out
}

// limit brings a sum of frames back into 16 bits. Below the knee (0.75 of
// full scale) it changes nothing, so one speaker, or several at ordinary
// levels (speech peaks at −20 to −10 dBFS: four of them at once stay
// under −2.5 dBFS), plays exactly as decoded; above it the excess is
// folded in by a tanh, which meets the straight line with the same slope
// (no kink) and approaches full scale without reaching past it. A sample
// is mapped on its own, with no gain that moves with time: no pumping of
// the others when one is loud, no delay and no state, at the price of
// some distortion on the rare peaks that go past the knee. Hard clipping
// would distort those more (flat tops), and int16 overflow would wrap
// them around into loud clicks.
func limit(v int32) int16 {
	if v >= -limitKnee && v <= limitKnee {
		return int16(v)
	}
	const room = math.MaxInt16 - limitKnee
	a := float64(v)
	sign := 1.0
	if a < 0 {
		a, sign = -a, -1
	}
	y := limitKnee + room*math.Tanh((a-limitKnee)/room)
	return int16(sign * min(math.Round(y), math.MaxInt16))
}

// sendGroupReports sends one group loss report per slot that played or
// missed a frame since the last ones. Only the send loop calls it.
func (e *Engine) sendGroupReports() {
	for i := range e.group.slots {
		s := e.group.slots[i].Load()
		if s == nil {
			continue
		}
		if share, ok := s.loss(); ok {
			e.send(proto.AppendGroupReport(e.pkt[:0], proto.GroupLossReport{Call: e.cfg.Call, Slot: uint8(i), Loss: share}))
		}
	}
}

// groupStats fills st's group fields: Slots, and Jitter as the slots'
// summed counters with the longest of their delays.
func (e *Engine) groupStats(st *Stats, now time.Duration) {
	st.Slots = make([]SlotStats, proto.MaxGroupCall)
	var js jitter.Stats
	for i := range e.group.slots {
		s := e.group.slots[i].Load()
		if s == nil {
			continue
		}
		j := s.jb.Stats()
		loud := s.loud.Load()
		st.Slots[i] = SlotStats{
			Active:    true,
			Level:     math.Float32frombits(s.level.Load()),
			Speaking:  loud >= 0 && now-time.Duration(loud) < speakingHold,
			Idle:      s.idle.Load(),
			Recovered: s.recovered.Load(),
			Jitter:    j,
		}
		js.Target, js.Delay, js.Wait = max(js.Target, j.Target), max(js.Delay, j.Delay), max(js.Wait, j.Wait)
		js.Depth += j.Depth
		js.Played += j.Played
		js.Concealed += j.Concealed
		js.Recoverable += j.Recoverable
		js.Stretched += j.Stretched
		js.Dropped += j.Dropped
		js.DroppedVoiced += j.DroppedVoiced
		js.Late += j.Late
		js.Duplicates += j.Duplicates
		js.Lost += j.Lost
		js.Resyncs += j.Resyncs
	}
	st.Jitter = js
}
