// Package voice makes and plays voice messages: 48 kHz mono speech
// encoded as it is captured into Ogg Opus (github.com/thesyncim/gopus
// and its container/ogg: pure Go, so phones and the browser need no cgo),
// about 24 kbit/s, the VoIP application, 20 ms frames; decoded back to
// PCM, with the exact length the file declares; a waveform of up to
// Levels levels made at send time; and playback at 1×, 1.5× and 2×
// without a change of pitch (stretch.go).
//
// The recorder reads 20 ms frames from media/audio (any audio.Frames: a
// device, or the null backend and a virtual source in tests) and stops by
// itself at MaxDuration. The package does not know the network, the
// model or the UI.
package voice

import (
	"errors"
	"math"
	"time"
)

// The format and limits of a voice message.
const (
	SampleRate   = 48000
	FrameSamples = 960 // 20 ms
	Bitrate      = 24000
	// MaxDuration is the longest recording (proto.MaxVoiceMS): the
	// recorder stops by itself there.
	MaxDuration = 15 * time.Minute
	// Levels is the most levels a waveform has (proto.MaxWaveform).
	Levels = 100
	// Type is the media type of a voice message file.
	Type = "audio/ogg"

	maxSamples = int64(MaxDuration / time.Second * SampleRate)
)

// ErrFull: the recording reached MaxDuration; what was recorded is kept.
var ErrFull = errors.New("voice: a voice message is at most 15 minutes")

// Info is what a finished recording is sent with.
type Info struct {
	Duration time.Duration
	Samples  int64  // at 48 kHz
	Waveform []byte // levels 0–255, at most Levels
}

// SamplesToDuration converts a sample count at 48 kHz.
func SamplesToDuration(n int64) time.Duration {
	return time.Duration(n) * time.Second / SampleRate
}

// DurationToSamples converts a duration to a sample count at 48 kHz.
func DurationToSamples(d time.Duration) int64 {
	return int64(d) * SampleRate / int64(time.Second)
}

// Level is the loudness of some samples on a 0–1 scale: their RMS in
// dBFS mapped linearly from floorDB (0) to 0 dBFS (1). Speech at a normal
// distance from a microphone sits between 0.4 and 0.8; silence and hiss
// under 0.1. The live meter and the waveform use it.
func Level(pcm []int16) float64 {
	if len(pcm) == 0 {
		return 0
	}
	var sum float64
	for _, v := range pcm {
		f := float64(v)
		sum += f * f
	}
	rms := math.Sqrt(sum/float64(len(pcm))) / 32768
	if rms <= 0 {
		return 0
	}
	db := 20 * math.Log10(rms)
	return min(1, max(0, (db-floorDB)/-floorDB))
}

// floorDB is the level shown as nothing.
const floorDB = -60

// Waveform spreads per-frame levels (Level, 0–1) over at most Levels
// buckets of 0–255, each the loudest frame in it, so that a short word
// stays visible. Fewer frames than Levels give one level a frame.
func Waveform(frames []float64) []byte {
	n := min(len(frames), Levels)
	out := make([]byte, n)
	for i := range n {
		lo, hi := i*len(frames)/n, (i+1)*len(frames)/n
		var peak float64
		for _, l := range frames[lo:hi] {
			peak = max(peak, l)
		}
		out[i] = byte(math.Round(peak * 255))
	}
	return out
}
