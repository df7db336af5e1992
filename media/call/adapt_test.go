package call

import (
	"testing"

	"parley/media/codec"
)

func TestPathAdaptRaisesTheBitrateOnlyOnACleanPath(t *testing.T) {
	p := newPathAdapt()
	steps := []struct {
		loss     float64
		refused  bool
		bitrate  int
		expected int
	}{
		{0, false, codec.OpusBitrate, 0},
		{0, false, codec.OpusBitrate, 0},
		{0.005, false, codec.OpusBitrate, 1}, // still clean; the FEC covers it
		{0, false, codec.OpusBitrate, 1},     // 0.25 % remembered
		{0, false, codec.OpusMaxBitrate, 1},  // the fifth clean report in a row
		{0, false, codec.OpusMaxBitrate, 1},
		{0.02, false, codec.OpusMaxBitrate, 2}, // in between: hold
		{0.10, false, codec.OpusBitrate, 10},   // lossy: back at once, FEC for 10 %
		{0, false, codec.OpusBitrate, 5},       // the loss estimate halves per report
		{0, false, codec.OpusBitrate, 3},
		{0, false, codec.OpusBitrate, 2},
		{0, true, codec.OpusBitrate, 1}, // the carrier refused a packet: not clean
		{0, false, codec.OpusBitrate, 1},
		{0, false, codec.OpusBitrate, 1},
		{0, false, codec.OpusBitrate, 1},
		{0, false, codec.OpusBitrate, 1},
		{0, false, codec.OpusMaxBitrate, 1},
		{0, true, codec.OpusBitrate, 1},
	}
	for i, s := range steps {
		b, l := p.report(s.loss, s.refused)
		if b != s.bitrate || l != s.expected {
			t.Fatalf("report %d (loss %.3f, refused %v): bitrate %d, expected loss %d%%; want %d, %d%%", i, s.loss, s.refused, b, l, s.bitrate, s.expected)
		}
	}
}
