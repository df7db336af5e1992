package testsignal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
)

// ErrNoEspeak: espeak-ng is not installed.
var ErrNoEspeak = errors.New("espeak-ng is not installed: run tools/sysdeps.sh quality (apt-get install espeak-ng)")

// Espeak synthesises text with espeak-ng's voice (e.g. "en", "cmn") and
// returns it at Rate, scaled to a peak of 0.5. espeak-ng is a formant
// synthesiser: its speech is intelligible, has a real language's
// phonemes, pitch contour and pauses, and carries content up to 11 kHz
// (it renders at 22 050 Hz), but it is not a human voice.
func Espeak(voice, text string) ([]float64, error) {
	bin, err := exec.LookPath("espeak-ng")
	if err != nil {
		return nil, ErrNoEspeak
	}
	dir, err := os.MkdirTemp("", "espeak")
	if err != nil {
		return nil, fmt.Errorf("espeak: %w", err)
	}
	defer os.RemoveAll(dir)
	wav := filepath.Join(dir, "speech.wav")
	if out, err := exec.Command(bin, "-v", voice, "-w", wav, text).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("espeak-ng -v %s: %w: %s", voice, err, out)
	}
	b, err := os.ReadFile(wav)
	if err != nil {
		return nil, fmt.Errorf("espeak: %w", err)
	}
	x, rate, err := ParseWAV(b)
	if err != nil {
		return nil, fmt.Errorf("espeak-ng's output: %w", err)
	}
	x = Resample(x, rate, Rate)
	var peak float64
	for _, v := range x {
		peak = max(peak, math.Abs(v))
	}
	if peak == 0 {
		return nil, fmt.Errorf("espeak-ng -v %s: silence", voice)
	}
	for i := range x {
		x[i] *= 0.5 / peak
	}
	return x, nil
}

// ParseWAV reads a RIFF WAVE file of 16-bit mono PCM: the samples at
// full scale 1, and the sample rate.
func ParseWAV(b []byte) ([]float64, int, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, errors.New("not a WAVE file")
	}
	rate := 0
	for p := 12; p+8 <= len(b); {
		id, n := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:p+8]))
		body := b[p+8:]
		switch id {
		case "fmt ":
			if n < 16 || len(body) < 16 {
				return nil, 0, errors.New("short fmt chunk")
			}
			format, channels, bits := binary.LittleEndian.Uint16(body), binary.LittleEndian.Uint16(body[2:]), binary.LittleEndian.Uint16(body[14:])
			if format != 1 || channels != 1 || bits != 16 {
				return nil, 0, fmt.Errorf("format %d, %d channels, %d bits: want 16-bit mono PCM", format, channels, bits)
			}
			rate = int(binary.LittleEndian.Uint32(body[4:]))
		case "data":
			if rate == 0 {
				return nil, 0, errors.New("data before fmt")
			}
			n = min(n, len(body)) &^ 1 // a streamed file may claim more than it has
			x := make([]float64, n/2)
			for i := range x {
				x[i] = float64(int16(binary.LittleEndian.Uint16(body[2*i:]))) / 32768
			}
			return x, rate, nil
		}
		p += 8 + n + n&1
	}
	return nil, 0, errors.New("no data chunk")
}

// Resample converts x from one sample rate to another with a
// Hann-windowed sinc of 64 taps (at the lower rate), cut off at 95 % of
// the lower rate's Nyquist frequency, one filter per output phase.
func Resample(x []float64, from, to int) []float64 {
	g := gcd(from, to)
	up, down := to/g, from/g
	const half = 32
	fc := 0.95 * min(1, float64(to)/float64(from)) // cutoff in cycles per input sample ×2
	width := int(math.Ceil(half / fc))             // taps each side, in input samples
	phases := make([][]float64, up)
	for ph := range phases {
		h := make([]float64, 2*width)
		frac := float64(ph) / float64(up)
		for k := range h {
			d := float64(k-width+1) - frac // input index offset from the output's position
			h[k] = fc * sinc(fc*d) * 0.5 * (1 + math.Cos(math.Pi*d/float64(width)))
		}
		phases[ph] = h
	}
	out := make([]float64, len(x)*up/down)
	for n := range out {
		base, ph := n*down/up, n*down%up
		h := phases[ph]
		var acc float64
		for k, w := range h {
			if i := base - width + 1 + k; i >= 0 && i < len(x) {
				acc += w * x[i]
			}
		}
		out[n] = acc
	}
	return out
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
