package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"parley/net/proto"
)

func searchSeqs(t *testing.T, d *DB, user proto.UserID, q string, conv proto.ConvID) []int64 {
	t.Helper()
	var seqs []int64
	var before int64
	for {
		ms, next, err := d.Search(context.Background(), user, q, conv, before, 7)
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		for _, m := range ms {
			seqs = append(seqs, m.Seq)
		}
		if next == 0 {
			return seqs
		}
		before = next
	}
}

// sendTexts sends n messages "大家你好啊 i" and returns their seqs, newest
// first.
func sendTexts(t *testing.T, d *DB, u proto.User, conv proto.ConvID, prefix string, n int) []int64 {
	t.Helper()
	var seqs []int64
	for i := range n {
		m, _, err := d.Send(context.Background(), u, conv, fmt.Sprintf("%s-%d", prefix, i), fmt.Sprintf("大家你好啊 %d", i))
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, m.Seq)
	}
	slices.Reverse(seqs)
	return seqs
}

// The index catches up at start with what it does not hold: here all of
// it, its file deleted (as after the upgrade that added it), and the
// messages committed while it was full.
func TestSearchIndexCatchesUp(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	d, err := Open(ctx, dir, Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	u := mustUser(t, d, "u")
	g, err := d.CreateGroup(ctx, u, "g")
	if err != nil {
		t.Fatal(err)
	}
	want := sendTexts(t, d, u, g.ID, "a", 20)
	if got := searchSeqs(t, d, u.ID, "你好", 0); !slices.Equal(got, want) {
		t.Fatalf("found %v, want %v", got, want)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{SearchFileName, SearchFileName + "-wal", SearchFileName + "-shm"} {
		os.Remove(filepath.Join(dir, f))
	}

	old := searchQueueLen
	searchQueueLen = 2 // overflows at once
	t.Cleanup(func() { searchQueueLen = old })
	d, err = Open(ctx, dir, Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// Sends in flight together commit together: more than the queue holds.
	var more []int64
	done := make(chan int64, 30)
	for i := range 30 {
		err := d.SendAsync(ctx, u, g.ID, fmt.Sprint("b-", i), fmt.Sprintf("大家你好啊 b%d", i), func(m proto.Message, _ bool, err error) {
			if err != nil {
				t.Error(err)
			}
			done <- m.Seq
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for range 30 {
		more = append(more, <-done)
	}
	slices.Sort(more)
	slices.Reverse(more)
	want = append(more, want...)
	if got := searchSeqs(t, d, u.ID, "你好", g.ID); !slices.Equal(got, want) {
		t.Fatalf("after the index was lost and overflowed, found %v, want %v", got, want)
	}
}

// A commit that does not fit the queue marks the index behind and queues
// nothing more, so that no later message of a conversation overtakes one
// left out.
func TestSearchQueueOverflowMarksBehind(t *testing.T) {
	x := &searchIndex{in: make(chan searchItem, 2)}
	var batch []Committed
	for i := range 5 {
		batch = append(batch, Committed{Message: proto.Message{Conv: 1, Seq: int64(i + 1), Text: "x"}})
	}
	x.committed(batch)
	if !x.behind.Load() || len(x.in) != 2 {
		t.Fatalf("behind %v, queued %d; want true, 2", x.behind.Load(), len(x.in))
	}
	<-x.in
	x.committed([]Committed{{Message: proto.Message{Conv: 1, Seq: 6, Text: "x"}}})
	if len(x.in) != 1 {
		t.Fatalf("queued %d while behind, want none added", len(x.in))
	}
}
