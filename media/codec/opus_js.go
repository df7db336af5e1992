//go:build js

package codec

// platformCodecs is empty in the browser: the browser app makes no calls
// today, and browser calls (#17) will use the browser's own Opus through
// RTCPeerConnection, so the pure-Go codec (about 1 MB of the gzipped
// wasm file) stays out of it.
func platformCodecs() []Codec { return nil }
