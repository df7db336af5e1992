package call

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"parley/media/codec"
	"parley/media/internal/testsignal"
	"parley/media/jitter"
	"parley/net/proto"
)

// simulatedWith is simulated with a codec and a jitter configuration.
func simulatedWith(t testing.TB, id proto.CallID, now *time.Duration, c codec.Codec, jc jitter.Config) *Engine {
	t.Helper()
	e, err := newEngine(Config{
		Call:   id,
		Codec:  c,
		Jitter: jc,
		Audio:  noFrames{},
		Send:   SenderFunc(func([]byte) error { return nil }),
		Clock:  func() time.Duration { return *now },
		Echo:   EchoOff,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func lookup(t testing.TB, name string) codec.Codec {
	t.Helper()
	c, ok := codec.Lookup(name)
	if !ok {
		t.Fatalf("no codec %q", name)
	}
	return c
}

// withoutFEC is c with its encoder deaf to loss reports and its decoder
// unable to use FEC: Opus as it would be with FEC off.
func withoutFEC(c codec.Codec) codec.Codec {
	enc, dec := c.NewEncoder, c.NewDecoder
	c.NewEncoder = func() codec.Encoder { return struct{ codec.Encoder }{enc()} }
	c.NewDecoder = func() codec.Decoder { return struct{ codec.Decoder }{dec()} }
	return c
}

// speech is the shared synthetic talker at 48 kHz, in 16-bit samples.
func speech(frames int) []int16 {
	return testsignal.PCM(testsignal.Talker{Seed: 5, Pitch: 130, Rate: 4, Amp: 0.5}.Speech(frames * codec.FrameSamples))
}

// lossyRun is what one simulated call measured.
type lossyRun struct {
	out, ref []int16 // what b played; a clean decode of every packet a sent
	a, b     Stats
	payload  int   // bytes of codec payload a sent
	sizes    []int // of the packets a sent, with their headers
}

// lossyCall runs a call from a to b on a simulated clock: a speaks the
// talker, every packet crosses a network of 40 ms plus up to 4 ms of
// jitter and is lost at random with probability loss (seeded); b's loss
// reports go back to a, as they would through the server. ref is the
// clean decode of every packet a sent, the measure of what loss cost.
func lossyCall(t testing.TB, c codec.Codec, loss float64, seed uint64, in []int16) lossyRun {
	t.Helper()
	var now time.Duration
	a, b := simulatedWith(t, 3, &now, c, jitter.Config{}), simulatedWith(t, 3, &now, c, jitter.Config{})
	rng := rand.New(rand.NewPCG(seed, 17))
	frames := len(in) / codec.FrameSamples
	type flight struct {
		at  time.Duration
		pkt []byte
	}
	var air []flight
	var run lossyRun
	refDec := c.NewDecoder()
	for n := range frames {
		now = time.Duration(n) * codec.FrameDuration
		pkt, err := a.packFrame(append([]int16(nil), in[n*codec.FrameSamples:(n+1)*codec.FrameSamples]...))
		if err != nil {
			t.Fatal(err)
		}
		p, _ := proto.ParsePacket(pkt)
		run.payload += len(p.Payload)
		run.sizes = append(run.sizes, len(pkt))
		if len(p.Payload) == 0 {
			run.ref = append(run.ref, make([]int16, codec.FrameSamples)...)
		} else if run.ref, err = refDec.Decode(run.ref, p.Payload); err != nil {
			t.Fatal(err)
		}
		if rng.Float64() >= loss {
			air = append(air, flight{now + 40*time.Millisecond + time.Duration(rng.IntN(5))*time.Millisecond, append([]byte(nil), pkt...)})
		}
		rest := air[:0]
		for _, f := range air {
			if f.at <= now {
				b.Receive(f.pkt)
			} else {
				rest = append(rest, f)
			}
		}
		air = rest
		run.out = append(run.out, b.playFrame(now)...)
		if (n+1)%proto.ReportPerFrames == 0 {
			if r, ok := b.lossReport(); ok {
				a.Receive(r)
			}
		}
	}
	run.a, run.b = a.Stats(), b.Stats()
	return run
}

// quality compares what b played with the clean decode from the third
// second on: each second is aligned on its own (so that a frame the
// jitter buffer dropped or stretched moves one second, not the rest),
// and the sums over all of them give the correlation and the SNR in dB
// (the clean decode's power over that of the difference).
func (r lossyRun) quality() (corr, snrDB float64) {
	const second = codec.SampleRate
	ref := func(i int) float64 {
		if i < 0 || i >= len(r.ref) {
			return 0
		}
		return float64(r.ref[i])
	}
	var gg, rr, gr, noise float64
	for from := 2 * second; from+second <= len(r.out); from += second {
		got := make([]float64, second)
		for i := range got {
			got[i] = float64(r.out[from+i])
		}
		lag, _, _ := match(got, ref, from, 6000)
		for i, g := range got {
			x := ref(from + i - lag)
			gg += g * g
			rr += x * x
			gr += g * x
			noise += (g - x) * (g - x)
		}
	}
	return gr / math.Sqrt(gg*rr), 10 * math.Log10(rr/max(noise, 1))
}

// With Opus at 10 % random loss, the receiver's reports make the sender
// add FEC, and the receiver rebuilds lost frames from it: clearly closer
// to the clean decode than concealment alone.
func TestLostFramesAreRebuiltFromTheNextPacketsFEC(t *testing.T) {
	const frames = 20 * 50
	opus := lookup(t, "opus")
	with := lossyCall(t, opus, 0.10, 1, speech(frames))
	without := lossyCall(t, withoutFEC(opus), 0.10, 1, speech(frames))
	cw, sw := with.quality()
	co, so := without.quality()
	st := with.b.Jitter
	t.Logf("10%% loss: with FEC corr %.3f SNR %.1f dB (%d of %d missing frames rebuilt, sender told %.1f%%, bitrate %d); without corr %.3f SNR %.1f dB",
		cw, sw, with.b.Recovered, st.Concealed-st.Stretched, 100*with.a.PeerLoss, with.a.Bitrate, co, so)
	if with.a.Reports < frames/proto.ReportPerFrames-2 || with.a.PeerLoss < 0.05 || with.a.PeerLoss > 0.2 {
		t.Errorf("the sender got %d reports, the last of %.1f%% loss; want one a second, about 10%%", with.a.Reports, 100*with.a.PeerLoss)
	}
	if with.a.Bitrate != codec.OpusMaxBitrate {
		t.Errorf("bitrate %d on a lossy path that keeps up, want %d: room for the FEC", with.a.Bitrate, codec.OpusMaxBitrate)
	}
	// Most lost frames have their next packet (90 %), and that carries
	// FEC once the first report came, if the frame was speech: SILK codes
	// none for a frame its voice detector found inactive, and in a pause
	// nothing is rebuilt or concealed. Measured: 47 of 98.
	if missing := st.Concealed - st.Stretched; with.b.Recovered < missing/3 {
		t.Errorf("rebuilt %d of %d missing frames from FEC, want at least a third", with.b.Recovered, missing)
	}
	if without.b.Recovered != 0 {
		t.Errorf("without FEC %d frames were rebuilt", without.b.Recovered)
	}
	if sw < so+6 || cw < co+0.1 { // measured 13.2 against 3.8 dB, 0.976 against 0.776
		t.Errorf("against the clean decode: SNR %.1f dB and correlation %.3f with FEC, %.1f dB and %.3f without; want clearly better", sw, cw, so, co)
	}
}

// At the start of a call the jitter buffer sheds its starting delay by
// dropping a frame in a pause: the engine tells it which frames Opus
// marked quiet, and that the stream marks them.
func TestCallStartDropsOnlyQuietFrames(t *testing.T) {
	// Opus packets of the talker, re-sequenced: 1.6 s of frames with
	// speech, then 0.4 s of frames the encoder marked quiet, twice.
	c := lookup(t, "opus")
	enc := c.NewEncoder()
	in := speech(10 * 50)
	var voiced, quiet [][]byte
	for f := range 10 * 50 {
		p, err := enc.Encode(nil, in[f*codec.FrameSamples:(f+1)*codec.FrameSamples])
		if err != nil {
			t.Fatal(err)
		}
		if c.Quiet(p) {
			quiet = append(quiet, p)
		} else {
			voiced = append(voiced, p)
		}
	}
	var now time.Duration
	b := simulatedWith(t, 3, &now, c, jitter.Config{})
	for n := range 200 {
		now = time.Duration(n) * codec.FrameDuration
		var payload []byte
		if n%100 < 80 {
			payload, voiced = voiced[0], voiced[1:]
		} else {
			payload, quiet = quiet[0], quiet[1:]
		}
		b.Receive(proto.AppendPacket(nil, proto.AudioPacket{Call: 3, Seq: uint16(n), Timestamp: uint32(n * codec.FrameSamples), Payload: payload}))
		b.playFrame(now + 5*time.Millisecond)
	}
	st := b.Stats().Jitter
	t.Logf("dropped %d frames (%d of speech), delay %v, target %v", st.Dropped, st.DroppedVoiced, st.Delay, st.Target)
	if st.Dropped == 0 || st.DroppedVoiced != 0 {
		t.Errorf("dropped %d frames, %d of them speech; want the start's excess shed in the pause", st.Dropped, st.DroppedVoiced)
	}
}

// G.722 has neither FEC nor an adaptive encoder: loss reports change
// nothing, missing frames are concealed.
func TestG722IgnoresLossReportsAndConceals(t *testing.T) {
	r := lossyCall(t, lookup(t, "g722"), 0.05, 2, speech(6*50))
	corr, snr := r.quality()
	t.Logf("G.722 at 5%% loss: corr %.3f, SNR %.1f dB", corr, snr)
	if r.a.Reports == 0 || r.a.Bitrate != 64000 || r.b.Recovered != 0 {
		t.Errorf("reports %d, bitrate %d, recovered %d; want reports received, 64000 and none", r.a.Reports, r.a.Bitrate, r.b.Recovered)
	}
	if corr < 0.8 {
		t.Errorf("correlation %.3f with the clean decode at 5%% loss, want ≥ 0.8", corr)
	}
}

// BenchmarkLossQuality measures what random loss costs each codec, with
// the whole receive path (jitter buffer, FEC, concealment) on a simulated
// clock: 20 s of the talker over a network of 40–44 ms, three seeds. corr
// and snr-dB compare what was played with a clean decode of the same
// packets, second by second from the third (see lossyRun.quality): 1 and
// +∞ mean the loss cost nothing. rebuilt-% is the share of missing frames
// rebuilt from FEC. kbit/s is the payload bitrate sent.
func BenchmarkLossQuality(b *testing.B) {
	opus := lookup(b, "opus")
	for _, c := range []struct {
		name string
		c    codec.Codec
	}{
		{"opus+fec", opus},
		{"opus-fec", withoutFEC(opus)},
		{"g722", lookup(b, "g722")},
	} {
		for _, loss := range []float64{0.03, 0.10} {
			b.Run(fmt.Sprintf("%s/loss=%.0f%%", c.name, 100*loss), func(b *testing.B) {
				var corr, snr, rebuilt, missing, bytes, secs float64
				for b.Loop() {
					corr, snr, rebuilt, missing, bytes, secs = 0, 0, 0, 0, 0, 0
					for seed := range uint64(3) {
						r := lossyCall(b, c.c, loss, seed+1, speech(20*50))
						cr, s := r.quality()
						corr += cr / 3
						snr += s / 3
						rebuilt += float64(r.b.Recovered)
						missing += float64(r.b.Jitter.Concealed - r.b.Jitter.Stretched)
						bytes += float64(r.payload)
						secs += 20
					}
				}
				b.ReportMetric(corr, "corr")
				b.ReportMetric(snr, "snr-dB")
				b.ReportMetric(100*rebuilt/max(missing, 1), "rebuilt-%")
				b.ReportMetric(bytes*8/secs/1000, "kbit/s")
			})
		}
	}
}
