// Package codec owns the speech codecs of Parley voice calls: it turns one
// 20 ms frame of 48 kHz mono PCM into a packet and back, and invents a
// plausible frame when a packet is lost.
//
// Every codec is reached through the small [Encoder] and [Decoder]
// interfaces and a registry ([Lookup], [Names]) listed in preference order,
// so a call can negotiate a codec by name. Two are built in (the browser
// build has only G.722, see opus_js.go), both pure Go
// (no cgo, no system library): "opus" (RFC 6716 through
// github.com/thesyncim/gopus: VoIP, 24–32 kbit/s VBR, in-band FEC; its
// encoder adapts to the path through [PathAdapter] and its decoder
// rebuilds a lost frame from the next packet through [Recoverer]), and
// "g722", ITU-T G.722 at 64 kbit/s written here, with a polyphase
// resampler between the app's 48 kHz and the codec's 16 kHz: the
// fallback every peer has.
//
// The package does not know devices, packets on the wire, sequence numbers
// or timing: capture and playback belong to media/audio, reordering and the
// decision to conceal belong to media/jitter.
package codec

import (
	"errors"
	"time"
)

// The audio format every Encoder consumes and every Decoder produces.
const (
	SampleRate    = 48000                 // Hz, mono
	FrameSamples  = 960                   // samples per frame
	FrameDuration = 20 * time.Millisecond // FrameSamples at SampleRate
)

// Errors returned (wrapped) by encoders and decoders.
var (
	// ErrFrameSize: Encode was given a frame that is not FrameSamples long.
	ErrFrameSize = errors.New("pcm frame is not FrameSamples long")
	// ErrPacket: Decode was given a packet this codec cannot have produced.
	// The decoder state is unchanged; the caller should Conceal instead.
	ErrPacket = errors.New("malformed packet")
)

// Encoder compresses audio frames. An Encoder keeps state from frame to
// frame and is not safe for concurrent use; use one per outgoing stream.
type Encoder interface {
	// Encode compresses pcm, exactly one frame (FrameSamples samples at
	// SampleRate), appends the packet to dst and returns the extended
	// slice. It does not allocate when dst has room for the packet.
	Encode(dst []byte, pcm []int16) ([]byte, error)
}

// Decoder expands packets back into audio frames. A Decoder keeps state
// from frame to frame and is not safe for concurrent use; use one per
// incoming stream.
type Decoder interface {
	// Decode appends one frame (FrameSamples samples at SampleRate) decoded
	// from packet to dst and returns the extended slice. On error dst is
	// returned unchanged. It does not allocate when dst has room.
	Decode(dst []int16, packet []byte) ([]int16, error)
	// Conceal appends one plausible frame in place of a lost packet: it
	// continues the recent signal and fades it out over a few frames, then
	// stays silent. Decoding resumes without a click on the next Decode.
	Conceal(dst []int16) []int16
}

// Codec describes one registered codec.
type Codec struct {
	Name       string         // negotiated on the wire, e.g. "g722"
	NewEncoder func() Encoder // a fresh encoder in its initial state
	NewDecoder func() Decoder // a fresh decoder in its initial state
	Bitrate    int            // bits per second of encoded audio (Opus: where it starts)
	// Quiet says, from a packet alone, that its frame holds no speech
	// (the encoder's voice activity flag), so a jitter buffer may drop it
	// unheard. Nil: this codec's packets do not say (G.722).
	Quiet func(packet []byte) bool
}

// available lists the codecs built into this binary, most preferred first.
// There is no mutable registry.
func available() []Codec {
	return append(platformCodecs(), g722Codec())
}

// Lookup returns the codec registered under name.
func Lookup(name string) (Codec, bool) {
	for _, c := range available() {
		if c.Name == name {
			return c, true
		}
	}
	return Codec{}, false
}

// Names returns the names of the built-in codecs, most preferred first. The
// caller owns the returned slice.
func Names() []string {
	cs := available()
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return names
}

// Choose returns the codec to answer a call with: the first of offered
// (the caller's list, most preferred first) that this binary has. A caller
// that offers only "g722" gets G.722; so does an older callee without
// Opus, from a caller that offers ["opus", "g722"].
func Choose(offered []string) (Codec, bool) {
	for _, name := range offered {
		if c, ok := Lookup(name); ok {
			return c, true
		}
	}
	return Codec{}, false
}

// Opus settings of a call (RFC 6716, through github.com/thesyncim/gopus,
// pure Go): mono, 48 kHz, one 20 ms frame per packet, the VoIP application
// (speech, SILK or hybrid), VBR around OpusBitrate, in-band FEC on.
const (
	OpusBitrate    = 24000 // bit/s: where every call starts
	OpusMaxBitrate = 32000 // bit/s: the most an engine asks for, when the path allows (see media/call)
)

// PathAdapter is implemented by encoders that adapt to the network path
// (Opus). The call engine feeds it what the receiver reports.
type PathAdapter interface {
	// Adapt sets the target bitrate (bit/s) and the packet loss (percent,
	// 0–100) the encoder should expect, which sizes its in-band FEC.
	Adapt(bitrate, lossPercent int) error
}

// Recoverer is implemented by decoders whose packets carry a redundant
// copy of the frame before (Opus in-band FEC).
type Recoverer interface {
	// Recover appends the frame that precedes next, rebuilt from next's
	// redundancy, and reports true; if next carries none (or is
	// malformed) it appends a concealed frame and reports false. Either
	// way next itself is still to be decoded, with Decode, afterwards.
	Recover(dst []int16, next []byte) ([]int16, bool)
}
