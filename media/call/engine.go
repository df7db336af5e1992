// Package call is the media engine of one voice call: capture → cancel
// the echo → encode → packet → send, and receive → jitter buffer →
// decode (or conceal) → play; with mute, the call timer, the input level
// meter, and the synthesised ring tones.
//
// Echo: every frame handed to the speaker is also the reference of an
// acoustic echo canceller (media/echo) that cleans each captured frame
// before it is measured and encoded, unless the platform's audio stack
// cancels already (Android) or Config.Echo says otherwise.
//
// Loss and FEC: each engine tells the other, once a second, what share of
// its frames were missing at playout (proto.LossReport, through the same
// Sender); an adaptive codec (Opus) sizes its in-band FEC and bitrate from
// that (adapt.go). A missing frame whose next packet is already in the
// jitter buffer is rebuilt from that packet's FEC before concealment is
// tried.
//
// Group calls (Config.Group, group.go): one jitter buffer and decoder per
// speaker's slot, mixed into what plays; loss reports per slot; the
// encoder sized by the worst listener.
//
// It is transport-agnostic: packets leave through the small Sender
// interface and come back through Engine.Receive, so the WebSocket relay
// of today and a UDP or WebRTC carrier later replace only that seam. The
// packet layouts are proto.AudioPacket and proto.LossReport, which any
// carrier can frame.
//
// It must not: open devices (it is given audio.Frames), dial anything,
// or know the signalling (who called whom, when it ends): the
// application starts and closes an Engine around the call.
package call

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"parley/media/audio"
	"parley/media/codec"
	"parley/media/echo"
	"parley/media/jitter"
	"parley/net/proto"
)

// Sender carries packets to the other party.
type Sender interface {
	// SendPacket sends one packet. It must not block for long (a carrier
	// that cannot keep up drops packets instead) and may not keep pkt.
	SendPacket(pkt []byte) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(pkt []byte) error

// SendPacket calls f.
func (f SenderFunc) SendPacket(pkt []byte) error { return f(pkt) }

// Config configures an Engine. Audio and Send are required.
type Config struct {
	Call  proto.CallID
	Codec codec.Codec // the negotiated codec; zero: G.722
	Audio audio.Frames
	Send  Sender
	// Clock is a monotonic clock for arrival and playout times (default:
	// time since Start).
	Clock  func() time.Duration
	Jitter jitter.Config // zero: the jitter buffer's defaults
	Muted  bool          // start with the microphone muted
	Echo   EchoMode      // zero: cancel the echo unless the platform does
	Logger *slog.Logger
	// Group runs the engine for a group call (group.go): it receives
	// group audio packets (proto.PacketGroupAudio) from up to
	// proto.MaxGroupCall-1 speakers, each with its own jitter buffer and
	// decoder, mixes them, and reports loss per speaker with group loss
	// reports. What it sends is unchanged (ordinary audio packets).
	Group bool
}

// EchoMode says whether the engine cancels the loudspeaker's echo in
// the microphone signal.
type EchoMode int

const (
	// EchoAuto cancels unless the platform's audio stack already does.
	EchoAuto EchoMode = iota
	// EchoOn always cancels.
	EchoOn
	// EchoOff never cancels: a headset, or a device that cancels itself.
	EchoOff
)

// cancels says whether an engine in mode m on goos runs a canceller.
// Android's input runs the platform's own canceller (the voice-
// communication preset set in media/audio/voice.go): a second one would
// only add delay and work. Every other platform, iOS included (its
// session is play-and-record without the voice-processing unit), has
// none.
func (m EchoMode) cancels(goos string) bool {
	switch m {
	case EchoOn:
		return true
	case EchoOff:
		return false
	}
	return goos != "android"
}

// Stats is a snapshot of an Engine.
type Stats struct {
	Elapsed    time.Duration // since Start: the call timer
	Level      float32       // input level, 0 (silence or muted) to 1 (full scale), on a 60 dB scale
	Muted      bool
	Sent       uint64        // packets
	SentBytes  uint64        // packet bytes (header and payload)
	Received   uint64        // packets of this call
	RecvBytes  uint64        // packet bytes received
	Foreign    uint64        // packets dropped: malformed or another call's
	SendErrors uint64        // packets the carrier refused
	Recovered  uint64        // missing frames rebuilt from the next packet's FEC
	Bitrate    int           // the encoder's target, bit/s (Opus adapts it; G.722: fixed)
	PeerLoss   float64       // share of our frames the peer last reported missing (0–1); in a group call the worst listener's in the last second
	Reports    uint64        // loss reports received from the peer (from every listener, in a group call)
	SinceHeard time.Duration // since the last packet came (since Start if none)
	Heard      bool          // a packet has come
	Jitter     jitter.Stats  // in a group call: the slots' counters summed, and the longest of their delays
	Cancelling bool          // an echo canceller runs on the microphone
	Echo       echo.Stats    // what it found, if it runs
	// Slots: group calls, one per slot (proto.MaxGroupCall); nil in a
	// 1:1 call.
	Slots []SlotStats
}

// Engine runs one call's audio. Receive, SetMuted and Stats may be called
// from any goroutine.
type Engine struct {
	cfg    Config
	log    *slog.Logger
	clock  func() time.Duration
	enc    codec.Encoder
	in     *stream     // what the peer sends; nil in a group call
	group  *groupState // a group call's speakers (group.go); nil in a 1:1 call
	cancel context.CancelFunc
	wg     sync.WaitGroup
	frames atomic.Pointer[audio.Frames] // the devices; SwitchAudio replaces them
	aec    *echo.Canceller              // nil: the platform cancels the echo (Android)
	// newPath: the devices changed, or cancelling was switched back on:
	// the canceller must start over (the send loop does it: the
	// canceller is its own).
	newPath atomic.Bool
	// echoOff: SetEchoCancelling(false), a headset; the canceller waits.
	echoOff atomic.Bool

	sender    atomic.Pointer[senderBox] // cfg.Send until SetSender
	muted     atomic.Bool
	level     atomic.Uint32 // float32 bits
	lastHeard atomic.Int64  // clock ns of the last packet; -1: none

	sent, sentBytes, recv, recvBytes, foreign, sendErrs atomic.Uint64
	recovered, reports                                  atomic.Uint64
	bitrate                                             atomic.Int64
	peerLoss                                            atomic.Int32 // the last report's loss, in 1/256
	pending                                             atomic.Int32 // a report not yet applied: its loss in 1/256; -1: none

	errMu sync.Mutex
	err   error // why a loop stopped early

	// Owned by the send loop.
	seq      uint16
	ts       uint32
	payload  []byte
	pkt      []byte
	adapter  codec.PathAdapter // nil: the codec does not adapt (G.722)
	path     pathAdapt
	captured uint64 // frames captured so far: a loss report every proto.ReportPerFrames
	// At the previous loss report: packets the carrier had refused.
	lastRefused uint64
}

// stream is the playout of one incoming stream: its jitter buffer and
// decoder. A 1:1 call has one; a group call one per speaking slot.
type stream struct {
	jb        *jitter.Buffer
	dec       codec.Decoder
	rec       codec.Recoverer // nil: the codec has no FEC (G.722)
	quiet     func([]byte) bool
	recovered atomic.Uint64  // missing frames rebuilt from FEC
	total     *atomic.Uint64 // the engine's count of the same
	// Owned by the playout loop.
	out    []int16
	silent bool // the last frame played was silence (muted peer, or no audio yet): nothing to conceal
	// Owned by the send loop: frames played and missing at the previous
	// loss report.
	lastPlayed, lastMissing uint64
}

// newStream returns the playout of a new incoming stream.
func (e *Engine) newStream() (*stream, error) {
	jc := e.cfg.Jitter
	jc.SampleRate, jc.FrameSamples, jc.SeqBits = codec.SampleRate, codec.FrameSamples, 16
	jc.QuietMarks = e.cfg.Codec.Quiet != nil
	jb, err := jitter.New(jc)
	if err != nil {
		return nil, fmt.Errorf("call: %w", err)
	}
	s := &stream{
		jb: jb, dec: e.cfg.Codec.NewDecoder(), quiet: e.cfg.Codec.Quiet, total: &e.recovered,
		out: make([]int16, 0, codec.FrameSamples), silent: true,
	}
	s.rec, _ = s.dec.(codec.Recoverer)
	return s, nil
}

// push hands the stream's jitter buffer a packet that came at now, and
// reports whether the buffer kept it (see jitter.Buffer.Push).
func (s *stream) push(p proto.AudioPacket, now time.Duration) bool {
	quiet := len(p.Payload) == 0 || s.quiet != nil && s.quiet(p.Payload)
	return s.jb.Push(jitter.Packet{Seq: uint32(p.Seq), Timestamp: p.Timestamp, Payload: p.Payload, Quiet: quiet}, now)
}

type senderBox struct{ s Sender }

// SetSender makes s carry the packets from the next one on: a carrier
// switch (the WebSocket to UDP) falls between two packets, and each
// packet goes to exactly one Sender. What comes back still arrives
// through Receive, from either carrier.
func (e *Engine) SetSender(s Sender) { e.sender.Store(&senderBox{s}) }

// Start starts the engine: it captures and sends, and plays what it
// receives, until Close or until ctx ends.
func Start(ctx context.Context, cfg Config) (*Engine, error) {
	e, err := newEngine(cfg)
	if err != nil {
		return nil, err
	}
	ctx, e.cancel = context.WithCancel(ctx)
	e.wg.Add(2)
	go func() {
		defer e.wg.Done()
		e.fail(e.sendLoop(ctx))
	}()
	go func() {
		defer e.wg.Done()
		e.fail(e.playLoop(ctx))
	}()
	return e, nil
}

func newEngine(cfg Config) (*Engine, error) {
	if cfg.Audio == nil || cfg.Send == nil {
		return nil, errors.New("call: an engine needs Audio and Send")
	}
	if cfg.Codec.Name == "" {
		c, ok := codec.Lookup("g722")
		if !ok {
			return nil, errors.New("call: no g722 codec")
		}
		cfg.Codec = c
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		t0 := time.Now()
		cfg.Clock = func() time.Duration { return time.Since(t0) }
	}
	// The canceller exists wherever the platform has none, so that it
	// can be switched on during a call (SetEchoCancelling).
	var aec *echo.Canceller
	if cfg.Echo == EchoOn || (EchoAuto).cancels(runtime.GOOS) {
		var err error
		if aec, err = echo.New(echo.Config{SampleRate: codec.SampleRate, FrameSamples: codec.FrameSamples}); err != nil {
			return nil, fmt.Errorf("call: %w", err)
		}
	}
	e := &Engine{
		cfg: cfg, log: cfg.Logger, clock: cfg.Clock, aec: aec,
		enc:     cfg.Codec.NewEncoder(),
		payload: make([]byte, 0, proto.MaxPacketPayload),
		pkt:     make([]byte, 0, proto.PacketHeaderLen+proto.MaxPacketPayload),
	}
	if cfg.Group {
		e.group = newGroupState()
	} else {
		var err error
		if e.in, err = e.newStream(); err != nil {
			return nil, err
		}
	}
	e.lastHeard.Store(-1)
	e.pending.Store(-1)
	e.adapter, _ = e.enc.(codec.PathAdapter)
	e.path = newPathAdapt()
	e.bitrate.Store(int64(cfg.Codec.Bitrate))
	e.echoOff.Store(!cfg.Echo.cancels(runtime.GOOS))
	e.muted.Store(cfg.Muted)
	e.frames.Store(&cfg.Audio)
	e.SetSender(cfg.Send)
	return e, nil
}

func (e *Engine) fail(err error) {
	if err == nil || errors.Is(err, context.Canceled) {
		return
	}
	e.errMu.Lock()
	if e.err == nil {
		e.err = err
	}
	e.errMu.Unlock()
	e.log.Warn("call audio stopped", "call", e.cfg.Call, "err", err)
}

// Err says why the audio stopped before Close (a device failed), or nil.
func (e *Engine) Err() error {
	e.errMu.Lock()
	defer e.errMu.Unlock()
	return e.err
}

// Close stops the engine and waits for its goroutines.
func (e *Engine) Close() error {
	e.cancel()
	e.wg.Wait()
	return nil
}

// SwitchAudio moves the call to other devices (another microphone or
// speaker chosen mid-call) without a break in the stream. Close the old
// devices after it returns: reads and writes in progress on them end
// with an error, and the loops carry on with the new ones.
func (e *Engine) SwitchAudio(f audio.Frames) {
	e.frames.Store(&f)
	e.newPath.Store(true)
}

// SetMuted mutes or unmutes the microphone. A muted engine keeps sending
// one empty packet per frame, which the peer plays as silence, so the
// call stays alive and in time.
func (e *Engine) SetMuted(m bool) { e.muted.Store(m) }

// Receive hands the engine a packet (or loss report) from the carrier. It
// does not keep pkt. Packets of other calls and malformed ones are counted
// and dropped, and so are group audio packets in a 1:1 call and ordinary
// audio packets in a group call.
func (e *Engine) Receive(pkt []byte) {
	if r, err := proto.ParseReport(pkt); err == nil && r.Call == e.cfg.Call {
		if e.group != nil {
			e.group.report(r.Loss)
		} else {
			e.peerLoss.Store(int32(r.Loss))
			e.pending.Store(int32(r.Loss))
		}
		e.reports.Add(1)
		return
	}
	now := e.clock()
	if e.group != nil {
		gp, err := proto.ParseGroupPacket(pkt)
		if err != nil || gp.Call != e.cfg.Call {
			e.foreign.Add(1)
			return
		}
		if err := e.receiveGroup(gp, now); err != nil {
			e.log.Warn("call group slot", "call", e.cfg.Call, "slot", gp.Slot, "err", err)
			e.foreign.Add(1)
			return
		}
	} else {
		p, err := proto.ParsePacket(pkt)
		if err != nil || p.Call != e.cfg.Call {
			e.foreign.Add(1)
			return
		}
		e.in.push(p, now)
	}
	e.lastHeard.Store(int64(now))
	e.recv.Add(1)
	e.recvBytes.Add(uint64(len(pkt)))
}

// Stats returns a snapshot.
func (e *Engine) Stats() Stats {
	now := e.clock()
	st := Stats{
		Elapsed:    now,
		Level:      math.Float32frombits(e.level.Load()),
		Muted:      e.muted.Load(),
		Sent:       e.sent.Load(),
		SentBytes:  e.sentBytes.Load(),
		Received:   e.recv.Load(),
		RecvBytes:  e.recvBytes.Load(),
		Foreign:    e.foreign.Load(),
		SendErrors: e.sendErrs.Load(),
		Recovered:  e.recovered.Load(),
		Bitrate:    int(e.bitrate.Load()),
		PeerLoss:   float64(e.peerLoss.Load()) / 256,
		Reports:    e.reports.Load(),
		SinceHeard: now,
		Cancelling: e.aec != nil && !e.echoOff.Load(),
	}
	if e.group != nil {
		e.groupStats(&st, now)
	} else {
		st.Jitter = e.in.jb.Stats()
	}
	if st.Cancelling {
		st.Echo = e.aec.Stats()
	}
	if h := e.lastHeard.Load(); h >= 0 {
		st.Heard, st.SinceHeard = true, now-time.Duration(h)
	}
	return st
}

// SetEchoCancelling switches the echo canceller off (a headset: there is
// no echo, and cancelling could only take something away) or back on,
// during a call. It has no effect where the platform cancels the echo
// itself (Android), and reports whether the engine now cancels.
func (e *Engine) SetEchoCancelling(on bool) bool {
	if e.aec == nil {
		return false
	}
	if e.echoOff.Swap(!on) && on {
		e.newPath.Store(true) // what it learnt is stale: start over
	}
	return on
}

func (e *Engine) sendLoop(ctx context.Context) error {
	frame := make([]int16, codec.FrameSamples)
	for {
		dev := e.frames.Load()
		if err := (*dev).ReadFrame(ctx, frame); err != nil {
			if ctx.Err() == nil && e.frames.Load() != dev {
				continue // switched to other devices
			}
			return fmt.Errorf("capture: %w", err)
		}
		if err := e.sendFrame(frame); err != nil {
			return err
		}
	}
}

// sendFrame packs and sends one captured frame (changing it), and the
// loss reports when they are due.
func (e *Engine) sendFrame(frame []int16) error {
	pkt, err := e.packFrame(frame)
	if err != nil {
		return err
	}
	e.send(pkt)
	if e.captured%proto.ReportPerFrames != 0 {
		return nil
	}
	if e.group != nil {
		e.sendGroupReports()
	} else if r, ok := e.lossReport(); ok {
		e.send(r)
	}
	return nil
}

func (e *Engine) send(pkt []byte) {
	if err := e.sender.Load().s.SendPacket(pkt); err != nil {
		e.sendErrs.Add(1)
	} else {
		e.sent.Add(1)
		e.sentBytes.Add(uint64(len(pkt)))
	}
}

// lossReport returns the report to send now: the share of frames missing
// at playout (concealed or rebuilt: lost, or too late) since the last one.
// Nothing is reported before anything played.
func (e *Engine) lossReport() ([]byte, bool) {
	share, ok := e.in.loss()
	if !ok {
		return nil, false
	}
	return proto.AppendReport(e.pkt[:0], proto.LossReport{Call: e.cfg.Call, Loss: share}), true
}

// loss returns the share of frames missing at playout since the last
// call, in 1/256, and false if nothing played or went missing since.
// Only the send loop calls it.
func (s *stream) loss() (uint8, bool) {
	st := s.jb.Stats()
	missing := st.Concealed - st.Stretched
	played, lost := st.Played-s.lastPlayed, missing-s.lastMissing
	s.lastPlayed, s.lastMissing = st.Played, missing
	if played+lost == 0 {
		return 0, false
	}
	return uint8(min(255, (256*lost+(played+lost)/2)/(played+lost))), true
}

// adapt applies the peer's latest loss report, if one came since the
// last frame, to an adaptive encoder. In a group call every listener
// reports once a second: at the turn of each second (of captured
// frames) it applies the worst report of that second.
func (e *Engine) adapt() {
	var loss int32
	if e.group != nil {
		if e.captured%proto.ReportPerFrames != 0 {
			return
		}
		if loss = e.group.worst.Swap(-1); loss >= 0 {
			e.peerLoss.Store(loss)
		}
	} else {
		loss = e.pending.Swap(-1)
	}
	if loss < 0 || e.adapter == nil {
		return
	}
	refused := e.sendErrs.Load()
	bitrate, pct := e.path.report(float64(loss)/256, refused != e.lastRefused)
	e.lastRefused = refused
	if err := e.adapter.Adapt(bitrate, pct); err != nil {
		e.log.Warn("call codec adapt", "call", e.cfg.Call, "bitrate", bitrate, "loss", pct, "err", err)
		return
	}
	e.bitrate.Store(int64(bitrate))
}

// packFrame cancels the echo in, measures, encodes (unless muted) and
// packs one captured frame (changing it); the packet is valid until the
// next call.
func (e *Engine) packFrame(frame []int16) ([]byte, error) {
	if e.aec != nil && !e.echoOff.Load() {
		// Muted too: the canceller keeps learning, so that unmuting does
		// not start with echo.
		if e.newPath.Swap(false) {
			e.aec.Reset()
		}
		e.aec.Process(frame)
	}
	muted := e.muted.Load()
	e.meter(frame, muted)
	e.adapt()
	e.captured++
	e.payload = e.payload[:0]
	if !muted {
		var err error
		if e.payload, err = e.enc.Encode(e.payload, frame); err != nil {
			return nil, fmt.Errorf("encode: %w", err)
		}
	}
	e.pkt = proto.AppendPacket(e.pkt[:0], proto.AudioPacket{Call: e.cfg.Call, Seq: e.seq, Timestamp: e.ts, Payload: e.payload})
	e.seq++
	e.ts += codec.FrameSamples
	return e.pkt, nil
}

// meter updates the input level: the frame's RMS on a 60 dB scale,
// rising at once and falling by about 20 dB a second.
func (e *Engine) meter(frame []int16, muted bool) {
	if muted {
		e.level.Store(0)
		return
	}
	e.level.Store(math.Float32bits(meterLevel(math.Float32frombits(e.level.Load()), frameLevel(frame))))
}

// frameLevel is a frame's RMS on the meter's 60 dB scale: 0 at −60 dBFS
// and below, 1 at full scale.
func frameLevel(frame []int16) float32 {
	var sum float64
	for _, s := range frame {
		sum += float64(s) * float64(s)
	}
	if rms := math.Sqrt(sum/float64(len(frame))) / 32768; rms > 0 {
		return float32(max(0, 1+20*math.Log10(rms)/60))
	}
	return 0
}

// meterLevel is the meter's next reading after old, for a frame of level:
// it rises at once and falls by 1/150 of the scale per 20 ms frame (about
// 20 dB a second).
func meterLevel(old, level float32) float32 {
	return max(0, level, old-1.0/150)
}

func (e *Engine) playLoop(ctx context.Context) error {
	start := e.clock()
	for k := 0; ; k++ {
		out := e.playFrame(start + time.Duration(k)*codec.FrameDuration)
		dev := e.frames.Load()
		if err := (*dev).WriteFrame(ctx, out); err != nil {
			if ctx.Err() == nil && e.frames.Load() != dev {
				continue // switched to other devices; this frame is skipped
			}
			return fmt.Errorf("playback: %w", err)
		}
		if e.aec != nil && !e.echoOff.Load() {
			e.aec.Playback(out) // what the speaker got: the echo's reference
		}
	}
}

// playFrame returns the frame that sounds at now (the device position on
// the engine's clock); valid until the next call.
func (e *Engine) playFrame(now time.Duration) []int16 {
	if e.group != nil {
		return e.playGroup(now)
	}
	return e.in.play(now)
}

// play returns the stream's frame at now: decoded, rebuilt from FEC,
// concealed, or silence; valid until the next call.
func (s *stream) play(now time.Duration) []int16 {
	payload, res := s.jb.Pop(now)
	out := s.out[:0]
	switch {
	case res == jitter.Play && len(payload) > 0:
		var err error
		if out, err = s.dec.Decode(out, payload); err != nil {
			out = s.dec.Conceal(out[:0])
		}
		s.silent = false
	case res == jitter.Recover && !s.silent && len(payload) > 0 && s.rec != nil:
		// The next frame's packet is here: rebuild this one from its FEC
		// (or conceal, if it carries none).
		var fec bool
		if out, fec = s.rec.Recover(out, payload); fec {
			s.recovered.Add(1)
			s.total.Add(1)
		}
	case (res == jitter.Conceal || res == jitter.Recover) && !s.silent:
		out = s.dec.Conceal(out)
	default: // silence: nothing yet, the peer is muted, or a gap in silence
		out = out[:codec.FrameSamples]
		clear(out)
		s.silent = true
	}
	s.out = out
	return out
}
