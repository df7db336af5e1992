package call

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"parley/media/codec"
	"parley/media/jitter"
	"parley/net/proto"
)

// simulated is an engine whose loops do not run: the test drives capture
// and playout itself on a simulated clock.
func simulated(t testing.TB, id proto.CallID, now *time.Duration) *Engine {
	t.Helper()
	e, err := newEngine(Config{
		Call:  id,
		Audio: noFrames{},
		Send:  SenderFunc(func([]byte) error { return nil }),
		Clock: func() time.Duration { return *now },
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type noFrames struct{}

func (noFrames) ReadFrame(context.Context, []int16) error  { return nil }
func (noFrames) WriteFrame(context.Context, []int16) error { return nil }

func frameOf(n int, f func(int) float64) []int16 {
	out := make([]int16, codec.FrameSamples)
	for i := range out {
		out[i] = int16(f(n*codec.FrameSamples + i))
	}
	return out
}

func TestLossyNetworkIsConcealedNotSilenced(t *testing.T) {
	var now time.Duration
	a, b := simulated(t, 7, &now), simulated(t, 7, &now)
	rng := rand.New(rand.NewPCG(1, 2))
	type flight struct {
		at  time.Duration
		pkt []byte
	}
	var air []flight
	lost, silent := 0, 0
	for n := range 500 { // 10 s
		now = time.Duration(n) * 20 * time.Millisecond
		pkt, err := a.packFrame(frameOf(n, chirp))
		if err != nil {
			t.Fatal(err)
		}
		if rng.Float64() < 0.05 {
			lost++
		} else { // 5 to 45 ms in the network: reordered now and then
			air = append(air, flight{at: now + time.Duration(5+rng.IntN(40))*time.Millisecond, pkt: append([]byte(nil), pkt...)})
		}
		rest := air[:0]
		for _, f := range air { // everything due by now arrives
			if f.at <= now {
				b.Receive(f.pkt)
			} else {
				rest = append(rest, f)
			}
		}
		air = rest
		out := b.playFrame(now)
		if b.Stats().Jitter.Played == 0 || n%50 >= 35 { // not started, or the sweep's own pause
			continue
		}
		var energy float64
		for _, s := range out {
			energy += float64(s) * float64(s)
		}
		if energy == 0 {
			silent++
		}
	}
	st := b.Stats().Jitter
	t.Logf("lost %d, silent %d, %+v", lost, silent, st)
	if st.Lost == 0 || st.Concealed < st.Lost/2 {
		t.Fatalf("lost %d (sent %d lost), concealed %d", st.Lost, lost, st.Concealed)
	}
	// Concealment continues the sound and fades it over a few frames
	// rather than cutting to silence at every loss.
	if silent > lost/4 {
		t.Fatalf("%d silent frames for %d lost packets", silent, lost)
	}
}

func TestLevelMeter(t *testing.T) {
	var now time.Duration
	e := simulated(t, 1, &now)
	sine := func(amp float64) []int16 {
		return frameOf(0, func(i int) float64 { return amp * 32767 * math.Sin(float64(i)*0.1) })
	}
	level := func() float32 { return e.Stats().Level }
	e.packFrame(sine(1))
	if l := level(); l < 0.9 {
		t.Fatalf("full scale sine: level %.2f", l)
	}
	e.packFrame(sine(0.0316)) // -30 dBFS: the meter falls slowly from the top
	if l := level(); l < 0.9 {
		t.Fatalf("the meter dropped at once to %.2f", l)
	}
	for range 100 {
		e.packFrame(sine(0.0316))
	}
	if l := level(); math.Abs(float64(l)-0.47) > 0.05 { // -33 dB RMS on a 60 dB scale
		t.Fatalf("-30 dBFS sine: level %.2f, want about 0.47", l)
	}
	e.SetMuted(true)
	pkt, _ := e.packFrame(sine(1))
	if l := level(); l != 0 {
		t.Fatalf("muted: level %.2f", l)
	}
	if p, err := proto.ParsePacket(pkt); err != nil || len(p.Payload) != 0 {
		t.Fatalf("muted packet %+v, %v: want an empty payload", p, err)
	}
}

func TestReceiveDropsForeignPackets(t *testing.T) {
	var now time.Duration
	e := simulated(t, 42, &now)
	e.Receive([]byte{1, 2})
	e.Receive(proto.AppendPacket(nil, proto.AudioPacket{Call: 43, Payload: []byte{1}}))
	e.Receive(proto.AppendPacket(nil, proto.AudioPacket{Call: 42, Payload: make([]byte, 160)}))
	st := e.Stats()
	if st.Foreign != 2 || st.Received != 1 || !st.Heard {
		t.Fatalf("stats %+v", st)
	}
}

func TestRingTones(t *testing.T) {
	peak := func(tone *Tone, from, to time.Duration) int16 {
		buf := make([]int16, int((to-from).Seconds()*codec.SampleRate))
		skip := make([]int16, int(from.Seconds()*codec.SampleRate))
		tone.Fill(skip)
		tone.Fill(buf)
		var p int16
		for _, s := range buf {
			p = max(p, s, -s)
		}
		return p
	}
	cases := []struct {
		name     string
		tone     func() *Tone
		from, to time.Duration
		sounds   bool
	}{
		{"ringtone chimes at once", Ringtone, 0, 400 * time.Millisecond, true},
		{"ringtone pauses", Ringtone, 2100 * time.Millisecond, 3000 * time.Millisecond, false},
		{"ringtone chimes again", Ringtone, 3000 * time.Millisecond, 3400 * time.Millisecond, true},
		{"ringback rings for a second", Ringback, 10 * time.Millisecond, 990 * time.Millisecond, true},
		{"ringback pauses four", Ringback, time.Second, 5 * time.Second, false},
	}
	for _, c := range cases {
		p := peak(c.tone(), c.from, c.to)
		if c.sounds != (p > 2000) || p > 16000 {
			t.Errorf("%s: peak %d", c.name, p)
		}
	}
}

// BenchmarkCallCPU is one endpoint's audio work for one second of a call
// (50 frames): cancel the echo in the microphone and encode it, take
// each packet into the jitter buffer, and decode the frames to play,
// which are also the echo canceller's reference (the microphone and the
// speaker both carry the sweep, as if all the mic heard were echo, so
// the canceller does all its work). cpu-% is that time as a share of
// one core. Per codec; with Opus the encoder is told of 10 % loss, so it
// codes FEC.
func BenchmarkCallCPU(b *testing.B) {
	for _, name := range []string{"g722", "opus"} {
		b.Run(name, func(b *testing.B) {
			var now time.Duration
			c := lookup(b, name)
			a, peer := simulatedWith(b, 9, &now, c, jitter.Config{}), simulatedWith(b, 9, &now, c, jitter.Config{})
			a.echoOff.Store(false)
			if a.adapter != nil {
				if err := a.adapter.Adapt(codec.OpusBitrate, 10); err != nil {
					b.Fatal(err)
				}
			}
			frames := make([][]int16, 50)
			for n := range frames {
				frames[n] = frameOf(n, chirp)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				for range 50 {
					now = time.Duration(n) * 20 * time.Millisecond
					pkt, err := a.packFrame(frames[n%50])
					if err != nil {
						b.Fatal(err)
					}
					peer.Receive(pkt)
					out := peer.playFrame(now + 40*time.Millisecond)
					if a.aec != nil {
						a.aec.Playback(out)
					}
					n++
				}
			}
			b.ReportMetric(float64(b.Elapsed())/float64(time.Duration(b.N)*time.Second)*100, "cpu-%")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n), "µs/frame")
		})
	}
}

// A carrier switch falls between two packets: every packet leaves by
// exactly one Sender, the old one before the switch and the new one
// after, with no gap in the sequence numbers.
func TestSetSenderSwitchesBetweenTwoPackets(t *testing.T) {
	var now time.Duration
	var ws, udp []uint16
	e, err := newEngine(Config{
		Call: 3, Audio: noFrames{}, Clock: func() time.Duration { return now },
		Send: SenderFunc(func(pkt []byte) error {
			p, err := proto.ParsePacket(pkt)
			if err == nil {
				ws = append(ws, p.Seq)
			}
			return err
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, codec.FrameSamples)
	for n := range 10 {
		if n == 4 {
			e.SetSender(SenderFunc(func(pkt []byte) error {
				p, err := proto.ParsePacket(pkt)
				if err == nil {
					udp = append(udp, p.Seq)
				}
				return err
			}))
		}
		pkt, err := e.packFrame(frame)
		if err != nil {
			t.Fatal(err)
		}
		e.send(pkt)
	}
	if len(ws) != 4 || len(udp) != 6 || udp[0] != ws[3]+1 {
		t.Fatalf("sequence numbers: before the switch %v, after %v", ws, udp)
	}
	if st := e.Stats(); st.Sent != 10 || st.SendErrors != 0 {
		t.Fatalf("sent %d, errors %d; want 10, 0", st.Sent, st.SendErrors)
	}
}
