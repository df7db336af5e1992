//go:build unix

package calls_test

import (
	"syscall"
	"testing"
	"time"

	"parley/net/proto"
	"parley/server/calls/callstest"
)

// BenchmarkRelayOverWebSocket relays 160-byte G.722 packets from one
// party to the other through a real server on loopback, a few in flight
// at a time (like a call, never dropping). cpu-µs/packet is the whole
// process's CPU time per packet — the sending client's write, the
// server's read, relay and write, the receiving client's read — an upper
// bound on the server's share.
func BenchmarkRelayOverWebSocket(b *testing.B) {
	s := callstest.Start(b, callstest.RealTime())
	li, wang := s.Register(b, "李华"), s.Register(b, "Wang")
	liC, wangC := s.Login(b, li), s.Login(b, wang)
	var r proto.CallReply
	if err := liC.Do(proto.TypeCall, proto.CallRequest{User: wang.ID}, &r); err != nil {
		b.Fatal(err)
	}
	wangC.Next(proto.TypeCallIncoming, nil)
	if err := wangC.Do(proto.TypeCallAccept, proto.CallAcceptRequest{Call: r.Call}, nil); err != nil {
		b.Fatal(err)
	}
	pkt := proto.AppendPacket(nil, proto.AudioPacket{Call: r.Call, Payload: make([]byte, 160)})
	const perLoop, window = 1000, 4
	cpu0 := cpuTime(b)
	for b.Loop() {
		sent, got := 0, 0
		for got < perLoop {
			for sent < perLoop && sent-got < window {
				if err := liC.Send(pkt); err != nil {
					b.Fatal(err)
				}
				sent++
			}
			select {
			case <-wangC.Packets():
				got++
			case <-time.After(10 * time.Second):
				b.Fatalf("packet %d never came", got)
			}
		}
	}
	packets := float64(b.N * perLoop)
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/packets, "cpu-µs/packet")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/packets, "µs/packet")
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
