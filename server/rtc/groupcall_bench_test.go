package rtc_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"parley/net/proto"
	"parley/net/rtcmedia"
	"parley/server/rtc"
)

// clientsEnv makes the test binary the clients of
// BenchmarkGroupCallOverUDP, in a process of their own so that the
// server's CPU time is measured alone.
const clientsEnv = "PARLEY_RTC_GROUP_CLIENTS"

func TestMain(m *testing.M) {
	if os.Getenv(clientsEnv) != "" {
		runClients()
		return
	}
	os.Exit(m.Run())
}

// benchParticipants are the people in the benchmark's call.
const benchParticipants = 8

// benchMsg is one line between the benchmark and its clients.
type benchMsg struct {
	SDPs     []string `json:"sdps,omitempty"`
	Start    bool     `json:"start,omitempty"`
	Sent     int64    `json:"sent,omitempty"`
	Received int64    `json:"received,omitempty"`
}

// BenchmarkGroupCallOverUDP is the server's CPU per forwarded packet in
// an 8-person group call over UDP: 8 group legs on 127.0.0.1 (the
// clients in a child process), each sending an 80-byte Opus packet every
// 20 ms; the server turns each into a group audio packet and writes it
// to the 7 other legs, as the switchboard does (without its
// bookkeeping). b.N is the call's length in seconds: -benchtime 10x.
func BenchmarkGroupCallOverUDP(b *testing.B) {
	s, _ := newServer(b)
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), fmt.Sprintf("%s=%d", clientsEnv, b.N))
	child.Stderr = os.Stderr
	in, err := child.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	outPipe, err := child.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := child.Start(); err != nil {
		b.Fatal(err)
	}
	defer child.Wait()
	defer in.Close()
	out := bufio.NewScanner(outPipe)
	out.Buffer(nil, 1<<20)
	read := func() benchMsg {
		if !out.Scan() {
			b.Fatalf("the clients said nothing: %v", out.Err())
		}
		var m benchMsg
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			b.Fatalf("the clients said %q: %v", out.Text(), err)
		}
		return m
	}

	var mu sync.Mutex
	legs := make([]*rtc.Leg, benchParticipants)
	var received, written, failed atomic.Int64
	offers := read().SDPs
	var answers []string
	var connected sync.WaitGroup
	for slot, sdp := range offers {
		connected.Add(1)
		answer, l, err := s.Answer(sdp, testCall, true, rtc.Handlers{
			Packet: func(from *rtc.Leg, pkt []byte) {
				if _, err := proto.ParsePacket(pkt); err != nil {
					return
				}
				received.Add(1)
				fwd, err := proto.GroupPacketFrom(pkt, uint8(slot))
				if err != nil {
					return
				}
				mu.Lock()
				to := legs
				mu.Unlock()
				for _, l := range to {
					if l != from && l != nil {
						if l.SendMedia(fwd) {
							written.Add(1)
						} else {
							failed.Add(1)
						}
					}
				}
			},
			Connected: func(*rtc.Leg) { connected.Done() },
		})
		if err != nil {
			b.Fatal(err)
		}
		mu.Lock()
		legs[slot] = l
		mu.Unlock()
		answers = append(answers, answer)
	}
	line, _ := json.Marshal(benchMsg{SDPs: answers})
	fmt.Fprintf(in, "%s\n", line)
	connected.Wait()
	if !read().Start {
		b.Fatal("the clients did not start")
	}
	b.ResetTimer()
	cpu0, received0, written0, failed0 := cpuTime(b), received.Load(), written.Load(), failed.Load()
	done := read()
	cpu := cpuTime(b) - cpu0
	b.StopTimer()
	in0, out0 := received.Load()-received0, written.Load()-written0
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(in0), "cpu-ns/in-packet")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(out0), "cpu-ns/write")
	b.ReportMetric(cpu.Seconds()/float64(b.N)*100, "%core")
	b.ReportMetric(float64(in0), "in-packets")
	b.ReportMetric(float64(out0), "writes")
	b.ReportMetric(float64(done.Received)/float64(done.Sent*(benchParticipants-1)), "delivered")
	if n := failed.Load() - failed0; n > 0 {
		b.Errorf("%d writes failed", n)
	}
}

// runClients is the child process: 8 clients with 16 m-lines each; it
// prints their offers, reads the answers, and once connected sends for
// as many seconds as clientsEnv says, then prints what it sent and
// received.
func runClients() {
	t := &childTB{}
	defer t.cleanup()
	out := json.NewEncoder(os.Stdout)
	var peers []*peer
	var sdps []string
	for range benchParticipants {
		p, sdp := newPeer(t, rtcmedia.Slots)
		peers = append(peers, p)
		sdps = append(sdps, sdp)
	}
	out.Encode(benchMsg{SDPs: sdps})
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(nil, 1<<20)
	if !in.Scan() {
		t.Fatal("no answers")
	}
	var answers benchMsg
	if err := json.Unmarshal(in.Bytes(), &answers); err != nil || len(answers.SDPs) != len(peers) {
		t.Fatalf("answers: %v", err)
	}
	for i, p := range peers {
		if err := p.pc.SetRemoteDescription(answerOf(answers.SDPs[i])); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range peers {
		<-p.connected
	}
	var received atomic.Int64
	for _, p := range peers {
		go func() {
			for range p.rtp {
				received.Add(1)
			}
		}()
	}
	// Wait until every client's track is bound, then count from zero.
	for _, p := range peers {
		for p.up.write(rtcmedia.OpusPT, 0, 0, nil) != nil {
			time.Sleep(time.Millisecond)
		}
	}
	out.Encode(benchMsg{Start: true})
	payload := make([]byte, 80)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var sent int64
	received.Store(0)
	seconds, _ := strconv.Atoi(os.Getenv(clientsEnv))
	for seq := 1; seq <= seconds*50; seq++ {
		<-tick.C
		for _, p := range peers {
			if p.up.write(rtcmedia.OpusPT, uint16(seq), uint32(seq*960), payload) == nil {
				sent++
			}
		}
	}
	out.Encode(benchMsg{Sent: sent, Received: received.Load()})
}

// childTB is tb for the child process: a failure ends it.
type childTB struct{ cleanups []func() }

func (c *childTB) Helper()                           {}
func (c *childTB) Fatal(args ...any)                 { fmt.Fprintln(os.Stderr, args...); os.Exit(2) }
func (c *childTB) Fatalf(format string, args ...any) { c.Fatal(fmt.Sprintf(format, args...)) }
func (c *childTB) Errorf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
func (c *childTB) Logf(format string, args ...any)   { fmt.Fprintf(os.Stderr, format+"\n", args...) }
func (c *childTB) Cleanup(f func())                  { c.cleanups = append(c.cleanups, f) }
func (c *childTB) cleanup() {
	for i := len(c.cleanups) - 1; i >= 0; i-- {
		c.cleanups[i]()
	}
}

func answerOf(sdp string) webrtc.SessionDescription {
	return webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}
}
