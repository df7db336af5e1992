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
