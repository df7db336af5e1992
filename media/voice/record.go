package voice

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"parley/media/audio"
)

// Recorder captures a voice message from a microphone into an Ogg Opus
// file, encoding each 20 ms frame as it comes. It stops by itself at
// MaxDuration (Done closes); Stop ends it and returns the Info to send.
type Recorder struct {
	cancel  context.CancelFunc
	done    chan struct{}
	level   atomic.Uint64 // float64 bits, the last frame's Level
	samples atomic.Int64

	enc  *Encoder
	err  error // why the capture stopped, if not Stop (under done)
	full bool
	once sync.Once
	info Info
	ierr error
}

// Record starts capturing from src into w. The recording runs until Stop,
// ctx ends, the device fails, or MaxDuration.
func Record(ctx context.Context, src audio.Frames, w io.Writer) (*Recorder, error) {
	return record(ctx, src, w, maxSamples)
}

// RecordUpTo is Record with a shorter limit than MaxDuration (at most
// MaxDuration): what an app's tests use to reach the limit quickly.
func RecordUpTo(ctx context.Context, src audio.Frames, w io.Writer, limit time.Duration) (*Recorder, error) {
	return record(ctx, src, w, min(maxSamples, int64(limit)*SampleRate/int64(time.Second)))
}

func record(ctx context.Context, src audio.Frames, w io.Writer, limit int64) (*Recorder, error) {
	enc, err := NewEncoder(w)
	if err != nil {
		return nil, err
	}
	enc.limit = limit
	ctx, cancel := context.WithCancel(ctx)
	r := &Recorder{cancel: cancel, done: make(chan struct{}), enc: enc}
	go r.run(ctx, src)
	return r, nil
}

func (r *Recorder) run(ctx context.Context, src audio.Frames) {
	defer close(r.done)
	frame := make([]int16, audio.FrameSamples)
	for {
		if err := src.ReadFrame(ctx, frame); err != nil {
			if ctx.Err() == nil {
				r.err = fmt.Errorf("voice: capture: %w", err)
			}
			return
		}
		r.level.Store(math.Float64bits(Level(frame)))
		_, err := r.enc.Write(frame)
		r.samples.Store(r.enc.Samples())
		if errors.Is(err, ErrFull) {
			r.full = true
			return
		}
		if err != nil {
			r.err = err
			return
		}
	}
}

// Level is the loudness of the last 20 ms, 0–1 (Level).
func (r *Recorder) Level() float64 { return math.Float64frombits(r.level.Load()) }

// Elapsed is the length recorded so far.
func (r *Recorder) Elapsed() time.Duration { return SamplesToDuration(r.samples.Load()) }

// Done is closed when the capture stopped: by Stop, or by itself (Full,
// or a device error that Stop returns).
func (r *Recorder) Done() <-chan struct{} { return r.done }

// Full says the recording stopped at MaxDuration.
func (r *Recorder) Full() bool {
	select {
	case <-r.done:
		return r.full
	default:
		return false
	}
}

// Stop ends the capture and the file and returns what to send. A device
// that failed mid-way still gives what was recorded before, with the
// error. Stop may be called more than once.
func (r *Recorder) Stop() (Info, error) {
	r.once.Do(func() {
		r.cancel()
		<-r.done
		r.info, r.ierr = r.enc.Close()
		if r.ierr == nil {
			r.ierr = r.err
		}
	})
	return r.info, r.ierr
}
