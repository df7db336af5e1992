package state

import (
	"image"

	"parley/net/proto"
)

// MediaPanel is the "Files and media" panel of a conversation (the
// model's OpenMedia): one kind of its file messages at a time (a tab),
// paged from the server newest first. Offline, or if the server does not
// answer, it lists what this device's cache holds and says so (Local).
type MediaPanel struct {
	Conv proto.ConvID
	// Kind is the tab shown: proto.MediaPictures, MediaFiles or
	// MediaVoice.
	Kind string
	// Items are the file messages of that kind, newest first.
	Items []Message
	// More says that older ones exist: the model's MoreMedia loads the
	// next page.
	More bool
	// Loading is set while a page is asked for.
	Loading bool
	// Local says that Items are only what this device's cache holds
	// (offline, or the server refused the request): older files may
	// exist that this device never downloaded.
	Local bool
	// Thumbs are the pictures' small thumbnails, decoded, by thumbnail
	// file ID (proto.Image.Small); a picture whose thumbnail is not here
	// yet shows a placeholder of its size. The map is replaced, never
	// changed.
	Thumbs map[string]image.Image
}
