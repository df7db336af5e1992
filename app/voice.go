package main

import (
	"context"

	"parley/ui"
)

// dispatchVoice performs the voice message events (ui/recorder.go,
// ui/voice.go), in a lane of their own so that a seek follows the play
// it needs; false if ev is not one.
func (win *window) dispatchVoice(ev ui.Event) bool {
	m := win.m
	switch ev := ev.(type) {
	case ui.StartRecording:
		win.perform("voice", "StartRecording", m.StartRecording)
	case ui.StopRecording:
		win.perform("voice", "StopRecording", func(ctx context.Context) error { return m.StopRecording(ctx, ev.Send) })
	case ui.PlayVoice:
		win.perform("voice", "PlayVoice", func(ctx context.Context) error { return m.PlayVoice(ctx, ev.Conv, ev.Seq) })
	case ui.PauseVoice:
		win.perform("voice", "PauseVoice", func(context.Context) error { m.PauseVoice(); return nil })
	case ui.SeekVoice:
		win.perform("voice", "SeekVoice", func(context.Context) error { m.SeekVoice(ev.Position); return nil })
	case ui.VoiceSpeed:
		m.SetVoiceSpeed(ev.Speed)           // quick: state and a flag
		speed := m.State().Voice.SpeedOr1() // as the model took it
		win.perform("prefs", "SaveVoiceSpeed", func(context.Context) error {
			p := win.prefs.load(win.log)
			p.VoiceSpeed = speed
			if speed == 1 {
				p.VoiceSpeed = 0
			}
			return win.prefs.save(p)
		})
	default:
		return false
	}
	return true
}
