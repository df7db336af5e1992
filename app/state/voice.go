package state

import (
	"time"

	"parley/net/proto"
)

// Voice is the state of voice messages (app/model/voice.go): the
// recorder, the message being played, and which were played.
type Voice struct {
	// Recording is the voice message being recorded; nil if none.
	Recording *Recording
	// Playing is the voice message being played or paused; nil if none.
	Playing *Playback
	// Played holds the file IDs of the voice messages played on this
	// device (kept in the store): another's voice message not here is
	// unplayed.
	Played map[string]bool
	// Speed is the playback speed chosen last: 1, 1.5 or 2.
	Speed float64
}

// Recording is a voice message being recorded.
type Recording struct {
	Conv    proto.ConvID // where it goes
	Elapsed time.Duration
	Level   float64 // the microphone's level now, 0–1
	// Full says the recording reached 15 minutes and stopped by itself:
	// it waits to be sent or discarded.
	Full bool
}

// Playback is the voice message being played or paused.
type Playback struct {
	Conv   proto.ConvID
	Seq    int64
	FileID string
	// Loading is set while the file is fetched (it is then cached, and
	// plays offline).
	Loading  bool
	Playing  bool // false: paused (or stopped at the end, Position 0)
	Position time.Duration
	Length   time.Duration
}

// Unplayed says m is someone else's voice message not yet played on
// this device.
func (v Voice) Unplayed(m Message) bool {
	return !m.Mine && IsVoice(m.File) && !v.Played[m.File.ID]
}

// IsVoice says f is a voice message: it carries a voice, or it was
// uploaded as one (type audio/ogg, which Parley's apps give only to voice
// messages; the server checks the voice of such an upload).
func IsVoice(f *proto.File) bool {
	return f != nil && (f.Voice != nil || f.Type == "audio/ogg")
}

// SpeedOr1 is Speed, 1 when not chosen.
func (v Voice) SpeedOr1() float64 {
	if v.Speed == 0 {
		return 1
	}
	return v.Speed
}

// Details of voice messages' bad-input errors (Notice.Detail).
const (
	InputNoMicrophone = "no_microphone" // no microphone to record with here (the browser app). Args: why
	InputNotVoice     = "not_voice"     // the message is not a voice message
)
