//go:build !js

package model

import (
	"context"
	"sync"
	"testing"

	"parley/app/state"
)

// A group call over UDP: each participant's leg has a stream per slot,
// and Li's tone reaches Wang's speaker through it.
func TestAGroupCallOverUDP(t *testing.T) {
	srv := udpServer(t, "127.0.0.1")
	ctx := context.Background()
	liAudio, wangAudio := &virtualAudio{voice: true}, &virtualAudio{}
	li, wang := newCallModel(t, srv, liAudio), newCallModel(t, srv, wangAudio)
	li.registerAndLogin(srv, "李华")
	wang.registerAndLogin(srv, "Wang")
	conv := newGroup(t, li, "Study Group", wang)
	liCh, wangCh := outcomes(li), outcomes(wang)
	if err := li.GroupCall(ctx, conv); err != nil {
		t.Fatal(err)
	}
	wang.callIs(state.CallIncoming)
	if err := wang.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	carrierIs(t, li, liCh, state.CarrierUDP)
	carrierIs(t, wang, wangCh, state.CarrierUDP)
	wang.participantsAre("李华@0", "Wang@1*")

	// What Wang's speaker plays from now on, over UDP, once Li's slot
	// has started: Li's 440 Hz tone.
	heardMore(t, 25, wangAudio)
	var toneMu sync.Mutex
	var at440, total float64
	onPlay := func(f []int16) {
		p, e := goertzel(f, 440), energy(f)
		toneMu.Lock()
		at440, total = at440+p, total+e
		toneMu.Unlock()
	}
	wangAudio.onPlay.Store(&onPlay)
	// Three seconds, so that one stall of a machine loaded by the whole
	// test suite (a slot that restarts after a second without packets)
	// does not outweigh the call; a wrong or missing stream still would.
	heardMore(t, 150, wangAudio)
	toneMu.Lock()
	share := at440 / max(total, 1)
	toneMu.Unlock()
	t.Logf("%.3f of the played energy is at 440 Hz", share)
	if share < 0.8 { // as in TestACallOverUDP
		t.Fatalf("%.2f of the played energy is at 440 Hz: not Li's tone", share)
	}
	if err := li.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	wang.participantsAre("Wang@1*")
}
