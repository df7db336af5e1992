package call

import (
	"math"

	"parley/media/codec"
)

// How the engine sizes an adaptive codec (Opus) from the loss the other
// party reports, once a second (proto.LossReport):
//
//   - Expected loss, which sizes the in-band FEC: the reported share of
//     frames missing at playout, smoothed so that it rises at once and
//     falls by half a report at a time, rounded up to a whole percent.
//   - Bitrate: codec.OpusMaxBitrate (32 kbit/s) while that smoothed loss
//     is 1 % or more and the sending carrier refused no packet since the
//     previous report; codec.OpusBitrate (24 kbit/s) otherwise, and at the
//     start. The FEC needs the room: at 24 kbit/s the encoder (libopus's
//     decide_fec, which gopus follows) codes FEC only above 5 % loss and
//     then narrows the audio band to make room, while at 32 kbit/s it
//     codes it for every frame of speech from 1 % on (measured in
//     media/codec: 0 against 100 of 100 speech frames at 3 %). A clean
//     path needs no FEC, and 24 kbit/s is as good as G.722 there. A
//     refused packet means the link is behind, where more bits would only
//     add loss.
const lossyShare = 0.01

// pathAdapt is the decision above; the send loop owns it.
type pathAdapt struct {
	loss    float64 // smoothed share of frames missing
	bitrate int
}

func newPathAdapt() pathAdapt { return pathAdapt{bitrate: codec.OpusBitrate} }

// report takes one loss report (the share missing, 0–1) and whether the
// carrier refused any packet since the last one, and returns the bitrate
// and the expected loss in percent to set.
func (p *pathAdapt) report(loss float64, refused bool) (bitrate, lossPercent int) {
	p.loss = max(loss, (p.loss+loss)/2)
	pct := min(100, int(math.Ceil(p.loss*100-1e-9)))
	p.bitrate = codec.OpusBitrate
	if p.loss >= lossyShare && !refused {
		p.bitrate = codec.OpusMaxBitrate
	}
	return p.bitrate, pct
}
