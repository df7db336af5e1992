package storage

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/net/proto"
)

// BenchmarkSend measures durable sends through the sequencer: 256 in
// flight from 64 senders, each in a group of its own, as the hub submits
// them. One op is one committed message. The CPU per message includes the
// checkpoints; max-reset-ms is the longest the sequencer waited for a
// reset of the log.
func BenchmarkSend(b *testing.B) {
	for _, mode := range []string{"NORMAL", "FULL"} {
		b.Run("sync="+mode, func(b *testing.B) {
			ctx := context.Background()
			var batches atomic.Int64
			var resetMu sync.Mutex
			var longestReset time.Duration // the sequencer waits for a reset
			d, err := Open(ctx, b.TempDir(), Options{
				Synchronous: mode,
				OnBatch:     func(int, time.Duration) { batches.Add(1) },
				OnCheckpoint: func(c Checkpoint) {
					if c.Restart {
						resetMu.Lock()
						longestReset = max(longestReset, c.Took)
						resetMu.Unlock()
					}
				},
			})
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
			cpu0 := cpuTime()
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
			// CPU time per message is steadier than wall time on a shared machine.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/msg")
			resetMu.Lock()
			b.ReportMetric(float64(longestReset.Microseconds())/1000, "max-reset-ms")
			resetMu.Unlock()
		})
	}
}
