//go:build cgo && !js

package audio

import (
	"testing"

	"github.com/gen2brain/malgo"
)

func TestAndroidCaptureCancelsEcho(t *testing.T) {
	dc := malgo.DefaultDeviceConfig(malgo.Duplex)
	voiceDevice("android", &dc)
	if dc.AAudio.InputPreset != malgo.AAudioInputPresetVoiceCommunication {
		t.Errorf("AAudio input preset %d, want voice communication (%d): the platform's echo canceller stays off otherwise",
			dc.AAudio.InputPreset, malgo.AAudioInputPresetVoiceCommunication)
	}
	if dc.AAudio.ContentType != malgo.AAudioContentTypeSpeech {
		t.Errorf("AAudio content type %d, want speech", dc.AAudio.ContentType)
	}
	if dc.AAudio.Usage != malgo.AAudioUsageDefault {
		t.Errorf("AAudio usage %d: a call must play on the loudspeaker, not route to the earpiece", dc.AAudio.Usage)
	}
}

func TestIOSSessionRecordsAndPlaysOnTheSpeaker(t *testing.T) {
	c := voiceContext("ios").CoreAudio
	if c.SessionCategory != malgo.IOSSessionCategoryPlayAndRecord {
		t.Errorf("session category %d, want play-and-record", c.SessionCategory)
	}
	for _, want := range []struct {
		name string
		bit  malgo.IOSSessionCategoryOptions
	}{
		{"default to speaker", malgo.IOSSessionCategoryOptionDefaultToSpeaker},
		{"allow Bluetooth", malgo.IOSSessionCategoryOptionAllowBluetooth},
	} {
		if c.SessionCategoryOptions&want.bit == 0 {
			t.Errorf("session options %#x lack %s", c.SessionCategoryOptions, want.name)
		}
	}
	if c.SessionCategoryOptions&malgo.IOSSessionCategoryOptionMixWithOthers != 0 {
		t.Errorf("session options %#x mix a call with other apps' sound", c.SessionCategoryOptions)
	}
}

func TestDesktopsKeepMiniaudioDefaults(t *testing.T) {
	// darwin is macOS, which has no audio session: iOS's must not leak there.
	for _, goos := range []string{"linux", "windows", "darwin", "freebsd"} {
		if c := voiceContext(goos); c != (malgo.ContextConfig{}) {
			t.Errorf("%s: context config %+v, want miniaudio's defaults", goos, c)
		}
		dc := malgo.DefaultDeviceConfig(malgo.Duplex)
		want := dc
		voiceDevice(goos, &dc)
		if dc != want {
			t.Errorf("%s: device config changed to %+v", goos, dc)
		}
	}
}
