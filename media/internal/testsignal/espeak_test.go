package testsignal

import (
	"encoding/binary"
	"math"
	"testing"
)

func tone(hz float64, rate, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = 0.5 * math.Sin(2*math.Pi*hz*float64(i)/float64(rate))
	}
	return x
}

// errorDB is the power of got − want over that of want, in dB, away from
// the ends (where the filter sees zeros).
func errorDB(got, want []float64, edge int) float64 {
	var e, p float64
	for i := edge; i < min(len(got), len(want))-edge; i++ {
		e += (got[i] - want[i]) * (got[i] - want[i])
		p += want[i] * want[i]
	}
	return 10 * math.Log10(e/p)
}

// Up from espeak-ng's rate a tone in the band is the same tone at the new
// rate; down to 16 kHz one above the new Nyquist frequency is gone.
func TestResample(t *testing.T) {
	for _, hz := range []float64{440, 3000, 9000} {
		got := Resample(tone(hz, 22050, 22050), 22050, Rate)
		if len(got) != Rate {
			t.Fatalf("%d samples, want %d", len(got), Rate)
		}
		e := errorDB(got, tone(hz, Rate, Rate), 200)
		t.Logf("%v Hz, 22050 → 48000: error %.1f dB", hz, e)
		if e > -50 {
			t.Errorf("%v Hz, 22050 → 48000: error %.1f dB, want below −50", hz, e)
		}
	}
	if e := errorDB(Resample(tone(1000, Rate, Rate), Rate, 16000), tone(1000, 16000, 16000), 100); e > -50 {
		t.Errorf("1 kHz, 48000 → 16000: error %.1f dB", e)
	}
	gone := Resample(tone(10000, Rate, Rate), Rate, 16000)
	var p float64
	for _, v := range gone[100 : len(gone)-100] {
		p += v * v
	}
	if db := 10 * math.Log10(p/float64(len(gone)-200)/0.125); db > -40 {
		t.Errorf("10 kHz, 48000 → 16000: %.1f dB left, want below −40", db)
	}
}

func TestParseWAV(t *testing.T) {
	wav := func(fmtChunk []byte, samples ...int16) []byte {
		b := append([]byte("RIFF\x00\x00\x00\x00WAVE"), "fmt "...)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(fmtChunk)))
		b = append(b, fmtChunk...)
		b = append(b, "data"...)
		b = binary.LittleEndian.AppendUint32(b, uint32(2*len(samples)))
		for _, s := range samples {
			b = binary.LittleEndian.AppendUint16(b, uint16(s))
		}
		return b
	}
	pcm := func(channels, bits uint16) []byte {
		f := binary.LittleEndian.AppendUint16(nil, 1)
		f = binary.LittleEndian.AppendUint16(f, channels)
		f = binary.LittleEndian.AppendUint32(f, 22050)
		f = binary.LittleEndian.AppendUint32(f, 22050*2)
		f = binary.LittleEndian.AppendUint16(f, 2)
		return binary.LittleEndian.AppendUint16(f, bits)
	}
	x, rate, err := ParseWAV(wav(pcm(1, 16), 16384, -32768, 0))
	if err != nil || rate != 22050 || len(x) != 3 || x[0] != 0.5 || x[1] != -1 || x[2] != 0 {
		t.Errorf("got %v %d %v, want [0.5 -1 0] 22050", x, rate, err)
	}
	for name, b := range map[string][]byte{
		"stereo":  wav(pcm(2, 16), 1, 2),
		"8-bit":   wav(pcm(1, 8), 1),
		"no RIFF": []byte("RIFX0000WAVE"),
		"no data": wav(pcm(1, 16))[:36],
	} {
		if _, _, err := ParseWAV(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
