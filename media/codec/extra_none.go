//go:build !(opus && cgo)

package codec

// extraCodecs returns the codecs that optional, build-tagged files add in
// front of G.722. This build has none; an Opus file built with
// `-tags opus` (and cgo) will provide its own extraCodecs instead.
func extraCodecs() []Codec { return nil }
