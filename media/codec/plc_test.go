package codec

import "testing"

// frame returns frame f of a 48 kHz signal.
func frame(x []int16, f int) []int16 { return x[f*FrameSamples : (f+1)*FrameSamples] }

// decodeWithLoss decodes packets, concealing frames [from, from+n).
func decodeWithLoss(t *testing.T, packets [][]byte, from, n int) []int16 {
	t.Helper()
	dec := g722(t).NewDecoder()
	var out []int16
	for f, p := range packets {
		if f >= from && f < from+n {
			out = dec.Conceal(out)
			continue
		}
		var err error
		if out, err = dec.Decode(out, p); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestConcealFadesOutThenDecodingResumes(t *testing.T) {
	in := speechLike(60*FrameSamples, SampleRate)
	ref, packets := roundTrip48(t, in)
	for _, loss := range []int{30, 41} { // in the middle and near the end of a syllable
		out := decodeWithLoss(t, packets, loss, 5)
		before := out[(loss-2)*FrameSamples : loss*FrameSamples]
		var levels []float64
		for f := loss; f < loss+5; f++ {
			levels = append(levels, rms(frame(out, f)))
		}
		t.Logf("loss at frame %d: level before %.0f, concealed %.0f", loss, rms(frame(out, loss-1)), levels)
		for k, f := 0, loss; k < 5; k, f = k+1, f+1 {
			if p := peak(frame(out, f)); p > peak(before)*11/10 {
				t.Errorf("concealed frame %d peaks at %d, louder than the speech before it (%d)", k, p, peak(before))
			}
		}
		if levels[0] < rms(frame(out, loss-1))/2 {
			t.Errorf("first concealed frame is at %.0f rms, want it to continue the speech (%.0f rms)", levels[0], rms(frame(out, loss-1)))
		}
		if !(levels[0] > levels[1] && levels[1] > levels[2] && levels[2] > levels[3]) {
			t.Errorf("concealment does not fade out: %.0f", levels)
		}
		for k := 3; k < 5; k++ {
			if p := peak(frame(out, loss+k)); p > 4 {
				t.Errorf("concealed frame %d peaks at %d, want silence (≤ 4) after 60 ms", k, p)
			}
		}
		// No click going into the concealment or coming out of it.
		steepest := maxStep(ref[(loss-5)*FrameSamples : (loss+10)*FrameSamples])
		if s := maxStep(out[loss*FrameSamples-FrameSamples/2 : (loss+1)*FrameSamples]); s > steepest {
			t.Errorf("step of %d entering the concealment, the speech never steps more than %d", s, steepest)
		}
		resumed := out[(loss+5)*FrameSamples-1 : (loss+10)*FrameSamples]
		if s := maxStep(resumed); s > steepest {
			t.Errorf("step of %d after decoding resumed, the speech never steps more than %d", s, steepest)
		}
		if p, want := peak(resumed), peak(ref[(loss+3)*FrameSamples:(loss+10)*FrameSamples]); p > want*11/10 {
			t.Errorf("resumed output peaks at %d, the speech at %d", p, want)
		}
		// The decoder restarted and has converged back onto the encoder
		// 100 ms later. Measured: 37.3 and 32.2 dB.
		after := snr(ref, out, 0, (loss+10)*FrameSamples, (loss+15)*FrameSamples)
		t.Logf("  100–200 ms after resuming: SNR %.1f dB against the loss-free decoding", after)
		if after < 29 {
			t.Errorf("100–200 ms after resuming, SNR against the loss-free decoding is %.1f dB, want ≥ 29", after)
		}
	}
}

func TestConcealSingleLostFrame(t *testing.T) {
	// The common case: one packet missing. The decoder keeps the state the
	// concealment drove it to, so the real packets that follow continue
	// without a click and converge within a few frames.
	in := speechLike(60*FrameSamples, SampleRate)
	ref, packets := roundTrip48(t, in)
	for _, loss := range []int{22, 30, 41} {
		out := decodeWithLoss(t, packets, loss, 1)
		steepest := maxStep(ref[(loss-5)*FrameSamples : (loss+10)*FrameSamples])
		if s := maxStep(out[loss*FrameSamples-FrameSamples/2 : (loss+3)*FrameSamples]); s > steepest {
			t.Errorf("loss at frame %d: step of %d around the gap, the speech never steps more than %d", loss, s, steepest)
		}
		// Measured 22.2, 22.2 and 27.7 dB.
		after := snr(ref, out, 0, (loss+3)*FrameSamples, (loss+6)*FrameSamples)
		t.Logf("loss at frame %d: 40–100 ms after it, SNR %.1f dB against the loss-free decoding", loss, after)
		if after < 19 {
			t.Errorf("loss at frame %d: 40–100 ms after it, SNR against the loss-free decoding is %.1f dB, want ≥ 19", loss, after)
		}
	}
}

func TestConcealWithoutHistoryIsSilent(t *testing.T) {
	dec := g722(t).NewDecoder()
	var out []int16
	for range 3 {
		out = dec.Conceal(out)
	}
	if p := peak(out); p > 4 {
		t.Errorf("concealing before any packet peaks at %d, want silence", p)
	}
}
