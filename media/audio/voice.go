//go:build cgo && !js

package audio

import "github.com/gen2brain/malgo"

// What a call asks of each platform's audio stack, beyond miniaudio's
// defaults. The choice is a pure function of GOOS, so every platform's
// settings are tested here, on Linux.

// voiceContext returns the backend configuration for goos.
//
// iOS: one shared audio session for the app. Play-and-record lets the
// microphone and the speaker run together; DefaultToSpeaker sends the
// sound to the loudspeaker rather than the earpiece (a call is held in
// front of the user, not against the ear); AllowBluetooth lets a
// Bluetooth headset (HFP) be both microphone and speaker. miniaudio's
// own default also picks play-and-record, but only by trial and error
// and without Bluetooth; naming it makes a refusal an error at Open.
func voiceContext(goos string) malgo.ContextConfig {
	var c malgo.ContextConfig
	if goos == "ios" {
		c.CoreAudio.SessionCategory = malgo.IOSSessionCategoryPlayAndRecord
		c.CoreAudio.SessionCategoryOptions = malgo.IOSSessionCategoryOptionDefaultToSpeaker |
			malgo.IOSSessionCategoryOptionAllowBluetooth
	}
	return c
}

// voiceDevice adjusts a device configuration for goos.
//
// Android (AAudio, Android 9 and later): the voice-communication input
// preset turns on the platform's echo canceller, noise suppressor and
// gain control for the microphone, and the speech content type tells the
// mixer what it plays. The usage stays miniaudio's default (media), so
// the sound comes out of the loudspeaker as on iOS; a voice-communication
// usage would route it to the earpiece. OpenSL ES, miniaudio's fallback
// before Android 8.1, ignores these fields.
func voiceDevice(goos string, dc *malgo.DeviceConfig) {
	if goos == "android" {
		dc.AAudio.InputPreset = malgo.AAudioInputPresetVoiceCommunication
		dc.AAudio.ContentType = malgo.AAudioContentTypeSpeech
	}
}
