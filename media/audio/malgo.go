//go:build cgo && !js

package audio

import (
	"context"
	"encoding/hex"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/gen2brain/malgo"
)

// System is an audio backend: the devices of this machine. It is safe
// for concurrent use.
type System struct {
	cfg Config
	ctx *malgo.AllocatedContext
}

// Open opens the system's audio backend (or the null backend).
func Open(cfg Config) (*System, error) {
	cfg = cfg.withDefaults()
	var backends []malgo.Backend
	if cfg.Null {
		backends = []malgo.Backend{malgo.BackendNull + 1} // see the package doc
	}
	ctx, err := malgo.InitContext(backends, voiceContext(runtime.GOOS), nil)
	if err != nil {
		return nil, fmt.Errorf("audio: init backend: %w", err)
	}
	return &System{cfg: cfg, ctx: ctx}, nil
}

// Close releases the backend. Close every stream first.
func (s *System) Close() error {
	if err := s.ctx.Uninit(); err != nil {
		return fmt.Errorf("audio: close backend: %w", err)
	}
	s.ctx.Free()
	return nil
}

// Devices lists the inputs and outputs, system defaults first.
func (s *System) Devices() (inputs, outputs []Device, err error) {
	list := func(kind malgo.DeviceType) ([]Device, error) {
		infos, err := s.ctx.Devices(kind)
		if err != nil {
			return nil, fmt.Errorf("audio: list devices: %w", err)
		}
		ds := make([]Device, len(infos))
		for i, in := range infos {
			ds[i] = Device{ID: in.ID.String(), Name: in.Name(), Default: in.IsDefault != 0}
		}
		return sortDevices(ds), nil
	}
	if inputs, err = list(malgo.Capture); err != nil {
		return nil, nil, err
	}
	if outputs, err = list(malgo.Playback); err != nil {
		return nil, nil, err
	}
	return inputs, outputs, nil
}

// Stream is one open device pair: capture and playback in one duplex
// device (or playback alone). It implements Frames.
type Stream struct {
	dev     *malgo.Device
	capture bool
	backlog int

	cap, play         *ring
	capWake, playWake chan struct{}
	closed            chan struct{}
	closeOnce         sync.Once
	playing           atomic.Bool // the first frame was written: underruns count from here

	underruns, overruns, skipped atomic.Uint64
}

// OpenStream starts a stream: capture from input and playback to output
// (IDs from Devices; "" is the system default). With capture false only
// the output opens (ring tones), and the microphone is not touched.
func (s *System) OpenStream(ctx context.Context, input, output string, capture bool) (*Stream, error) {
	kind := malgo.Playback
	if capture {
		kind = malgo.Duplex
		if s.cfg.RequestMicrophone != nil {
			if err := s.cfg.RequestMicrophone(ctx); err != nil {
				return nil, fmt.Errorf("audio: microphone: %w", err)
			}
		}
	}
	dc := malgo.DefaultDeviceConfig(kind)
	voiceDevice(runtime.GOOS, &dc)
	dc.SampleRate = SampleRate
	dc.PeriodSizeInMilliseconds = uint32(s.cfg.PeriodMs)
	dc.Playback.Format, dc.Playback.Channels = malgo.FormatS16, 1
	dc.Capture.Format, dc.Capture.Channels = malgo.FormatS16, 1

	// miniaudio copies the IDs during init; pin them until then.
	var pin runtime.Pinner
	defer pin.Unpin()
	var inID, outID malgo.DeviceID
	if capture && input != "" {
		if err := parseID(&inID, input); err != nil {
			return nil, err
		}
		pin.Pin(&inID)
		dc.Capture.DeviceID = unsafe.Pointer(&inID)
	}
	if output != "" {
		if err := parseID(&outID, output); err != nil {
			return nil, err
		}
		pin.Pin(&outID)
		dc.Playback.DeviceID = unsafe.Pointer(&outID)
	}

	st := &Stream{
		capture:  capture,
		backlog:  s.cfg.CaptureBacklog * FrameSamples,
		play:     newRing(s.cfg.PlayoutFrames * FrameSamples),
		capWake:  make(chan struct{}, 1),
		playWake: make(chan struct{}, 1),
		closed:   make(chan struct{}),
	}
	if capture {
		st.cap = newRing(4 * s.cfg.CaptureBacklog * FrameSamples)
	}
	dev, err := malgo.InitDevice(s.ctx.Context, dc, malgo.DeviceCallbacks{Data: st.data, Stop: st.stopped})
	if err != nil {
		return nil, fmt.Errorf("audio: open device: %w", err)
	}
	st.dev = dev
	if err := dev.Start(); err != nil {
		dev.Uninit()
		return nil, fmt.Errorf("audio: start device: %w", err)
	}
	return st, nil
}

func parseID(id *malgo.DeviceID, s string) error {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) > len(id) {
		return fmt.Errorf("audio: %q is not a device ID", s)
	}
	copy(id[:], b)
	return nil
}

// data is the device callback, on the audio thread: copy, count, wake.
// It must not allocate, lock or wait.
func (st *Stream) data(out, in []byte, frames uint32) {
	if len(in) >= 2 && st.cap != nil {
		pcm := unsafe.Slice((*int16)(unsafe.Pointer(&in[0])), len(in)/2)
		if st.cap.write(pcm) < len(pcm) {
			st.overruns.Add(1)
		}
		wake(st.capWake)
	}
	if len(out) >= 2 {
		pcm := unsafe.Slice((*int16)(unsafe.Pointer(&out[0])), len(out)/2)
		n := st.play.read(pcm)
		clear(pcm[n:])
		if n < len(pcm) && st.playing.Load() {
			st.underruns.Add(1)
		}
		wake(st.playWake)
	}
}

// wake signals the Go side without ever waiting.
func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// stopped is called when the device stops, also when it is unplugged.
func (st *Stream) stopped() { st.shut() }

func (st *Stream) isClosed() bool {
	select {
	case <-st.closed:
		return true
	default:
		return false
	}
}

func (st *Stream) shut() { st.closeOnce.Do(func() { close(st.closed) }) }

// ReadFrame implements Frames. A reader that fell more than the backlog
// behind skips the oldest samples, so latency stays bounded.
func (st *Stream) ReadFrame(ctx context.Context, dst []int16) error {
	if st.cap == nil {
		return ErrNoCapture
	}
	if len(dst) != FrameSamples {
		return fmt.Errorf("audio: read %d samples, want %d", len(dst), FrameSamples)
	}
	for {
		if st.isClosed() {
			return ErrClosed
		}
		if n := st.cap.len(); n >= FrameSamples {
			if extra := n - st.backlog; extra > 0 {
				st.skipped.Add(uint64(st.cap.skip(extra)))
			}
			st.cap.read(dst)
			return nil
		}
		select {
		case <-st.capWake:
		case <-st.closed:
			return ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WriteFrame implements Frames.
func (st *Stream) WriteFrame(ctx context.Context, src []int16) error {
	if len(src) != FrameSamples {
		return fmt.Errorf("audio: write %d samples, want %d", len(src), FrameSamples)
	}
	for {
		if st.isClosed() {
			return ErrClosed
		}
		if st.play.free() >= FrameSamples {
			st.play.write(src)
			st.playing.Store(true)
			return nil
		}
		select {
		case <-st.playWake:
		case <-st.closed:
			return ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Stats returns the stream's glitch counters.
func (st *Stream) Stats() StreamStats {
	return StreamStats{Underruns: st.underruns.Load(), Overruns: st.overruns.Load(), Skipped: st.skipped.Load()}
}

// Close stops the device. Pending reads and writes return ErrClosed.
func (st *Stream) Close() error {
	st.shut()
	st.dev.Uninit()
	return nil
}
