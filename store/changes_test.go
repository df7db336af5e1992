package store

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"parley/net/proto"
)

func pending(id, typ, body string) PendingChange {
	return PendingChange{ClientID: id, Type: typ, Body: json.RawMessage(body)}
}

// The queue of history changes keeps its order across a reopen, refuses
// a second change with the same client ID and what is not a change, and
// forgets what is dropped; the newest hide only rises.
func testPendingChanges(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, "a", Options{})
	if cs, err := s.PendingChanges(ctx); err != nil || len(cs) != 0 {
		t.Fatalf("a new store has changes %v, %v", cs, err)
	}
	if id, err := s.HiddenAfter(ctx); err != nil || id != 0 {
		t.Fatalf("a new store's HiddenAfter = %d, %v; want 0", id, err)
	}
	edit := pending("e1", proto.TypeEdit, `{"conv":1,"seq":2,"client_id":"e1","text":"改好了 fixed"}`)
	react := pending("r1", proto.TypeReact, `{"conv":1,"seq":3,"client_id":"r1","emoji":"👍"}`)
	pin := pending("p1", proto.TypePin, `{"conv":1,"seq":3,"client_id":"p1"}`)
	hide := pending("h1", proto.TypeHide, `{"conv":1,"seq":4,"client_id":"h1"}`)
	fwd := pending("f1", proto.TypeSend, `{"conv":2,"client_id":"f1","forward_of":{"conv":1,"seq":2}}`)
	for _, c := range []PendingChange{edit, react, pin, hide, fwd} {
		must(t, s.QueueChange(ctx, c))
	}
	wantErr(t, s.QueueChange(ctx, pending("e1", proto.TypeDelete, `{"conv":1,"seq":2,"client_id":"e1"}`)), ErrExists)
	wantErr(t, s.QueueChange(ctx, pending("x1", proto.TypeLogin, `{"conv":1}`)), ErrInvalid)
	wantErr(t, s.QueueChange(ctx, pending("", proto.TypeEdit, `{"conv":1}`)), ErrInvalid)
	wantErr(t, s.QueueChange(ctx, pending("x2", proto.TypeEdit, `not json`)), ErrInvalid)
	wantErr(t, s.QueueChange(ctx, pending("x3", proto.TypeEdit, `[1]`)), ErrInvalid)
	must(t, s.DropChange(ctx, "p1"))
	must(t, s.DropChange(ctx, "p1")) // dropped already: no error
	must(t, s.SetHiddenAfter(ctx, 7))
	must(t, s.SetHiddenAfter(ctx, 3)) // lower: ignored
	wantErr(t, s.SetHiddenAfter(ctx, -1), ErrInvalid)
	must(t, s.Close())

	s = open(t, "a", Options{})
	cs, err := s.PendingChanges(ctx)
	must(t, err)
	var got []string
	for _, c := range cs {
		got = append(got, c.ClientID+" "+c.Type+" "+string(c.Body))
	}
	want := []string{
		"e1 edit " + string(edit.Body),
		"r1 react " + string(react.Body),
		"h1 hide " + string(hide.Body),
		"f1 send " + string(fwd.Body),
	}
	if !slices.Equal(got, want) {
		t.Fatalf("after reopen the queue is\n%q\nwant\n%q", got, want)
	}
	if id, err := s.HiddenAfter(ctx); err != nil || id != 7 {
		t.Fatalf("after reopen HiddenAfter = %d, %v; want 7", id, err)
	}
	// Queued after a reopen: behind the rest, and kept there.
	must(t, s.DropChange(ctx, "h1"))
	must(t, s.QueueChange(ctx, pin))
	cs[0].Body[2] = 'X' // the caller's copy
	must(t, s.Close())
	s = open(t, "a", Options{})
	cs, err = s.PendingChanges(ctx)
	must(t, err)
	got = got[:0]
	for _, c := range cs {
		got = append(got, c.ClientID)
	}
	if !slices.Equal(got, []string{"e1", "r1", "f1", "p1"}) || string(cs[0].Body) != string(edit.Body) {
		t.Fatalf("after a drop, a queue and a reopen: %q (first body %s)", got, cs[0].Body)
	}
	if other, _ := open(t, "b", Options{}).PendingChanges(ctx); len(other) != 0 {
		t.Fatalf("another account sees changes %v", other)
	}
	must(t, s.Close())
	wantErr(t, s.QueueChange(ctx, pending("z", proto.TypeEdit, `{}`)), ErrClosed)
	_, err = s.PendingChanges(ctx)
	wantErr(t, err, ErrClosed)
	wantErr(t, s.SetHiddenAfter(ctx, 9), ErrClosed)
}
