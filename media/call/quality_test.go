package call

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"parley/media/codec"
	"parley/media/internal/quality"
	"parley/media/internal/testsignal"
	"parley/net/proto"
)

// pinned is Opus held at bps. With fec, the encoder still takes the
// expected loss from the receiver's reports (the engine's Adapt, its
// bitrate overridden) and the decoder rebuilds lost frames from FEC;
// without, the expected loss stays 0, so the encoder codes no FEC, and
// the decoder never rebuilds.
func pinned(c codec.Codec, bps int, fec bool) codec.Codec {
	newEnc, newDec := c.NewEncoder, c.NewDecoder
	c.NewEncoder = func() codec.Encoder {
		e := newEnc()
		a := e.(codec.PathAdapter)
		if err := a.Adapt(bps, 0); err != nil {
			panic(err)
		}
		if fec {
			return pinnedEncoder{e, a, bps}
		}
		return struct{ codec.Encoder }{e}
	}
	if !fec {
		c.NewDecoder = func() codec.Decoder { return struct{ codec.Decoder }{newDec()} }
	}
	return c
}

type pinnedEncoder struct {
	codec.Encoder
	a   codec.PathAdapter
	bps int
}

func (p pinnedEncoder) Adapt(_, lossPercent int) error { return p.a.Adapt(p.bps, lossPercent) }

// A pinned encoder keeps its bitrate whatever the reports say, and
// without FEC it rebuilds nothing.
func TestPinnedOpusKeepsItsBitrate(t *testing.T) {
	opus := lookup(t, "opus")
	in := speech(6 * 50)
	for _, c := range []struct {
		c      codec.Codec
		fec    bool    // and so frames rebuilt
		lo, hi float64 // payload kbit/s
	}{
		{pinned(opus, 24000, false), false, 12, 19}, // measured 16.3 (VBR, pauses)
		{pinned(opus, 32000, false), false, 19, 28}, // 21.5
		{pinned(opus, 32000, true), true, 19, 32},   // 22.3
	} {
		r := lossyCall(t, c.c, 0.10, 1, in)
		kbps := float64(r.payload) * 8 / 6 / 1000
		t.Logf("fec %v: %.1f kbit/s, rebuilt %d", c.fec, kbps, r.b.Recovered)
		if kbps < c.lo || kbps > c.hi || (r.b.Recovered > 0) != c.fec {
			t.Errorf("fec %v: %.1f kbit/s, %d rebuilt; want %v–%v kbit/s, rebuilt %v", c.fec, kbps, r.b.Recovered, c.lo, c.hi, c.fec)
		}
	}
}

// wireRates returns the rates of a's packets in kbit/s over secs, one
// direction: as packets (with their 11-byte headers), then on the wire
// over UDP and over the WebSocket, each with one loss report a second
// (the one this party sends about the other's stream, which travels the
// same way).
//
//   - UDP (RTP/SRTP, docs/protocol.md call_rtc_offer): RTP header 12,
//     SRTP authentication tag 10 (AES-CM with HMAC-SHA1-80), UDP 8, IPv4
//     20, and not the packet's own 11-byte header. A loss report is an
//     RTCP APP packet (header 4, SSRC 4, name 4, data 4) with the SRTCP
//     index 4 and tag 10, UDP and IPv4: 58 bytes.
//   - WebSocket from a client: the frame header (2 bytes, 4 from 126
//     bytes of payload on) and the 4-byte mask, TCP with timestamps
//     (Linux's default) 32, IPv4 20. No TLS: wss adds 22 bytes a packet
//     with TLS 1.3 (record header 5, content type 1, tag 16). TCP's
//     acknowledgements, which flow the other way, are not counted.
func wireRates(sizes []int, secs float64) (packets, udp, ws float64) {
	const ip = 20
	reports := float64(len(sizes) / proto.ReportPerFrames)
	var p, u, w float64
	for _, n := range sizes {
		p += float64(n)
		u += float64(n - proto.PacketHeaderLen + 12 + 10 + 8 + ip)
		frame := 2 + 4
		if n >= 126 {
			frame += 2
		}
		w += float64(n + frame + 32 + ip)
	}
	u += reports * (16 + 4 + 10 + 8 + ip)
	w += reports * (6 + 2 + 4 + 32 + ip)
	k := 8 / secs / 1000
	return p * k, u * k, w * k
}

// qualitySignal is one input of BenchmarkObjectiveQuality at 48 kHz, in
// whole frames, with a second of silence after the speech so that all
// of it plays out.
type qualitySignal struct {
	name string
	pcm  []int16
}

func qualitySignals(b *testing.B) []qualitySignal {
	frames := func(x []float64) []int16 {
		n := (len(x)+codec.FrameSamples-1)/codec.FrameSamples*codec.FrameSamples + codec.SampleRate
		return testsignal.PCM(append(x, make([]float64, n-len(x))...))
	}
	sigs := []qualitySignal{{"talker", frames(testsignal.Talker{Seed: 5, Pitch: 130, Rate: 4, Amp: 0.5}.Speech(20 * codec.SampleRate))}}
	for _, s := range []struct{ name, voice, text string }{
		{"espeak-en", "en", "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background. " +
			"It is easy to tell the depth of a well. These days a chicken leg is a rare dish. Rice is often served in round bowls. " +
			"The juice of lemons makes fine punch. The box was thrown beside the parked truck. " +
			"The hogs were fed chopped corn and garbage. Four hours of steady work faced us."},
		{"espeak-zh", "cmn", "今天天气很好，我们一起去公园散步吧。请你明天早上给我打电话。这个周末我想去图书馆看书。火车站离这里不远，走路十分钟就到了。"},
	} {
		x, err := testsignal.Espeak(s.voice, s.text)
		if errors.Is(err, testsignal.ErrNoEspeak) {
			b.Fatalf("this benchmark synthesises English and Chinese speech: %v", err)
		}
		if err != nil {
			b.Fatal(err)
		}
		sigs = append(sigs, qualitySignal{s.name, frames(x)})
	}
	return sigs
}

// qualityRow is one line of BenchmarkObjectiveQuality's table: the
// medians and ranges over the seeds.
type qualityRow struct {
	fw, lsd               [3]float64 // median, min, max
	packet, udp, ws, fecs float64    // medians: kbit/s; share of missing frames rebuilt
}

func medianRange(x []float64) [3]float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return [3]float64{s[len(s)/2], s[0], s[len(s)-1]}
}

// BenchmarkObjectiveQuality compares each codec's output with the
// ORIGINAL signal, so that codecs can be compared with each other: the
// whole call path (the real engines, jitter buffer, FEC, concealment) on
// lossyCall's simulated network (40–44 ms, random loss, the receiver's
// reports going back once a second), three seeds, and
// quality.Measure's fwSNRseg and band log-spectral distance at 48 kHz.
// The rows pin Opus's bitrate and FEC (pinned); "opus-adaptive" is the
// engine as built (24 kbit/s, 32 with FEC once the reports show loss).
// Three signals: the synthetic talker and English and Chinese from
// espeak-ng (which must be installed: tools/sysdeps.sh quality). The
// wire rates are for one direction: the packets with their 11-byte
// headers, then over UDP (RTP/SRTP) and the WebSocket, each with one
// loss report a second (see wireRates). At the end it logs the tables of
// docs/benchmarks.md (with -v). It takes about 4 minutes of CPU: run it
// with -timeout 30m on a busy machine.
func BenchmarkObjectiveQuality(b *testing.B) {
	opus := lookup(b, "opus")
	codecs := []struct {
		name string
		c    codec.Codec
	}{
		{"g722", lookup(b, "g722")},
		{"opus24", pinned(opus, 24000, false)},
		{"opus24+fec", pinned(opus, 24000, true)},
		{"opus28+fec", pinned(opus, 28000, true)}, // not in issue #17's list: a lower ceiling for the adaptive engine
		{"opus32", pinned(opus, 32000, false)},
		{"opus32+fec", pinned(opus, 32000, true)},
		{"opus-adaptive", opus},
	}
	losses := []float64{0, 0.03, 0.10, 0.20}
	const seeds = 3
	results := map[string]qualityRow{}
	sigs := qualitySignals(b)
	for _, sig := range sigs {
		ref := make([]float64, len(sig.pcm))
		for i, v := range sig.pcm {
			ref[i] = float64(v) / 32768
		}
		secs := float64(len(sig.pcm)) / codec.SampleRate
		for _, c := range codecs {
			for _, loss := range losses {
				name := fmt.Sprintf("%s/%s/loss=%.0f%%", sig.name, c.name, 100*loss)
				b.Run(name, func(b *testing.B) {
					var fw, lsd, packet, udp, ws, fecs []float64
					for b.Loop() {
						fw, lsd, packet, udp, ws, fecs = nil, nil, nil, nil, nil, nil
						for seed := range uint64(seeds) {
							r := lossyCall(b, c.c, loss, seed+1, sig.pcm)
							deg := make([]float64, len(r.out))
							for i, v := range r.out {
								deg[i] = float64(v) / 32768
							}
							s := quality.Measure(ref, deg, codec.SampleRate/2)
							p, u, w := wireRates(r.sizes, secs)
							fw = append(fw, s.FWSNRSeg)
							lsd = append(lsd, s.LSD)
							packet, udp, ws = append(packet, p), append(udp, u), append(ws, w)
							missing := r.b.Jitter.Concealed - r.b.Jitter.Stretched
							fecs = append(fecs, 100*float64(r.b.Recovered)/float64(max(missing, 1)))
						}
					}
					row := qualityRow{fw: medianRange(fw), lsd: medianRange(lsd), packet: medianRange(packet)[0],
						udp: medianRange(udp)[0], ws: medianRange(ws)[0], fecs: medianRange(fecs)[0]}
					results[name] = row
					b.ReportMetric(row.fw[0], "fwsnrseg-dB")
					b.ReportMetric(row.fw[1], "fwsnrseg-min")
					b.ReportMetric(row.fw[2], "fwsnrseg-max")
					b.ReportMetric(row.lsd[0], "lsd-dB")
					b.ReportMetric(row.packet, "packet-kbit/s")
					b.ReportMetric(row.udp, "udp-kbit/s")
					b.ReportMetric(row.ws, "ws-kbit/s")
					b.ReportMetric(row.fecs, "rebuilt-%")
				})
			}
		}
	}
	var t strings.Builder
	for _, sig := range sigs {
		fmt.Fprintf(&t, "\n%s: fwSNRseg dB, median (min–max) of %d seeds / band LSD dB, median\n\n| codec |", sig.name, seeds)
		for _, loss := range losses {
			fmt.Fprintf(&t, " %.0f %% |", 100*loss)
		}
		t.WriteString("\n|---|" + strings.Repeat("---|", len(losses)) + "\n")
		for _, c := range codecs {
			fmt.Fprintf(&t, "| %s |", c.name)
			for _, loss := range losses {
				r, ok := results[fmt.Sprintf("%s/%s/loss=%.0f%%", sig.name, c.name, 100*loss)]
				if !ok {
					t.WriteString(" |")
					continue
				}
				fmt.Fprintf(&t, " %.1f (%.1f–%.1f) / %.1f |", r.fw[0], r.fw[1], r.fw[2], r.lsd[0])
			}
			t.WriteString("\n")
		}
		fmt.Fprintf(&t, "\n%s: one direction, kbit/s, median: packets (11-byte header) / UDP / WebSocket; share of missing frames rebuilt from FEC\n\n| codec |", sig.name)
		for _, loss := range losses {
			fmt.Fprintf(&t, " %.0f %% |", 100*loss)
		}
		t.WriteString("\n|---|" + strings.Repeat("---|", len(losses)) + "\n")
		for _, c := range codecs {
			fmt.Fprintf(&t, "| %s |", c.name)
			for _, loss := range losses {
				r, ok := results[fmt.Sprintf("%s/%s/loss=%.0f%%", sig.name, c.name, 100*loss)]
				if !ok {
					t.WriteString(" |")
					continue
				}
				fmt.Fprintf(&t, " %.1f / %.1f / %.1f", r.packet, r.udp, r.ws)
				if loss > 0 {
					fmt.Fprintf(&t, "; %.0f %%", r.fecs)
				}
				t.WriteString(" |")
			}
			t.WriteString("\n")
		}
	}
	b.Log(t.String())
}

// The wire rates of G.722's 171-byte packets and of a 60-byte Opus
// packet, by hand: 50 packets a second and one report.
func TestWireRates(t *testing.T) {
	for _, c := range []struct {
		size       int
		p, udp, ws float64 // kbit/s
	}{
		{171, 68.4, 50*(160+50)*8/1000.0 + 58*8/1000.0, 50*(171+8+52)*8/1000.0 + 64*8/1000.0},
		{60, 24, 50*(49+50)*8/1000.0 + 58*8/1000.0, 50*(60+6+52)*8/1000.0 + 64*8/1000.0},
	} {
		sizes := make([]int, 50)
		for i := range sizes {
			sizes[i] = c.size
		}
		p, u, w := wireRates(sizes, 1)
		if math.Abs(p-c.p) > 1e-9 || math.Abs(u-c.udp) > 1e-9 || math.Abs(w-c.ws) > 1e-9 {
			t.Errorf("%d-byte packets: %.3f / %.3f / %.3f kbit/s, want %.3f / %.3f / %.3f", c.size, p, u, w, c.p, c.udp, c.ws)
		}
	}
}
