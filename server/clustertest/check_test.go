//go:build linux

package clustertest

import (
	"fmt"
	"strings"
	"testing"

	"parley/net/proto"
)

// The final check of every failure test fails on each way a delivery can
// go wrong (the failure tests can only show that it passes).
func TestTheCheckFindsWhatIsWrong(t *testing.T) {
	const conv, base = proto.ConvID(7), int64(40)
	msg := func(seq int64, id string) proto.Message {
		return proto.Message{Conv: conv, Seq: seq, ClientID: id, Text: "text of " + id, Kind: proto.MsgText}
	}
	acked := map[string]proto.Message{}
	var want []proto.Message
	for i := range 5 {
		m := msg(base+1+int64(i), fmt.Sprint("c", i))
		acked[m.ClientID] = m
		want = append(want, m)
	}
	// mustFail fails unless err is an error saying what.
	mustFail := func(name string, err error, what string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), what) {
			t.Errorf("%s: %v, want an error with %q", name, err, what)
		}
	}

	got, err := inOrder(base, acked)
	if err != nil || sameMessages("db", got, want) != nil {
		t.Fatalf("inOrder of good acknowledgements: %v %v", got, err)
	}
	gap := map[string]proto.Message{"c0": msg(base+1, "c0"), "c1": msg(base+3, "c1")}
	_, err = inOrder(base, gap)
	mustFail("a gap in the acknowledged seqs", err, "not gap-free")
	twice := map[string]proto.Message{"c0": msg(base+1, "c0"), "c1": msg(base+1, "c1")}
	_, err = inOrder(base, twice)
	mustFail("two messages acknowledged at one seq", err, "not gap-free")
	_, err = inOrder(base, nil)
	mustFail("nothing acknowledged", err, "no message")

	mustFail("the database without the last", sameMessages("db", want[:4], want), "lacks seq 45")
	mustFail("the database with one more", sameMessages("db", append(want[:5:5], msg(base+6, "c0")), want), "after the last acknowledged")
	other := append([]proto.Message(nil), want...)
	other[2].Text = "something else"
	mustFail("a seq holding another message", sameMessages("db", other, want), "holds seq 43")

	newWang := func() *device {
		d := &device{name: "Wang", msgs: map[int64]proto.Message{}, changed: make(chan struct{}, 1)}
		d.watch(conv, base)
		return d
	}
	push := func(d *device, last *int64, seqs ...int64) {
		for _, seq := range seqs {
			d.pushed(want[seq-base-1], 0, last)
		}
	}
	var last int64
	d := newWang()
	push(d, &last, 41, 42, 43, 44, 45)
	d.pushed(msg(base, "before"), 0, new(int64)) // before base: not checked
	if err := d.holds(want); err != nil {
		t.Fatalf("a device that got everything: %v", err)
	}

	last = 0
	d = newWang()
	push(d, &last, 41, 42, 44, 45)
	mustFail("a device that missed a push", d.holds(want), "Wang holds seq 44")

	last = 0
	d = newWang()
	push(d, &last, 41, 42, 43, 43, 44, 45)
	mustFail("a push repeated on one connection", d.holds(want), "pushed seq 43 after seq 43")

	last = 0
	d = newWang()
	push(d, &last, 41, 43, 42, 44, 45)
	mustFail("pushes out of order", d.holds(want), "pushed seq 42 after seq 43")

	last = 0
	d = newWang()
	push(d, &last, 41, 42, 43, 44, 45)
	d.synced(msg(base+3, "c9"))
	mustFail("one seq with two messages", d.holds(want), "seq 43 came as")

	// A sync that repeats what pushes brought is no fault.
	last = 0
	d = newWang()
	push(d, &last, 41, 42, 43)
	for _, m := range want {
		d.synced(m)
	}
	if err := d.holds(want); err != nil {
		t.Fatalf("a device whose sync overlapped its pushes: %v", err)
	}
}
