//go:build !js

package codec

import (
	"fmt"
	"testing"
)

// The Opus benchmarks run over 2 s of the talker (100 different frames,
// pauses included) rather than one frame over and over, since SILK's cost
// depends on the signal; the expected loss is 10 %, so FEC is coded.

// BenchmarkOpusEncode measures one 20 ms frame at each complexity the
// platforms get (opusComplexity) and at 10.
func BenchmarkOpusEncode(b *testing.B) {
	in := talk(100)
	for _, cx := range []int{5, 7, 9, 10} {
		b.Run(fmt.Sprintf("complexity=%d", cx), func(b *testing.B) {
			enc, err := newOpusEncoder(cx)
			if err != nil {
				b.Fatal(err)
			}
			if err := enc.Adapt(OpusBitrate, 10); err != nil {
				b.Fatal(err)
			}
			pkt := make([]byte, 0, opusMaxPacket)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				pkt, _ = enc.Encode(pkt[:0], frame(in, i%100))
			}
			reportCore(b)
		})
	}
}

// opusPackets is 2 s of the talker encoded with FEC.
func opusPackets(b *testing.B) [][]byte {
	enc := mustOpusEncoder(9)
	if err := enc.Adapt(OpusBitrate, 10); err != nil {
		b.Fatal(err)
	}
	return encodeAll(b, enc, talk(100))
}

func BenchmarkOpusDecode(b *testing.B) {
	packets := opusPackets(b)
	dec := mustOpusDecoder()
	out := make([]int16, 0, FrameSamples)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		out, _ = dec.Decode(out[:0], packets[i%len(packets)])
	}
	reportCore(b)
}

// BenchmarkOpusConceal and BenchmarkOpusRecover measure a lost frame
// (every other one), concealed or rebuilt from the next packet's FEC,
// with the decode of the packet between: per pair of frames.
func BenchmarkOpusConceal(b *testing.B) {
	packets := opusPackets(b)
	dec := mustOpusDecoder()
	out := make([]int16, 0, FrameSamples)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		out = dec.Conceal(out[:0])
		out, _ = dec.Decode(out[:0], packets[(2*i+1)%len(packets)])
	}
	reportCore(b)
}

func BenchmarkOpusRecover(b *testing.B) {
	packets := opusPackets(b)
	dec := mustOpusDecoder()
	out := make([]int16, 0, FrameSamples)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := packets[(2*i+1)%len(packets)]
		out, _ = dec.Recover(out[:0], p)
		out, _ = dec.Decode(out[:0], p)
	}
	reportCore(b)
}
