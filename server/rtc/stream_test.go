package rtc

import "testing"

// The server's stream keeps a speaker's sequence numbers, late and
// repeated ones too, and never goes back further than that: a number far
// behind (someone else in the slot, or a new engine numbering from 0)
// goes on from the last one sent, and the numbers after it keep their
// spacing. Numbers compare as RTP's do, modulo 2^16: up to 32767 ahead
// is ahead, which SRTP's rollover counter follows.
func TestAStreamsSequenceNumbersNeverGoBack(t *testing.T) {
	var s stream
	for _, c := range []struct {
		in, want uint16
		why      string
	}{
		{20000, 20000, "the first is kept"},
		{20001, 20001, "the next"},
		{20005, 20005, "after a loss"},
		{20003, 20003, "late"},
		{20005, 20005, "repeated"},
		{19989, 19989, "16 behind: late"},
		{0, 20006, "far behind: a new speaker goes on from the last"},
		{1, 20007, "its next"},
		{4, 20010, "its spacing kept"},
		{2, 20008, "late, shifted as its own"},
		{32771, 52777, "32767 ahead: a jump forward"},
		{3, 52778, "32768 away: behind, goes on from the last"},
		{4, 52779, "its next"},
		{65535, 52774, "late, across the speaker's wrap"},
		{30000, 17239, "29996 ahead: across the stream's wrap"},
	} {
		if got := s.number(c.in); got != c.want {
			t.Fatalf("%s: %d came out as %d, want %d", c.why, c.in, got, c.want)
		}
	}
}
