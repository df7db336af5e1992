package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"regexp"
	"testing"
	"time"

	"parley/media/voice"
	"parley/net/proto"
	"parley/net/transfer"
	"parley/ui/uitest"
)

// voicePosition is the bubble's clock while it plays: "0:01 / 0:03".
var voicePosition = regexp.MustCompile(`^0:0([1-3]) / 0:03$`)

// A voice message from a Go client plays in the browser app, through the
// browser's own audio (an <audio> element on the Ogg Opus file; there is
// no audio backend in the browser build): Play turns into Pause and the
// clock moves on, which it does only while the browser decodes and plays
// the file; at the end it stops by itself.
func TestBrowserAppPlaysAVoiceMessage(t *testing.T) {
	srv, b := startWeb(t)
	b.signUp()
	group := b.createGroup()
	tom := srv.NewUser(t, "Tom")
	ctx := ctxFor(t, 60*time.Second)
	if _, err := tom.Conn.JoinGroup(ctx, proto.ConvID(group)); err != nil {
		t.Fatal(err)
	}
	// Three seconds of a 300 Hz tone, as the app's recorder encodes it.
	var ogg bytes.Buffer
	enc, err := voice.NewEncoder(&ogg)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, 3*voice.SampleRate)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*300*float64(i)/voice.SampleRate))
	}
	if _, err := enc.Write(pcm); err != nil {
		t.Fatal(err)
	}
	info, err := enc.Close()
	if err != nil {
		t.Fatal(err)
	}
	c, err := transfer.New(srv.HTTPURL, func() string { return tom.Token }, transfer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(ogg.Bytes())
	m, err := c.Upload(ctx, &transfer.Upload{
		Source: bytes.NewReader(ogg.Bytes()), Name: "voice.ogg", Type: "audio/ogg", Conv: proto.ConvID(group),
		Voice: &proto.Voice{DurationMS: info.Duration.Milliseconds(), Waveform: info.Waveform},
		Size:  int64(ogg.Len()), SHA256: hex.EncodeToString(sum[:]),
	}, transfer.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if m.File == nil || m.File.Voice == nil {
		t.Fatalf("the server took the recording as %+v, want a voice message", m.File)
	}

	b.click("学习小组 Study Group")
	b.see("Play")
	b.click("Play")
	b.see("Pause")
	b.until("the clock moving while it plays", func(sc uitest.Screen) bool {
		for _, s := range sc.Texts() {
			if voicePosition.MatchString(s) && s != "0:00 / 0:03" {
				return true
			}
		}
		return false
	})
	b.see("Play") // the end: paused again
}
