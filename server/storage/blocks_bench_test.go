package storage

import (
	"context"
	"fmt"
	"testing"

	"parley/net/proto"
)

// BenchmarkConversations measures the conversation list of a user in 300
// conversations (200 groups, 100 direct chats) of 20 messages each: the
// summaries with read state and the user's own settings (blocks.go).
func BenchmarkConversations(b *testing.B) {
	ctx := context.Background()
	d, err := Open(ctx, b.TempDir(), Options{Synchronous: "OFF"})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	me, err := d.CreateUser(ctx, "me", "hash")
	if err != nil {
		b.Fatal(err)
	}
	var convs []proto.ConvID
	for i := range 200 {
		g, err := d.CreateGroup(ctx, me, fmt.Sprint("g", i))
		if err != nil {
			b.Fatal(err)
		}
		convs = append(convs, g.ID)
	}
	for i := range 100 {
		peer, err := d.CreateUser(ctx, fmt.Sprint("p", i), "hash")
		if err != nil {
			b.Fatal(err)
		}
		c, _, _, err := d.Direct(ctx, peer, me.ID)
		if err != nil {
			b.Fatal(err)
		}
		convs = append(convs, c.ID)
	}
	for i, c := range convs {
		for j := range 20 {
			if _, _, err := d.Send(ctx, me, c, fmt.Sprint(i, "-", j), "hello there"); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	for b.Loop() {
		cs, err := d.Conversations(ctx, me.ID)
		if err != nil || len(cs) != len(convs) {
			b.Fatalf("%d conversations, %v", len(cs), err)
		}
	}
}
