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
	"strings"
	"sync"
	"syscall/js"
	"time"

	"parley/app/promise"
	"parley/app/state"
	"parley/media/call"
	"parley/net/client"
	"parley/net/proto"
)

// browserCalls: this build carries calls through the browser's WebRTC.
const browserCalls = true

// callCodecs is what this build offers and answers: the browser's Opus.
func callCodecs() []string { return []string{"opus"} }

// webConnectWait is how long the browser's leg may take to connect.
const webConnectWait = 10 * time.Second

// webCall is the browser's side of one call: the microphone, the peer
// connection with the server, what plays, and the meters.
type webCall struct {
	pc, stream, track js.Value
	audios            []js.Value // what plays: one <audio> per received track (slot)
	meters            *meters    // nil without WebAudio
	connected, failed chan struct{}
	funcs             []js.Func
	once              sync.Once
}

// SetMuted mutes the microphone's track (the browser sends silence).
func (w *webCall) SetMuted(muted bool) { w.track.Set("enabled", !muted) }

func (w *webCall) close() {
	w.once.Do(func() {
		w.pc.Call("close")
		for _, t := range jsList(w.stream.Call("getTracks")) {
			t.Call("stop")
		}
		for _, a := range w.audios {
			a.Call("pause")
			a.Set("srcObject", js.Null())
		}
		if w.meters != nil {
			w.meters.close()
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
// gathered (no trickle). slots is the audio m-lines: 1 for a 1:1 call,
// proto.MaxGroupCall for a group call (docs/protocol.md, "Group calls",
// "Over UDP"): the first sends the microphone and receives slot 0, each
// other one receives its slot. Each received track plays in an <audio>
// of its own, and the browser mixes them.
func openWebCall(ctx context.Context, muted bool, slots int) (*webCall, string, error) {
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
	w := &webCall{stream: stream, connected: make(chan struct{}), failed: make(chan struct{}), meters: newMeters(slots)}
	w.track = stream.Call("getAudioTracks").Index(0)
	// One transport for every m-line, its candidates in the first only,
	// and Opus only (the server's one codec): a group call's offer of 16
	// m-lines stays within proto.MaxSDP (about 12 KB, against 19 KB with
	// a transport each and the browser's every codec).
	w.pc = js.Global().Get("RTCPeerConnection").New(map[string]any{"bundlePolicy": "max-bundle"})
	opus := opusOnly()
	w.SetMuted(muted)
	if w.meters != nil {
		w.meters.mic = w.meters.listen(stream)
	}
	for slot := range slots {
		var tr js.Value
		if slot == 0 {
			tr = w.pc.Call("addTransceiver", w.track, map[string]any{"direction": "sendrecv", "streams": []any{stream}})
		} else {
			tr = w.pc.Call("addTransceiver", "audio", map[string]any{"direction": "recvonly"})
		}
		if opus.Truthy() && tr.Get("setCodecPreferences").Truthy() {
			tr.Call("setCodecPreferences", opus)
		}
		// The receiver's track exists from now on; the server's stream
		// on this m-line comes on it once the leg connects.
		in := js.Global().Get("MediaStream").New([]any{tr.Get("receiver").Get("track")})
		a := js.Global().Get("Audio").New()
		a.Set("autoplay", true)
		a.Set("srcObject", in)
		a.Call("play")
		w.audios = append(w.audios, a)
		if w.meters != nil {
			w.meters.slots[slot] = w.meters.listen(in)
		}
	}
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
	gathered := make(chan struct{})
	var gatherOnce sync.Once
	onGather := js.FuncOf(func(js.Value, []js.Value) any {
		if w.pc.Get("iceGatheringState").String() == "complete" {
			gatherOnce.Do(func() { close(gathered) })
		}
		return nil
	})
	w.funcs = append(w.funcs, onState, onGather)
	w.pc.Set("onconnectionstatechange", onState)
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

// opusOnly is the browser's Opus among the codecs it receives, for
// setCodecPreferences; undefined if it does not say.
func opusOnly() js.Value {
	rr := js.Global().Get("RTCRtpReceiver")
	if !rr.Truthy() || !rr.Get("getCapabilities").Truthy() {
		return js.Undefined()
	}
	caps := rr.Call("getCapabilities", "audio")
	if !caps.Truthy() {
		return js.Undefined()
	}
	var opus []any
	for _, c := range jsList(caps.Get("codecs")) {
		if strings.EqualFold(c.Get("mimeType").String(), "audio/opus") {
			opus = append(opus, c)
		}
	}
	if len(opus) == 0 {
		return js.Undefined()
	}
	return js.ValueOf(opus)
}

// answer applies the server's answer.
func (w *webCall) answer(ctx context.Context, sdp string) error {
	_, err := promise.Await(ctx, w.pc.Call("setRemoteDescription", map[string]any{"type": "answer", "sdp": sdp}))
	return err
}

// webMedia runs an answered call's audio in the browser until the call
// ends: the microphone, the leg with the server, the levels, and the
// watchdog. A group call (r.view.Group set before the media starts) has
// a leg with proto.MaxGroupCall m-lines, and the level of each
// participant's slot goes to r.view.Participants ten times a second.
func (r *callRun) webMedia(id proto.CallID, muted bool, conn *client.Conn) {
	ctx, m, a := r.ctx, r.m, r.a
	m.calls.mu.Lock()
	slots := 1
	if r.view.Group != 0 {
		slots = proto.MaxGroupCall
	}
	m.calls.mu.Unlock()
	w, sdp, err := openWebCall(ctx, muted, slots)
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
	if err := a.sess.CallEarly(ctx, proto.TypeCallRTCOffer, proto.CallRTCOfferRequest{Call: id, SDP: sdp}, &reply); err != nil {
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
		case now := <-tick.C:
			if a.sess.Conn() != conn {
				r.end(proto.EndDropped, a.user.ID, 0)
				return
			}
			if w.meters != nil {
				w.meters.measure(now)
				m.calls.mu.Lock()
				r.showLevels(w.meters, now)
				m.calls.mu.Unlock()
			}
		}
	}
}

// showLevels shows what ms measured as the engine's levels are shown
// (callRun.tick): my microphone's as the call's Level and my
// participant's, and each other participant's as heard on their slot.
// Call with m.calls.mu held.
func (r *callRun) showLevels(ms *meters, now time.Time) {
	st := call.Stats{Heard: true, Muted: r.view.Muted}
	if ms.mic != nil && !r.view.Muted {
		st.Level = ms.mic.level
	}
	if r.view.Group != 0 {
		st.Slots = make([]call.SlotStats, len(ms.slots))
		for i, mt := range ms.slots {
			if mt != nil {
				st.Slots[i] = call.SlotStats{Active: true, Level: mt.level, Speaking: mt.speaking(now)}
			}
		}
	}
	r.tick(st)
	publishLevels(ms, r.view)
}
