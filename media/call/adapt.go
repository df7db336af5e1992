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
//   - Bitrate: a call starts at codec.OpusBitrate (24 kbit/s) and goes to
//     codec.OpusMaxBitrate (32 kbit/s) once the path has shown it carries
//     that: cleanReports reports in a row (5 s) with under 1 % missing and
//     no packet refused by the carrier (its queue full: the link is
//     behind). A report of 3 % or more, or a refused packet, brings it
//     back to 24 kbit/s at once, since on a congested link more bits make
//     the loss worse.
const (
	cleanLoss    = 0.01
	lossyLoss    = 0.03
	cleanReports = 5
)

// pathAdapt is the decision above; the send loop owns it.
type pathAdapt struct {
	loss    float64 // smoothed share of frames missing
	clean   int     // consecutive clean reports
	bitrate int
}

func newPathAdapt() pathAdapt { return pathAdapt{bitrate: codec.OpusBitrate} }

// report takes one loss report (the share missing, 0–1) and whether the
// carrier refused any packet since the last one, and returns the bitrate
// and the expected loss in percent to set.
func (p *pathAdapt) report(loss float64, refused bool) (bitrate, lossPercent int) {
	p.loss = max(loss, (p.loss+loss)/2)
	switch {
	case refused || loss >= lossyLoss:
		p.clean = 0
		p.bitrate = codec.OpusBitrate
	case loss < cleanLoss:
		if p.clean++; p.clean >= cleanReports {
			p.bitrate = codec.OpusMaxBitrate
		}
	default: // between: hold
		p.clean = 0
	}
	return p.bitrate, min(100, int(math.Ceil(p.loss*100-1e-9)))
}
