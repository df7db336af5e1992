//go:build js

package model

import (
	"errors"
	"syscall/js"

	"parley/app/state"
	"parley/media/audio"
)

// MarkNoAudio tells the UI that the app's own sound is off: the browser
// build of media/audio has no backend (Open fails with ErrUnavailable).
// Calls go through the browser's WebRTC where it has one (calls_js.go).
func MarkNoAudio(m *Model) {
	if _, err := audio.Open(audio.Config{}); errors.Is(err, audio.ErrUnavailable) {
		web := js.Global().Get("RTCPeerConnection").Truthy()
		m.update(func(st *state.State) { st.NoAudio, st.WebCalls = true, web })
	}
}
