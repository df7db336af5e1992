//go:build !js

package codec

import (
	"fmt"
	"runtime"

	"github.com/thesyncim/gopus"
)

// opusMaxPacket bounds one encoded frame: 32 kbit/s VBR peaks well under
// 200 bytes; 1275 is Opus's own ceiling for one frame.
const opusMaxPacket = 1275

// platformCodecs: Opus, before G.722.
func platformCodecs() []Codec { return []Codec{opusCodec()} }

func opusCodec() Codec {
	return Codec{
		Name:       "opus",
		NewEncoder: func() Encoder { return mustOpusEncoder(opusComplexity(runtime.GOOS, runtime.GOARCH)) },
		NewDecoder: func() Decoder { return mustOpusDecoder() },
		Bitrate:    OpusBitrate,
		Quiet:      opusQuiet,
	}
}

// opusQuiet reads the voice activity flag that SILK puts in the first bit
// of a frame (RFC 6716 section 4.2.3; libopus reads it the same way in
// opus_packet_has_lbrr): clear means the encoder found no speech. Only a
// one-frame SILK or hybrid packet says; a CELT packet never counts as
// quiet.
func opusQuiet(p []byte) bool {
	if len(p) < 2 {
		return false
	}
	toc := gopus.ParseTOC(p[0])
	return toc.FrameCode == 0 && toc.Mode != gopus.ModeCELT && p[1]&0x80 == 0
}

// opusComplexity is the encoder complexity (0–10) for a platform: 9 on
// 64-bit desktops, 7 everywhere else. Measured with this encoder (best of
// several runs, docs/benchmarks.md): on amd64 complexity 5 and 7 cost the
// same (370 µs a frame), 9 costs 1.4× that and 10 1.7×; on 386 everything
// costs twice as much (730 µs at 5 and 7, 1.3 ms at 9). So 7 is the
// cheapest setting worth having (5 saves nothing), 9 is affordable where
// a core is fast and mains-powered, and phones (battery, heat), 32-bit
// CPUs and WebAssembly (no SIMD, one thread shared with the UI) keep 7.
func opusComplexity(goos, goarch string) int {
	switch {
	case goos == "android" || goos == "ios" || goos == "js":
		return 7
	case goarch == "amd64" || goarch == "arm64":
		return 9
	}
	return 7
}

// opusEncoder encodes 20 ms frames of 48 kHz mono.
type opusEncoder struct {
	enc *gopus.Encoder
	f   [FrameSamples]float32
}

func newOpusEncoder(complexity int) (*opusEncoder, error) {
	enc, err := gopus.NewEncoder(gopus.EncoderConfig{SampleRate: SampleRate, Channels: 1, Application: gopus.ApplicationVoIP})
	if err != nil {
		return nil, fmt.Errorf("opus encoder: %w", err)
	}
	for _, err := range []error{
		enc.SetFrameSize(FrameSamples),
		enc.SetBitrate(OpusBitrate),
		enc.SetBitrateMode(gopus.BitrateModeVBR),
		enc.SetSignal(gopus.SignalVoice),
		enc.SetComplexity(complexity),
		enc.SetInBandFEC(gopus.InBandFECEnabled),
		enc.SetPacketLoss(0),
	} {
		if err != nil {
			return nil, fmt.Errorf("opus encoder: %w", err)
		}
	}
	return &opusEncoder{enc: enc}, nil
}

// mustOpusEncoder builds an encoder from constant settings, which cannot
// fail unless the library changed.
func mustOpusEncoder(complexity int) *opusEncoder {
	e, err := newOpusEncoder(complexity)
	if err != nil {
		panic(err)
	}
	return e
}

func (e *opusEncoder) Encode(dst []byte, pcm []int16) ([]byte, error) {
	if len(pcm) != FrameSamples {
		return dst, fmt.Errorf("opus encode: %d samples: %w", len(pcm), ErrFrameSize)
	}
	for i, s := range pcm {
		e.f[i] = float32(s) / 32768
	}
	n := len(dst)
	dst = growLen(dst, opusMaxPacket)
	k, err := e.enc.Encode(e.f[:], dst[n:])
	if err != nil {
		return dst[:n], fmt.Errorf("opus encode: %w", err)
	}
	return dst[:n+k], nil
}

// Adapt implements PathAdapter.
func (e *opusEncoder) Adapt(bitrate, lossPercent int) error {
	if err := e.enc.SetBitrate(bitrate); err != nil {
		return fmt.Errorf("opus bitrate %d: %w", bitrate, err)
	}
	if err := e.enc.SetPacketLoss(min(max(lossPercent, 0), 100)); err != nil {
		return fmt.Errorf("opus expected loss %d%%: %w", lossPercent, err)
	}
	return nil
}

// opusDecoder decodes one 20 ms frame per packet, conceals, and recovers
// a lost frame from the next packet's FEC.
type opusDecoder struct {
	dec *gopus.Decoder
	f   [FrameSamples]float32
}

func mustOpusDecoder() *opusDecoder {
	// MaxPacketSamples of one frame: a packet of more than 20 ms is not
	// one this codec produces, and is refused rather than truncated.
	dec, err := gopus.NewDecoder(gopus.DecoderConfig{SampleRate: SampleRate, Channels: 1, MaxPacketSamples: FrameSamples, MaxPacketBytes: opusMaxPacket})
	if err != nil {
		panic(fmt.Errorf("opus decoder: %w", err))
	}
	return &opusDecoder{dec: dec}
}

func (d *opusDecoder) Decode(dst []int16, packet []byte) ([]int16, error) {
	if len(packet) == 0 {
		return dst, fmt.Errorf("opus decode: empty packet: %w", ErrPacket)
	}
	if opusPacketSamples(packet) != FrameSamples {
		return dst, fmt.Errorf("opus decode: not 20 ms of audio: %w", ErrPacket)
	}
	n, err := d.dec.Decode(packet, d.f[:])
	if err != nil || n != FrameSamples {
		return dst, fmt.Errorf("opus decode: %v: %w", err, ErrPacket)
	}
	return appendPCM(dst, d.f[:]), nil
}

func (d *opusDecoder) Conceal(dst []int16) []int16 {
	if n, err := d.dec.Decode(nil, d.f[:]); err != nil || n != FrameSamples {
		clear(d.f[:]) // nothing decoded yet: nothing to continue
	}
	return appendPCM(dst, d.f[:])
}

// Recover implements Recoverer.
func (d *opusDecoder) Recover(dst []int16, next []byte) ([]int16, bool) {
	if !gopus.PacketHasLBRR(next) {
		return d.Conceal(dst), false
	}
	if n, err := d.dec.DecodeWithFEC(next, d.f[:], true); err != nil || n != FrameSamples {
		return d.Conceal(dst), false
	}
	return appendPCM(dst, d.f[:]), true
}

// opusPacketSamples is the duration at 48 kHz that an Opus packet's TOC
// byte (and frame count byte) announce, or -1 (RFC 6716 section 3.1).
func opusPacketSamples(p []byte) int {
	if len(p) == 0 {
		return -1
	}
	toc := gopus.ParseTOC(p[0])
	switch toc.FrameCode {
	case 0:
		return toc.FrameSize
	case 1, 2:
		return 2 * toc.FrameSize
	}
	if len(p) < 2 {
		return -1
	}
	return int(p[1]&0x3f) * toc.FrameSize
}

// appendPCM appends f (full scale ±1) as 16-bit samples, clipping.
func appendPCM(dst []int16, f []float32) []int16 {
	for _, v := range f {
		s := v * 32768
		switch {
		case s >= 32767:
			dst = append(dst, 32767)
		case s <= -32768:
			dst = append(dst, -32768)
		default:
			dst = append(dst, int16(s+0.5*sign(s)))
		}
	}
	return dst
}

func sign(x float32) float32 {
	if x < 0 {
		return -1
	}
	return 1
}

// growLen extends b by n bytes of room (contents unspecified), reusing its
// capacity when it can.
func growLen(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), len(b)+n)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}
