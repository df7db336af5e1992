//go:build js

package main

import (
	"errors"

	"parley/app/state"
	"parley/media/audio"
)

// markNoAudio tells the UI that calls are off: the browser build of
// media/audio has no backend (Open fails with ErrUnavailable).
func markNoAudio(m *Model) {
	if _, err := audio.Open(audio.Config{}); errors.Is(err, audio.ErrUnavailable) {
		m.update(func(st *state.State) { st.NoAudio = true })
	}
}
