package client

import (
	"testing"

	"parley/net/proto"
)

// BenchmarkCall measures one request/reply round trip through the client
// against a fake server that answers at once, sequentially and with
// concurrent callers on one connection.
func BenchmarkCall(b *testing.B) {
	srv := newFakeServer(b, func(fc *fakeConn, f proto.Frame) { fc.reply(f, nil) })
	c, err := Dial(b.Context(), srv.URL, DialOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.Run("sequential", func(b *testing.B) {
		for b.Loop() {
			if err := c.Ping(b.Context()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := c.Ping(b.Context()); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
