//go:build js

package model

// Calls in the browser: the browser's own microphone (getUserMedia, echo
// cancellation on), Opus, playback and echo canceller, through an
// RTCPeerConnection whose leg goes to the server with call_rtc_offer on
// the session's connection. Neither the media WebSocket nor media/call
// runs here; the model's call states, pushes and UI are the same.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall/js"
	"time"

	"parley/app/promise"
	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
)

// browserCalls: this build carries calls through the browser's WebRTC.
const browserCalls = true

// callCodecs is what this build offers and answers: the browser's Opus.
func callCodecs() []string { return []string{"opus"} }

// webConnectWait is how long the browser's leg may take to connect.
const webConnectWait = 10 * time.Second

// webCall is the browser's side of one call: the microphone and the
// peer connection with the server.
type webCall struct {
	pc, stream, track, audio js.Value
	connected, failed        chan struct{}
	funcs                    []js.Func
	once                     sync.Once
}

// SetMuted mutes the microphone's track (the browser sends silence).
func (w *webCall) SetMuted(muted bool) { w.track.Set("enabled", !muted) }

func (w *webCall) close() {
	w.once.Do(func() {
		w.pc.Call("close")
		for _, t := range jsList(w.stream.Call("getTracks")) {
			t.Call("stop")
		}
		if w.audio.Truthy() {
			w.audio.Call("pause")
			w.audio.Set("srcObject", js.Null())
		}
		for _, f := range w.funcs {
			f.Release()
		}
	})
}

func jsList(v js.Value) []js.Value {
	out := make([]js.Value, v.Length())
	for i := range out {
		out[i] = v.Index(i)
	}
	return out
}

// openWebCall opens the microphone and makes the offer, every candidate
// gathered (no trickle).
func openWebCall(ctx context.Context, muted bool) (*webCall, string, error) {
	nav := js.Global().Get("navigator")
	md := nav.Get("mediaDevices")
	if !md.Truthy() {
		return nil, "", errors.New("this browser has no microphone access (mediaDevices)")
	}
	constraints := map[string]any{"audio": map[string]any{"echoCancellation": true, "noiseSuppression": true, "autoGainControl": true}}
	stream, err := promise.Await(ctx, md.Call("getUserMedia", constraints))
	if err != nil {
		return nil, "", fmt.Errorf("microphone: %w", err)
	}
	w := &webCall{stream: stream, connected: make(chan struct{}), failed: make(chan struct{})}
	w.track = stream.Call("getAudioTracks").Index(0)
	w.pc = js.Global().Get("RTCPeerConnection").New(map[string]any{})
	w.SetMuted(muted)
	w.pc.Call("addTrack", w.track, stream)
	var connOnce, failOnce sync.Once
	onState := js.FuncOf(func(js.Value, []js.Value) any {
		switch w.pc.Get("connectionState").String() {
		case "connected":
			connOnce.Do(func() { close(w.connected) })
		case "failed", "closed": // "disconnected" may come back; the browser says failed if not
			failOnce.Do(func() { close(w.failed) })
		}
		return nil
	})
	onTrack := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ev := args[0]
		src := js.Global().Get("MediaStream").New([]any{ev.Get("track")})
		if ss := ev.Get("streams"); ss.Truthy() && ss.Length() > 0 {
			src = ss.Index(0)
		}
		w.audio = js.Global().Get("Audio").New()
		w.audio.Set("autoplay", true)
		w.audio.Set("srcObject", src)
		w.audio.Call("play")
		return nil
	})
	gathered := make(chan struct{})
	var gatherOnce sync.Once
	onGather := js.FuncOf(func(js.Value, []js.Value) any {
		if w.pc.Get("iceGatheringState").String() == "complete" {
			gatherOnce.Do(func() { close(gathered) })
		}
		return nil
	})
	w.funcs = append(w.funcs, onState, onTrack, onGather)
	w.pc.Set("onconnectionstatechange", onState)
	w.pc.Set("ontrack", onTrack)
	w.pc.Set("onicegatheringstatechange", onGather)
	offer, err := promise.Await(ctx, w.pc.Call("createOffer"))
	if err == nil {
		_, err = promise.Await(ctx, w.pc.Call("setLocalDescription", offer))
	}
	if err != nil {
		w.close()
		return nil, "", fmt.Errorf("offer: %w", err)
	}
	if w.pc.Get("iceGatheringState").String() == "complete" {
		gatherOnce.Do(func() { close(gathered) })
	}
	select {
	case <-gathered:
	case <-time.After(5 * time.Second): // what was gathered is enough for a server
	case <-ctx.Done():
		w.close()
		return nil, "", ctx.Err()
	}
	return w, w.pc.Get("localDescription").Get("sdp").String(), nil
}

// answer applies the server's answer.
func (w *webCall) answer(ctx context.Context, sdp string) error {
	_, err := promise.Await(ctx, w.pc.Call("setRemoteDescription", map[string]any{"type": "answer", "sdp": sdp}))
	return err
}

// webMedia runs an answered call's audio in the browser until the call
// ends: the microphone, the leg with the server, and the watchdog.
func (r *callRun) webMedia(id proto.CallID, muted bool) {
	ctx, m, a := r.ctx, r.m, r.a
	w, sdp, err := openWebCall(ctx, muted)
	if err != nil {
		if ctx.Err() == nil {
			m.log.Warn("browser call without a microphone: ending it", "call", id, "err", err)
			m.hangupOnServer(a, id, proto.EndNoAudio)
			r.end(proto.EndNoAudio, a.user.ID, 0)
		}
		return
	}
	defer w.close()
	var reply proto.CallRTCOfferReply
	if err := a.sess.Call(ctx, proto.TypeCallRTCOffer, proto.CallRTCOfferRequest{Call: id, SDP: sdp}, &reply); err != nil {
		if ctx.Err() != nil {
			return
		}
		reason := proto.EndDropped
		if proto.CodeOf(err) == proto.CodeUDPOff {
			// The browser has no other carrier: say so on the call bar,
			// and on the call buttons from now on.
			reason = string(proto.CodeUDPOff)
			m.update(func(st *state.State) { st.CallsNeedUDP = true })
		}
		m.log.Warn("browser call: the server gave no leg", "call", id, "err", err)
		r.end(reason, a.user.ID, 0) // before the server's call_end (hangup) says less
		m.hangupOnServer(a, id, "")
		return
	}
	if err := w.answer(ctx, reply.SDP); err != nil {
		if ctx.Err() == nil {
			m.log.Warn("browser call: the server's answer", "call", id, "err", err)
			m.hangupOnServer(a, id, "")
			r.end(proto.EndDropped, a.user.ID, 0)
		}
		return
	}
	select {
	case <-w.connected:
	case <-w.failed:
		m.hangupOnServer(a, id, "")
		r.end(proto.EndDropped, a.user.ID, 0)
		return
	case <-time.After(webConnectWait):
		m.log.Warn("browser call: the leg did not connect", "call", id)
		m.hangupOnServer(a, id, "")
		r.end(proto.EndDropped, a.user.ID, 0)
		return
	case <-ctx.Done():
		return
	}
	m.calls.mu.Lock()
	r.web = w
	w.SetMuted(r.view.Muted)
	if r.view.State != state.CallEnded {
		r.view.Carrier = state.CarrierUDP
		if r.view.State == state.CallConnecting {
			r.view.State = state.CallActive
		}
		r.publish()
	}
	m.calls.mu.Unlock()
	defer func() {
		m.calls.mu.Lock()
		r.web = nil
		m.calls.mu.Unlock()
	}()
	tick := time.NewTicker(callTick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.failed:
			if ctx.Err() == nil {
				r.end(proto.EndDropped, a.user.ID, 0)
				go m.hangupOnServer(a, id, "")
			}
			return
		case <-tick.C:
			if a.sess.State() != client.Online {
				r.end(proto.EndDropped, a.user.ID, 0)
				return
			}
		}
	}
}
