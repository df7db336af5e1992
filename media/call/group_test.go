package call

import (
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/media/codec"
	"parley/media/echo"
	"parley/media/internal/testsignal"
	"parley/media/jitter"
	"parley/net/proto"
)

// simulatedGroup is a group call's engine (Opus, no echo canceller) on a
// simulated clock whose loops do not run; what it sends is appended to
// *sent when sent is not nil.
func simulatedGroup(t testing.TB, id proto.CallID, now *time.Duration, c codec.Codec, sent *[][]byte) *Engine {
	t.Helper()
	e, err := newEngine(Config{
		Call: id, Codec: c, Audio: noFrames{}, Echo: EchoOff, Group: true,
		Clock: func() time.Duration { return *now },
		Send: SenderFunc(func(pkt []byte) error {
			if sent != nil {
				*sent = append(*sent, append([]byte(nil), pkt...))
			}
			return nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// speaker is one person in a simulated group call: an engine of its own
// encodes what it says, and the server's forwarding turns each packet
// into a group packet with its slot.
type speaker struct {
	e    *Engine
	slot uint8
	say  func(n int) []int16 // frame n
}

func newSpeaker(t testing.TB, id proto.CallID, now *time.Duration, slot uint8, say func(n int) []int16) *speaker {
	t.Helper()
	return &speaker{e: simulatedWith(t, id, now, lookup(t, "opus"), jitter.Config{}), slot: slot, say: say}
}

// packet encodes frame n and returns it as the server forwards it.
func (s *speaker) packet(t testing.TB, n int) []byte {
	t.Helper()
	pkt, err := s.e.packFrame(s.say(n))
	if err != nil {
		t.Fatal(err)
	}
	g, err := proto.GroupPacketFrom(pkt, s.slot)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// tone says a sine of freq Hz at amp (full scale 1).
func tone(freq, amp float64) func(n int) []int16 {
	return func(n int) []int16 {
		return frameOf(n, func(i int) float64 { return amp * 32767 * math.Sin(2*math.Pi*freq*float64(i)/codec.SampleRate) })
	}
}

func quiet(int) []int16 { return make([]int16, codec.FrameSamples) }

// toneAmp is the amplitude (full scale 1) of the freq Hz component of x:
// one bin of a DFT, which is what Goertzel's filter computes.
func toneAmp(x []int16, freq float64) float64 {
	var re, im float64
	w := 2 * math.Pi * freq / codec.SampleRate
	for i, v := range x {
		re += float64(v) * math.Cos(w*float64(i))
		im += float64(v) * math.Sin(w*float64(i))
	}
	return 2 * math.Hypot(re, im) / float64(len(x)) / 32767
}

// groupRun drives a group engine frame by frame: at frame n every
// speaker's packet n is sent, and each arrives two frames (40 ms) later
// unless drop says it is lost; then the engine plays frame n. It returns
// everything played. before, if not nil, runs at the start of each frame.
type groupRun struct {
	t        testing.TB
	now      *time.Duration
	g        *Engine
	speakers []*speaker
	drop     func(s *speaker, n int) bool
	mute     func(s *speaker, n int) bool // deliver nothing of s at frame n (a stalled or gone speaker)
	before   func(n int)
	air      [][]byte // in flight: delivered in order, two frames late
	airAt    []int
	out      []int16
}

func (r *groupRun) run(from, to int) {
	for n := from; n < to; n++ {
		*r.now = time.Duration(n) * codec.FrameDuration
		if r.before != nil {
			r.before(n)
		}
		for _, s := range r.speakers {
			pkt := s.packet(r.t, n)
			if r.mute != nil && r.mute(s, n) || r.drop != nil && r.drop(s, n) {
				continue
			}
			r.air, r.airAt = append(r.air, pkt), append(r.airAt, n+2)
		}
		k := 0
		for k < len(r.air) && r.airAt[k] <= n {
			r.g.Receive(r.air[k])
			k++
		}
		r.air, r.airAt = r.air[k:], r.airAt[k:]
		r.out = append(r.out, r.g.playFrame(*r.now)...)
	}
}

// Four people speak at once, each a tone of its own: all four are in
// what plays, each at about the level it was spoken at.
func TestGroupMixesEverySpeaker(t *testing.T) {
	var now time.Duration
	freqs := []float64{330, 520, 770, 1130}
	const amp = 0.15 // −16.5 dBFS RMS each; peaks sum to 0.6, under the limiter's knee
	r := &groupRun{t: t, now: &now, g: simulatedGroup(t, 5, &now, lookup(t, "opus"), nil)}
	for i, f := range freqs {
		r.speakers = append(r.speakers, newSpeaker(t, 5, &now, uint8([]int{0, 3, 7, 15}[i]), tone(f, amp)))
	}
	r.run(0, 100)
	last := r.out[50*codec.FrameSamples:] // the second second
	var amps []float64
	for _, f := range freqs {
		amps = append(amps, toneAmp(last, f))
	}
	off := toneAmp(last, 1500) // no one says this
	t.Logf("amplitudes of %v Hz: %.3f (said at %.2f); at 1500 Hz %.4f", freqs, amps, amp, off)
	for i, a := range amps {
		if a < amp/1.5 || a > amp*1.5 { // within 3.5 dB of what was said
			t.Errorf("the %v Hz speaker plays at %.3f, said at %.2f", freqs[i], a, amp)
		}
	}
	if lo, hi := slices.Min(amps), slices.Max(amps); hi > 1.4*lo {
		t.Errorf("levels %.3f: the speakers are not mixed at comparable levels", amps)
	}
	if off > amp/20 {
		t.Errorf("%.4f at a frequency no one says: the mix is not clean", off)
	}
	st := r.g.Stats()
	if len(st.Slots) != proto.MaxGroupCall || !st.Slots[0].Active || !st.Slots[15].Active || st.Slots[1].Active {
		t.Errorf("slots %+v", st.Slots)
	}
	if st.Received != 4*98 || st.Foreign != 0 {
		t.Errorf("received %d, foreign %d; want %d, 0", st.Received, st.Foreign, 4*98)
	}
}

// The limiter leaves ordinary sums untouched and folds loud ones into
// 16 bits smoothly: no wrap-around, no step, monotonic.
func TestMixLimiter(t *testing.T) {
	for _, v := range []int32{0, 1, -1, 12000, -20000, limitKnee, -limitKnee} {
		if got := limit(v); int32(got) != v {
			t.Errorf("limit(%d) = %d: an ordinary level changed", v, got)
		}
	}
	prev := limit(-4 * 32768)
	for v := int32(-4 * 32768); v <= 4*32768; v += 7 {
		got := limit(v)
		if got < prev || int32(got)-int32(prev) > 8 {
			t.Fatalf("limit(%d) = %d after %d: not smooth and monotonic", v, got, prev)
		}
		prev = got
	}
	if limit(15*32767) != math.MaxInt16 || limit(-15*32767) != -math.MaxInt16 {
		t.Errorf("fifteen full-scale speakers: %d, %d", limit(15*32767), limit(-15*32767))
	}
	if got := limit(32767); got < 30000 || got == math.MaxInt16 {
		t.Errorf("limit(full scale) = %d: want compressed, under full scale", got)
	}
}

// One speaker's lost packets are rebuilt from the FEC of that speaker's
// next packet; the other speakers' streams lose nothing.
func TestGroupFECRecoversOneSpeakersLoss(t *testing.T) {
	var now time.Duration
	r := &groupRun{t: t, now: &now, g: simulatedGroup(t, 6, &now, lookup(t, "opus"), nil)}
	for i := range 3 {
		in := testsignal.PCM(testsignal.Talker{Seed: uint64(10 + i), Pitch: 110 + 40*float64(i), Rate: 4, Amp: 0.25}.Speech(200 * codec.FrameSamples))
		sp := newSpeaker(t, 6, &now, uint8(2*i), func(n int) []int16 {
			return append([]int16(nil), in[n*codec.FrameSamples:(n+1)*codec.FrameSamples]...)
		})
		// As after a listener reported 10 % loss: FEC in every speech frame.
		if err := sp.e.adapter.Adapt(codec.OpusMaxBitrate, 10); err != nil {
			t.Fatal(err)
		}
		r.speakers = append(r.speakers, sp)
	}
	dropped := 0
	r.drop = func(s *speaker, n int) bool {
		if s.slot == 2 && n >= 40 && n < 190 && n%9 == 0 {
			dropped++
			return true
		}
		return false
	}
	r.run(0, 200)
	st := r.g.Stats()
	for _, i := range []int{0, 2, 4} {
		j := st.Slots[i].Jitter
		t.Logf("slot %d: lost %d, concealed %d (stretched %d), recovered %d, played %d", i, j.Lost, j.Concealed, j.Stretched, st.Slots[i].Recovered, j.Played)
	}
	lossy := st.Slots[2]
	if lossy.Jitter.Lost != uint64(dropped) || lossy.Jitter.Concealed-lossy.Jitter.Stretched != uint64(dropped) {
		t.Errorf("slot 2: lost %d, missing at playout %d; want %d", lossy.Jitter.Lost, lossy.Jitter.Concealed-lossy.Jitter.Stretched, dropped)
	}
	// SILK codes FEC only for frames its voice detector found active:
	// those in the talker's pauses are concealed (silence anyway).
	if lossy.Recovered < uint64(dropped)/2 || st.Recovered != lossy.Recovered {
		t.Errorf("slot 2: %d of %d lost frames rebuilt from FEC (engine: %d); want at least half", lossy.Recovered, dropped, st.Recovered)
	}
	for _, i := range []int{0, 4} {
		if j := st.Slots[i].Jitter; j.Lost != 0 || j.Concealed != 0 || st.Slots[i].Recovered != 0 || j.Played < 190 {
			t.Errorf("slot %d was touched by slot 2's loss: %+v, recovered %d", i, j, st.Slots[i].Recovered)
		}
	}
}

// When someone else takes a slot, ResetSlot lets their stream play at
// once, although its sequence numbers and timestamps have nothing to do
// with the previous holder's (here: just behind them, which the old
// jitter buffer would refuse as duplicates and late packets).
func TestGroupResetSlotPlaysANewStreamAtOnce(t *testing.T) {
	for _, reset := range []bool{true, false} {
		var now time.Duration
		g := simulatedGroup(t, 8, &now, lookup(t, "opus"), nil)
		old := newSpeaker(t, 8, &now, 2, tone(330, 0.2))
		r := &groupRun{t: t, now: &now, g: g, speakers: []*speaker{old}}
		r.run(0, 50)
		if a := toneAmp(r.out[40*codec.FrameSamples:], 330); a < 0.1 {
			t.Fatalf("the first holder of the slot is not heard: %.3f", a)
		}
		newer := newSpeaker(t, 8, &now, 2, tone(770, 0.2))
		newer.e.seq, newer.e.ts = old.e.seq-100, old.e.ts-123457
		r.air, r.airAt = nil, nil // the last of the old stream is lost with its holder
		if reset {
			g.ResetSlot(2)
			if st := g.Stats().Slots[2]; st.Active || st.Level != 0 {
				t.Fatalf("right after the reset, slot 2: %+v", st)
			}
		}
		r.speakers = []*speaker{newer}
		r.run(50, 60) // 200 ms
		got := r.out[57*codec.FrameSamples:]
		heard, stale := toneAmp(got, 770), toneAmp(got, 330)
		t.Logf("reset %v: 100–160 ms after the new holder's first packet came, 770 Hz at %.3f, the old 330 Hz at %.3f", reset, heard, stale)
		if reset && (heard < 0.1 || stale > 0.01) {
			t.Errorf("after ResetSlot the new stream does not play at once: %.3f of it, %.3f of the old one", heard, stale)
		}
		if !reset && heard > 0.05 { // the contrast that makes the test mean something
			t.Errorf("without a reset the new stream played anyway (%.3f): the test shows nothing", heard)
		}
	}
}

// Level and Speaking follow whoever speaks; a listener in a quiet room
// and a muted one do not count as speaking. Speaking holds for 300 ms
// after the last loud frame.
func TestGroupLevelAndSpeakingFollowTheSpeaker(t *testing.T) {
	var now time.Duration
	g := simulatedGroup(t, 9, &now, lookup(t, "opus"), nil)
	speech := tone(300, 0.1414)   // −20 dBFS RMS: 0.67 on the meter
	room := func(n int) []int16 { // a faint hiss at −50 dBFS RMS (a chirp aliased all over the band)
		return frameOf(n, func(i int) float64 { return 0.0045 * 32767 * math.Sin(float64(i)*float64(i)*1e-3) })
	}
	a := newSpeaker(t, 9, &now, 0, func(n int) []int16 {
		if n < 100 {
			return speech(n)
		}
		return room(n)
	})
	b := newSpeaker(t, 9, &now, 3, func(n int) []int16 {
		if n < 100 {
			return room(n)
		}
		return speech(n)
	})
	muted := newSpeaker(t, 9, &now, 5, speech)
	muted.e.SetMuted(true)
	var speaking [][2]bool
	r := &groupRun{t: t, now: &now, g: g, speakers: []*speaker{a, b, muted}, before: func(n int) {
		if n > 0 {
			st := g.Stats()
			speaking = append(speaking, [2]bool{st.Slots[0].Speaking, st.Slots[3].Speaking})
		}
	}}
	r.run(0, 100)
	st := g.Stats()
	t.Logf("a speaks: levels %.2f %.2f %.2f", st.Slots[0].Level, st.Slots[3].Level, st.Slots[5].Level)
	if s := st.Slots[0]; !s.Speaking || math.Abs(float64(s.Level)-0.67) > 0.05 {
		t.Errorf("slot 0 speaks at −20 dBFS: %+v", s)
	}
	if s := st.Slots[3]; !s.Active || s.Speaking || s.Level > 0.2 {
		t.Errorf("slot 3 is a quiet room: %+v", s)
	}
	if s := st.Slots[5]; !s.Active || s.Speaking || s.Level != 0 {
		t.Errorf("slot 5 is muted: %+v", s)
	}
	r.run(100, 200)
	st = g.Stats()
	t.Logf("b speaks: levels %.2f %.2f %.2f", st.Slots[0].Level, st.Slots[3].Level, st.Slots[5].Level)
	if !st.Slots[3].Speaking || st.Slots[0].Speaking || st.Slots[5].Speaking || math.Abs(float64(st.Slots[3].Level)-0.67) > 0.05 {
		t.Errorf("after the turn: %+v", st.Slots[:6])
	}
	// The hold: slot 0 stops speaking 300 ms after its last loud frame
	// played; slot 3 starts as its first one plays (the two streams'
	// jitter buffers may differ by a frame or two).
	stop := slices.IndexFunc(speaking[100:], func(s [2]bool) bool { return !s[0] })
	start := slices.IndexFunc(speaking[100:], func(s [2]bool) bool { return s[1] })
	t.Logf("the turn: slot 3 speaking from frame %d, slot 0 not from frame %d", start, stop)
	if stop < 0 || start < 0 || stop-start < 13 || stop-start > 18 {
		t.Errorf("slot 3 started speaking at frame %d of the turn, slot 0 stopped at %d: want about 15 frames (300 ms) apart", start, stop)
	}
	if g1 := simulated(t, 9, &now).Stats(); g1.Slots != nil {
		t.Errorf("a 1:1 engine has slots: %v", g1.Slots)
	}
}

// Once a second the engine reports on each slot it hears, with the
// slot's own loss, and only on those.
func TestGroupReportsEverySlotItHears(t *testing.T) {
	var now time.Duration
	var sent [][]byte
	g := simulatedGroup(t, 11, &now, lookup(t, "opus"), &sent)
	r := &groupRun{t: t, now: &now, g: g}
	r.speakers = []*speaker{newSpeaker(t, 11, &now, 1, tone(330, 0.1)), newSpeaker(t, 11, &now, 4, tone(520, 0.1))}
	r.drop = func(s *speaker, n int) bool { return s.slot == 4 && n%10 == 5 }
	mic := make([]int16, codec.FrameSamples)
	r.before = func(n int) {
		if err := g.sendFrame(mic); err != nil {
			t.Fatal(err)
		}
	}
	r.run(0, 201) // four seconds: reports at frames 50, 100, 150, 200
	audio := 0
	reports := map[uint8][]uint8{}
	for _, pkt := range sent {
		if p, err := proto.ParsePacket(pkt); err == nil && p.Call == 11 {
			audio++
			continue
		}
		if _, err := proto.ParseReport(pkt); err == nil {
			t.Errorf("a 1:1 loss report in a group call: % x", pkt)
			continue
		}
		rep, err := proto.ParseGroupReport(pkt)
		if err != nil || rep.Call != 11 {
			t.Errorf("sent % x", pkt)
			continue
		}
		reports[rep.Slot] = append(reports[rep.Slot], rep.Loss)
	}
	t.Logf("audio packets %d; reports by slot %v", audio, reports)
	if audio != 201 {
		t.Errorf("%d audio packets for 201 frames", audio)
	}
	if len(reports) != 2 || len(reports[1]) != 4 || len(reports[4]) != 4 {
		t.Fatalf("reports by slot %v: want four each about slots 1 and 4", reports)
	}
	for k := 1; k < 4; k++ { // the first second includes the start
		if reports[1][k] != 0 || reports[4][k] < 20 || reports[4][k] > 32 { // 10 % is 25.6/256
			t.Errorf("second %d: slot 1 lost %d/256, slot 4 %d/256; want 0 and about 26", k+1, reports[1][k], reports[4][k])
		}
	}
	// A slot that went quiet is no longer reported on, once it is idle
	// (a second after its last packet).
	r.mute = func(s *speaker, _ int) bool { return s.slot == 4 }
	r.run(201, 301)
	sent = nil
	r.run(301, 351)
	var about []uint8
	for _, pkt := range sent {
		if rep, err := proto.ParseGroupReport(pkt); err == nil {
			about = append(about, rep.Slot)
		}
	}
	if !slices.Equal(about, []uint8{1}) {
		t.Errorf("in the second second after slot 4 went quiet, reports about slots %v; want 1 only", about)
	}
}

// Every listener reports on our stream once a second; the encoder is
// sized by the worst report of each second, wherever it fell in it, and
// then adapts as in a 1:1 call (up at once, down by half a report).
func TestGroupFECFollowsTheWorstListener(t *testing.T) {
	var now time.Duration
	g := simulatedGroup(t, 12, &now, lookup(t, "opus"), nil)
	told := &adaptLog{PathAdapter: g.adapter}
	g.adapter = told
	mic := tone(300, 0.1)
	report := func(loss uint8) { g.Receive(proto.AppendReport(nil, proto.LossReport{Call: 12, Loss: loss})) }
	seconds := [][]uint8{
		{0, 64, 0, 3}, // one listener lost 25 %: the others' later reports do not hide it
		{0, 0, 0},     // all clear: the expected loss halves
		{},            // no report: nothing changes
		{2, 0, 1},
	}
	want := []struct {
		peer, loss float64
		bitrate    int
		told       [][2]int // what the encoder was told that second: bitrate, expected loss %
	}{
		{64.0 / 256, 0.25, codec.OpusMaxBitrate, [][2]int{{codec.OpusMaxBitrate, 25}}},
		{0, 0.125, codec.OpusMaxBitrate, [][2]int{{codec.OpusMaxBitrate, 13}}},
		{0, 0.125, codec.OpusMaxBitrate, nil},
		{2.0 / 256, (0.125 + 2.0/256) / 2, codec.OpusMaxBitrate, [][2]int{{codec.OpusMaxBitrate, 7}}},
	}
	for k := 0; k <= len(seconds)*proto.ReportPerFrames; k++ {
		s, n := k/proto.ReportPerFrames, k%proto.ReportPerFrames
		if s < len(seconds) && n >= 10 && n-10 < len(seconds[s]) {
			report(seconds[s][n-10])
		}
		if err := g.sendFrame(mic(k)); err != nil {
			t.Fatal(err)
		}
		if k == 0 || n != 0 {
			continue
		}
		// This frame opened a second: the last one's reports applied, and
		// only then (one Adapt a second, not one a report).
		st, w := g.Stats(), want[s-1]
		if st.PeerLoss != w.peer || math.Abs(g.path.loss-w.loss) > 1e-9 || st.Bitrate != w.bitrate || !slices.Equal(told.calls, w.told) {
			t.Errorf("second %d, reports %v: peer loss %.4f, expected loss %.4f, bitrate %d, encoder told %v; want %.4f, %.4f, %d, %v",
				s, seconds[s-1], st.PeerLoss, g.path.loss, st.Bitrate, told.calls, w.peer, w.loss, w.bitrate, w.told)
		}
		told.calls = nil
	}
	if st := g.Stats(); st.Reports != 10 {
		t.Errorf("%d reports counted, want 10", st.Reports)
	}
}

// A 1:1 audio packet in a group call, a group packet in a 1:1 call, a
// group loss report (which only the server takes), another call's group
// packet and a slot out of range are all foreign.
func TestGroupForeignPackets(t *testing.T) {
	var now time.Duration
	g := simulatedGroup(t, 13, &now, lookup(t, "opus"), nil)
	one := simulated(t, 13, &now)
	audio := proto.AppendPacket(nil, proto.AudioPacket{Call: 13, Payload: []byte{1}})
	group := proto.AppendGroupPacket(nil, proto.GroupAudioPacket{AudioPacket: proto.AudioPacket{Call: 13, Payload: []byte{1}}, Slot: 3})
	other := proto.AppendGroupPacket(nil, proto.GroupAudioPacket{AudioPacket: proto.AudioPacket{Call: 14, Payload: []byte{1}}, Slot: 3})
	badSlot := slices.Clone(group)
	badSlot[5] = proto.MaxGroupCall
	groupReport := proto.AppendGroupReport(nil, proto.GroupLossReport{Call: 13, Slot: 3, Loss: 9})
	for _, p := range [][]byte{audio, other, badSlot, groupReport} {
		g.Receive(p)
	}
	g.Receive(group)
	one.Receive(group)
	one.Receive(groupReport)
	one.Receive(audio)
	if st := g.Stats(); st.Foreign != 4 || st.Received != 1 || !st.Slots[3].Active || st.Slots[0].Active {
		t.Errorf("group engine: foreign %d, received %d, slots %+v; want 4, 1, slot 3 only", st.Foreign, st.Received, st.Slots)
	}
	if st := one.Stats(); st.Foreign != 2 || st.Received != 1 {
		t.Errorf("1:1 engine: foreign %d, received %d; want 2, 1", st.Foreign, st.Received)
	}
}

// countingCodec is c with its decoders counting every frame they make.
func countingCodec(c codec.Codec, calls *int) codec.Codec {
	dec := c.NewDecoder
	c.NewDecoder = func() codec.Decoder {
		d := dec()
		return &countingDecoder{Decoder: d, rec: d.(codec.Recoverer), calls: calls}
	}
	return c
}

type countingDecoder struct {
	codec.Decoder
	rec   codec.Recoverer
	calls *int
}

func (d *countingDecoder) Decode(dst []int16, p []byte) ([]int16, error) {
	*d.calls++
	return d.Decoder.Decode(dst, p)
}

func (d *countingDecoder) Conceal(dst []int16) []int16 {
	*d.calls++
	return d.Decoder.Conceal(dst)
}

func (d *countingDecoder) Recover(dst []int16, next []byte) ([]int16, bool) {
	*d.calls++
	return d.rec.Recover(dst, next)
}

// A speaker whose packets stop (gone, or a stalled link) is concealed
// for a moment and then costs nothing: its decoder is not called until
// its packets come back, and then it plays again.
func TestGroupQuietSlotStopsBeingDecoded(t *testing.T) {
	var now time.Duration
	calls := 0
	g := simulatedGroup(t, 15, &now, countingCodec(lookup(t, "opus"), &calls), nil)
	stays, goes := newSpeaker(t, 15, &now, 0, tone(330, 0.1)), newSpeaker(t, 15, &now, 1, tone(770, 0.1))
	gone := func(n int) bool { return n >= 50 && n < 250 }
	r := &groupRun{t: t, now: &now, g: g, speakers: []*speaker{stays, goes}}
	r.mute = func(s *speaker, n int) bool { return s == goes && gone(n) }
	perFrame := make([]int, 320)
	for n := range 320 {
		c := calls
		r.run(n, n+1)
		perFrame[n] = calls - c
		if n == 200 {
			if st := g.Stats(); !st.Slots[1].Idle || st.Slots[1].Level != 0 || st.Slots[0].Idle {
				t.Fatalf("4 s after slot 1's last packet: %+v", st.Slots[:2])
			}
		}
	}
	// Slot 1's last packet arrived at frame 51; a second later (frame
	// 102) it is idle. Until then it is concealed: two decoder calls a
	// frame. Its packets come back from frame 252 on.
	for n := 10; n < 320; n++ {
		want := 2
		switch {
		case n > 102 && n < 252:
			want = 1 // slot 0 only
		case n >= 100 && n <= 102, n >= 252 && n < 262:
			continue // the turns: idle a frame either way, and the restart's buffering
		}
		if perFrame[n] != want {
			t.Errorf("frame %d: %d decoder calls, want %d", n, perFrame[n], want)
		}
	}
	if st := g.Stats(); st.Slots[1].Idle || !st.Slots[1].Active {
		t.Errorf("slot 1 after it came back: %+v", st.Slots[1])
	}
	if a := toneAmp(r.out[300*codec.FrameSamples:], 770); a < 0.07 {
		t.Errorf("slot 1 came back but plays at %.3f", a)
	}
}

// BenchmarkGroupCPU is one endpoint's audio work for one second (50
// frames) of a group call in which every other person speaks at once
// (the shared synthetic talker, pauses included, a different voice per
// slot; Opus with FEC at 10 % loss): take each speaker's packets into its
// jitter buffer, decode them all and mix them, and on the send side
// cancel the echo (its reference being the mix) and encode the
// microphone. recv-µs/frame is the receive side (parse, jitter buffers,
// decode, mix) and send-µs/frame the send side, per 20 ms frame; cpu-%
// is the whole as a share of one core.
func BenchmarkGroupCPU(b *testing.B) {
	opus := lookup(b, "opus")
	for _, speakers := range []int{1, 7, 15} {
		b.Run(map[int]string{1: "speakers=1", 7: "speakers=7", 15: "speakers=15"}[speakers], func(b *testing.B) {
			// Every speaker's second of packets, encoded beforehand: their
			// encoders run on their own devices.
			payloads := make([][][]byte, speakers)
			for s := range payloads {
				enc := opus.NewEncoder()
				if err := enc.(codec.PathAdapter).Adapt(codec.OpusMaxBitrate, 10); err != nil {
					b.Fatal(err)
				}
				in := testsignal.PCM(testsignal.Talker{Seed: uint64(s + 1), Pitch: 100 + 10*float64(s), Rate: 4, Amp: 0.3}.Speech(50 * codec.FrameSamples))
				for n := range 50 {
					p, err := enc.Encode(nil, in[n*codec.FrameSamples:(n+1)*codec.FrameSamples])
					if err != nil {
						b.Fatal(err)
					}
					payloads[s] = append(payloads[s], p)
				}
			}
			var now time.Duration
			g := simulatedGroup(b, 9, &now, opus, nil)
			aec, err := echo.New(echo.Config{SampleRate: codec.SampleRate, FrameSamples: codec.FrameSamples})
			if err != nil {
				b.Fatal(err)
			}
			g.aec = aec
			g.echoOff.Store(false)
			if err := g.adapter.Adapt(codec.OpusMaxBitrate, 10); err != nil {
				b.Fatal(err)
			}
			mic := make([][]int16, 50)
			for n := range mic {
				mic[n] = frameOf(n, chirp)
			}
			frame := make([]int16, codec.FrameSamples)
			pkt := make([]byte, 0, proto.GroupPacketHeaderLen+proto.MaxPacketPayload)
			var recv, send time.Duration
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				for range 50 {
					now = time.Duration(n) * codec.FrameDuration
					t0 := time.Now()
					for s := range speakers {
						pkt = proto.AppendGroupPacket(pkt[:0], proto.GroupAudioPacket{
							AudioPacket: proto.AudioPacket{Call: 9, Seq: uint16(n), Timestamp: uint32(n * codec.FrameSamples), Payload: payloads[s][n%50]},
							Slot:        uint8(s),
						})
						g.Receive(pkt)
					}
					out := g.playFrame(now + 40*time.Millisecond)
					t1 := time.Now()
					g.aec.Playback(out)
					copy(frame, mic[n%50])
					if _, err := g.packFrame(frame); err != nil {
						b.Fatal(err)
					}
					recv, send = recv+t1.Sub(t0), send+time.Since(t1)
					n++
				}
			}
			b.ReportMetric(float64(b.Elapsed())/float64(time.Duration(b.N)*time.Second)*100, "cpu-%")
			b.ReportMetric(float64(recv.Microseconds())/float64(n), "recv-µs/frame")
			b.ReportMetric(float64(send.Microseconds())/float64(n), "send-µs/frame")
		})
	}
}

// stepDevice is a microphone and speaker that the test steps frame by
// frame: ReadFrame takes the next frame from mic, WriteFrame hands what
// plays to spk.
type stepDevice struct{ mic, spk chan []int16 }

func (d stepDevice) ReadFrame(ctx context.Context, dst []int16) error {
	select {
	case f := <-d.mic:
		copy(dst, f)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d stepDevice) WriteFrame(ctx context.Context, src []int16) error {
	select {
	case d.spk <- slices.Clone(src):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// A started group engine, its loops running: packets and a slot reset
// come in on the test's goroutine while the loops capture, play and
// report on theirs (the race detector watches), and what plays is the
// mix of both speakers.
func TestGroupEngineRuns(t *testing.T) {
	var clock atomic.Int64
	var mu sync.Mutex
	var sent [][]byte
	dev := stepDevice{mic: make(chan []int16), spk: make(chan []int16)}
	e, err := Start(context.Background(), Config{
		Call: 21, Codec: lookup(t, "opus"), Audio: dev, Echo: EchoOn, Group: true,
		Clock: func() time.Duration { return time.Duration(clock.Load()) },
		Send: SenderFunc(func(pkt []byte) error {
			mu.Lock()
			sent = append(sent, slices.Clone(pkt))
			mu.Unlock()
			return nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var now time.Duration // the speakers' clock; they do not read it
	a, b := newSpeaker(t, 21, &now, 4, tone(330, 0.1)), newSpeaker(t, 21, &now, 9, tone(770, 0.1))
	var out []int16
	for n := range 150 {
		clock.Store(int64(time.Duration(n) * codec.FrameDuration))
		if n == 100 {
			e.ResetSlot(9) // as if someone else took it: b's stream, continued, starts afresh
		}
		for _, s := range []*speaker{a, b} {
			e.Receive(s.packet(t, n))
		}
		dev.mic <- quiet(n)
		out = append(out, <-dev.spk...)
		if n%10 == 0 {
			_ = e.Stats()
		}
	}
	e.Close()
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	st := e.Stats()
	last := out[120*codec.FrameSamples:]
	t.Logf("330 Hz at %.3f, 770 Hz at %.3f; received %d, reports %d", toneAmp(last, 330), toneAmp(last, 770), st.Received, len(sent)-150)
	if toneAmp(last, 330) < 0.07 || toneAmp(last, 770) < 0.07 {
		t.Errorf("what played holds 330 Hz at %.3f and 770 Hz at %.3f, want both at about 0.1", toneAmp(last, 330), toneAmp(last, 770))
	}
	// Three seconds of reports about each slot (the one about slot 9 due
	// as it was reset may find it empty).
	reports := map[uint8]int{}
	for _, pkt := range sent {
		if r, err := proto.ParseGroupReport(pkt); err == nil {
			reports[r.Slot]++
		}
	}
	if st.Received != 300 || st.Sent != uint64(len(sent)) || len(sent) < 150 || reports[4] != 3 || reports[9] < 2 || len(reports) != 2 {
		t.Errorf("received %d, sent %d packets (%d recorded), reports by slot %v", st.Received, st.Sent, len(sent), reports)
	}
}

// Receiving and mixing fifteen speakers allocates nothing per frame once
// their slots exist.
func TestGroupPlayoutDoesNotAllocate(t *testing.T) {
	var now time.Duration
	g := simulatedGroup(t, 22, &now, lookup(t, "opus"), nil)
	var payloads [][]byte
	enc := lookup(t, "opus").NewEncoder()
	for n := range 50 {
		p, err := enc.Encode(nil, tone(330, 0.1)(n))
		if err != nil {
			t.Fatal(err)
		}
		payloads = append(payloads, p)
	}
	pkt := make([]byte, 0, proto.GroupPacketHeaderLen+proto.MaxPacketPayload)
	n := 0
	frame := func() {
		now = time.Duration(n) * codec.FrameDuration
		for s := range 15 {
			pkt = proto.AppendGroupPacket(pkt[:0], proto.GroupAudioPacket{
				AudioPacket: proto.AudioPacket{Call: 22, Seq: uint16(n), Timestamp: uint32(n * codec.FrameSamples), Payload: payloads[n%50]},
				Slot:        uint8(s),
			})
			g.Receive(pkt)
		}
		g.playFrame(now + 40*time.Millisecond)
		n++
	}
	for range 300 { // every slot of every jitter buffer's ring has held a packet of each size
		frame()
	}
	if a := testing.AllocsPerRun(100, frame); a != 0 {
		t.Errorf("%.1f allocations per frame", a)
	}
	if st := g.Stats(); st.Jitter.Played < 15*390 || st.Slots[14].Level < 0.5 {
		t.Errorf("played %d frames, slot 14 at %.2f: the fifteen streams were not all played", st.Jitter.Played, st.Slots[14].Level)
	}
}

// Someone whose connection dropped comes back on the same slot with a new
// engine, whose sequence numbers and timestamps start again from where
// the old one's did, and nobody called ResetSlot: after the second of
// silence the slot starts afresh, so the new stream plays at once instead
// of being refused as a replay of the old one for five seconds.
func TestGroupSlotBackFromSilenceStartsAfresh(t *testing.T) {
	var now time.Duration
	g := simulatedGroup(t, 16, &now, lookup(t, "opus"), nil)
	before := newSpeaker(t, 16, &now, 6, tone(330, 0.1))
	r := &groupRun{t: t, now: &now, g: g, speakers: []*speaker{before}}
	r.run(0, 250)
	r.speakers = nil
	r.run(250, 330) // 1.6 s without a packet
	back := newSpeaker(t, 16, &now, 6, tone(770, 0.1))
	r.speakers = []*speaker{back}
	r.run(330, 345)
	got := r.out[340*codec.FrameSamples:]
	t.Logf("200–300 ms after the new stream's first packet was sent: 770 Hz at %.3f; slot %+v", toneAmp(got, 770), g.Stats().Slots[6])
	if toneAmp(got, 770) < 0.07 {
		t.Errorf("the new stream on slot 6 plays at %.3f, want about 0.1", toneAmp(got, 770))
	}
}

// A faint speaker (below the meter's −60 dB floor: the tail of a word, a
// distant voice) is mixed in like any other, not gated out.
func TestGroupMixKeepsFaintSpeakers(t *testing.T) {
	var now time.Duration
	const amp = 0.0008 // −65 dBFS RMS
	r := &groupRun{t: t, now: &now, g: simulatedGroup(t, 17, &now, lookup(t, "opus"), nil)}
	r.speakers = []*speaker{newSpeaker(t, 17, &now, 2, tone(520, amp))}
	r.run(0, 100)
	got := toneAmp(r.out[50*codec.FrameSamples:], 520)
	t.Logf("520 Hz said at %.4f, plays at %.4f; level %.2f", amp, got, r.g.Stats().Slots[2].Level)
	if got < amp/1.5 || got > amp*1.5 {
		t.Errorf("a faint speaker plays at %.4f, said at %.4f", got, amp)
	}
}

// The device's position (the time playFrame is given) runs apart from
// the engine's clock (here 200 ms behind it, as a device that started
// late or runs slow); the speaking hold is still 300 ms of the clock,
// on which Stats reads it.
func TestGroupSpeakingHoldIsTimedOnTheClock(t *testing.T) {
	var now time.Duration
	g := simulatedGroup(t, 18, &now, lookup(t, "opus"), nil)
	loud := tone(330, 0.1)
	s := newSpeaker(t, 18, &now, 1, func(n int) []int16 {
		if n < 100 {
			return loud(n)
		}
		return quiet(n)
	})
	last, stop := -1, -1
	for n := range 200 {
		now = time.Duration(n) * codec.FrameDuration
		g.Receive(s.packet(t, n))
		if frameLevel(g.playFrame(now-200*time.Millisecond)) > speakingLevel {
			last = n
		}
		if st := g.Stats(); last >= 0 && !st.Slots[1].Speaking && stop < 0 {
			stop = n
		}
	}
	if last < 100 || stop-last != 15 {
		t.Errorf("the last loud frame played at frame %d, Speaking ended at %d: want 15 frames (300 ms) later", last, stop)
	}
}

// adaptLog records what the encoder is told.
type adaptLog struct {
	codec.PathAdapter
	calls [][2]int
}

func (a *adaptLog) Adapt(bitrate, lossPercent int) error {
	a.calls = append(a.calls, [2]int{bitrate, lossPercent})
	return a.PathAdapter.Adapt(bitrate, lossPercent)
}

// The previous holder's last packets come after the ResetSlot (they
// travel on the media connection, the reset follows a push on the
// other one) and take the slot back with their numbering; the new
// holder's stream, numbered from 0, is then more than the buffer's
// duplicate window behind it and refused as late. After a second of
// refusals the slot starts afresh, instead of staying deaf until the new
// numbering came within the window (here 41 s).
func TestGroupSlotRefusingANewStreamStartsAfresh(t *testing.T) {
	var now time.Duration
	g := simulatedGroup(t, 19, &now, lookup(t, "opus"), nil)
	old := newSpeaker(t, 19, &now, 2, tone(330, 0.1))
	old.e.seq = 3000
	r := &groupRun{t: t, now: &now, g: g, speakers: []*speaker{old}}
	r.run(0, 100)
	g.ResetSlot(2)
	r.speakers = []*speaker{newSpeaker(t, 19, &now, 2, tone(770, 0.1))}
	r.run(100, 170) // the old holder's packets 98 and 99 arrive at 100 and 101
	heard := toneAmp(r.out[162*codec.FrameSamples:], 770)
	t.Logf("1.2–1.4 s after the new holder's first packet: 770 Hz at %.3f; slot %+v", heard, g.Stats().Slots[2].Jitter)
	if heard < 0.07 {
		t.Errorf("the new holder plays at %.3f, want about 0.1", heard)
	}
}
