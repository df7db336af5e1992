package voice

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The interop tests run Debian's opus-tools (tools/sysdeps.sh installs
// them): they fail, not skip, where the tools are missing.

func wav(pcm []int16) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("RIFF")
	binary.Write(&b, le, uint32(36+2*len(pcm)))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(48000), uint32(96000), uint16(2), uint16(16)} {
		binary.Write(&b, le, v)
	}
	b.WriteString("data")
	binary.Write(&b, le, uint32(2*len(pcm)))
	binary.Write(&b, le, pcm)
	return b.Bytes()
}

// unwav reads the samples of a 16-bit mono WAV (opusdec's: it may put
// other chunks before the data).
func unwav(t *testing.T, data []byte) []int16 {
	t.Helper()
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		t.Fatalf("not a WAV: %q", data[:min(len(data), 12)])
	}
	for p := 12; p+8 <= len(data); {
		id, size := string(data[p:p+4]), int(binary.LittleEndian.Uint32(data[p+4:]))
		p += 8
		if id == "data" {
			body := data[p:min(len(data), p+size)]
			out := make([]int16, len(body)/2)
			binary.Read(bytes.NewReader(body), binary.LittleEndian, out)
			return out
		}
		p += size + size%2
	}
	t.Fatal("no data chunk")
	return nil
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// A recording decodes with opusdec to exactly the same length, and sounds
// like what went in.
func TestOpusdecDecodesARecording(t *testing.T) {
	dir := t.TempDir()
	pcm := speech(48000*4 + 123)
	data, _ := encode(t, pcm, 960)
	in, out := filepath.Join(dir, "voice.ogg"), filepath.Join(dir, "voice.wav")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, "opusdec", "--quiet", "--rate", "48000", in, out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := unwav(t, b)
	if len(got) != len(pcm) {
		t.Fatalf("opusdec gave %d samples, %d went in", len(got), len(pcm))
	}
	if c := aligned(pcm, got); c < 0.9 {
		t.Fatalf("opusdec's decode correlates %.3f with the input", c)
	}
}

// A file made by opusenc decodes here to the same length, and plays in
// the player (at 1× sample for sample the decode).
func TestOpusencFilePlays(t *testing.T) {
	dir := t.TempDir()
	pcm := speech(48000*3 + 777)
	in, out := filepath.Join(dir, "talk.wav"), filepath.Join(dir, "talk.opus")
	if err := os.WriteFile(in, wav(pcm), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, "opusenc", "--quiet", "--bitrate", "24", "--speech", in, out)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeAll(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(pcm) {
		t.Fatalf("decoded %d samples of opusenc's file, %d went in", len(got), len(pcm))
	}
	if c := aligned(pcm, got); c < 0.9 {
		t.Fatalf("decode correlates %.3f with the input", c)
	}
	p, err := NewPlayer(data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Length() != int64(len(pcm)) {
		t.Fatalf("player length %d", p.Length())
	}
	sink := &frames{}
	if err := p.Play(context.Background(), sink); err != nil {
		t.Fatal(err)
	}
	if !equal(sink.out[:len(got)], got) {
		t.Fatal("the player did not play the decode")
	}
}
