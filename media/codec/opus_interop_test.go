//go:build !js

package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/thesyncim/gopus/container/ogg"
)

// Interoperability with libopus, the reference implementation, as Debian
// ships it in opus-tools (opusenc and opusdec 0.2 on libopus 1.3.1). Ogg
// Opus (RFC 7845) is only the test's envelope: a call carries the bare
// packets.

func opusTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s (Debian package opus-tools) is needed for the interop tests: %v", name, err)
	}
	return path
}

func writeRaw(t *testing.T, path string, pcm []int16) {
	t.Helper()
	if err := os.WriteFile(path, pcmBytes(pcm), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readRaw(t *testing.T, path string) []int16 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, len(b)/2)
	for i := range out {
		out[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return out
}

// A stream encoded by Parley, in Ogg, decodes with libopus's opusdec to
// the speech that went in, and to what Parley's own decoder makes of it.
func TestOpusEncodedByParleyDecodesWithOpusdec(t *testing.T) {
	opusdec := opusTool(t, "opusdec")
	dir := t.TempDir()
	const frames = 200
	in := talk(frames)

	enc := mustOpusEncoder(opusComplexity("linux", "amd64"))
	if err := enc.Adapt(OpusBitrate, 10); err != nil { // FEC in the stream too
		t.Fatal(err)
	}
	var file bytes.Buffer
	w, err := ogg.NewWriterWithConfig(&file, ogg.WriterConfig{
		SampleRate: SampleRate, Channels: 1, PreSkip: uint16(enc.enc.Lookahead()), StreamCount: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	packets := encodeAll(t, enc, in)
	for _, p := range packets {
		if err := w.WritePacket(p, FrameSamples); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "parley.opus"), file.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(opusdec, "--quiet", "--rate", "48000", "--no-dither", filepath.Join(dir, "parley.opus"), filepath.Join(dir, "out.raw"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("opusdec: %v\n%s", err, out)
	}
	theirs := readRaw(t, filepath.Join(dir, "out.raw"))

	// opusdec drops the pre-skip: its output lines up with the input.
	if len(theirs) < len(in)-2*FrameSamples {
		t.Fatalf("opusdec decoded %d samples of %d", len(theirs), len(in))
	}
	n := min(len(theirs), len(in)) - FrameSamples
	lag, seg := alignedSNR(in[:n], theirs)
	// And libopus agrees with Parley's decoder on the same packets.
	dec := mustOpusDecoder()
	var ours []int16
	for _, p := range packets {
		if ours, err = dec.Decode(ours, p); err != nil {
			t.Fatal(err)
		}
	}
	pre := enc.enc.Lookahead()
	agree := snr(ours[pre:pre+n], theirs, 0, FrameSamples, n)
	t.Logf("opusdec: lag %d, segmental SNR %.1f dB against the input; %.1f dB against Parley's decoder", lag, seg, agree)
	if lag < -8 || lag > 8 || seg < 8 {
		t.Errorf("opusdec's output: lag %d samples (want within ±8 after the pre-skip), segmental SNR %.1f dB (want ≥ 8)", lag, seg)
	}
	if agree < 60 { // measured: the same samples
		t.Errorf("libopus and Parley decode the same packets %.1f dB apart, want ≥ 60 dB", agree)
	}
}

// A stream from libopus's opusenc decodes in Parley, packet by packet, to
// the speech that went in.
func TestOpusencStreamDecodesInParley(t *testing.T) {
	opusenc := opusTool(t, "opusenc")
	dir := t.TempDir()
	const frames = 200
	in := talk(frames)
	writeRaw(t, filepath.Join(dir, "in.raw"), in)
	cmd := exec.Command(opusenc, "--quiet", "--raw", "--raw-rate", "48000", "--raw-chan", "1",
		"--bitrate", "24", "--framesize", "20", "--speech",
		filepath.Join(dir, "in.raw"), filepath.Join(dir, "libopus.opus"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("opusenc: %v\n%s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "libopus.opus"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ogg.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if r.Channels() != 1 || r.SampleRate() != SampleRate {
		t.Fatalf("opusenc wrote %d channels at %d Hz, want mono 48 kHz", r.Channels(), r.SampleRate())
	}
	dec := opus(t).NewDecoder()
	var out []int16
	packets := 0
	for {
		p, _, err := r.ReadPacket()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if out, err = dec.Decode(out, p); err != nil {
			t.Fatalf("packet %d (%d bytes, TOC %#x): %v", packets, len(p), p[0], err)
		}
		packets++
	}
	pre := int(r.PreSkip())
	if packets < frames || len(out) < pre+len(in)-FrameSamples {
		t.Fatalf("decoded %d packets, %d samples; want %d frames after a pre-skip of %d", packets, len(out), frames, pre)
	}
	out = out[pre:]
	n := len(in) - FrameSamples
	lag, seg := alignedSNR(in[:n], out)
	t.Logf("opusenc → Parley: %d packets, pre-skip %d, lag %d, segmental SNR %.1f dB", packets, pre, lag, seg)
	if lag < -8 || lag > 8 || seg < 8 {
		t.Errorf("Parley's decode of opusenc's stream: lag %d samples (want within ±8 after the pre-skip), segmental SNR %.1f dB (want ≥ 8)", lag, seg)
	}
}

// alignedSNR finds the lag of got against want within ±16 samples (the
// pre-skip removes the codec's delay up to the resampler's fraction) and
// returns it with the segmental SNR there.
func alignedSNR(want, got []int16) (lag int, seg float64) {
	const pad = 16
	padded := append(make([]int16, pad), got...)
	d := bestLag(want, padded, 2*pad)
	return d - pad, segmentalSNR(want, padded, d, FrameSamples, len(want)-2*pad, FrameSamples)
}
