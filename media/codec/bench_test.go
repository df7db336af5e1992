package codec

import (
	"testing"
	"time"
)

func TestEncodeDecodeConcealDoNotAllocate(t *testing.T) {
	c := g722(t)
	enc, dec := c.NewEncoder(), c.NewDecoder()
	pcm := speechLike(FrameSamples, SampleRate)
	pkt, err := enc.Encode(make([]byte, 0, 160), pcm)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, 0, FrameSamples)
	for _, step := range []struct {
		name string
		run  func()
	}{
		{"Encode", func() { pkt, _ = enc.Encode(pkt[:0], pcm) }},
		{"Decode", func() { out, _ = dec.Decode(out[:0], pkt) }},
		{"Conceal", func() { out = dec.Conceal(out[:0]) }},
	} {
		if n := testing.AllocsPerRun(50, step.run); n != 0 {
			t.Errorf("%s allocates %.0f times per frame, want 0", step.name, n)
		}
	}
}

// reportCore adds the share of one CPU core that this per-frame work takes
// in a real-time stream (one frame every 20 ms).
func reportCore(b *testing.B) {
	perFrame := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(100*float64(perFrame)/float64(FrameDuration), "%core")
}

func BenchmarkEncode(b *testing.B) {
	enc := g722(b).NewEncoder()
	pcm := speechLike(FrameSamples, SampleRate)
	pkt := make([]byte, 0, 160)
	b.ReportAllocs()
	for b.Loop() {
		pkt, _ = enc.Encode(pkt[:0], pcm)
	}
	reportCore(b)
}

func BenchmarkDecode(b *testing.B) {
	c := g722(b)
	pkt, _ := c.NewEncoder().Encode(nil, speechLike(FrameSamples, SampleRate))
	dec := c.NewDecoder()
	out := make([]int16, 0, FrameSamples)
	b.ReportAllocs()
	for b.Loop() {
		out, _ = dec.Decode(out[:0], pkt)
	}
	reportCore(b)
}

// BenchmarkConceal measures the first frame of a loss (pitch search
// included), the most expensive one.
func BenchmarkConceal(b *testing.B) {
	c := g722(b)
	pkt, _ := c.NewEncoder().Encode(nil, speechLike(FrameSamples, SampleRate))
	dec := c.NewDecoder()
	out := make([]int16, 0, FrameSamples)
	b.ReportAllocs()
	for b.Loop() {
		out, _ = dec.Decode(out[:0], pkt)
		out = dec.Conceal(out[:0])
	}
	reportCore(b)
}

// BenchmarkCall is one direction-pair of a call per frame: encode what the
// microphone captured and decode what the other side sent.
func BenchmarkCall(b *testing.B) {
	c := g722(b)
	enc, dec := c.NewEncoder(), c.NewDecoder()
	pcm := speechLike(FrameSamples, SampleRate)
	pkt := make([]byte, 0, 160)
	out := make([]int16, 0, FrameSamples)
	b.ReportAllocs()
	for b.Loop() {
		pkt, _ = enc.Encode(pkt[:0], pcm)
		out, _ = dec.Decode(out[:0], pkt)
	}
	reportCore(b)
}
