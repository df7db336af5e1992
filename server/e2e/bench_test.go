package e2e

import (
	"testing"

	"parley/net/client"
)

// BenchmarkSend measures a send acknowledged by a real in-process server
// (durable commit, then reply) through net/client: one sender waiting for
// each acknowledgement, and many senders on one connection.
func BenchmarkSend(b *testing.B) {
	srv := start(b)
	a := login(b, srv.URL, register(b, srv.URL, "A"))
	g := group(b, "bench", a)
	b.Run("sequential", func(b *testing.B) {
		for b.Loop() {
			if _, err := a.Send(b.Context(), g.ID, client.NewClientID(), "hello"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := a.Send(b.Context(), g.ID, client.NewClientID(), "hello"); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
