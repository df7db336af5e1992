package jitter

import (
	"math/rand"
	"slices"
	"testing"
	"time"
)

// A missing frame whose successor is already here comes out as Recover
// with that successor's packet, which then plays on the next Pop: the
// decoder can rebuild the lost frame from the redundancy it carries.
func TestAMissingFrameHandsOverTheNextPacket(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	tr := call{length: minute, network: func(i int, sent time.Duration) (time.Duration, bool) {
		return sent + netDelay + time.Duration(rng.Int63n(int64(ms))), i == 0 || rng.Float64() >= 0.05
	}}.run(t, Config{})
	st := tr.last()
	tr.checkOrder(t)

	// The losses whose next packet came (and was not itself lost).
	lost := map[int]bool{}
	for _, i := range tr.dropped {
		lost[i] = true
	}
	want := 0
	for _, i := range tr.dropped {
		if i > tr.at(second) && i+1 < tr.newest-5 && !lost[i+1] {
			want++
		}
	}
	recovered := 0
	for k, r := range tr.results {
		if r != Recover {
			continue
		}
		recovered++
		n := tr.next[k]
		if !lost[n-1] {
			t.Fatalf("Pop %d: Recover handed over packet %d, but packet %d was not lost", k, n, n-1)
		}
		if k+1 < len(tr.packet) && tr.packet[k+1] != n {
			t.Fatalf("Pop %d handed over packet %d for recovery; the next Pop played %d, want that packet", k, n, tr.packet[k+1])
		}
	}
	if recovered < want || uint64(recovered) != st.Recoverable {
		t.Errorf("%d Pops returned Recover (Stats.Recoverable %d); want one for each of the %d lost packets whose next one came", recovered, st.Recoverable, want)
	}
	// Two losses in a row: the first has nothing to recover from.
	if got := tr.count(Conceal, 0, minute); uint64(got) != st.Concealed {
		t.Errorf("Conceal and Recover Pops %d, Stats.Concealed %d: want them equal", got, st.Concealed)
	}
}

// With a gap of two, the first missing frame is concealed and the second
// recovered from the packet after it.
func TestTwoMissingFramesConcealThenRecover(t *testing.T) {
	tr := call{length: 3 * second, network: func(i int, sent time.Duration) (time.Duration, bool) {
		return sent + netDelay, i != 100 && i != 101
	}}.run(t, Config{})
	k := slices.Index(tr.packet, 99)
	if k < 0 || k+3 >= len(tr.results) {
		t.Fatal("packet 99 was never played")
	}
	got := []Result{tr.results[k+1], tr.results[k+2], tr.results[k+3]}
	if !slices.Equal(got, []Result{Conceal, Recover, Play}) || tr.next[k+2] != 102 || tr.packet[k+3] != 102 {
		t.Errorf("after packet 99: %v (handed over %d, played %d), want [conceal recover play] with packet 102", got, tr.next[k+2], tr.packet[k+3])
	}
}

// At the start of a call the target falls from its starting guess (60 ms)
// to the floor, and the buffer sheds the excess. It must do so in a pause,
// dropping only frames the sender marked quiet: a frame of speech dropped
// in the first second is heard.
func TestCallStartShedsTheExcessDelayOnlyInSilence(t *testing.T) {
	// Speech for 1.6 s, then a 400 ms pause, every 2 s.
	quiet := func(i int) bool { return i%100 >= 80 }
	tr := call{length: 10 * second, quiet: quiet}.run(t, Config{QuietMarks: true})
	st := tr.last()
	tr.checkOrder(t)

	played := map[int]bool{}
	for _, i := range tr.packet {
		if i >= 0 {
			played[i] = true
		}
	}
	var dropped []int
	for i := range tr.newest - 5 {
		if !played[i] {
			dropped = append(dropped, i)
		}
	}
	if len(dropped) == 0 || st.Dropped == 0 {
		t.Fatalf("nothing was dropped; the delay stayed at %v", st.Delay)
	}
	for _, i := range dropped {
		if !quiet(i) {
			t.Errorf("dropped frame %d, which is speech (dropped %v)", i, dropped)
		}
	}
	if st.DroppedVoiced != 0 {
		t.Errorf("Stats.DroppedVoiced = %d, want 0", st.DroppedVoiced)
	}
	// And the delay did come down, in the first pause.
	if d := tr.stats[tr.at(2*second+100*ms)].Delay; d < floor || d >= bandTop {
		t.Errorf("delay %v after the first pause, want within [%v, %v)", d, floor, bandTop)
	}
	if st.Delay < floor || st.Delay >= bandTop {
		t.Errorf("delay %v at the end, want within [%v, %v)", st.Delay, floor, bandTop)
	}
}

// A stream that never pauses still sheds its excess, after the longer
// patience: speech is dropped only when there is no quiet frame to drop.
func TestWithoutPausesSpeechIsDroppedOnlyAfterLongPatience(t *testing.T) {
	// Speech for a minute.
	tr := call{length: minute}.run(t, Config{QuietMarks: true})
	st := tr.last()
	if d := tr.stats[tr.at(5*second)].Dropped; d != 0 {
		t.Errorf("dropped %d frames of speech in the first 5 s; want to wait for a pause", d)
	}
	if st.DroppedVoiced == 0 || st.Delay >= bandTop {
		t.Errorf("after a minute without a pause: dropped %d frames of speech, delay %v; want the excess shed", st.DroppedVoiced, st.Delay)
	}
}
