//go:build js

package model

import (
	"errors"

	"parley/app/state"
	"parley/media/audio"
)

// MarkNoAudio tells the UI that calls are off: the browser build of
// media/audio has no backend (Open fails with ErrUnavailable).
func MarkNoAudio(m *Model) {
	if _, err := audio.Open(audio.Config{}); errors.Is(err, audio.ErrUnavailable) {
		m.update(func(st *state.State) { st.NoAudio = true })
	}
}
