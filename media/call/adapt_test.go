package call

import (
	"testing"

	"parley/media/codec"
)

func TestPathAdaptGivesTheFECRoomOnALossyPathThatKeepsUp(t *testing.T) {
	p := newPathAdapt()
	const lo, hi = codec.OpusBitrate, codec.OpusMaxBitrate
	steps := []struct {
		loss     float64
		refused  bool
		bitrate  int
		expected int
	}{
		{0, false, lo, 0}, // clean: no FEC, 24 kbit/s
		{0, false, lo, 0},
		{0.005, false, lo, 1}, // half a percent: a little FEC, no more bits
		{0.03, false, hi, 3},  // lossy: FEC for 3 %, with room
		{0.10, false, hi, 10},
		{0, false, hi, 5}, // the estimate halves per report
		{0, false, hi, 3},
		{0.10, true, lo, 10}, // the carrier refused a packet: the link is behind
		{0.10, false, hi, 10},
		{0, false, hi, 5},
		{0, false, hi, 3},
		{0, false, hi, 2},     // 1.25 %
		{0, false, lo, 1},     // 0.6 %
		{0.40, false, hi, 40}, // rises at once
	}
	for i, s := range steps {
		b, l := p.report(s.loss, s.refused)
		if b != s.bitrate || l != s.expected {
			t.Fatalf("report %d (loss %.3f, refused %v): bitrate %d, expected loss %d%%; want %d, %d%%", i, s.loss, s.refused, b, l, s.bitrate, s.expected)
		}
	}
}
