package voice

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"testing"
	"time"

	"parley/media/internal/testsignal"
	"parley/net/proto"
)

// speech returns n samples of the shared test talker.
func speech(n int) []int16 {
	return testsignal.PCM(testsignal.Talker{Seed: 16, Pitch: 140, Rate: 4, Amp: 0.5}.Speech(n))
}

func encode(t testing.TB, pcm []int16, chunk int) ([]byte, Info) {
	t.Helper()
	var b bytes.Buffer
	e, err := NewEncoder(&b)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(pcm); i += chunk {
		if _, err := e.Write(pcm[i:min(len(pcm), i+chunk)]); err != nil {
			t.Fatal(err)
		}
	}
	info, err := e.Close()
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), info
}

// aligned is the best normalised correlation of a and b within ±8
// samples (0.17 ms). Opus's SILK path delays by a few samples less than
// the lookahead the pre-skip removes (measured: 2 to 3 samples at 48 kHz,
// as with libopus, and what opusdec does too), so the best lag is not 0.
func aligned(a, b []int16) float64 {
	var best float64
	for lag := -8; lag <= 8; lag++ {
		if lag >= 0 {
			best = max(best, correlation(a[:len(a)-lag], b[lag:]))
		} else {
			best = max(best, correlation(a[-lag:], b))
		}
	}
	return best
}

// correlation is the normalised correlation of a and b at lag 0, over
// the shorter.
func correlation(a, b []int16) float64 {
	n := min(len(a), len(b))
	var ab, aa, bb float64
	for i := range n {
		x, y := float64(a[i]), float64(b[i])
		ab += x * y
		aa += x * x
		bb += y * y
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

// The limits are the wire's.
func TestLimitsAreTheProtocols(t *testing.T) {
	if MaxDuration != time.Duration(proto.MaxVoiceMS)*time.Millisecond || Levels != proto.MaxWaveform {
		t.Fatalf("MaxDuration %v, Levels %d; proto says %d ms, %d", MaxDuration, Levels, proto.MaxVoiceMS, proto.MaxWaveform)
	}
}

// A recording decodes to exactly as many samples as went in, whatever the
// chunking, lines up with the input (the pre-skip is the lookahead), and
// sounds like it: correlation above 0.9. Opus at 24 kbit/s keeps speech's
// waveform (SILK codes it, 8 kHz audio bandwidth); the test talker has
// most of its energy under 4 kHz, so a good decode correlates well above
// 0.9, and one off by even a millisecond (a wrong pre-skip) falls under 0.5.
func TestEncodeDecodeSameLength(t *testing.T) {
	for _, n := range []int{0, 1, 959, 960, 48000*3 + 377} {
		for _, chunk := range []int{960, 441} {
			pcm := speech(n)
			data, info := encode(t, pcm, chunk)
			if info.Samples != int64(n) || info.Duration != SamplesToDuration(int64(n)) {
				t.Fatalf("n %d: info %+v", n, info)
			}
			got, err := DecodeAll(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != n {
				t.Fatalf("n %d chunk %d: decoded %d samples", n, chunk, len(got))
			}
			if l, err := Length(bytes.NewReader(data)); err != nil || l != int64(n) {
				t.Fatalf("n %d: Length %d, %v", n, l, err)
			}
			if n > 48000 {
				if c := aligned(pcm, got); c < 0.9 {
					t.Fatalf("n %d: correlation %.3f", n, c)
				}
			}
		}
	}
}

// About 24 kbit/s.
func TestBitrate(t *testing.T) {
	pcm := speech(48000 * 10)
	data, _ := encode(t, pcm, 960)
	kbps := float64(len(data)*8) / 10 / 1000
	t.Logf("%d bytes for 10 s: %.1f kbit/s", len(data), kbps)
	if kbps < 12 || kbps > 30 {
		t.Fatalf("%.1f kbit/s, want about 24", kbps)
	}
}

// The waveform: at most Levels levels, the loud part loud, the silent
// part at zero.
func TestWaveform(t *testing.T) {
	pcm := append(make([]int16, 48000*2), speech(48000*2)...)
	_, info := encode(t, pcm, 960)
	w := info.Waveform
	if len(w) != Levels {
		t.Fatalf("%d levels", len(w))
	}
	for i, l := range w[:Levels/2-1] {
		if l != 0 {
			t.Fatalf("level %d in the silence is %d", i, l)
		}
	}
	var loud int
	for _, l := range w[Levels/2:] {
		if l > 100 {
			loud++
		}
	}
	if loud < Levels/4 {
		t.Fatalf("only %d loud levels in the speech: %v", loud, w[Levels/2:])
	}
	if short := Waveform(make([]float64, 7)); len(short) != 7 {
		t.Fatalf("7 frames give %d levels", len(short))
	}
}

// Writing past the limit takes what fits and says ErrFull; the file ends
// at the limit.
func TestLimit(t *testing.T) {
	var b bytes.Buffer
	e, err := NewEncoder(&b)
	if err != nil {
		t.Fatal(err)
	}
	e.limit = 48000
	n, err := e.Write(speech(50000))
	if n != 48000 || !errors.Is(err, ErrFull) {
		t.Fatalf("wrote %d, %v", n, err)
	}
	if n, err := e.Write(speech(10)); n != 0 || !errors.Is(err, ErrFull) {
		t.Fatalf("then %d, %v", n, err)
	}
	info, err := e.Close()
	if err != nil || info.Samples != 48000 {
		t.Fatalf("%+v %v", info, err)
	}
	if l, err := Length(bytes.NewReader(b.Bytes())); l != 48000 || err != nil {
		t.Fatalf("length %d %v", l, err)
	}
}

// Seeking gives the same audio as decoding from the start.
func TestSeek(t *testing.T) {
	pcm := speech(48000 * 3)
	data, _ := encode(t, pcm, 960)
	all, _ := DecodeAll(bytes.NewReader(data))
	for _, pos := range []int64{0, 100, 48000, 48000*2 + 333, 48000 * 3, 48000 * 4} {
		d, err := NewDecoder(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.SeekSample(pos); err != nil {
			t.Fatal(err)
		}
		if d.Position() != pos {
			t.Fatalf("position %d after seek to %d", d.Position(), pos)
		}
		var got []int16
		buf := make([]int16, 1000)
		for {
			n, err := d.Read(buf)
			got = append(got, buf[:n]...)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		want := all[min(pos, int64(len(all))):]
		if len(got) != len(want) {
			t.Fatalf("seek %d: %d samples, want %d", pos, len(got), len(want))
		}
		if len(want) > 4800 {
			if c := correlation(want[:4800], got[:4800]); c < 0.95 {
				t.Fatalf("seek %d: correlation %.3f with the decode from the start", pos, c)
			}
		}
	}
}

// Garbage is an error, not a panic.
func TestNotOpus(t *testing.T) {
	if _, err := DecodeAll(bytes.NewReader([]byte("OggS but not really"))); err == nil {
		t.Fatal("garbage decoded")
	}
	if _, err := NewPlayer([]byte("RIFF....WAVE")); err == nil {
		t.Fatal("a WAV made a player")
	}
}

// frames is an audio.Frames over a slice, without a clock.
type frames struct {
	pcm []int16
	out []int16
}

func (f *frames) ReadFrame(ctx context.Context, dst []int16) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n := copy(dst, f.pcm)
	clear(dst[n:])
	f.pcm = f.pcm[n:]
	return nil
}

func (f *frames) WriteFrame(ctx context.Context, src []int16) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.out = append(f.out, src...)
	return nil
}

// The recorder stops by itself at the limit, and keeps what it got.
func TestRecorderStopsAtLimit(t *testing.T) {
	src := &frames{pcm: speech(48000 * 2)}
	var b bytes.Buffer
	r, err := record(context.Background(), src, &b, 48000)
	if err != nil {
		t.Fatal(err)
	}
	<-r.Done()
	if !r.Full() || r.Elapsed() != time.Second {
		t.Fatalf("full %v, elapsed %v", r.Full(), r.Elapsed())
	}
	if r.Level() < 0.3 {
		t.Fatalf("level %.2f", r.Level())
	}
	info, err := r.Stop()
	if err != nil || info.Samples != 48000 {
		t.Fatalf("%+v %v", info, err)
	}
	if again, err := r.Stop(); err != nil || again.Samples != 48000 {
		t.Fatalf("second stop: %+v %v", again, err)
	}
}

// The player at 1× gives the decoded message back sample for sample;
// at 2× in half the time, at 1.5× in two thirds.
func TestPlayerSpeeds(t *testing.T) {
	pcm := speech(48000 * 2)
	data, _ := encode(t, pcm, 960)
	all, _ := DecodeAll(bytes.NewReader(data))
	for _, speed := range []float64{1, 1.5, 2} {
		p, err := NewPlayer(data)
		if err != nil {
			t.Fatal(err)
		}
		p.SetSpeed(speed)
		out := &frames{}
		if err := p.Play(context.Background(), out); err != nil {
			t.Fatal(err)
		}
		if !p.Ended() || p.Position() != p.Length() {
			t.Fatalf("%v×: ended %v at %d of %d", speed, p.Ended(), p.Position(), p.Length())
		}
		want := float64(len(all)) / speed
		if got := float64(len(out.out)); math.Abs(got-want) > 2*FrameSamples {
			t.Fatalf("%v×: %d samples out, want about %.0f", speed, len(out.out), want)
		}
		if speed == 1 && !equal(out.out[:len(all)], all) {
			t.Fatal("1× is not the decoded message")
		}
	}
}

func equal(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A seek while playing continues from there.
func TestPlayerSeek(t *testing.T) {
	pcm := speech(48000 * 2)
	data, _ := encode(t, pcm, 960)
	all, _ := DecodeAll(bytes.NewReader(data))
	p, err := NewPlayer(data)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, FrameSamples)
	if _, err := p.Next(frame); err != nil {
		t.Fatal(err)
	}
	p.SeekTo(48000)
	if p.Position() != 48000 {
		t.Fatalf("position %d", p.Position())
	}
	var got []int16
	for {
		more, err := p.Next(frame)
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			break
		}
		got = append(got, frame...)
	}
	if c := correlation(all[48000:], got); c < 0.95 || len(got) < 48000 {
		t.Fatalf("after the seek: %d samples, correlation %.3f", len(got), c)
	}
}

// WSOLA keeps the pitch: a 200 Hz tone at 2× is still 200 Hz (its zero
// crossings per second), where resampling would make it 400 Hz.
func TestStretchKeepsPitch(t *testing.T) {
	in := make([]int16, 48000)
	for i := range in {
		in[i] = int16(10000 * math.Sin(2*math.Pi*200*float64(i)/48000))
	}
	for _, speed := range []float64{1.5, 2} {
		s := NewStretch(0, speed)
		s.Push(in)
		s.End()
		out := make([]int16, s.Available())
		s.Pull(out)
		body := out[FrameSamples : len(out)-2*FrameSamples]
		var crossings int
		for i := 1; i < len(body); i++ {
			if (body[i-1] < 0) != (body[i] < 0) {
				crossings++
			}
		}
		hz := float64(crossings) / 2 / (float64(len(body)) / 48000)
		if math.Abs(hz-200) > 10 {
			t.Fatalf("%v×: %.0f Hz", speed, hz)
		}
		if got, want := float64(len(out)), 48000/speed; math.Abs(got-want) > 2*FrameSamples {
			t.Fatalf("%v×: %d samples, want about %.0f", speed, len(out), want)
		}
	}
}

// BenchmarkEncode is the CPU one second of voice costs to encode:
// ns/op is per second of audio.
func BenchmarkEncode(b *testing.B) {
	pcm := speech(48000)
	e, err := NewEncoder(io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if e.Samples() > maxSamples-48000 {
			e, _ = NewEncoder(io.Discard)
		}
		if _, err := e.Write(pcm); err != nil {
			b.Fatal(err)
		}
	}
}

// Analyze finds what the encoder said: the length exactly, the waveform
// nearly (the decode is not the input).
func TestAnalyze(t *testing.T) {
	pcm := append(make([]int16, 48000), speech(48000*2+500)...)
	data, info := encode(t, pcm, 960)
	got, err := Analyze(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got.Samples != info.Samples || len(got.Waveform) != len(info.Waveform) {
		t.Fatalf("analysed %d samples, %d levels; the encoder said %d, %d", got.Samples, len(got.Waveform), info.Samples, len(info.Waveform))
	}
	for i := range got.Waveform {
		if d := int(got.Waveform[i]) - int(info.Waveform[i]); d < -30 || d > 30 {
			t.Fatalf("level %d: %d analysed, %d encoded", i, got.Waveform[i], info.Waveform[i])
		}
	}
}

// BenchmarkPlay is the CPU one second of a voice message costs to play
// (decode and, at 2×, WSOLA): ns/op is per second of output.
func BenchmarkPlay(b *testing.B) {
	data, _ := encode(b, speech(48000*20), 960)
	for _, speed := range []float64{1, 2} {
		b.Run(fmt.Sprintf("%gx", speed), func(b *testing.B) {
			p, err := NewPlayer(data)
			if err != nil {
				b.Fatal(err)
			}
			p.SetSpeed(speed)
			frame := make([]int16, FrameSamples)
			for b.Loop() {
				for range 50 { // one second of output
					more, err := p.Next(frame)
					if err != nil {
						b.Fatal(err)
					}
					if !more {
						p.SeekTo(0)
					}
				}
			}
		})
	}
}
