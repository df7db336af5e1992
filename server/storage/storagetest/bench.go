package storagetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/net/proto"
	"parley/server/storage"
)

// BenchmarkSend measures durable sends through an implementation's group
// commit, as storage's own BenchmarkSend does for SQLite: 256 in flight
// from 64 senders, each in a group of its own, submitted with SendAsync
// as the hub does. One op is one committed message; it reports msgs/s
// and msgs/commit, so that implementations compare on one benchmark.
func BenchmarkSend(b *testing.B, newDB NewDatabase) {
	ctx := context.Background()
	var batches atomic.Int64
	d, err := newDB(b)(storage.Options{OnBatch: func(int, time.Duration) { batches.Add(1) }})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	const senders, inFlight = 64, 256
	users := make([]proto.User, senders)
	groups := make([]proto.ConvID, senders)
	for i := range users {
		if users[i], err = d.CreateUser(ctx, fmt.Sprint("u", i), "hash"); err != nil {
			b.Fatal(err)
		}
		g, err := d.CreateGroup(ctx, users[i], "g")
		if err != nil {
			b.Fatal(err)
		}
		groups[i] = g.ID
	}
	text := fmt.Sprintf("%0100d", 0)
	slots := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	var failed sync.Once
	b.ResetTimer()
	batches.Store(0)
	for i := range b.N {
		slots <- struct{}{}
		wg.Add(1)
		s := i % senders
		err := d.SendAsync(ctx, users[s], groups[s], fmt.Sprint("b-", i), text, func(_ proto.Message, _ bool, err error) {
			if err != nil {
				failed.Do(func() { b.Error(err) })
			}
			<-slots
			wg.Done()
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(b.N)/float64(batches.Load()), "msgs/commit")
}
