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
	heardMore(t, 25, liAudio, wangAudio) // half a second each way, after the switch
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
