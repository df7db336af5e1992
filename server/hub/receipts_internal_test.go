package hub

import (
	"slices"
	"testing"
	"time"

	"parley/net/proto"
)

// The typing limit, on a clock the test sets: one typing per conversation
// per TypingIntervalMs and connection; a stop once after a typing, and it
// lets the next typing through at once.
func TestTypingLimit(t *testing.T) {
	r := newReceiptLayer(nil)
	a, b := &conn{}, &conn{}
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	interval := proto.TypingIntervalMs * time.Millisecond
	steps := []struct {
		c       *conn
		conv    proto.ConvID
		stop    bool
		at      time.Duration
		forward bool
		limited bool
	}{
		{a, 1, false, 0, true, false},
		{a, 1, false, interval - time.Millisecond, false, true},
		{b, 1, false, interval - time.Millisecond, true, false}, // another connection
		{a, 2, false, interval - time.Millisecond, true, false}, // another conversation
		{a, 1, false, interval, true, false},
		{a, 1, true, interval + 1, true, false},
		{a, 1, true, interval + 2, false, false}, // nothing left to stop
		{a, 1, false, interval + 3, true, false}, // after a stop, at once
		{a, 3, true, 0, false, false},            // a stop with no typing
	}
	for i, s := range steps {
		forward, err := r.allowTyping(s.c, s.conv, s.stop, t0.Add(s.at))
		if forward != s.forward || (proto.CodeOf(err) == proto.CodeRateLimited) != s.limited || (err != nil) != s.limited {
			t.Fatalf("step %d %+v: forward %v, err %v", i, s, forward, err)
		}
	}
}

// Receipts are coalesced per conversation: the first change goes out at
// once, the changes within the interval after it in one push when it
// ends (here the test ends it), and a quiet interval ends the cooling.
func TestReceiptsAreCoalesced(t *testing.T) {
	r := newReceiptLayer(nil)
	r.interval = time.Hour // the test calls tick itself
	type pushed struct{ changed, to []proto.UserID }
	var got []pushed
	r.push = func(_ proto.ConvID, changed, to []proto.UserID) {
		slices.Sort(to)
		got = append(got, pushed{changed, to})
	}
	r.queue(7, 1, []proto.UserID{100})
	for u := proto.UserID(2); u <= 50; u++ {
		r.queue(7, u, []proto.UserID{100, 101})
	}
	r.queue(8, 3, []proto.UserID{100}) // another conversation: at once
	if len(got) != 2 || !slices.Equal(got[0].changed, []proto.UserID{1}) || !slices.Equal(got[1].changed, []proto.UserID{3}) {
		t.Fatalf("before the interval ended: %v", got)
	}
	r.tick(7)
	if len(got) != 3 || len(got[2].changed) != 49 || !slices.Equal(got[2].to, []proto.UserID{100, 101}) {
		t.Fatalf("at the end of the interval: %v", got[2:])
	}
	r.tick(7) // nothing gathered: the conversation is quiet again
	r.queue(7, 9, []proto.UserID{100})
	if len(got) != 4 || !slices.Equal(got[3].changed, []proto.UserID{9}) {
		t.Fatalf("after a quiet interval: %v", got[3:])
	}
}
