package audio

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRingKeepsOrderAcrossThreads(t *testing.T) {
	q := newRing(1000) // not a power of two: the limit is what counts
	const total = 200_000
	done := make(chan error, 1)
	go func() {
		buf := make([]int16, 333)
		next := 0
		for next < total {
			n := q.read(buf[:1+next%333])
			for _, v := range buf[:n] {
				if v != int16(next) {
					done <- errors.New("out of order")
					return
				}
				next++
			}
		}
		done <- nil
	}()
	chunk := make([]int16, 257)
	for sent := 0; sent < total; {
		k := min(1+sent%257, total-sent)
		for i := range k {
			chunk[i] = int16(sent + i)
		}
		n := q.write(chunk[:k])
		if q.len() > 1000 || q.free() < 0 {
			t.Fatalf("ring holds %d of 1000", q.len())
		}
		sent += n
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("consumer stuck")
	}
}

func TestRingSkipAndFull(t *testing.T) {
	q := newRing(4)
	if n := q.write([]int16{1, 2, 3, 4, 5}); n != 4 {
		t.Fatalf("wrote %d into a ring of 4", n)
	}
	if n := q.skip(3); n != 3 || q.len() != 1 {
		t.Fatalf("skip: %d, %d left", n, q.len())
	}
	out := make([]int16, 4)
	q.write([]int16{6, 7})
	if n := q.read(out); n != 3 || out[0] != 4 || out[1] != 6 || out[2] != 7 {
		t.Fatalf("read %v", out[:n])
	}
}

func TestVirtualDeviceCarriesFramesInOrder(t *testing.T) {
	n := int16(0)
	var got []int16
	v := NewVirtual(func(f []int16) { n++; f[0] = n }, func(f []int16) { got = append(got, f[0]) })
	ctx := context.Background()
	frame := make([]int16, FrameSamples)
	for range 3 {
		if err := v.ReadFrame(ctx, frame); err != nil {
			t.Fatal(err)
		}
		if err := v.WriteFrame(ctx, frame); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 3 || got[0] != 1 || got[2] != 3 {
		t.Fatalf("played %v", got)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	for range 10 { // ahead of the clock now: the next frame waits, and the context ends the wait
		if err := v.ReadFrame(cctx, frame); err != nil {
			return
		}
	}
	t.Fatal("a cancelled read kept returning frames")
}
