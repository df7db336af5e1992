package jitter

import (
	"cmp"
	"encoding/binary"
	"math/rand"
	"slices"
	"testing"
	"time"
)

const frame = 20 * time.Millisecond

// call describes one simulated call: a sender producing a packet every
// frame of its own clock, a network between it and the receiver, and the
// receiver's audio device calling Pop once per frame of the receiver's
// clock. Everything is measured on the receiver's clock.
type call struct {
	length  time.Duration // of the call, on the receiver's clock
	skew    float64       // sender clock rate − 1: +0.001 sends 0.1% more packets
	seq0    uint32        // first sequence number
	ts0     uint32        // first timestamp
	seqBits int           // 0: 32
	// network says when packet i, sent at the given time, arrives, and
	// whether it arrives at all. Nil means after a fixed 40 ms.
	network func(i int, sent time.Duration) (arrival time.Duration, ok bool)
	// extra packets to deliver (duplicates): index and arrival time.
	extra func(i int, sent time.Duration) (arrival time.Duration, ok bool)
	// quiet says which packets the sender marks Quiet; nil: none.
	quiet func(i int) bool
}

// trace is what the receiver heard, one entry per Pop.
type trace struct {
	sent    int      // packets the sender produced
	newest  int      // highest packet index pushed
	dropped []int    // packets the network lost
	results []Result // per Pop
	packet  []int    // per Pop: index of the packet played, or -1
	next    []int    // per Pop: with Recover, index of the packet handed over, or -1
	stats   []Stats  // per Pop, after it
	at      func(time.Duration) int
}

type arrival struct {
	at time.Duration
	i  int
}

func (c call) run(t *testing.T, cfg Config) trace {
	t.Helper()
	cfg.SeqBits = c.seqBits
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	period := time.Duration(float64(frame) / (1 + c.skew))
	network := c.network
	if network == nil {
		network = func(_ int, sent time.Duration) (time.Duration, bool) { return sent + 40*time.Millisecond, true }
	}
	var tr trace
	var arrivals []arrival
	for i := 0; time.Duration(i)*period < c.length; i++ {
		sent := time.Duration(i) * period
		tr.sent++
		if at, ok := network(i, sent); ok {
			arrivals = append(arrivals, arrival{at, i})
		} else {
			tr.dropped = append(tr.dropped, i)
		}
		if c.extra != nil {
			if at, ok := c.extra(i, sent); ok {
				arrivals = append(arrivals, arrival{at, i})
			}
		}
	}
	slices.SortStableFunc(arrivals, func(a, b arrival) int { return cmp.Compare(a.at, b.at) })

	payload := make([]byte, 80)
	next := 0
	for k := 0; time.Duration(k)*frame < c.length; k++ {
		now := time.Duration(k) * frame
		for ; next < len(arrivals) && arrivals[next].at <= now; next++ {
			i := arrivals[next].i
			tr.newest = max(tr.newest, i)
			binary.BigEndian.PutUint64(payload, uint64(i))
			b.Push(Packet{
				Seq:       c.seq0 + uint32(i),
				Timestamp: c.ts0 + uint32(i*960),
				Payload:   payload,
				Quiet:     c.quiet != nil && c.quiet(i),
			}, arrivals[next].at)
			clear(payload) // the Buffer must have copied it
		}
		p, r := b.Pop(now)
		idx, nxt := -1, -1
		switch {
		case r == Play && len(p) == 80:
			idx = int(binary.BigEndian.Uint64(p))
		case r == Recover && len(p) == 80:
			nxt = int(binary.BigEndian.Uint64(p))
		case r == Play || r == Recover:
			t.Fatalf("Pop at %v: %v with a %d-byte payload, want 80", now, r, len(p))
		case p != nil:
			t.Fatalf("Pop at %v: %v with a payload", now, r)
		}
		tr.results = append(tr.results, r)
		tr.packet = append(tr.packet, idx)
		tr.next = append(tr.next, nxt)
		tr.stats = append(tr.stats, b.Stats())
	}
	tr.at = func(d time.Duration) int { return min(int(d/frame), len(tr.results)-1) }
	return tr
}

func (tr trace) last() Stats { return tr.stats[len(tr.stats)-1] }

// count counts Pops with result r in [from, to); Conceal counts Recover
// too (a missing frame either way).
func (tr trace) count(r Result, from, to time.Duration) int {
	n := 0
	for _, got := range tr.results[tr.at(from):tr.at(to)] {
		if got == r || r == Conceal && got == Recover {
			n++
		}
	}
	return n
}

// played returns the indexes of the packets played in [from, to), in order.
func (tr trace) played(from, to time.Duration) []int {
	var out []int
	for _, i := range tr.packet[tr.at(from):tr.at(to)] {
		if i >= 0 {
			out = append(out, i)
		}
	}
	return out
}

// checkOrder fails unless every packet is played at most once and in order.
func (tr trace) checkOrder(t *testing.T) {
	t.Helper()
	prev := -1
	for k, i := range tr.packet {
		if i < 0 {
			continue
		}
		if i <= prev {
			t.Fatalf("Pop %d played packet %d after packet %d", k, i, prev)
		}
		prev = i
	}
}

// checkConsecutive fails unless the packets played in [from, to) follow
// each other without a gap.
func (tr trace) checkConsecutive(t *testing.T, from, to time.Duration) {
	t.Helper()
	p := tr.played(from, to)
	for j := 1; j < len(p); j++ {
		if p[j] != p[j-1]+1 {
			t.Fatalf("between %v and %v packet %d followed packet %d", from, to, p[j], p[j-1])
		}
	}
	if len(p) < tr.at(to)-tr.at(from) {
		t.Fatalf("between %v and %v only %d of %d Pops played a packet", from, to, len(p), tr.at(to)-tr.at(from))
	}
}

// uniformJitter returns a network with a fixed base delay plus a uniform random
// delay in [0, spread).
func uniformJitter(rng *rand.Rand, base, spread time.Duration) func(int, time.Duration) (time.Duration, bool) {
	return func(_ int, sent time.Duration) (time.Duration, bool) {
		return sent + base + time.Duration(rng.Int63n(int64(spread)+1)), true
	}
}
