package audio

import (
	"context"
	"fmt"
	"time"
)

// Virtual is a sound device without hardware, paced by the clock: frames
// come from Source and go to Sink. It stands in for the microphone and
// speaker in tests (a known signal in, the received signal out), and on
// machines or builds without audio (silence both ways), so that a call
// still runs at the pace of real time.
//
// Timing is exact and known: captured frame n is ready at Start + (n+1) ×
// 20 ms, the moment its last sample was "spoken"; played frame m is taken
// at Start + m × 20 ms, the moment its first sample sounds. So the delay
// between a sample going in and coming out is measured without any device
// buffer in it.
type Virtual struct {
	source, sink func(frame []int16)
	start        time.Time
	read, wrote  int64 // frames so far; each touched by one goroutine
}

// NewVirtual returns a Virtual whose clock starts now. source fills each
// captured frame (nil: silence); sink receives each played frame (nil:
// discard). Each runs on the goroutine that reads or writes, and may keep
// nothing of the slice.
func NewVirtual(source, sink func(frame []int16)) *Virtual {
	return &Virtual{source: source, sink: sink, start: time.Now()}
}

// Start is the instant captured sample 0 was spoken and played sample 0 sounds.
func (v *Virtual) Start() time.Time { return v.start }

// ReadFrame implements Frames.
func (v *Virtual) ReadFrame(ctx context.Context, dst []int16) error {
	if len(dst) != FrameSamples {
		return fmt.Errorf("audio: read %d samples, want %d", len(dst), FrameSamples)
	}
	v.read++
	if err := waitUntil(ctx, v.start.Add(time.Duration(v.read)*FrameDuration)); err != nil {
		return err
	}
	if v.source != nil {
		v.source(dst)
	} else {
		clear(dst)
	}
	return nil
}

// WriteFrame implements Frames.
func (v *Virtual) WriteFrame(ctx context.Context, src []int16) error {
	if len(src) != FrameSamples {
		return fmt.Errorf("audio: write %d samples, want %d", len(src), FrameSamples)
	}
	if err := waitUntil(ctx, v.start.Add(time.Duration(v.wrote)*FrameDuration)); err != nil {
		return err
	}
	v.wrote++
	if v.sink != nil {
		v.sink(src)
	}
	return nil
}

func waitUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
