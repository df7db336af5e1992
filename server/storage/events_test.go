package storage

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"parley/net/proto"
)

func TestEditWindowIsCheckedAgainstTheMessagesTime(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC).UnixMilli())
	d, err := Open(context.Background(), t.TempDir(), Options{Synchronous: "NORMAL", Now: func() time.Time { return time.UnixMilli(now.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
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
	const window = 48 * time.Hour
	edit := func(id string) error {
		_, err := d.ApplyChange(ctx, u, Change{Conv: g.ID, Target: m.Seq, ClientID: id, Kind: proto.MsgEdit, Text: "edited " + id, EditWindow: window})
		return err
	}
	now.Add(window.Milliseconds()) // the last moment of the window
	if err := edit("in"); err != nil {
		t.Fatalf("edit at the end of the window: %v", err)
	}
	now.Add(1)
	if err := edit("late"); proto.CodeOf(err) != proto.CodeEditWindow {
		t.Fatalf("edit after the window: %v, want %s", err, proto.CodeEditWindow)
	}
	ms, _, err := d.History(ctx, u.ID, proto.HistoryRequest{Conv: g.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if last := ms[len(ms)-1]; last.Kind != proto.MsgEdit || last.Text != "edited in" {
		t.Fatalf("the late edit left an entry: %+v", last)
	}
	if got := ms[m.Seq-1]; got.Text != "edited in" || got.Edited != m.Time+window.Milliseconds() {
		t.Fatalf("folded %+v", got)
	}
	// A delete has no window.
	if _, err := d.ApplyChange(ctx, u, Change{Conv: g.ID, Target: m.Seq, ClientID: "del", Kind: proto.MsgDelete}); err != nil {
		t.Fatalf("delete after the edit window: %v", err)
	}
}

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
