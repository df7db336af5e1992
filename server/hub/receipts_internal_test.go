package hub

import (
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
