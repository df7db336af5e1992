package store

import (
	"context"
	"maps"
	"reflect"
	"testing"

	"parley/net/proto"
)

// Played voice messages and a voice upload's voice are kept across
// reopen, per account.
func testVoicePlayed(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, "a", Options{})
	if p, err := s.Played(ctx); err != nil || len(p) != 0 {
		t.Fatalf("a new store has played %v, %v", p, err)
	}
	must(t, s.MarkPlayed(ctx, "f1"))
	must(t, s.MarkPlayed(ctx, "f2"))
	must(t, s.MarkPlayed(ctx, "f1")) // again: nothing changes
	wantErr(t, s.MarkPlayed(ctx, ""), ErrInvalid)
	wantErr(t, s.MarkPlayed(ctx, "a/b"), ErrInvalid)
	up := Transfer{ID: "v1", Direction: Up, Conv: 1, Name: "voice.ogg", Size: 3000, Path: "/data/outgoing/x/v1/voice.ogg",
		State: TransferQueued, Voice: &proto.Voice{DurationMS: 4200, Waveform: []byte{0, 40, 255, 3}}}
	captioned := Transfer{ID: "p1", Direction: Up, Conv: 1, Name: "a.jpg", Size: 3000, Path: "/data/outgoing/x/p1/a.jpg",
		State: TransferQueued, Caption: "长城 at dawn 🌅"}
	must(t, s.PutTransfer(ctx, captioned))
	must(t, s.PutTransfer(ctx, up))
	must(t, s.Close())

	s = open(t, "a", Options{})
	p, err := s.Played(ctx)
	must(t, err)
	if !maps.Equal(p, map[string]bool{"f1": true, "f2": true}) {
		t.Fatalf("after reopen played = %v", p)
	}
	p["f3"] = true
	if again, _ := s.Played(ctx); again["f3"] {
		t.Fatal("Played returned the store's own map")
	}
	got, err := s.Transfer(ctx, "v1")
	must(t, err)
	if !reflect.DeepEqual(got.Voice, up.Voice) {
		t.Fatalf("the voice upload's voice is %+v, want %+v", got.Voice, up.Voice)
	}
	if got, err := s.Transfer(ctx, "p1"); err != nil || got.Caption != captioned.Caption {
		t.Fatalf("the captioned upload reads %+v, %v", got, err)
	}
	if other, _ := open(t, "b", Options{}).Played(ctx); len(other) != 0 {
		t.Fatalf("another account sees played %v", other)
	}
	must(t, s.Close())
}
