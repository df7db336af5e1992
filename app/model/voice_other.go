//go:build !js

package model

import (
	"context"
	"sync"
	"time"

	"parley/media/voice"
)

// deviceVoice plays a voice message on the chosen speaker through
// media/audio, decoding and time-stretching it in Go (media/voice).
type deviceVoice struct {
	m      *Model
	ctx    context.Context
	player *voice.Player

	mu      sync.Mutex
	cancel  context.CancelFunc // stops the current play
	done    chan struct{}      // closed when it stopped
	playing bool
}

func newVoiceOut(m *Model, ctx context.Context, data []byte) (voiceOut, error) {
	p, err := voice.NewPlayer(data)
	if err != nil {
		return nil, err
	}
	return &deviceVoice{m: m, ctx: ctx, player: p}, nil
}

func (d *deviceVoice) Play() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.playing {
		return nil
	}
	if d.player.Ended() {
		d.player.SeekTo(0)
	}
	_, output, _ := d.m.AudioChoice()
	ctx, cancel := context.WithCancel(d.ctx)
	st, err := d.m.openChosen(ctx, d.m.callAudio(), "", output, false)
	if err != nil {
		cancel()
		return err
	}
	done := make(chan struct{})
	d.cancel, d.done, d.playing = cancel, done, true
	go func() {
		defer close(done)
		err := d.player.Play(ctx, st)
		st.Close()
		d.mu.Lock()
		if d.done == done {
			d.playing = false
		}
		d.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			d.m.log.Info("a voice message stopped", "err", err)
		}
		if err == nil { // the end: back to the start, paused
			d.player.SeekTo(0)
		}
	}()
	return nil
}

func (d *deviceVoice) Pause() {
	d.mu.Lock()
	cancel, done := d.cancel, d.done
	d.playing = false
	d.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func (d *deviceVoice) SeekTo(pos time.Duration) { d.player.SeekTo(voice.DurationToSamples(pos)) }
func (d *deviceVoice) SetSpeed(speed float64)   { d.player.SetSpeed(speed) }
func (d *deviceVoice) Position() time.Duration {
	return voice.SamplesToDuration(d.player.Position())
}
func (d *deviceVoice) Length() time.Duration { return voice.SamplesToDuration(d.player.Length()) }
func (d *deviceVoice) Playing() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.playing
}
func (d *deviceVoice) Close() { d.Pause() }
