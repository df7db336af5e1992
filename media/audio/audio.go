// Package audio owns the sound hardware of Parley calls: microphone
// capture and speaker playback through miniaudio (malgo), at 48 kHz mono
// int16 in 20 ms frames, and the list of devices to choose from, system
// defaults first.
//
// The audio thread and Go meet in lock-free single-producer,
// single-consumer rings: the device callback only copies samples in or
// out, counts, and wakes the Go side with a send that never waits; it
// never allocates, locks or blocks. Go reads and writes whole frames
// (Frames), and a call engine runs on that interface alone, so tests and
// machines without a sound card use Virtual, which paces injected frames
// by the clock instead.
//
// Tests select malgo's null backend (Config.Null): no sound card needed.
// In malgo v0.11.24 the constant malgo.BackendNull is off by one; the
// null backend is malgo.BackendNull + 1, which is what Null uses.
//
// Android asks for the microphone at run time: Config.RequestMicrophone
// is the hook the platform code fills in; it is called before every
// capture opens. The phones' audio stacks are set up for speech
// (voice.go): Android's voice-communication input preset (the platform's
// echo canceller), iOS's play-and-record session on the loudspeaker. The
// browser build has no malgo: Open fails with ErrUnavailable there, and
// in builds without cgo.
//
// The package must not know codecs, packets or calls.
package audio

import (
	"context"
	"errors"
	"time"
)

// The format of every frame.
const (
	SampleRate    = 48000
	FrameSamples  = 960 // 20 ms
	FrameDuration = 20 * time.Millisecond
)

var (
	// ErrUnavailable: this build or machine has no audio backend.
	ErrUnavailable = errors.New("audio: no audio backend in this build")
	// ErrClosed: the stream was closed, or the device stopped (unplugged).
	ErrClosed = errors.New("audio: stream closed")
	// ErrNoCapture: ReadFrame on a stream opened for playback only.
	ErrNoCapture = errors.New("audio: stream has no capture")
	// ErrPermission: the user refused the microphone.
	ErrPermission = errors.New("audio: microphone permission denied")
)

// Frames is a full-duplex stream of 20 ms frames of 48 kHz mono audio:
// what a call needs from the sound hardware. *Stream implements it on a
// device; Virtual implements it without one.
//
// ReadFrame and WriteFrame may be called concurrently with each other,
// each from one goroutine.
type Frames interface {
	// ReadFrame fills dst (FrameSamples long) with the next captured
	// frame, waiting for it.
	ReadFrame(ctx context.Context, dst []int16) error
	// WriteFrame queues src (FrameSamples long) for playback, waiting
	// while the output is full. The device's consumption paces the caller.
	WriteFrame(ctx context.Context, src []int16) error
}

// Device is one input or output device.
type Device struct {
	ID      string // opaque; "" means the system default
	Name    string // for people
	Default bool   // the system default
}

// Config configures a System.
type Config struct {
	// Null selects the null backend: silent capture, discarded playback,
	// real-time pacing, no hardware. For tests.
	Null bool
	// RequestMicrophone, if set, is called before a capture device opens
	// and must return nil once the user allowed the microphone (wrap
	// ErrPermission otherwise). Android sets it to ask for RECORD_AUDIO;
	// desktop systems leave it nil.
	RequestMicrophone func(ctx context.Context) error
	// PeriodMs is the device period (default 10 ms).
	PeriodMs int
	// PlayoutFrames is how many frames the playback ring holds (default
	// 2: WriteFrame returns when a frame fits, so 20 to 40 ms wait there).
	PlayoutFrames int
	// CaptureBacklog is how many captured frames may wait for the reader
	// before the oldest are skipped (default 3), bounding the latency a
	// late reader adds.
	CaptureBacklog int
}

func (c Config) withDefaults() Config {
	if c.PeriodMs <= 0 {
		c.PeriodMs = 10
	}
	if c.PlayoutFrames <= 0 {
		c.PlayoutFrames = 2
	}
	if c.CaptureBacklog <= 0 {
		c.CaptureBacklog = 3
	}
	return c
}

// StreamStats counts glitches of a stream.
type StreamStats struct {
	Underruns uint64 // playback callbacks that found too few samples (silence was played)
	Overruns  uint64 // capture callbacks that found the ring full (samples lost)
	Skipped   uint64 // captured samples skipped because the reader fell behind
}

// sortDevices puts defaults first, keeping the system's order otherwise.
func sortDevices(ds []Device) []Device {
	out := make([]Device, 0, len(ds))
	for _, d := range ds {
		if d.Default {
			out = append(out, d)
		}
	}
	for _, d := range ds {
		if !d.Default {
			out = append(out, d)
		}
	}
	return out
}
