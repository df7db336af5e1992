package call

import (
	"context"
	"math"

	"parley/media/audio"
	"parley/media/codec"
)

// Tone is a synthesised ring tone, endless and periodic: no audio files.
// A Tone is not safe for concurrent use.
type Tone struct {
	notes  []note
	period int // samples
	n      int // samples produced
}

type note struct {
	start, length int     // samples from the start of the period
	freq          float64 // Hz, fundamental
	decay         float64 // envelope time constant in seconds; 0: steady
}

const toneGain = 0.25 * 32767

// Ringtone is what the callee hears: a two-note chime (E5, C5) with
// bell-like harmonics and decay, every 3 s.
func Ringtone() *Tone {
	ms := func(d float64) int { return int(d * codec.SampleRate / 1000) }
	return &Tone{
		period: ms(3000),
		notes: []note{
			{start: 0, length: ms(450), freq: 659.25, decay: 0.18},
			{start: ms(450), length: ms(900), freq: 523.25, decay: 0.3},
			{start: ms(1500), length: ms(450), freq: 659.25, decay: 0.18},
		},
	}
}

// Ringback is what the caller hears while the other phone rings: 425 Hz
// for 1 s every 5 s (the ITU-T E.180 ringing tone).
func Ringback() *Tone {
	return &Tone{
		period: 5 * codec.SampleRate,
		notes:  []note{{start: 0, length: codec.SampleRate, freq: 425}},
	}
}

// Fill writes the next len(dst) samples of the tone.
func (t *Tone) Fill(dst []int16) {
	for i := range dst {
		pos := (t.n + i) % t.period
		var v float64
		for _, nt := range t.notes {
			k := pos - nt.start
			if k < 0 || k >= nt.length {
				continue
			}
			s := float64(k) / codec.SampleRate
			env := 1.0
			if nt.decay > 0 {
				env = math.Exp(-s / nt.decay)
			}
			// 5 ms fades at both ends: no clicks.
			env *= min(1, s/0.005, float64(nt.length-k)/codec.SampleRate/0.005)
			ph := 2 * math.Pi * nt.freq * s
			v += env * (math.Sin(ph) + 0.35*math.Sin(2*ph) + 0.15*math.Sin(3*ph)) / 1.5
		}
		dst[i] = int16(v * toneGain)
	}
	t.n = (t.n + len(dst)) % t.period
}

// Play plays the tone on out until ctx ends.
func (t *Tone) Play(ctx context.Context, out audio.Frames) error {
	frame := make([]int16, audio.FrameSamples)
	for {
		t.Fill(frame)
		if err := out.WriteFrame(ctx, frame); err != nil {
			return err
		}
	}
}
