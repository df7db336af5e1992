//go:build !js

package model

// MarkNoAudio does nothing outside the browser: the sound devices are
// opened on the first call, and a failure shows on that call's bar.
func MarkNoAudio(*Model) {}
