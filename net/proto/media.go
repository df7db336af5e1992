package proto

// Pictures, voice messages and a conversation's media (docs/protocol.md,
// "Pictures, voice messages and media"): what a file message carries
// beyond its name and size, and the media request that pages through a
// conversation's files by kind.

const TypeMedia = "media" // page through a conversation's pictures, files or voice messages

// Image is what the server found in a picture it could decode: its size
// as shown (after the EXIF orientation) and its two thumbnails, each a
// file ID downloaded like the file itself (GET /v1/files/{id}), by
// whoever may download the file. A client reserves Width:Height of room
// before any byte arrives.
type Image struct {
	Width  int    `json:"width"`  // pixels, as shown
	Height int    `json:"height"` // pixels, as shown
	Small  string `json:"small"`  // thumbnail about ThumbSmall pixels on the long side (never up)
	Large  string `json:"large"`  // thumbnail about ThumbLarge pixels on the long side (never up)
}

// Thumbnail sizes: the long side, in pixels. A picture smaller than a size
// gets a thumbnail of its own size (never scaled up).
const (
	ThumbSmall = 320
	ThumbLarge = 1280
)

// Voice describes a voice message: Ogg Opus audio ("audio/ogg"), its
// length and a waveform made at send time, so a client draws the message
// before downloading it.
type Voice struct {
	DurationMS int64  `json:"duration_ms"` // at most MaxVoiceMS
	Waveform   []byte `json:"waveform"`    // levels 0–255 spread over the duration, at most MaxWaveform (base64 in JSON)
}

// Voice message limits.
const (
	MaxVoiceMS  = 15 * 60 * 1000 // 15 minutes
	MaxWaveform = 100            // levels in a waveform
)

// Kinds of media in a MediaRequest.
const (
	MediaPictures = "pictures" // file messages with an Image
	MediaVoice    = "voice"    // file messages with a Voice
	MediaFiles    = "files"    // every other file message
)

// MediaRequest pages through a conversation's file messages of one kind,
// newest first: those before seq Before (0: the newest).
type MediaRequest struct {
	Conv   ConvID `json:"conv"`
	Kind   string `json:"kind"`
	Before int64  `json:"before,omitempty"`
	Limit  int    `json:"limit,omitempty"` // default 50, at most MaxHistoryLimit
}

// MediaReply holds file messages in descending seq order; More says that
// older ones exist.
type MediaReply struct {
	Messages []Message `json:"messages"`
	More     bool      `json:"more"`
}
