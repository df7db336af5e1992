package storage

import (
	"context"
	"fmt"
	"testing"

	"parley/net/proto"
)

// BenchmarkHistoryPage reads a page of 50 messages: plain texts, and
// "joined" events of 50 people, whose names are read again for every page
// (currentNames), and currentNames alone on that page of events.
func BenchmarkHistoryPage(b *testing.B) {
	ctx := context.Background()
	d, err := Open(ctx, b.TempDir(), Options{Synchronous: "OFF"})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	owner, err := d.CreateUser(ctx, "owner", "hash")
	if err != nil {
		b.Fatal(err)
	}
	events, err := d.CreateGroupWith(ctx, owner, NewGroup{Name: "events", Policy: proto.PolicyOpen})
	if err != nil {
		b.Fatal(err)
	}
	texts, err := d.CreateGroup(ctx, owner, "texts")
	if err != nil {
		b.Fatal(err)
	}
	for i := range 60 {
		u, err := d.CreateUser(ctx, fmt.Sprint("user ", i), "hash")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.JoinGroup(ctx, u, events.ID); err != nil {
			b.Fatal(err)
		}
		if _, _, err := d.Send(ctx, owner, texts.ID, fmt.Sprint("t", i), "hello there"); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		conv proto.ConvID
	}{{"texts", texts.ID}, {"events", events.ID}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				ms, _, err := d.History(ctx, owner.ID, proto.HistoryRequest{Conv: c.conv, Limit: 50})
				if err != nil || len(ms) != 50 {
					b.Fatalf("%d messages, %v", len(ms), err)
				}
			}
		})
	}
	b.Run("current-names-only", func(b *testing.B) {
		ms, _, err := d.History(ctx, owner.ID, proto.HistoryRequest{Conv: events.ID, Limit: 50})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := d.currentNames(ctx, ms); err != nil {
				b.Fatal(err)
			}
		}
	})
}
