//go:build cgo && !js

package audio

import (
	"context"
	"errors"
	"testing"
	"time"
)

func nullSystem(t *testing.T, cfg Config) *System {
	t.Helper()
	cfg.Null = true
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("open the null backend: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestNullBackendDuplexStream(t *testing.T) {
	s := nullSystem(t, Config{})
	ins, outs, err := s.Devices()
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) == 0 || len(outs) == 0 || !ins[0].Default || !outs[0].Default {
		t.Fatalf("devices: %+v / %+v, want defaults first", ins, outs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := s.OpenStream(ctx, ins[0].ID, outs[0].ID, true)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, FrameSamples)
	for i := range 10 {
		frame[0] = 1
		if err := st.ReadFrame(ctx, frame); err != nil {
			t.Fatalf("read frame %d: %v", i, err)
		}
		for _, v := range frame {
			if v != 0 {
				t.Fatalf("the null microphone captured %d", v)
			}
		}
		if err := st.WriteFrame(ctx, frame); err != nil {
			t.Fatalf("write frame %d: %v", i, err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.ReadFrame(ctx, frame); !errors.Is(err, ErrClosed) {
		t.Fatalf("read after close: %v", err)
	}
	if err := st.WriteFrame(ctx, frame); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
}

func TestMicrophonePermissionHook(t *testing.T) {
	asked := 0
	s := nullSystem(t, Config{RequestMicrophone: func(context.Context) error {
		asked++
		return ErrPermission
	}})
	ctx := context.Background()
	if _, err := s.OpenStream(ctx, "", "", true); !errors.Is(err, ErrPermission) || asked != 1 {
		t.Fatalf("capture without permission: %v (asked %d)", err, asked)
	}
	// A ring tone needs no microphone: it is not asked for.
	st, err := s.OpenStream(ctx, "", "", false)
	if err != nil || asked != 1 {
		t.Fatalf("playback only: %v (asked %d)", err, asked)
	}
	defer st.Close()
	if err := st.ReadFrame(ctx, make([]int16, FrameSamples)); !errors.Is(err, ErrNoCapture) {
		t.Fatalf("read on playback only: %v", err)
	}
	if _, err := s.OpenStream(ctx, "", "not hex", false); err == nil {
		t.Fatal("a bad device ID opened")
	}
}

func TestCallbackDoesNotAllocate(t *testing.T) {
	st := &Stream{cap: newRing(4 * FrameSamples), play: newRing(2 * FrameSamples), capWake: make(chan struct{}, 1), playWake: make(chan struct{}, 1)}
	in, out := make([]byte, 960), make([]byte, 960)
	st.play.write(make([]int16, 2*FrameSamples))
	st.playing.Store(true)
	allocs := testing.AllocsPerRun(100, func() {
		st.data(out, in, 480)
		st.cap.skip(480)
	})
	if allocs != 0 {
		t.Fatalf("the audio callback allocates %v times", allocs)
	}
	if st.Stats().Underruns == 0 {
		t.Fatal("playing an empty ring was not counted as an underrun")
	}
}
