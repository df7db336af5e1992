//go:build !js

package codec

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/thesyncim/gopus"

	"parley/media/internal/testsignal"
)

func opus(t testing.TB) Codec {
	t.Helper()
	c, ok := Lookup("opus")
	if !ok {
		t.Fatal(`Lookup("opus") found nothing`)
	}
	return c
}

// talk is 4 s of the shared synthetic talker at 48 kHz, with pauses.
func talk(frames int) []int16 {
	return testsignal.PCM(testsignal.Talker{Seed: 3, Pitch: 140, Rate: 4, Amp: 0.5}.Speech(frames * FrameSamples))
}

// opusLag is the encoder's lookahead: 6.5 ms, by which the decoded signal
// trails the input.
const opusLag = 312

// encodeAll encodes pcm frame by frame with enc.
func encodeAll(t testing.TB, enc Encoder, pcm []int16) [][]byte {
	t.Helper()
	var packets [][]byte
	for f := 0; f+FrameSamples <= len(pcm); f += FrameSamples {
		p, err := enc.Encode(nil, pcm[f:f+FrameSamples])
		if err != nil {
			t.Fatal(err)
		}
		packets = append(packets, p)
	}
	return packets
}

func TestRegistryListsOpusThenG722(t *testing.T) {
	if got := Names(); !slices.Equal(got, []string{"opus", "g722"}) {
		t.Errorf("Names() = %q, want [opus g722]: Opus preferred, G.722 the fallback", got)
	}
	for _, name := range []string{"opus", "g722"} {
		c, ok := Lookup(name)
		if !ok || c.Name != name || c.NewEncoder == nil || c.NewDecoder == nil {
			t.Errorf("%s codec is missing or incomplete: %+v", name, c)
		}
	}
	if _, ok := Lookup("pcm"); ok {
		t.Error(`Lookup("pcm") found a codec that is not built in`)
	}
	names := Names()
	names[0] = "changed"
	if Names()[0] != "opus" {
		t.Error("Names returned a slice shared with the registry")
	}
}

func TestOpusComplexityIsChosenPerPlatform(t *testing.T) {
	for _, tc := range []struct {
		goos, goarch string
		want         int
	}{
		{"linux", "amd64", 9},
		{"windows", "amd64", 9},
		{"darwin", "arm64", 9},
		{"linux", "arm64", 9},
		{"freebsd", "amd64", 9},
		{"android", "arm64", 7},
		{"ios", "arm64", 7},
		{"android", "arm", 7},
		{"linux", "arm", 7},
		{"windows", "386", 7},
		{"linux", "riscv64", 7},
		{"js", "wasm", 7},
	} {
		if got := opusComplexity(tc.goos, tc.goarch); got != tc.want {
			t.Errorf("opusComplexity(%s, %s) = %d, want %d", tc.goos, tc.goarch, got, tc.want)
		}
	}
	for _, c := range []int{7, 9} { // every value it returns is one the encoder takes
		if _, err := newOpusEncoder(c); err != nil {
			t.Errorf("complexity %d: %v", c, err)
		}
	}
}

// Speech survives the round trip, one 20 ms frame per packet, at about
// the bitrate asked for; Adapt raises it.
func TestOpusRoundTripKeepsSpeechAtTheBitrate(t *testing.T) {
	const frames = 200
	in := talk(frames)
	kbps := func(packets [][]byte) float64 {
		n := 0
		for _, p := range packets {
			n += len(p)
		}
		return float64(n*8) / (frames * 0.02) / 1000
	}
	c := opus(t)
	enc, dec := c.NewEncoder(), c.NewDecoder()
	packets := encodeAll(t, enc, in)
	var out []int16
	for i, p := range packets {
		if opusPacketSamples(p) != FrameSamples || gopus.ParseTOC(p[0]).FrameCode != 0 || gopus.ParseTOC(p[0]).Stereo {
			t.Fatalf("packet %d is not one mono 20 ms frame: TOC %#x", i, p[0])
		}
		var err error
		if out, err = dec.Decode(out, p); err != nil {
			t.Fatal(err)
		}
	}
	if len(out) != len(in) {
		t.Fatalf("decoded %d samples from %d", len(out), len(in))
	}
	lag := bestLag(in, out, 400)
	seg := segmentalSNR(in, out, lag, FrameSamples, len(in)-lag, FrameSamples)
	t.Logf("24 kbit/s: %.1f kbit/s on average (pauses included), lag %d, segmental SNR %.1f dB", kbps(packets), lag, seg)
	if lag < opusLag-8 || lag > opusLag+8 {
		t.Errorf("decoded speech trails by %d samples, want about the lookahead %d", lag, opusLag)
	}
	if seg < 8 { // measured 10.2 dB: SILK is not a waveform coder, but it follows the waveform
		t.Errorf("segmental SNR %.1f dB, want ≥ 8", seg)
	}
	if r := kbps(packets); r < 10 || r > 26 {
		t.Errorf("%.1f kbit/s at a 24 kbit/s VBR target (with pauses), want 10–26", r)
	}

	enc32 := c.NewEncoder()
	if err := enc32.(PathAdapter).Adapt(OpusMaxBitrate, 0); err != nil {
		t.Fatal(err)
	}
	if lo, hi := kbps(packets), kbps(encodeAll(t, enc32, in)); hi < lo*1.15 || hi > 34 {
		t.Errorf("Adapt to 32 kbit/s: %.1f kbit/s against %.1f at 24, want clearly more and at most 34", hi, lo)
	}
}

// With an expected loss set, the packets carry a low-bitrate copy of the
// frame before, and a frame lost and rebuilt from it is much closer to
// the clean decode than one concealed.
func TestOpusFECRebuildsALostFrameBetterThanConcealment(t *testing.T) {
	const frames = 200
	in := talk(frames)
	c := opus(t)
	enc := c.NewEncoder()
	if err := enc.(PathAdapter).Adapt(OpusBitrate, 10); err != nil {
		t.Fatal(err)
	}
	packets := encodeAll(t, enc, in)
	clean := decodeOpus(t, packets, nil, false)
	lost := map[int]bool{}
	for f := 10; f < frames-1; f += 7 {
		lost[f] = true
	}
	concealed := decodeOpus(t, packets, lost, false)
	recovered := decodeOpus(t, packets, lost, true)
	var sumC, sumR float64
	n := 0
	for f := range lost {
		if rms(frame(clean, f)) < 300 { // a pause: nothing to compare
			continue
		}
		sumC += snr(frame(clean, f), frame(concealed, f), 0, 0, FrameSamples)
		sumR += snr(frame(clean, f), frame(recovered, f), 0, 0, FrameSamples)
		n++
	}
	t.Logf("%d lost frames of speech: against the clean decode, concealed %.1f dB, rebuilt from FEC %.1f dB", n, sumC/float64(n), sumR/float64(n))
	if n < 10 || sumR/float64(n) < sumC/float64(n)+3 {
		t.Errorf("FEC %.1f dB against concealment %.1f dB over %d frames: want at least 3 dB better", sumR/float64(n), sumC/float64(n), n)
	}

	// Without an expected loss the encoder spends nothing on FEC.
	plain := encodeAll(t, c.NewEncoder(), in)
	for i, p := range plain {
		if gopus.PacketHasLBRR(p) {
			t.Fatalf("packet %d carries FEC with no loss expected", i)
		}
	}
}

// decodeOpus decodes packets, treating the frames in lost as lost: each is
// concealed, or, with fec, rebuilt from the next packet when that one came.
func decodeOpus(t *testing.T, packets [][]byte, lost map[int]bool, fec bool) []int16 {
	t.Helper()
	dec := opus(t).NewDecoder()
	var out []int16
	for f, p := range packets {
		if lost[f] {
			if fec && f+1 < len(packets) && !lost[f+1] {
				out, _ = dec.(Recoverer).Recover(out, packets[f+1])
			} else {
				out = dec.Conceal(out)
			}
			continue
		}
		var err error
		if out, err = dec.Decode(out, p); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// The voice activity flag marks the talker's pauses (after a short
// hangover) and never speech.
func TestOpusQuietFollowsTheTalkersPauses(t *testing.T) {
	const frames = 200
	in := talk(frames)
	c := opus(t)
	packets := encodeAll(t, c.NewEncoder(), in)
	quiet, speech := 0, 0
	for f := 2; f < frames; f++ {
		// The flag of packet f covers frame f as the encoder saw it,
		// opusLag samples late: judge the input where they overlap most.
		level := rms(in[f*FrameSamples-opusLag : (f+1)*FrameSamples-opusLag])
		switch q := c.Quiet(packets[f]); {
		case level > 1000 && q:
			t.Errorf("frame %d at level %.0f is marked quiet", f, level)
		case q:
			quiet++
		default:
			speech++
		}
	}
	if quiet < 20 || speech < 80 {
		t.Errorf("%d quiet and %d speech frames: the talker pauses now and then", quiet, speech)
	}
	if c.Quiet(nil) || c.Quiet([]byte{0x00}) {
		t.Error("an empty or TOC-only packet is not known to be quiet")
	}
	if g := g722(t); g.Quiet != nil {
		t.Error("G.722 packets carry no voice activity flag, but the codec claims to read one")
	}
}

func TestOpusDecodeRefusesPacketsItCannotHaveProduced(t *testing.T) {
	c := opus(t)
	in := talk(10)
	packets := encodeAll(t, c.NewEncoder(), in)
	// 40 ms in one packet: another encoder's framing.
	long, err := gopus.NewEncoder(gopus.EncoderConfig{SampleRate: SampleRate, Channels: 1, Application: gopus.ApplicationVoIP})
	if err != nil {
		t.Fatal(err)
	}
	if err := long.SetFrameSize(2 * FrameSamples); err != nil {
		t.Fatal(err)
	}
	pcm40 := make([]float32, 2*FrameSamples)
	buf := make([]byte, 1500)
	n, err := long.Encode(pcm40, buf)
	if err != nil {
		t.Fatal(err)
	}
	dec := c.NewDecoder()
	for _, bad := range [][]byte{nil, {}, buf[:n], {0x0b} /* 20 ms, code 3 without its count byte */, {0xfb}} {
		if _, err := dec.Decode(nil, bad); !errors.Is(err, ErrPacket) {
			t.Errorf("Decode(% x): %v, want ErrPacket", bad[:min(len(bad), 4)], err)
		}
	}
	// The refusals left the decoder usable.
	if out, err := dec.Decode(nil, packets[3]); err != nil || len(out) != FrameSamples {
		t.Fatalf("decoding after refusals: %d samples, %v", len(out), err)
	}
}

// Decoding allocates nothing. The pure-Go library allocates a little per
// frame elsewhere (measured with v0.1.1: the encoder's noise-shaping state
// clone with FEC on, 6 objects, 12 KB; SILK concealment 4; FEC decoding
// 3), garbage the collector takes in its stride at 50 frames a second;
// the bounds catch it getting worse.
func TestOpusAllocationsPerFrame(t *testing.T) {
	c := opus(t)
	enc, dec := c.NewEncoder(), c.NewDecoder()
	if err := enc.(PathAdapter).Adapt(OpusBitrate, 10); err != nil {
		t.Fatal(err)
	}
	in := talk(20)
	var pkt []byte
	for f := range 19 { // warm up: the FEC needs a frame before
		var err error
		if pkt, err = enc.Encode(make([]byte, 0, 400), frame(in, f)); err != nil {
			t.Fatal(err)
		}
	}
	pcm := frame(in, 19)
	out := make([]int16, 0, FrameSamples)
	rec := dec.(Recoverer)
	for _, step := range []struct {
		name string
		max  float64
		run  func()
	}{
		{"Encode", 8, func() { pkt, _ = enc.Encode(pkt[:0], pcm) }},
		{"Decode", 0, func() { out, _ = dec.Decode(out[:0], pkt) }},
		{"Conceal", 6, func() { out = dec.Conceal(out[:0]) }},
		{"Recover", 5, func() { out, _ = rec.Recover(out[:0], pkt) }},
	} {
		n := testing.AllocsPerRun(50, step.run)
		t.Logf("%s: %.0f allocations per frame", step.name, n)
		if n > step.max {
			t.Errorf("%s allocates %.0f times per frame, want at most %.0f", step.name, n, step.max)
		}
	}
}

func TestChooseTakesTheFirstOfferedCodecThisAppHas(t *testing.T) {
	for _, tc := range []struct {
		offered []string
		want    string
	}{
		{[]string{"opus", "g722"}, "opus"},
		{[]string{"g722"}, "g722"},                 // an older caller
		{[]string{"g722", "opus"}, "g722"},         // the caller's order wins
		{[]string{"lyra", "opus", "g722"}, "opus"}, // unknown names are passed over
		{[]string{"lyra"}, ""},
		{nil, ""},
	} {
		c, ok := Choose(tc.offered)
		if c.Name != tc.want || ok != (tc.want != "") {
			t.Errorf("Choose(%q) = %q, %v; want %q", tc.offered, c.Name, ok, tc.want)
		}
	}
}

// A peer's packets are untrusted: random bytes, most with a TOC that
// announces 20 ms, neither crash the decoder nor make it produce anything
// but one frame (or a refusal), and it decodes real packets afterwards.
func TestOpusDecoderSurvivesGarbage(t *testing.T) {
	c := opus(t)
	dec := c.NewDecoder()
	rec := dec.(Recoverer)
	rng := rand.New(rand.NewPCG(11, 12))
	tocs := []byte{0x0b, 0x4b, 0x8b, 0x68, 0x78, 0xfc, 0x9b} // 20 ms configurations (code 0) of SILK, hybrid and CELT
	for i := range 3000 {
		p := make([]byte, 1+rng.IntN(300))
		for j := range p {
			p[j] = byte(rng.Uint32())
		}
		if i%4 != 0 {
			p[0] = tocs[rng.IntN(len(tocs))]
		}
		out, err := dec.Decode(nil, p)
		if err != nil && !errors.Is(err, ErrPacket) || err == nil && len(out) != FrameSamples || err != nil && len(out) != 0 {
			t.Fatalf("packet %d (% x…): %d samples, %v", i, p[:min(len(p), 4)], len(out), err)
		}
		if out, _ := rec.Recover(nil, p); len(out) != FrameSamples {
			t.Fatalf("Recover from packet %d: %d samples", i, len(out))
		}
		if out := dec.Conceal(nil); len(out) != FrameSamples {
			t.Fatalf("Conceal after packet %d: %d samples", i, len(out))
		}
	}
	packets := encodeAll(t, c.NewEncoder(), talk(5))
	for _, p := range packets {
		if out, err := dec.Decode(nil, p); err != nil || len(out) != FrameSamples {
			t.Fatalf("a real packet after the garbage: %d samples, %v", len(out), err)
		}
	}
}
