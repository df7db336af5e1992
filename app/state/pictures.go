package state

import "image"

// Thumbs are decoded pictures by file ID: the thumbnails of picture
// messages the UI asked for (Model.WantThumb) and the full-size pictures
// opened in the viewer (Model.ViewFull), within the model's memory bound
// (the least recently asked for go first; the UI asks again when it needs
// one). The map is replaced, never changed.
type Thumbs map[string]image.Image

// ThumbsFailed are the file IDs whose thumbnail or full picture could not
// be fetched or decoded: the UI shows the file's card (name, size, Save)
// instead, or keeps the large thumbnail in the viewer. They are tried
// again once the connection comes back. The map is replaced, never
// changed.
type ThumbsFailed map[string]bool

// Picked are files picked to send together, at least one a picture: the
// preview shows them with a caption field before they go
// (Model.SendPicked, Model.CancelPicked).
type Picked struct {
	ID     uint64 // counts the picks: a new pick is a new preview
	Target string // "" for the open conversation, else a user ID
	Conv   int64  // the open conversation when picked (0 for a user ID)
	Files  []PickedFile
}

// PickedFile is one of the files picked: a picture has a Preview (at most
// about 320 px on the long side) and its size in pixels.
type PickedFile struct {
	Name          string
	Size          int64 // bytes; 0 if unknown
	Preview       image.Image
	Width, Height int
}
