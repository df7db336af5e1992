package storage

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"parley/net/proto"
)

// BenchmarkSearchIndex measures the indexer's cost per message, in
// transactions of 512 messages of about 100 bytes of text (as the durable
// load sends).
func BenchmarkSearchIndex(b *testing.B) {
	d, err := Open(context.Background(), b.TempDir(), Options{Synchronous: "NORMAL"})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	x, err := openSearch(context.Background(), b.TempDir(), d.r, slog.New(slog.DiscardHandler), false)
	if err != nil {
		b.Fatal(err)
	}
	defer x.close()
	items := make([]searchItem, 512)
	seq := int64(0)
	b.ResetTimer()
	for i := 0; i < b.N; i += len(items) {
		for j := range items {
			seq++
			items[j] = searchItem{conv: proto.ConvID(100 + j%200), seq: seq, text: fmt.Sprintf("t=%d s=%d load generator message padding text to reach about one hundred bytes xxxxxxxxxx", seq, j)}
		}
		if err := x.index(items); err != nil {
			b.Fatal(err)
		}
	}
}
