package codec

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func g722(t testing.TB) Codec {
	t.Helper()
	c, ok := Lookup("g722")
	if !ok {
		t.Fatal(`Lookup("g722") found nothing`)
	}
	return c
}

func TestG722Is64kbitPer160BytePacket(t *testing.T) {
	c := g722(t)
	if c.Bitrate != 64000 {
		t.Errorf("Bitrate = %d, want 64000", c.Bitrate)
	}
	if perFrame := c.Bitrate / 8 * FrameSamples / SampleRate; perFrame != 160 {
		t.Errorf("Bitrate gives %d bytes per frame, want 160", perFrame)
	}
	_, packets := roundTrip48(t, speechLike(25*FrameSamples, SampleRate))
	for i, p := range packets {
		if len(p) != 160 {
			t.Fatalf("packet %d is %d bytes, want 160 (64 kbit/s × 20 ms)", i, len(p))
		}
	}
}

func TestEncodeAppendsToDst(t *testing.T) {
	enc := g722(t).NewEncoder()
	dst := []byte("hdr")
	out, err := enc.Encode(dst, make([]int16, FrameSamples))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3+160 || string(out[:3]) != "hdr" {
		t.Errorf("Encode returned %d bytes starting %q, want the 3-byte prefix then 160 bytes", len(out), out[:3])
	}
	dec := g722(t).NewDecoder()
	pcm, err := dec.Decode([]int16{7}, out[3:])
	if err != nil {
		t.Fatal(err)
	}
	if len(pcm) != 1+FrameSamples || pcm[0] != 7 {
		t.Errorf("Decode returned %d samples starting %d, want the prefix then %d", len(pcm), pcm[0], FrameSamples)
	}
	if pcm = dec.Conceal(pcm); len(pcm) != 1+2*FrameSamples {
		t.Errorf("Conceal appended %d samples, want %d", len(pcm)-1-FrameSamples, FrameSamples)
	}
}

func TestEncodeRejectsWrongFrameSize(t *testing.T) {
	enc := g722(t).NewEncoder()
	for _, n := range []int{0, FrameSamples - 1, FrameSamples + 1, 2 * FrameSamples} {
		dst := []byte{1, 2}
		out, err := enc.Encode(dst, make([]int16, n))
		if !errors.Is(err, ErrFrameSize) {
			t.Errorf("%d samples: err = %v, want ErrFrameSize", n, err)
		}
		if len(out) != 2 {
			t.Errorf("%d samples: dst grew to %d bytes on error", n, len(out))
		}
	}
}

func TestDecodeRejectsMalformedPacketWithoutChangingState(t *testing.T) {
	in := speechLike(10*FrameSamples, SampleRate)
	want, packets := roundTrip48(t, in)

	dec := g722(t).NewDecoder()
	var got []int16
	for i, p := range packets {
		if i == 5 {
			for _, bad := range [][]byte{nil, p[:159], append(slices.Clone(p), 0)} {
				out, err := dec.Decode(got, bad)
				if !errors.Is(err, ErrPacket) {
					t.Errorf("%d-byte packet: err = %v, want ErrPacket", len(bad), err)
				}
				if len(out) != len(got) {
					t.Errorf("%d-byte packet: output grew on error", len(bad))
				}
			}
		}
		var err error
		if got, err = dec.Decode(got, p); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(got, want) {
		t.Error("rejected packets changed what the decoder produced afterwards")
	}
}

func TestSpeechQualityThroughFullPath(t *testing.T) {
	// 48 kHz → decimate → G.722 → interpolate → 48 kHz on 2 s of synthetic
	// speech. The delay (two 117-tap filters plus the QMF) is found by
	// cross-correlation. Measured: 180 samples (3.75 ms), 18.7 dB.
	in := speechLike(100*FrameSamples, SampleRate)
	out, _ := roundTrip48(t, in)
	lag := bestLag(in, out, 600)
	got := segmentalSNR(in, out, lag, 4800, len(in)-lag, FrameSamples)
	t.Logf("delay %d samples, segmental SNR %.1f dB", lag, got)
	if lag != 180 {
		t.Errorf("delay is %d samples, want 180", lag)
	}
	if got < 15.7 {
		t.Errorf("segmental SNR %.1f dB, want ≥ 15.7", got)
	}
}

func TestSineCrossesFrameBordersWithoutClicks(t *testing.T) {
	// A steady tone encoded over 50 frames: the coding error next to a
	// frame border is no larger than anywhere else.
	const hz, amp = 441.7, 12000.0 // not a whole number of cycles per frame
	in := sine(50*FrameSamples, hz, SampleRate, amp)
	out, _ := roundTrip48(t, in)
	lag := bestLag(in, out, 600)
	worstNearBorder, worstElsewhere := 0, 0
	for i := 5 * FrameSamples; i+lag < len(out); i++ {
		e := abs(int(out[i+lag]) - int(in[i]))
		if d := (i + lag) % FrameSamples; d < 16 || d > FrameSamples-16 {
			worstNearBorder = max(worstNearBorder, e)
		} else {
			worstElsewhere = max(worstElsewhere, e)
		}
	}
	t.Logf("largest error: %d near frame borders, %d elsewhere", worstNearBorder, worstElsewhere)
	if worstNearBorder > worstElsewhere+worstElsewhere/4 {
		t.Errorf("error near frame borders reaches %d, elsewhere only %d", worstNearBorder, worstElsewhere)
	}
	got := snr(in, out, lag, 5*FrameSamples, len(in)-lag) // measured 57.4 dB
	t.Logf("tone SNR %.1f dB", got)
	if got < 54 {
		t.Errorf("tone SNR %.1f dB, want ≥ 54", got)
	}
	// The output's steepest step is that of the tone itself.
	ideal := int(math.Ceil(amp * 2 * math.Pi * hz / SampleRate))
	if step := maxStep(out[5*FrameSamples:]); step > ideal+ideal/10 {
		t.Errorf("output has a step of %d, a %.0f Hz tone has at most %d", step, hz, ideal)
	}
}
