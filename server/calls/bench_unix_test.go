//go:build unix

package calls_test

import (
	"fmt"
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

// BenchmarkGroupOverWebSocket runs an 8-person group call through a real
// server on loopback where everyone speaks: each round, each of the 8
// sends one 60-byte Opus packet and waits until the 7 others have it (56
// group packets written by the server). cpu-µs/copy is the whole
// process's CPU time (8 clients' writes and reads, the server's reads,
// forwarding and writes) per forwarded copy — an upper bound on the
// server's share; cpu-µs/packet-in the same per packet a speaker sent.
func BenchmarkGroupOverWebSocket(b *testing.B) {
	const people = 8
	s := callstest.Start(b, callstest.RealTime())
	var cs []*callstest.Client
	for i := range people {
		cs = append(cs, s.Login(b, s.Register(b, fmt.Sprint("p", i))))
	}
	var g proto.ConversationReply
	if err := cs[0].Do(proto.TypeCreateGroup, proto.CreateGroupRequest{Name: "eight"}, &g); err != nil {
		b.Fatal(err)
	}
	for _, c := range cs[1:] {
		if err := cs[0].Do(proto.TypeInvite, proto.InviteRequest{User: c.User.ID, Group: g.Conversation.ID}, nil); err != nil {
			b.Fatal(err)
		}
	}
	var id proto.CallID
	for _, c := range cs {
		var r proto.GroupCallReply
		if err := c.Do(proto.TypeGroupCall, proto.GroupCallRequest{Conv: g.Conversation.ID}, &r); err != nil {
			b.Fatal(err)
		}
		id = r.Call
	}
	pkt := proto.AppendPacket(nil, proto.AudioPacket{Call: id, Payload: make([]byte, 60)})
	const rounds = 100
	cpu0 := cpuTime(b)
	for b.Loop() {
		for range rounds {
			for _, c := range cs {
				if err := c.Send(pkt); err != nil {
					b.Fatal(err)
				}
			}
			for _, c := range cs {
				for got := 0; got < people-1; got++ {
					select {
					case <-c.Packets():
					case <-time.After(10 * time.Second):
						b.Fatalf("user %d got %d of %d packets", c.User.ID, got, people-1)
					}
				}
			}
		}
	}
	in := float64(b.N * rounds * people)
	cpu := float64((cpuTime(b) - cpu0).Microseconds())
	b.ReportMetric(cpu/in, "cpu-µs/packet-in")
	b.ReportMetric(cpu/(in*(people-1)), "cpu-µs/copy")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*rounds), "µs/round")
}
