package model

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"parley/net/proto"
	"parley/store"
)

// BenchmarkUnreadCount measures counting a conversation's unread messages
// by the server's rule from the cache (SQLite), for 1000 unread: what a
// rebuild pays for a conversation whose read position or last seq moved
// (the count is memoised otherwise).
func BenchmarkUnreadCount(b *testing.B) {
	ctx := context.Background()
	db, err := store.OpenSQLite(filepath.Join(b.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const conv, n = proto.ConvID(7), 1000
	if err := db.PutConversations(ctx, proto.Conversation{ID: conv, Kind: proto.KindGroup, Name: "g", Members: 2}); err != nil {
		b.Fatal(err)
	}
	msgs := make([]proto.Message, n)
	for i := range msgs {
		msgs[i] = proto.Message{Conv: conv, Seq: int64(i + 1), Sender: 2, SenderName: "Wang", Time: int64(i), Kind: proto.MsgText, Text: fmt.Sprint("message ", i)}
	}
	if _, err := db.PutMessages(ctx, msgs); err != nil {
		b.Fatal(err)
	}
	if err := db.SetSynced(ctx, conv, n); err != nil {
		b.Fatal(err)
	}
	a := &account{db: db, rs: newReadState(), user: proto.User{ID: 1}}
	c, err := db.Conversation(ctx, conv)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		delete(a.rs.memo, conv)
		if got := a.unreadOf(ctx, c); got != n {
			b.Fatalf("unread %d, want %d", got, n)
		}
	}
}
