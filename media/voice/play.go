package voice

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"parley/media/audio"
)

// Player plays a voice message held in memory (at most 15 minutes of 24
// kbit/s: under 3 MB) on an audio.Frames, at a speed, from a position.
// Its methods are safe for concurrent use: the UI seeks and changes
// speed while Play runs.
type Player struct {
	data   []byte
	length int64 // samples

	mu      sync.Mutex
	dec     *Decoder
	st      *Stretch
	speed   float64
	pos     int64 // the sample playing now
	seek    int64 // a seek asked for; -1 none
	decDone bool
	buf     []int16
}

// NewPlayer reads a voice message (any Ogg Opus file).
func NewPlayer(data []byte) (*Player, error) {
	n, err := Length(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	p := &Player{data: data, length: n, speed: 1, seek: -1}
	if err := p.restart(0); err != nil {
		return nil, err
	}
	return p, nil
}

// Length is the message's length in samples.
func (p *Player) Length() int64 { return p.length }

// Position is the sample playing now.
func (p *Player) Position() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seek >= 0 {
		return p.seek
	}
	return p.pos
}

// SetSpeed changes the speed (1, 1.5 or 2) from the next 10 ms on.
func (p *Player) SetSpeed(speed float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.speed = speed
	p.st.SetSpeed(speed)
}

// SeekTo moves to sample pos (clamped to the message).
func (p *Player) SeekTo(pos int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seek = min(max(pos, 0), p.length)
}

// Ended says the position reached the end.
func (p *Player) Ended() bool { return p.Position() >= p.length }

func (p *Player) restart(pos int64) error {
	if p.dec == nil {
		d, err := NewDecoder(bytes.NewReader(p.data))
		if err != nil {
			return err
		}
		p.dec = d
	}
	if pos > 0 || p.dec.Position() != 0 {
		if err := p.dec.SeekSample(pos); err != nil {
			return err
		}
	}
	p.st = NewStretch(pos, p.speed)
	p.pos, p.decDone = pos, false
	return nil
}

// Next fills frame with the next output samples and returns false once
// the message ended (frame is then silence past the end). Play calls it;
// tests may call it directly to render without a clock.
func (p *Player) Next(frame []int16) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seek >= 0 {
		if err := p.restart(p.seek); err != nil {
			return false, err
		}
		p.seek = -1
	}
	if p.pos >= p.length {
		clear(frame)
		return false, nil
	}
	if p.buf == nil {
		p.buf = make([]int16, FrameSamples)
	}
	buf := p.buf
	for p.st.Available() < len(frame) && !p.decDone {
		n, err := p.dec.Read(buf)
		p.st.Push(buf[:n])
		if errors.Is(err, io.EOF) {
			p.decDone = true
			p.st.End()
		} else if err != nil {
			return false, err
		}
	}
	n := p.st.Pull(frame)
	clear(frame[n:])
	p.pos = min(p.length, p.st.Position())
	return true, nil
}

// Play plays on out from the current position until the end (nil, and
// the position is the length) or ctx ends (a pause: ctx's error, and the
// position stays where the sound stopped).
func (p *Player) Play(ctx context.Context, out audio.Frames) error {
	frame := make([]int16, audio.FrameSamples)
	for {
		more, err := p.Next(frame)
		if err != nil {
			return fmt.Errorf("voice: play: %w", err)
		}
		if !more {
			return nil
		}
		if err := out.WriteFrame(ctx, frame); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("voice: play: %w", err)
		}
	}
}
