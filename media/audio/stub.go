//go:build !cgo || js

package audio

import "context"

// System is an audio backend. This build has none (no cgo, or the
// browser): Open fails with ErrUnavailable, and calls run on Virtual.
type System struct{}

// Open fails: this build has no audio backend.
func Open(Config) (*System, error) { return nil, ErrUnavailable }

// Close does nothing.
func (s *System) Close() error { return nil }

// Devices lists nothing.
func (s *System) Devices() (inputs, outputs []Device, err error) { return nil, nil, ErrUnavailable }

// Stream is never opened in this build.
type Stream struct{}

// OpenStream fails: this build has no audio backend.
func (s *System) OpenStream(context.Context, string, string, bool) (*Stream, error) {
	return nil, ErrUnavailable
}

// ReadFrame implements Frames.
func (st *Stream) ReadFrame(context.Context, []int16) error { return ErrClosed }

// WriteFrame implements Frames.
func (st *Stream) WriteFrame(context.Context, []int16) error { return ErrClosed }

// Stats returns zeros.
func (st *Stream) Stats() StreamStats { return StreamStats{} }

// Close does nothing.
func (st *Stream) Close() error { return nil }
