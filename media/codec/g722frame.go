package codec

import (
	"fmt"
	"slices"
)

// g722PacketBytes is one 20 ms frame at 64 kbit/s: 320 samples at 16 kHz,
// one byte per pair.
const g722PacketBytes = wideSamples / 2

// g722Codec is G.722 at 64 kbit/s wrapped for 48 kHz frames.
func g722Codec() Codec {
	return Codec{
		Name:       "g722",
		NewEncoder: func() Encoder { return newG722FrameEncoder() },
		NewDecoder: func() Decoder { return newG722FrameDecoder() },
		Bitrate:    g722PacketBytes * 8 * SampleRate / FrameSamples,
	}
}

// g722FrameEncoder decimates a 48 kHz frame to 16 kHz and encodes it.
type g722FrameEncoder struct {
	down decimator
	core g722Encoder
	wide [wideSamples]int16
}

func newG722FrameEncoder() *g722FrameEncoder {
	e := &g722FrameEncoder{core: newG722Encoder()}
	e.down.init()
	return e
}

func (e *g722FrameEncoder) Encode(dst []byte, pcm []int16) ([]byte, error) {
	if len(pcm) != FrameSamples {
		return dst, fmt.Errorf("g722 encode: %d samples: %w", len(pcm), ErrFrameSize)
	}
	e.down.process(e.wide[:], pcm)
	return e.core.encode(slices.Grow(dst, g722PacketBytes), e.wide[:]), nil
}

// g722FrameDecoder decodes a packet at 16 kHz and interpolates it to 48 kHz,
// or conceals a lost one.
type g722FrameDecoder struct {
	core g722Decoder
	up   interpolator
	plc  concealer
	wide [wideSamples]int16
}

func newG722FrameDecoder() *g722FrameDecoder {
	d := &g722FrameDecoder{core: newG722Decoder()}
	d.up.init()
	return d
}

func (d *g722FrameDecoder) Decode(dst []int16, packet []byte) ([]int16, error) {
	if len(packet) != g722PacketBytes {
		return dst, fmt.Errorf("g722 decode: %d bytes, want %d: %w", len(packet), g722PacketBytes, ErrPacket)
	}
	d.plc.resume(&d.core)
	d.core.decode(d.wide[:0], packet)
	d.plc.received(d.wide[:])
	return d.up.process(dst, d.wide[:]), nil
}

// Conceal decodes codes that the concealer synthesises from the recent
// output, so the decoder's ADPCM and QMF state follow what is played and
// the next real packet continues from a consistent state.
func (d *g722FrameDecoder) Conceal(dst []int16) []int16 {
	d.core.decode(d.wide[:0], d.plc.next(&d.core))
	d.plc.remember(d.wide[:])
	return d.up.process(dst, d.wide[:])
}
