//go:build !js

package model

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"parley/app/state"
	"parley/media/call"
	"parley/net/proto"
	"parley/server/node"
	"parley/server/node/nodetest"
	"parley/server/rtc"
)

// udpServer is a server with UDP on a free port of 127.0.0.1's (offered
// as its public address, the 1:1 NAT setting) or, with publicIP, on an
// address nobody answers at: UDP blocked.
func udpServer(t *testing.T, publicIP string) *nodetest.Server {
	return nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) {
		c.UDP, c.UDPPublicIP = &rtc.Ports{}, publicIP
	}))
}

// udpCall starts an answered call from li to wang, both saying a tone;
// set runs on each model before the call (its UDP hooks).
func udpCall(t *testing.T, srv *nodetest.Server, set func(*testModel)) (li, wang *testModel, liAudio, wangAudio *virtualAudio) {
	t.Helper()
	liAudio, wangAudio = &virtualAudio{voice: true}, &virtualAudio{voice: true}
	li, wang = newCallModel(t, srv, liAudio), newCallModel(t, srv, wangAudio)
	li.registerAndLogin(srv, "李华")
	wangU := wang.registerAndLogin(srv, "Wang")
	for _, tm := range []*testModel{li, wang} {
		set(tm)
	}
	ctx := context.Background()
	if err := li.Call(ctx, fmt.Sprint(wangU.ID)); err != nil {
		t.Fatal(err)
	}
	wang.callIs(state.CallIncoming)
	if err := wang.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	li.callIs(state.CallActive)
	wang.callIs(state.CallActive)
	return li, wang, liAudio, wangAudio
}

func outcomes(tm *testModel) chan string {
	ch := make(chan string, 1)
	tm.calls.mu.Lock()
	tm.calls.udpOutcome = ch
	tm.calls.mu.Unlock()
	return ch
}

// carrierIs waits for the UDP attempt's outcome and the call bar saying it.
func carrierIs(t *testing.T, tm *testModel, ch chan string, want string) {
	t.Helper()
	select {
	case got := <-ch:
		if got != want {
			t.Fatalf("the call's audio went by %s, want %s", got, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no outcome of the UDP attempt (want %s)", want)
	}
	tm.waitFor("the call bar saying "+want, func(st state.State) bool { return st.Call != nil && st.Call.Carrier == want })
}

// heardMore waits until both sides heard n more frames with sound.
func heardMore(t *testing.T, n int64, audios ...*virtualAudio) {
	t.Helper()
	for _, a := range audios {
		from := a.heard.Load()
		waitUntil(t, "the other side's voice", func() bool { return a.heard.Load() >= from+n })
	}
}

func TestACallOverUDP(t *testing.T) {
	srv := udpServer(t, "127.0.0.1")
	var chs [2]chan string
	i := 0
	li, wang, liAudio, wangAudio := udpCall(t, srv, func(tm *testModel) { chs[i] = outcomes(tm); i++ })
	carrierIs(t, li, chs[0], state.CarrierUDP)
	carrierIs(t, wang, chs[1], state.CarrierUDP)
	// What Wang's speaker plays from now on, over UDP: Li's 440 Hz tone.
	var toneMu sync.Mutex
	var at440, total float64
	onPlay := func(f []int16) {
		p, e := goertzel(f, 440), energy(f)
		toneMu.Lock()
		at440, total = at440+p, total+e
		toneMu.Unlock()
	}
	wangAudio.onPlay.Store(&onPlay)
	relayed := srv.Metric(t, "parley_call_packets_relayed_total")
	// A second and a half each way after the switch: half a second was
	// short enough that one concealed stretch under the whole suite's
	// load left exactly 0.80 (CI, 2026-12-05).
	heardMore(t, 75, liAudio, wangAudio)
	toneMu.Lock()
	share := at440 / max(total, 1)
	toneMu.Unlock()
	// A clean Opus sine keeps nearly all its energy at its frequency;
	// noise, a wrong clock rate or garbled packets would spread it. 0.8
	// leaves room for the frames around a concealment.
	if share < 0.8 {
		t.Fatalf("%.2f of the played energy is at 440 Hz: not Li's tone", share)
	}
	if srv.Metric(t, "parley_call_packets_relayed_total") < relayed+50 {
		t.Fatal("the server relayed no UDP packets")
	}
	stats := func(tm *testModel) call.Stats {
		tm.calls.mu.Lock()
		defer tm.calls.mu.Unlock()
		return tm.calls.run.engine.Stats()
	}
	for _, tm := range []*testModel{li, wang} {
		if st := stats(tm); st.SendErrors > 0 { // none refused by the new carrier
			t.Fatalf("%d packets refused", st.SendErrors)
		}
		// Loss reports travel as RTCP APP packets through the server.
		from := stats(tm).Reports
		waitUntil(t, "a loss report over UDP", func() bool { return stats(tm).Reports > from })
	}
	if err := li.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
	li.ended(proto.EndHangup, li.State().Me.ID)
	wang.ended(proto.EndHangup, li.State().Me.ID)
}

// One party on UDP, the other on the WebSocket: the relay is one path.
func TestAMixedCallUDPAndWebSocket(t *testing.T) {
	srv := udpServer(t, "127.0.0.1")
	var chs [2]chan string
	i := 0
	li, wang, liAudio, wangAudio := udpCall(t, srv, func(tm *testModel) {
		chs[i] = outcomes(tm)
		if i == 1 {
			tm.calls.mu.Lock()
			tm.calls.noUDP = true // Wang's app does not offer UDP
			tm.calls.mu.Unlock()
			chs[i] = nil
		}
		i++
	})
	carrierIs(t, li, chs[0], state.CarrierUDP)
	wang.waitFor("the call bar saying websocket", func(st state.State) bool { return st.Call.Carrier == state.CarrierWebSocket })
	heardMore(t, 25, liAudio, wangAudio)
}

// A server with UDP off: the offer is refused at once and the call stays
// on the WebSocket, audio flowing.
func TestACallStaysOnTheWebSocketWhenTheServerHasUDPOff(t *testing.T) {
	srv := nodetest.Start(t)
	var chs [2]chan string
	i := 0
	_, wang, liAudio, wangAudio := udpCall(t, srv, func(tm *testModel) { chs[i] = outcomes(tm); i++ })
	carrierIs(t, wang, chs[1], state.CarrierWebSocket)
	heardMore(t, 25, liAudio, wangAudio)
}

// UDP blocked (the server's address unreachable): when the connect wait
// runs out (a fake timer here, 3 s in the app), the call stays on the
// WebSocket.
func TestACallFallsBackToTheWebSocketWhenUDPIsBlocked(t *testing.T) {
	srv := udpServer(t, "192.0.2.1") // TEST-NET-1: nothing answers there
	var chs [2]chan string
	waited := make(chan struct{}, 2)
	i := 0
	_, wang, liAudio, wangAudio := udpCall(t, srv, func(tm *testModel) {
		chs[i] = outcomes(tm)
		tm.calls.mu.Lock()
		tm.calls.udpWait = func() <-chan time.Time {
			waited <- struct{}{}
			fire := make(chan time.Time, 1)
			fire <- time.Time{} // the wait is over as soon as the offer is answered
			return fire
		}
		tm.calls.mu.Unlock()
		i++
	})
	carrierIs(t, wang, chs[1], state.CarrierWebSocket)
	<-waited
	heardMore(t, 25, liAudio, wangAudio)
}

// goertzel is the energy of f at freq Hz (48 kHz samples), scaled like
// energy's: a pure sine at freq gives the same figure from both.
func goertzel(f []int16, freq float64) float64 {
	w := 2 * math.Pi * freq / 48000
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range f {
		s1, s2 = float64(x)+c*s1-s2, s1
	}
	p := s1*s1 + s2*s2 - c*s1*s2
	return 2 * p / float64(len(f))
}

func energy(f []int16) float64 {
	var e float64
	for _, x := range f {
		e += float64(x) * float64(x)
	}
	return e
}

// A group call's link offers 16 m-lines and maps them to slots both
// ways, against the server's group leg (server/rtc) without the rest of
// the model: what the server writes for slot i reaches the engine as a
// group audio packet of slot i, and the engine's group loss report about
// slot i reaches the switchboard as one about slot i.
func TestAGroupLinkMapsMLinesToSlots(t *testing.T) {
	srv, err := rtc.New(rtc.Config{Ports: rtc.Ports{Host: "127.0.0.1"}, PublicIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	const id proto.CallID = 99
	got := make(chan []byte, 4096)     // what the engine would be given
	relayed := make(chan []byte, 4096) // what the switchboard would be given
	legs := make(chan *rtc.Leg, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a guard against hanging
	defer cancel()
	l, err := newUDPLink(ctx, id, proto.MaxGroupCall, func(pkt []byte) {
		select {
		case got <- append([]byte(nil), pkt...):
		default:
		}
	}, func(_ context.Context, sdp string) (string, error) {
		answer, _, err := srv.Answer(sdp, id, true, rtc.Handlers{
			Packet: func(_ *rtc.Leg, pkt []byte) {
				select {
				case relayed <- pkt:
				default:
				}
			},
			Connected: func(leg *rtc.Leg) { legs <- leg },
		})
		return answer, err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	var leg *rtc.Leg
	select {
	case leg = <-legs:
	case <-ctx.Done():
		t.Fatal("the group link never connected")
	}
	tick := time.NewTicker(20 * time.Millisecond) // a packet's worth: UDP may lose one
	defer tick.Stop()

	heard := map[uint8]bool{}
	for round := 0; len(heard) < proto.MaxGroupCall; round++ {
		for slot := range proto.MaxGroupCall {
			leg.SendMedia(proto.AppendGroupPacket(nil, proto.GroupAudioPacket{
				AudioPacket: proto.AudioPacket{Call: id, Seq: uint16(round), Timestamp: uint32(960 * round), Payload: []byte{byte(slot)}}, Slot: uint8(slot),
			}))
		}
	drain:
		for {
			select {
			case pkt := <-got:
				p, err := proto.ParseGroupPacket(pkt)
				if err != nil || p.Call != id || p.Slot != p.Payload[0] || p.Timestamp != 960*uint32(p.Seq) {
					t.Fatalf("the engine was given %+v, %v", p, err)
				}
				heard[p.Slot] = true
			default:
				break drain
			}
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("heard slots %v only", heard)
		}
	}

	report := proto.GroupLossReport{Call: id, Slot: 6, Loss: 60}
	for up, reported := false, false; !up || !reported; {
		if err := l.SendPacket(proto.AppendPacket(nil, proto.AudioPacket{Call: id, Seq: 5, Payload: []byte("up")})); err != nil {
			t.Fatal(err)
		}
		if err := l.SendPacket(proto.AppendGroupReport(nil, report)); err != nil {
			t.Fatal(err)
		}
		select {
		case pkt := <-relayed:
			if p, err := proto.ParsePacket(pkt); err == nil && p.Call == id && string(p.Payload) == "up" {
				up = true
			} else if r, err := proto.ParseGroupReport(pkt); err == nil && r == report {
				reported = true
			} else {
				t.Fatalf("the switchboard was given % x", pkt)
			}
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("audio up %v, the report about slot 6 %v", up, reported)
		}
	}
	if err := l.SendPacket(proto.AppendReport(nil, proto.LossReport{Call: id, Loss: 1})); err == nil {
		t.Error("a group link sent a 1:1 loss report")
	}

	for {
		leg.SendMedia(proto.AppendReport(nil, proto.LossReport{Call: id, Loss: 33}))
		select {
		case pkt := <-got:
			if r, err := proto.ParseReport(pkt); err == nil {
				if r != (proto.LossReport{Call: id, Loss: 33}) {
					t.Fatalf("the report about our stream came as %+v", r)
				}
				return
			}
		case <-tick.C:
		case <-ctx.Done():
			t.Fatal("the report about our stream never came")
		}
	}
}
