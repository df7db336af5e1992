package jitter

import (
	"encoding/binary"
	"math/rand"
	"sync"
	"testing"
	"time"
)

const (
	ms       = time.Millisecond
	floor    = frame // the default MinDelay
	bandTop  = floor + frame + frame/2
	minute   = time.Minute
	second   = time.Second
	tenMin   = 10 * minute
	netDelay = 40 * ms
)

// checkNoConceal fails if any Pop in [from, to) returned Conceal.
func checkNoConceal(t *testing.T, tr trace, from, to time.Duration) {
	t.Helper()
	if n := tr.count(Conceal, from, to); n > 0 {
		t.Errorf("%d frames concealed between %v and %v, want none", n, from, to)
	}
}

func TestInOrderWithoutJitterPlaysEveryPacketOnceAtTheFloor(t *testing.T) {
	tr := call{length: minute}.run(t, Config{})
	st := tr.last()

	tr.checkOrder(t)
	tr.checkConsecutive(t, second, minute)
	checkNoConceal(t, tr, 0, minute)
	// The starting guess of 60 ms shrinks to the floor in the first second,
	// by skipping at most a couple of frames; after that nothing is skipped.
	if n := tr.stats[tr.at(second)].Dropped; n > 2 || st.Dropped != n {
		t.Errorf("dropped %d frames in the first second and %d in all, want at most 2, all at the start", n, st.Dropped)
	}
	if skipped := tr.sent - int(st.Played) - st.Depth - int(st.Dropped); skipped != tr.at(netDelay) {
		t.Errorf("%d packets neither played, held nor dropped; want only the %d still in flight", skipped, tr.at(netDelay))
	}
	if st.Target != floor {
		t.Errorf("target %v, want the floor %v", st.Target, floor)
	}
	if st.Delay < floor || st.Delay >= bandTop {
		t.Errorf("delay %v, want within [%v, %v)", st.Delay, floor, bandTop)
	}
	if diff := st.Wait - st.Delay; diff < -ms || diff > ms {
		t.Errorf("frames wait %v in the buffer; without jitter that is the delay %v", st.Wait, st.Delay)
	}
	if st.Late+st.Lost+st.Duplicates+st.Stretched != 0 {
		t.Errorf("stats %+v: want no late, lost, duplicate or stretched frames", st)
	}
}

func TestReorderedPacketsPlayInOrderOnceTheTargetAdapted(t *testing.T) {
	for _, tc := range []struct {
		name    string
		network func(rng *rand.Rand) func(int, time.Duration) (time.Duration, bool)
	}{
		{"adjacent swaps", func(rng *rand.Rand) func(int, time.Duration) (time.Duration, bool) {
			return func(i int, sent time.Duration) (time.Duration, bool) {
				if i%2 == 0 && rng.Intn(5) == 0 { // one pair in five: the even packet comes after the odd one
					return sent + netDelay + frame + ms, true
				}
				return sent + netDelay, true
			}
		}},
		{"displaced up to 3 frames", func(rng *rand.Rand) func(int, time.Duration) (time.Duration, bool) {
			return uniformJitter(rng, netDelay, 3*frame)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(1))
			tr := call{length: minute, network: tc.network(rng)}.run(t, Config{})
			st := tr.last()

			tr.checkOrder(t)
			checkNoConceal(t, tr, 2*second, minute)
			tr.checkConsecutive(t, 2*second, minute)
			if st.Late != 0 {
				t.Errorf("%d late packets, want none once adapted", st.Late)
			}
			if st.Target < floor || st.Target > 3*frame {
				t.Errorf("target %v, want within [%v, %v]: the displacement, not more", st.Target, floor, 3*frame)
			}
		})
	}
}

func TestRandomLossIsConcealedOncePerLostPacket(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	tr := call{length: minute, network: func(i int, sent time.Duration) (time.Duration, bool) {
		arrival := sent + netDelay + time.Duration(rng.Int63n(int64(ms)))
		return arrival, i == 0 || rng.Float64() >= 0.05 // the first packet arrives: loss before it is invisible
	}}.run(t, Config{})
	st := tr.last()
	lost := 0 // of the packets sent before the newest that arrived: the later ones are not missed yet
	for _, i := range tr.dropped {
		if i < tr.newest {
			lost++
		}
	}
	frames := tr.at(minute)

	tr.checkOrder(t)
	if int(st.Lost) != lost {
		t.Errorf("Lost = %d, want the %d packets the network dropped", st.Lost, lost)
	}
	if share := float64(st.Concealed) / float64(frames); share < 0.035 || share > 0.065 { // ±4σ
		t.Errorf("concealed %d of %d frames (%.1f%%), want about 5%%", st.Concealed, frames, 100*share)
	}
	// Every loss is concealed once, unless it was the frame a drop skipped;
	// a margin of 3 frames covers a stall on a rare run of losses.
	if int(st.Concealed) > lost+3 || int(st.Concealed) < lost-int(st.Dropped)-1 {
		t.Errorf("concealed %d frames for %d lost packets (%d dropped), want one each", st.Concealed, lost, st.Dropped)
	}
	if st.Late != 0 {
		t.Errorf("%d late packets: loss alone makes none", st.Late)
	}
	// Loss is not jitter: the target stays at the floor.
	atFloor := 0
	for _, s := range tr.stats {
		if s.Target == floor {
			atFloor++
		}
	}
	if atFloor < frames*98/100 {
		t.Errorf("target at the floor for %d of %d frames, want nearly all", atFloor, frames)
	}
}

func TestBurstOfLatenessIsConcealedThenRecovers(t *testing.T) {
	const (
		burstFrom = 10 * second
		burstTo   = burstFrom + 200*ms
		length    = burstFrom + minute
	)
	rng := rand.New(rand.NewSource(3))
	tr := call{length: length, network: func(i int, sent time.Duration) (time.Duration, bool) {
		if sent >= burstFrom && sent < burstTo { // held back, then delivered at once
			return burstTo + netDelay, true
		}
		return sent + netDelay + time.Duration(rng.Int63n(int64(2*ms))), true
	}}.run(t, Config{})

	tr.checkOrder(t)
	checkNoConceal(t, tr, 0, burstFrom)
	if n := tr.count(Conceal, burstFrom, burstTo+netDelay+frame); n < 5 || n > 11 {
		t.Errorf("concealed %d frames during the 200 ms gap, want most of its 10", n)
	}
	checkNoConceal(t, tr, burstTo+netDelay+frame, length)
	if late := tr.last().Late; late > 1 {
		t.Errorf("%d late packets: want the held-back packets played, bar the first", late)
	}

	// One second after the burst the buffer has grown to cover it and holds
	// about as many frames as the target says.
	after := tr.stats[tr.at(burstTo+second)]
	if after.Target < 150*ms {
		t.Errorf("target %v after a 200 ms burst, want it grown to cover it", after.Target)
	}
	if held := time.Duration(after.Depth) * frame; held < after.Target-2*frame || held > after.Target+2*frame {
		t.Errorf("%d frames held (%v) after the burst, want about the target %v", after.Depth, held, after.Target)
	}
	// The network is calm again: the target decays back to the floor,
	// shrinking the buffer a frame at a time, without concealing.
	calm := tr.stats[tr.at(burstTo+40*second)]
	if calm.Target != floor || calm.Delay >= bandTop {
		t.Errorf("40 s after the burst target %v delay %v, want back at the floor %v", calm.Target, calm.Delay, floor)
	}
	if calm.Dropped-after.Dropped < 5 {
		t.Errorf("dropped %d frames while the target decayed, want one per frame of excess", calm.Dropped-after.Dropped)
	}
}

func TestJitterOnsetRaisesTheTargetQuickly(t *testing.T) {
	const onset = 20 * second
	rng := rand.New(rand.NewSource(4))
	tr := call{length: onset + minute, network: func(i int, sent time.Duration) (time.Duration, bool) {
		if sent < onset {
			return sent + netDelay, true
		}
		return sent + netDelay + time.Duration(rng.Int63n(int64(3*frame))), true
	}}.run(t, Config{})

	tr.checkOrder(t)
	if tr.stats[tr.at(onset)].Target != floor {
		t.Fatalf("target %v before the onset, want the floor", tr.stats[tr.at(onset)].Target)
	}
	if n := tr.count(Conceal, onset, onset+2*second); n > 15 {
		t.Errorf("concealed %d frames in the 2 s after jitter began, want the target to follow within a few", n)
	}
	checkNoConceal(t, tr, onset+2*second, onset+minute)
}

func TestClockSkewKeepsTheDepthBounded(t *testing.T) {
	for _, tc := range []struct {
		name string
		skew float64
	}{
		{"sender 0.1% fast", +0.001},
		{"sender 0.1% slow", -0.001},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(5))
			tr := call{length: tenMin, skew: tc.skew, network: uniformJitter(rng, netDelay, 2*ms)}.run(t, Config{})
			st := tr.last()
			frames := tr.at(tenMin)
			drift := int(0.001 * float64(frames)) // frames the two clocks disagree by

			tr.checkOrder(t)
			started := tr.at(2 * second) // and settled
			for k, s := range tr.stats[started:] {
				if s.Depth > 4 {
					t.Fatalf("at %v %d frames held, want the depth bounded", time.Duration(started+k)*frame, s.Depth)
				}
				if tr.results[started+k] == Conceal && tr.results[started+k-1] == Conceal {
					t.Fatalf("at %v concealed twice in a row, want single stretches", time.Duration(started+k)*frame)
				}
				// The band, widened by the network's 2 ms of jitter that moves its anchor.
				if tr.results[started+k] == Play && (s.Delay < s.Target-frame/4-2*ms || s.Delay >= s.Target+frame+frame/2+2*ms) {
					t.Fatalf("at %v delay %v outside its band above the target %v", time.Duration(started+k)*frame, s.Delay, s.Target)
				}
			}
			startup := int(tr.stats[started].Dropped) // shrinking the starting guess
			drops, stretches := int(st.Dropped)-startup, int(st.Stretched)
			if tc.skew < 0 {
				drops, stretches = stretches, drops
			}
			if drops < drift-5 || drops > drift+5 || stretches > 1 {
				t.Errorf("%d frames dropped and %d stretched after startup, want about %d and none", st.Dropped-uint64(startup), st.Stretched, drift)
			}
			if st.Concealed != st.Stretched {
				t.Errorf("concealed %d frames but stretched %d: nothing else was missing", st.Concealed, st.Stretched)
			}
		})
	}
}

func TestSequenceAndTimestampWrapAround(t *testing.T) {
	for _, tc := range []struct {
		name    string
		seqBits int
		seq0    uint32
	}{
		{"16-bit sequence", 16, 1<<16 - 100},
		{"32-bit sequence", 32, 1<<32 - 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(6))
			tr := call{
				length:  10 * second,
				seq0:    tc.seq0,
				ts0:     1<<32 - 960*150, // wraps 3 s in; the sequence number 2 s in
				seqBits: tc.seqBits,
				network: uniformJitter(rng, netDelay, frame+5*ms), // reordered across both wraps
			}.run(t, Config{})
			st := tr.last()

			tr.checkOrder(t)
			tr.checkConsecutive(t, 2*second, 10*second)
			if st.Late+st.Duplicates+st.Resyncs != 0 {
				t.Errorf("stats %+v: wrap-around looks like late, duplicate or discontinuous packets", st)
			}
			if st.Lost > 2 { // the reordered packets still in flight at the end
				t.Errorf("Lost = %d after the sequence number wrapped", st.Lost)
			}
		})
	}
}

func TestDuplicatesAreDroppedAndCounted(t *testing.T) {
	dups := 0
	tr := call{length: 10 * second, extra: func(i int, sent time.Duration) (time.Duration, bool) {
		switch {
		case i%10 == 3: // soon after the original
			dups++
			return sent + netDelay + 5*ms, true
		case i%10 == 7: // long after it was played
			dups++
			return sent + netDelay + second, true
		}
		return 0, false
	}}.run(t, Config{})
	st := tr.last()

	tr.checkOrder(t)
	checkNoConceal(t, tr, 0, 10*second)
	// The last second's late copies are still in flight.
	if want := dups - tr.at(second)/10; int(st.Duplicates) != want {
		t.Errorf("Duplicates = %d, want %d", st.Duplicates, want)
	}
	if st.Late != 0 {
		t.Errorf("Late = %d: a copy of a played packet is a duplicate, not late", st.Late)
	}
}

func TestLoneStragglerIsDroppedAsLateWithoutRaisingTheTarget(t *testing.T) {
	const straggler = 500
	tr := call{length: 30 * second, network: func(i int, sent time.Duration) (time.Duration, bool) {
		if i == straggler {
			return sent + second, true
		}
		return sent + netDelay, true
	}}.run(t, Config{})
	st := tr.last()

	tr.checkOrder(t)
	for _, i := range tr.played(0, 30*second) {
		if i == straggler {
			t.Fatalf("packet %d played a second late", straggler)
		}
	}
	if st.Late != 1 || st.Concealed != 1 || st.Lost != 0 {
		t.Errorf("Late %d Concealed %d Lost %d, want 1, 1 and 0", st.Late, st.Concealed, st.Lost)
	}
	for k, s := range tr.stats[tr.at(second):] {
		if s.Target != floor {
			t.Fatalf("at %v target %v, want the floor despite one straggler", time.Duration(k)*frame+second, s.Target)
		}
	}
}

func TestTimestampJumpRestartsPlayout(t *testing.T) {
	// At 5 s the sender restarts its timestamps an hour ahead.
	b := newBuffer(t, Config{})
	payload := make([]byte, 2)
	var played []int
	for k := range 500 {
		now := time.Duration(k) * frame
		i := uint32(k)
		ts := i * 960
		if k >= 250 {
			ts += 3600 * 48000
		}
		binary.BigEndian.PutUint16(payload, uint16(k))
		b.Push(Packet{Seq: i, Timestamp: ts, Payload: payload}, now)
		if p, r := b.Pop(now); r == Play {
			played = append(played, int(binary.BigEndian.Uint16(p)))
		}
	}
	st := b.Stats()
	if st.Resyncs != 1 {
		t.Fatalf("Resyncs = %d, want 1", st.Resyncs)
	}
	if last := played[len(played)-1]; last < 495 {
		t.Errorf("last packet played %d, want playout to follow the new timestamps to the end", last)
	}
	if st.Concealed > 5 || st.Late != 0 || st.Lost != 0 {
		t.Errorf("stats %+v: a restart needs only a few frames of buffering", st)
	}
}

// Push says whether it kept the packet: a new one yes; a copy of one
// held or played, a packet of a frame already played, no.
func TestPushReportsWhetherItKeptThePacket(t *testing.T) {
	b := newBuffer(t, Config{})
	push := func(seq uint32, at time.Duration) bool {
		return b.Push(Packet{Seq: seq, Timestamp: seq * 960, Payload: []byte{1}}, at)
	}
	for k := range uint32(10) {
		if k != 5 && !push(k, time.Duration(k)*frame) {
			t.Fatalf("packet %d refused", k)
		}
		b.Pop(time.Duration(k)*frame + 2*frame)
	}
	if push(3, 10*frame) {
		t.Error("a duplicate was kept")
	}
	if push(5, 10*frame) { // its frame was concealed long ago
		t.Error("a late packet was kept")
	}
	if !push(10, 10*frame) {
		t.Error("the next packet was refused")
	}
	if st := b.Stats(); st.Duplicates != 1 || st.Late != 1 {
		t.Errorf("duplicates %d, late %d; want 1, 1", st.Duplicates, st.Late)
	}
}

func TestPopIsSilentUntilTheTargetIsBuffered(t *testing.T) {
	b := newBuffer(t, Config{MinDelay: 60 * ms, StartDelay: 60 * ms})
	if p, r := b.Pop(0); r != Silence || p != nil {
		t.Fatalf("Pop before any packet = %v, %v; want silence", p, r)
	}
	b.Push(Packet{Seq: 7, Timestamp: 1234, Payload: []byte("a")}, 0)
	for k := range 3 {
		if _, r := b.Pop(time.Duration(k) * frame); r != Silence {
			t.Fatalf("Pop %v after the first packet = %v, want silence until 60 ms are buffered", time.Duration(k)*frame, r)
		}
	}
	if p, r := b.Pop(3 * frame); r != Play || string(p) != "a" {
		t.Fatalf("Pop at 60 ms = %q, %v; want the first packet", p, r)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{SampleRate: -1},
		{FrameSamples: -960},
		{FrameSamples: 10}, // shorter than a millisecond
		{MinDelay: -ms},
		{MinDelay: 100 * ms, MaxDelay: 50 * ms},
		{MaxDelay: 10 * second},
		{SeqBits: 8},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted it", cfg)
		}
	}
}

func TestPushAndPopFromDifferentGoroutines(t *testing.T) {
	b := newBuffer(t, Config{})
	const packets = 2000
	// The network goroutine delivers packet i at i frames and may run up to
	// 8 packets ahead; the device pops at k frames once packet k is in.
	pushed := make(chan int, 8)
	var wg sync.WaitGroup
	wg.Go(func() {
		payload := make([]byte, 8)
		for i := range packets {
			binary.BigEndian.PutUint64(payload, uint64(i))
			b.Push(Packet{Seq: uint32(i), Timestamp: uint32(i * 960), Payload: payload}, time.Duration(i)*frame)
			pushed <- i
		}
		close(pushed)
	})
	prev, played, have := -1, 0, -1
	for k := range packets {
		for have < k {
			have = <-pushed
		}
		p, r := b.Pop(time.Duration(k) * frame)
		if r != Play {
			continue
		}
		i := int(binary.BigEndian.Uint64(p))
		if i <= prev || i >= packets {
			t.Fatalf("played packet %d after %d", i, prev)
		}
		prev = i
		played++
	}
	wg.Wait()
	if st := b.Stats(); played < packets-10 || st.Concealed != 0 {
		t.Errorf("played %d of %d packets, concealed %d; want all but the few buffered, none concealed", played, packets, st.Concealed)
	}
}

func newBuffer(t *testing.T, cfg Config) *Buffer {
	t.Helper()
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BenchmarkPushPop measures one frame of a call in steady state: a packet
// arrives and the device takes a frame. It must not allocate.
func BenchmarkPushPop(b *testing.B) {
	for _, bc := range []struct {
		name string
		swap int // one pair in swap arrives swapped; 0: none
	}{
		{"in-order", 0},
		{"reordered", 3},
	} {
		b.Run(bc.name, func(b *testing.B) {
			buf, err := New(Config{})
			if err != nil {
				b.Fatal(err)
			}
			// order[i] is the packet that arrives i-th.
			rng := rand.New(rand.NewSource(1))
			order := make([]int, 1024)
			for i := range order {
				order[i] = i
			}
			for i := 0; bc.swap > 0 && i+1 < len(order); i += 2 {
				if rng.Intn(bc.swap) == 0 {
					order[i], order[i+1] = order[i+1], order[i]
				}
			}
			payload := make([]byte, 80) // 32 kbit/s × 20 ms
			step := func(i int) {
				n := i&^1023 + order[i&1023]
				now := time.Duration(i) * frame
				buf.Push(Packet{Seq: uint32(n), Timestamp: uint32(n * 960), Payload: payload}, now)
				buf.Pop(now)
			}
			i := 0
			for ; i < 5000; i++ { // fill the ring's payload buffers and settle the target
				step(i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				step(i)
				i++
			}
			b.StopTimer()
			st := buf.Stats()
			if st.Late+st.Resyncs+st.Lost != 0 || st.Played < uint64(i)*9/10 {
				b.Fatalf("after %d frames: %+v", i, st)
			}
			b.ReportMetric(float64(st.Wait)/float64(ms), "wait-ms")
			b.ReportMetric(float64(st.Target)/float64(ms), "target-ms")
		})
	}
}
