package codec

import (
	"math/rand/v2"
	"testing"
)

// Conformance-style checks of the G.722 core at 16 kHz. The ITU test
// sequences are not redistributable, so these check the properties the
// Recommendation defines instead: the reset state, the table structure,
// predictor stability limits, encoder/decoder tracking and round-trip
// fidelity.

func roundTrip16(in []int16) []int16 {
	enc, dec := newG722Encoder(), newG722Decoder()
	return dec.decode(nil, enc.encode(nil, in))
}

func TestQMFDelay(t *testing.T) {
	in := sine(8000, 1000, 16000, 8000)
	if lag := bestLag(in, roundTrip16(in), 100); lag != qmfDelay {
		t.Fatalf("codec delay is %d samples, qmfDelay says %d", lag, qmfDelay)
	}
}

func TestG722RoundTripOfSines(t *testing.T) {
	// Measured: 500 Hz 54.4 dB, 1 kHz 47.4, 3 kHz 41.1 (6-bit lower
	// sub-band); 5.5 kHz 25.4, 7 kHz 22.7 (2-bit higher sub-band).
	for _, tc := range []struct {
		hz, minSNR float64
	}{
		{500, 51}, {1000, 44}, {3000, 38}, {5500, 22}, {7000, 19},
	} {
		in := sine(16000, tc.hz, 16000, 8000)
		out := roundTrip16(in)
		got := snr(in, out, qmfDelay, 1600, len(in)-qmfDelay)
		t.Logf("%5.0f Hz: SNR %.1f dB", tc.hz, got)
		if got < tc.minSNR {
			t.Errorf("%.0f Hz sine: SNR %.1f dB, want ≥ %.0f", tc.hz, got, tc.minSNR)
		}
	}
}

func TestG722RoundTripOfSpeech(t *testing.T) {
	in := speechLike(2*16000, 16000)
	out := roundTrip16(in)
	// Measured 19.2 dB.
	got := segmentalSNR(in, out, qmfDelay, 1600, len(in)-qmfDelay, 320)
	t.Logf("segmental SNR at 16 kHz: %.1f dB", got)
	if got < 16.2 {
		t.Errorf("segmental SNR %.1f dB, want ≥ 16.2", got)
	}
}

func TestG722DecoderTracksEncoderState(t *testing.T) {
	// Backward adaptation: a decoder fed the encoder's codes ends up with
	// exactly the encoder's sub-band state, sample by sample.
	in := speechLike(16000, 16000)
	enc, dec := newG722Encoder(), newG722Decoder()
	for i := 0; i < len(in); i += 2 {
		code := enc.encode(nil, in[i:i+2])
		dec.decode(nil, code)
		if enc.lo != dec.lo || enc.hi != dec.hi {
			t.Fatalf("after code %d the decoder's sub-band state differs from the encoder's", i/2)
		}
	}
}

func TestG722DigitalSilence(t *testing.T) {
	// From the reset state, silence encodes to 0xFA: higher code 3 and lower
	// code 58 (interval 4, the first whose decision level survives the
	// minimum scale factor DETL = 32). The idle channel then wanders among
	// the smallest codes, but the higher sub-band stays at code 3 and the
	// decoded output stays within a few LSB of zero.
	enc, dec := newG722Encoder(), newG722Decoder()
	codes := enc.encode(nil, make([]int16, 4*16000))
	for i, c := range codes[:40] {
		if c != 0xFA {
			t.Fatalf("code %d of silence is %#x, want 0xfa", i, c)
		}
	}
	for i, c := range codes {
		if c>>6 != 3 {
			t.Fatalf("code %d of silence has higher sub-band code %d, want 3", i, c>>6)
		}
	}
	out := dec.decode(nil, codes)
	if p := peak(out); p > 4 {
		t.Errorf("decoded silence peaks at %d, want ≤ 4 LSB", p)
	}
}

func TestG722DecoderStaysStableOnArbitraryCodes(t *testing.T) {
	// Whatever arrives (corrupt packets, a mismatched stream), the
	// predictor stays within the Recommendation's stability limits
	// (|a2| ≤ 0.75, |a1| ≤ 1 - 2^-4 - a2) and the scale factors within
	// their ranges.
	rng := rand.New(rand.NewPCG(1, 2))
	codes := make([]byte, 80000)
	for i := range codes {
		codes[i] = byte(rng.Uint32())
	}
	dec := newG722Decoder()
	for i := range codes {
		dec.decode(nil, codes[i:i+1])
		for k, b := range []*band{&dec.lo, &dec.hi} {
			name := [...]string{"lower", "higher"}[k]
			if abs(int(b.a[2])) > 12288 || abs(int(b.a[1])) > 15360-int(b.a[2]) {
				t.Fatalf("code %d: %s pole coefficients a1=%d a2=%d out of bounds", i, name, b.a[1], b.a[2])
			}
			if b.nb < 0 || b.det < 8 || b.det > 16384 {
				t.Fatalf("code %d: %s scale factor nb=%d det=%d out of range", i, name, b.nb, b.det)
			}
		}
	}
}

func TestG722FullScaleInputDoesNotWrap(t *testing.T) {
	// A clipped full-scale square wave must come out as a square wave of
	// the right sign, not wrap around.
	in := make([]int16, 8000)
	for i := range in {
		in[i] = 32767
		if i/40%2 == 1 {
			in[i] = -32768
		}
	}
	out := roundTrip16(in)
	for i := 400; i < len(in)-qmfDelay; i++ {
		mid := i%40 >= 10 && i%40 < 30 // away from the edges, where ringing is allowed
		if mid && (int(out[i+qmfDelay]) > 0) != (in[i] > 0) {
			t.Fatalf("sample %d: got %d for input %d", i, out[i+qmfDelay], in[i])
		}
	}
}

func TestG722QuantizerTables(t *testing.T) {
	// Each 6-bit reconstruction level lies inside its decision interval,
	// and INVQBL returns it with the sign of the code that QUANTL assigned.
	for m := 1; m <= 30; m++ {
		lo, level := lowDecision[m-1], lowOutput6[m]
		if level < lo || (m < 30 && level > lowDecision[m]) {
			t.Errorf("interval %d: level %d outside [%d, %d]", m, level, lo, lowDecision[min(m, 29)])
		}
		if got := lowInv6[lowCodePos[m]]; got != 8*level {
			t.Errorf("interval %d: positive code %d decodes to %d, want %d", m, lowCodePos[m], got, 8*level)
		}
		if got := lowInv6[lowCodeNeg[m]]; got != -8*level {
			t.Errorf("interval %d: negative code %d decodes to %d, want %d", m, lowCodeNeg[m], got, -8*level)
		}
	}
	// QUANTL finds the interval: a difference just below a decision level
	// falls in the interval below it.
	const det = 4096 // scales decision levels by exactly 1
	for m := 1; m < 30; m++ {
		if got := quantizeLow(lowDecision[m]-1, det); got != lowCodePos[m] {
			t.Errorf("QUANTL(%d) = %d, want code %d of interval %d", lowDecision[m]-1, got, lowCodePos[m], m)
		}
	}
}

func TestG722ScaleFactorRange(t *testing.T) {
	// SCALEL/SCALEH: reset values DETL = 32 and DETH = 8, both reaching
	// 16384 at their log limits, never decreasing in between.
	for _, tc := range []struct {
		name          string
		bias, max     int32
		atZero, atMax int32
	}{
		{"lower", 8, lowLogMax, 32, 16384},
		{"higher", 10, highLogMax, 8, 16384},
	} {
		if got := scale(0, tc.bias); got != tc.atZero {
			t.Errorf("%s: scale(0) = %d, want %d", tc.name, got, tc.atZero)
		}
		if got := scale(tc.max, tc.bias); got != tc.atMax {
			t.Errorf("%s: scale(max) = %d, want %d", tc.name, got, tc.atMax)
		}
		prev := int32(0)
		for nb := int32(0); nb <= tc.max; nb++ {
			d := scale(nb, tc.bias)
			if d < prev {
				t.Fatalf("%s: scale(%d) = %d < scale(%d) = %d", tc.name, nb, d, nb-1, prev)
			}
			prev = d
		}
	}
}
