package storage

import (
	"context"
	"testing"

	"parley/net/proto"
)

func TestPlainMessagesStoreNoMeta(t *testing.T) {
	// The plain send keeps the first schema's insert (the durable send
	// rate depends on it): no meta for a message without extras.
	d := openTest(t, nil)
	ctx := context.Background()
	u := mustUser(t, d, "Li")
	g, err := d.CreateGroup(ctx, u, "g")
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := d.Send(ctx, u, g.ID, "m", "hello")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := d.r.QueryRow("SELECT COUNT(*) FROM messages WHERE meta IS NOT NULL").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d messages with meta, %v", n, err)
	}
	if _, err := d.ApplyChange(ctx, u, Change{Conv: g.ID, Target: m.Seq, ClientID: "r", Kind: proto.MsgReact, Emoji: "👍"}); err != nil {
		t.Fatal(err)
	}
	if err := d.r.QueryRow("SELECT COUNT(*) FROM messages WHERE meta IS NOT NULL").Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d messages with meta after a reaction (want the entry and its target), %v", n, err)
	}
}
