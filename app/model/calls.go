package model

// Voice calls, the model's side: the actions (Call, Accept, Decline,
// Hangup, Mute, SelectDevices, ListAudioDevices, DismissCall), the call
// pushes, ring tones, and the audio of a call (media/call on the devices
// of Config.Audio).
//
// Signalling goes over the session's connection. The audio goes over a
// second WebSocket to the same server, attached to the call with
// call_media and the session token: binary frames never queue behind a
// large history page or a burst of chat on the main connection, and the
// Go client (net/client) stays text-only. A later UDP or WebRTC carrier
// replaces mediaLink only.
//
// Every call ends exactly once (callRun.finish): by a push from the
// server, by the user, by the watchdog (no audio from the peer for
// proto.CallMediaTimeout + 2 s, or the session went offline), or by the
// account stopping (logout, quit). After that, nothing of it is left but
// the ended state the call bar shows.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"parley/app/state"
	"parley/media/audio"
	"parley/media/call"
	"parley/media/codec"
	"parley/net/client"
	"parley/net/proto"
)

// CallAudio opens the sound devices of calls. The default is the
// machine's (media/audio); tests pass the null backend or virtual devices.
type CallAudio interface {
	// Devices lists microphones and speakers, system defaults first.
	Devices() (inputs, outputs []audio.Device, err error)
	// Open opens capture from input and playback to output ("": the
	// system default); with capture false, the output only (ring tones).
	Open(ctx context.Context, input, output string, capture bool) (AudioStream, error)
}

// AudioStream is an open pair of devices.
type AudioStream interface {
	audio.Frames
	Close() error
}

// SystemAudio returns the machine's audio through media/audio, opened on
// first use. cfg.Null selects the null backend (no sound card).
func SystemAudio(cfg audio.Config) CallAudio { return &systemAudio{cfg: cfg} }

type systemAudio struct {
	cfg  audio.Config
	once sync.Once
	sys  *audio.System
	err  error
}

func (s *systemAudio) system() (*audio.System, error) {
	s.once.Do(func() { s.sys, s.err = audio.Open(s.cfg) })
	return s.sys, s.err
}

func (s *systemAudio) Devices() ([]audio.Device, []audio.Device, error) {
	sys, err := s.system()
	if err != nil {
		return nil, nil, err
	}
	return sys.Devices()
}

func (s *systemAudio) Open(ctx context.Context, input, output string, capture bool) (AudioStream, error) {
	sys, err := s.system()
	if err != nil {
		return nil, err
	}
	return sys.OpenStream(ctx, input, output, capture)
}

// Call watchdog and carrier tuning.
const (
	callSilenceLimit = proto.CallMediaTimeout + 2*time.Second // peer's audio stopped: the call is gone
	callStartLimit   = 10 * time.Second                       // answered, but no audio ever came
	callTick         = 100 * time.Millisecond                 // level meter and watchdog
	mediaQueue       = 8                                      // packets waiting for the media socket
)

// calls is the model's call machinery. Lock order: calls.mu, then the
// model's mu (through update).
type calls struct {
	mu            sync.Mutex
	run           *callRun // the current call, ended or not; nil if none
	input, output string   // chosen devices
	echoOff       bool     // the user switched echo cancellation off (a headset)
	dev           CallAudio
	noUDP         bool // tests: this app never offers UDP
	// udpWait is how long a UDP leg may take to connect before the call
	// stays on the WebSocket (udpConnectWait; tests: a channel they fire).
	udpWait func() <-chan time.Time
	// udpOutcome, if set, is told the carrier each UDP attempt left the
	// call on (tests).
	udpOutcome chan string
	// onResetSlot, if set, is told every slot of a group call started
	// afresh (tests).
	onResetSlot func(slot int)
}

// callRun is one call from the first ring to its end.
type callRun struct {
	m      *Model
	a      *account
	ctx    context.Context // ends with the call (or the account)
	cancel context.CancelFunc
	stop   func() bool // unhooks the account's end

	// Under m.calls.mu:
	view     state.Call    // what the call bar shows
	codecs   []string      // offered (incoming calls)
	early    []client.Push // pushes for our call that came before its id
	toneStop context.CancelFunc
	toneDone chan struct{} // closed once the last ring tone let go of the speaker
	engine   *call.Engine
	stream   AudioStream
	web      interface{ SetMuted(bool) } // the browser's call (calls_js.go), once connected
	group    groupRun                    // a group call's (groupcalls.go)
}

// openChosen opens the chosen microphone and speaker, or the system's
// when a chosen one cannot be opened (unplugged since it was chosen, or
// remembered from an earlier run): a call with sound on other devices
// beats a silent one.
func (m *Model) openChosen(ctx context.Context, dev CallAudio, input, output string, capture bool) (AudioStream, error) {
	st, err := dev.Open(ctx, input, output, capture)
	if err == nil || input == "" && output == "" {
		return st, err
	}
	m.log.Warn("the chosen sound device cannot be opened: using the system's", "input", input, "output", output, "err", err)
	return dev.Open(ctx, "", "", capture)
}

func (m *Model) callAudio() CallAudio {
	m.calls.mu.Lock()
	defer m.calls.mu.Unlock()
	if m.calls.dev == nil {
		m.calls.dev = m.cfg.Audio
		if m.calls.dev == nil {
			m.calls.dev = SystemAudio(audio.Config{})
		}
	}
	return m.calls.dev
}

// newRun starts a call's life. Call with m.calls.mu held.
func (m *Model) newRun(a *account, view state.Call) *callRun {
	ctx, cancel := context.WithCancel(a.ctx)
	r := &callRun{m: m, a: a, ctx: ctx, cancel: cancel, view: view}
	r.stop = context.AfterFunc(a.ctx, func() { r.end(proto.EndDropped, a.user.ID, 0) })
	m.calls.run = r
	r.publish()
	return r
}

// current returns the call in progress (not ended) of account a, or nil.
// Call with m.calls.mu held.
func (m *Model) currentRun(a *account) *callRun {
	r := m.calls.run
	if r == nil || r.a != a || r.view.State == state.CallEnded {
		return nil
	}
	return r
}

// publish shows r.view. Call with m.calls.mu held.
func (r *callRun) publish() {
	if !r.a.current() {
		return
	}
	v := r.view
	r.m.update(func(st *state.State) { st.Call = &v })
}

// end ends r once: it stops tones and audio and shows why.
func (r *callRun) end(reason string, by proto.UserID, durationMs int64) {
	r.m.calls.mu.Lock()
	defer r.m.calls.mu.Unlock()
	r.endLocked(reason, by, durationMs)
}

func (r *callRun) endLocked(reason string, by proto.UserID, durationMs int64) {
	if r.view.State == state.CallEnded {
		return
	}
	r.stop()
	r.cancel() // the media goroutine tears the audio down
	now := r.m.cfg.Now().UnixMilli()
	v := &r.view
	if durationMs == 0 && v.Started != 0 {
		durationMs = now - v.Started
	}
	v.State, v.EndReason, v.EndedBy, v.Ended, v.Duration, v.Level = state.CallEnded, reason, by, now, durationMs, 0
	r.quietParticipants()
	r.publish()
	if v.Group != 0 {
		r.m.showJoined(r.a, v.Group) // groupcalls.go
	}
	if !r.a.current() && r.m.calls.run == r {
		r.m.calls.run = nil
	}
}

// Call calls a user by the ID typed: their devices ring, this one plays
// ringback. The call bar follows in State().Call, naming the person as
// this device knows them (a direct chat, a member list) until the server
// does. A call that cannot ring (busy, offline, no such user) ends at
// once with that reason; without a microphone or speaker that opens it
// ends as proto.EndNoAudio before anything rings.
func (m *Model) Call(ctx context.Context, userID string) error {
	id, err := parseID(userID, state.InputUserID)
	if err != nil {
		return m.fail(err)
	}
	a := m.account()
	if a == nil {
		return m.fail(badInput(state.InputLoggedOut, "log in first"))
	}
	m.calls.mu.Lock()
	if m.currentRun(a) != nil {
		m.calls.mu.Unlock()
		return m.fail(proto.Errorf(proto.CodeInCall, "you are already in a call"))
	}
	r := m.newRun(a, state.Call{State: state.CallRinging, Peer: m.knownUser(proto.UserID(id)), Outgoing: true})
	m.calls.mu.Unlock()

	if err := m.probeAudio(r.ctx); err != nil {
		r.end(proto.EndNoAudio, a.user.ID, 0) // the call bar says it
		return err
	}
	m.calls.mu.Lock()
	cancelled := r.view.State == state.CallEnded
	m.calls.mu.Unlock()
	if cancelled { // hung up while the devices were checked
		return nil
	}
	var reply proto.CallReply
	err = a.sess.CallEarly(ctx, proto.TypeCall, proto.CallRequest{User: proto.UserID(id), Codecs: callCodecs()}, &reply)
	if err != nil {
		n := m.errorNotice(err)
		r.end(string(n.Code), 0, 0)
		switch n.Code {
		case proto.CodeBusy, proto.CodeOffline, proto.CodeNoSuchUser, proto.CodeSelf, proto.CodeInCall:
			return err // the call bar says it
		}
		return m.fail(err)
	}
	m.calls.mu.Lock()
	defer m.calls.mu.Unlock()
	if r.view.State == state.CallEnded { // hung up while the request was out
		go m.hangupOnServer(a, reply.Call, "")
		return nil
	}
	r.view.ID, r.view.Peer = reply.Call, reply.Peer
	r.publish()
	r.playTone(call.Ringback())
	early := r.early
	r.early = nil
	for _, p := range early {
		m.callPushLocked(a, p)
	}
	return nil
}

// Accept answers the ringing call on this device.
func (m *Model) Accept(ctx context.Context) error {
	a := m.account()
	m.calls.mu.Lock()
	r := m.currentRun(a)
	if r == nil || r.view.State != state.CallIncoming {
		m.calls.mu.Unlock()
		return m.fail(proto.Errorf(proto.CodeNoSuchCall, "there is no call to answer"))
	}
	r.stopTone()
	r.view.State = state.CallConnecting
	r.publish()
	id, offered, toneDone, group := r.view.ID, r.codecs, r.toneDone, r.view.Group != 0
	m.calls.mu.Unlock()
	waitFor(r.ctx, toneDone)
	if group {
		return m.acceptGroup(ctx, r) // groupcalls.go
	}

	pick := ""
	for _, name := range offered {
		if slices.Contains(callCodecs(), name) {
			pick = name
			break
		}
	}
	if pick == "" {
		m.hangupOnServer(a, id, "")
		r.end(string(proto.CodeBadRequest), a.user.ID, 0)
		return m.fail(fmt.Errorf("the caller offered no codec this app has (%v)", offered))
	}
	if err := m.probeAudio(r.ctx); err != nil {
		// Tell the caller why rather than answer a call without sound.
		m.hangupOnServer(a, id, proto.EndNoAudio)
		r.end(proto.EndNoAudio, a.user.ID, 0)
		return err
	}
	var reply proto.CallAcceptReply
	if err := a.sess.CallEarly(ctx, proto.TypeCallAccept, proto.CallAcceptRequest{Call: id, Codec: pick}, &reply); err != nil {
		if proto.CodeOf(err) == proto.CodeNoSuchCall {
			r.end(proto.EndAnsweredElsewhere, 0, 0) // unless its call_end said better already
			return nil
		}
		r.end(string(m.errorNotice(err).Code), 0, 0)
		return m.fail(err)
	}
	m.calls.mu.Lock()
	defer m.calls.mu.Unlock()
	if r.view.State == state.CallConnecting {
		r.view.Started = m.cfg.Now().UnixMilli()
		r.publish()
		r.startMedia(reply.Codec)
	}
	return nil
}

// Decline refuses the ringing call (on every device of mine).
func (m *Model) Decline(ctx context.Context) error {
	a := m.account()
	m.calls.mu.Lock()
	r := m.currentRun(a)
	if r == nil || r.view.State != state.CallIncoming {
		m.calls.mu.Unlock()
		return nil
	}
	r.stopTone()
	id := r.view.ID
	m.calls.mu.Unlock()
	m.endOnServer(ctx, r, proto.TypeCallDecline, id, proto.EndDeclined)
	return nil
}

// Hangup ends the call: cancels it while it rings, declines it when it
// is incoming, hangs up once answered.
func (m *Model) Hangup(ctx context.Context) error {
	a := m.account()
	m.calls.mu.Lock()
	r := m.currentRun(a)
	if r == nil {
		m.calls.mu.Unlock()
		return nil
	}
	if r.view.State == state.CallIncoming {
		m.calls.mu.Unlock()
		return m.Decline(ctx)
	}
	reason := proto.EndHangup
	if r.view.State == state.CallRinging {
		reason = proto.EndCancelled
	}
	id := r.view.ID
	if id == 0 { // the call request is still out: Call hangs up when its reply comes
		r.endLocked(reason, a.user.ID, 0)
		m.calls.mu.Unlock()
		return nil
	}
	m.calls.mu.Unlock()
	m.endOnServer(ctx, r, proto.TypeCallHangup, id, reason)
	return nil
}

// endOnServer ends call id with a decline or hang-up request, then ends
// it here (its call_end push usually does that first). The audio keeps
// running until the server has the request, so that the server hears the
// hang-up rather than a dropped audio connection.
func (m *Model) endOnServer(ctx context.Context, r *callRun, typ string, id proto.CallID, reason string) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := r.a.sess.CallEarly(ctx, typ, proto.CallRef{Call: id}, nil); err != nil && proto.CodeOf(err) != proto.CodeNoSuchCall {
		m.log.Info("the server did not get the hang-up; it ends the call when the connection goes", "call", id, "err", err)
	}
	r.end(reason, r.a.user.ID, 0)
}

// hangupOnServer ends call id on the server; reason is "" or
// proto.EndNoAudio (see proto.CallHangupRequest).
func (m *Model) hangupOnServer(a *account, id proto.CallID, reason string) {
	ctx, cancel := context.WithTimeout(a.ctx, 5*time.Second)
	defer cancel()
	a.sess.CallEarly(ctx, proto.TypeCallHangup, proto.CallHangupRequest{Call: id, Reason: reason}, nil)
}

// probeAudio opens the chosen (or the system's) microphone and speaker
// and closes them again: a call that would have no sound is not started
// or answered.
func (m *Model) probeAudio(ctx context.Context) error {
	if browserCalls { // the browser asks for its microphone once answered (calls_js.go)
		return nil
	}
	m.calls.mu.Lock()
	input, output := m.calls.input, m.calls.output
	m.calls.mu.Unlock()
	st, err := m.openChosen(ctx, m.callAudio(), input, output, true)
	if err != nil {
		m.log.Warn("no sound devices for a call", "err", err)
		return fmt.Errorf("no microphone or speaker: %w", err)
	}
	st.Close()
	return nil
}

// knownUser is user id with the name this device knows them by, from a
// direct chat or the open conversation's members; the name is "" if it
// knows none.
func (m *Model) knownUser(id proto.UserID) proto.User {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.st.Conversations {
		if c.Peer != nil && c.Peer.ID == id && c.Peer.Name != "" {
			return *c.Peer
		}
	}
	if o := m.st.Open; o != nil {
		for _, mb := range o.Members {
			if mb.ID == id && mb.Name != "" {
				return proto.User{ID: id, Name: mb.Name}
			}
		}
	}
	return proto.User{ID: id}
}

// Mute mutes or unmutes my microphone in the call. In a group call the
// others are told too (call_mute).
func (m *Model) Mute(muted bool) {
	m.calls.mu.Lock()
	defer m.calls.mu.Unlock()
	r := m.calls.run
	if r == nil || r.view.State == state.CallEnded || r.view.Muted == muted {
		return
	}
	r.view.Muted = muted
	if r.engine != nil {
		r.engine.SetMuted(muted)
	}
	if r.web != nil {
		r.web.SetMuted(muted)
	}
	if r.view.Group != 0 {
		r.muteParticipant(muted) // groupcalls.go
		if r.view.ID != 0 && r.view.State != state.CallIncoming {
			r.sendMute() // else the join request says it
		}
	}
	r.publish()
}

// DismissCall clears an ended call from the call bar.
func (m *Model) DismissCall() {
	m.calls.mu.Lock()
	defer m.calls.mu.Unlock()
	if r := m.calls.run; r != nil && r.view.State == state.CallEnded {
		m.calls.run = nil
		m.update(func(st *state.State) { st.Call = nil })
	}
}

// ListAudioDevices lists the microphones and speakers into
// State().AudioDevices.
func (m *Model) ListAudioDevices() error {
	ins, outs, err := m.callAudio().Devices()
	if err != nil {
		// The notice says it in plain words, with the reason's last
		// part; the log has all of it.
		err = fmt.Errorf("list sound devices: %w", err)
		m.log.Warn("cannot list the sound devices", "err", err)
		m.mu.Lock()
		n := m.newNotice(state.NoticeError, lastPart(err))
		m.mu.Unlock()
		n.Code, n.Text = state.CodeNoDevices, err.Error()
		m.update(func(st *state.State) { st.Notices = m.appendNotice(st.Notices, n) })
		return err
	}
	view := func(ds []audio.Device) []state.AudioDevice {
		out := make([]state.AudioDevice, len(ds))
		for i, d := range ds {
			out[i] = state.AudioDevice{ID: d.ID, Name: d.Name, Default: d.Default}
		}
		return out
	}
	m.calls.mu.Lock()
	defer m.calls.mu.Unlock()
	ad := &state.AudioDevices{Inputs: view(ins), Outputs: view(outs), Input: m.calls.input, Output: m.calls.output, EchoOff: m.calls.echoOff}
	m.update(func(st *state.State) { st.AudioDevices = ad })
	return nil
}

// lastPart is the innermost words of a wrapped error: "no audio backend"
// of "list sound devices: audio: no audio backend".
func lastPart(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && i+2 < len(s) {
		return s[i+2:]
	}
	return s
}

// SetEchoCancelling switches the echo canceller on (the default) or off
// (a headset: no echo to cancel), for the call in progress at once and
// for the calls after it. The desktop app remembers the choice.
func (m *Model) SetEchoCancelling(on bool) {
	m.calls.mu.Lock()
	defer m.calls.mu.Unlock()
	m.calls.echoOff = !on
	if r := m.calls.run; r != nil && r.view.State != state.CallEnded && r.engine != nil {
		r.engine.SetEchoCancelling(on)
	}
	m.update(func(st *state.State) {
		if st.AudioDevices != nil {
			ad := *st.AudioDevices
			ad.EchoOff = !on
			st.AudioDevices = &ad
		}
	})
}

// AudioChoice returns the chosen microphone and speaker ("" for the
// system's) and whether echo cancellation is switched off.
func (m *Model) AudioChoice() (input, output string, echoOff bool) {
	m.calls.mu.Lock()
	defer m.calls.mu.Unlock()
	return m.calls.input, m.calls.output, m.calls.echoOff
}

// SelectDevices chooses the microphone and speaker (IDs from
// AudioDevices; "" for the system default). A call in progress moves to
// them at once.
func (m *Model) SelectDevices(input, output string) error {
	m.calls.mu.Lock()
	m.calls.input, m.calls.output = input, output
	r := m.calls.run
	var eng *call.Engine
	var old AudioStream
	if r != nil && r.view.State != state.CallEnded && r.engine != nil {
		eng, old = r.engine, r.stream
	}
	m.update(func(st *state.State) {
		if st.AudioDevices != nil {
			ad := *st.AudioDevices
			ad.Input, ad.Output = input, output
			st.AudioDevices = &ad
		}
	})
	m.calls.mu.Unlock()
	if eng == nil {
		return nil
	}
	st, err := m.callAudio().Open(r.ctx, input, output, true)
	if err != nil {
		return m.fail(fmt.Errorf("open the sound devices: %w", err))
	}
	m.calls.mu.Lock()
	if r.engine != eng || r.view.State == state.CallEnded { // the call ended meanwhile
		m.calls.mu.Unlock()
		st.Close()
		return nil
	}
	eng.SwitchAudio(st)
	r.stream = st
	r.publish()
	m.calls.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

// isCallPush reports whether a push belongs to calls.
func isCallPush(typ string) bool {
	return typ == proto.TypeCallIncoming || typ == proto.TypeCallAccepted || typ == proto.TypeCallEnd || typ == proto.TypeGroupCallState
}

// callPush handles a call push, on the connection's read goroutine: it
// only changes state and starts goroutines.
func (a *account) callPush(p client.Push) {
	m := a.m
	m.calls.mu.Lock()
	defer m.calls.mu.Unlock()
	m.callPushLocked(a, p)
}

func (m *Model) callPushLocked(a *account, p client.Push) {
	if p.Type == proto.TypeGroupCallState {
		m.groupCallStatePush(a, p.Body) // groupcalls.go
		return
	}
	var ref proto.CallRef
	if err := json.Unmarshal(p.Body, &ref); err != nil {
		m.log.Warn("bad call push", "type", p.Type, "err", err)
		return
	}
	r := m.currentRun(a)
	if p.Type == proto.TypeCallIncoming {
		var in proto.CallIncoming
		if err := json.Unmarshal(p.Body, &in); err != nil || r != nil {
			return // the server does not ring a user in a call
		}
		if in.Conv != 0 {
			m.groupIncoming(a, in) // groupcalls.go
			return
		}
		r = m.newRun(a, state.Call{ID: in.Call, State: state.CallIncoming, Peer: in.From})
		r.codecs = in.Codecs
		r.playTone(call.Ringtone())
		return
	}
	if r == nil {
		return
	}
	if r.view.ID == 0 && (r.view.Outgoing || r.view.Group != 0) { // before the call (or group_call) request's reply
		r.early = append(r.early, p)
		return
	}
	if r.view.ID != ref.Call {
		return
	}
	switch p.Type {
	case proto.TypeCallAccepted:
		var acc proto.CallAccepted
		if err := json.Unmarshal(p.Body, &acc); err != nil || r.view.State != state.CallRinging {
			return
		}
		r.stopTone()
		r.view.State = state.CallConnecting
		r.view.Started = m.cfg.Now().UnixMilli()
		r.publish()
		r.startMedia(acc.Codec)
	case proto.TypeCallEnd:
		var e proto.CallEnd
		if err := json.Unmarshal(p.Body, &e); err != nil {
			return
		}
		r.endLocked(e.Reason, e.By, e.DurationMs)
	}
}

// playTone plays a ring tone until the call moves on. Call with
// m.calls.mu held.
func (r *callRun) playTone(t *call.Tone) {
	r.stopTone()
	ctx, cancel := context.WithCancel(r.ctx)
	done := make(chan struct{})
	r.toneStop, r.toneDone = cancel, done
	dev, output := r.m.calls.dev, r.m.calls.output
	started := r.a.spawn(func() {
		defer close(done)
		if dev == nil {
			dev = r.m.callAudio()
		}
		st, err := r.m.openChosen(ctx, dev, "", output, false)
		if err != nil {
			r.m.log.Info("no ring tone: the speaker cannot be opened", "err", err)
			return
		}
		defer st.Close()
		t.Play(ctx, st)
	})
	if !started { // the account is stopping: no tone
		close(done)
	}
}

// stopTone stops the ring tone; r.toneDone closes once it has closed
// the speaker, so that the call's devices are not opened beside it (a
// sound system that gives a device to one stream at a time).
func (r *callRun) stopTone() {
	if r.toneStop != nil {
		r.toneStop()
		r.toneStop = nil
	}
}

// startMedia starts the call's audio in the background. Call with
// m.calls.mu held. The call lives on the session's connection of now (the
// one that answered or was told of the answer): when that one ends, the
// server ends the call, and so does its audio here.
func (r *callRun) startMedia(codecName string) {
	id, peer, muted, toneDone, group := r.view.ID, r.view.Peer.ID, r.view.Muted, r.toneDone, r.view.Group != 0
	conn := r.a.sess.Conn()
	r.a.spawn(func() {
		waitFor(r.ctx, toneDone)
		if browserCalls {
			r.webMedia(id, muted, conn)
			return
		}
		r.media(id, peer, codecName, muted, group, conn)
	})
}

// waitFor waits until done (if any) closes or ctx ends.
func waitFor(ctx context.Context, done <-chan struct{}) {
	if done == nil {
		return
	}
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// media runs the call's audio until the call ends: media socket, devices,
// engine, and the watchdog. A group call (group) differs in three ways:
// the engine mixes the slots (call.Config.Group), the UDP leg has a
// stream per slot, and nobody's silence ends it (I may be alone in it):
// it is active as soon as my audio goes out.
func (r *callRun) media(id proto.CallID, peer proto.UserID, codecName string, muted, group bool, conn *client.Conn) {
	ctx, m, a := r.ctx, r.m, r.a
	cd, ok := codec.Lookup(codecName)
	if !ok {
		r.end(string(proto.CodeBadRequest), 0, 0)
		m.hangupOnServer(a, id, "")
		return
	}
	link, err := dialMedia(ctx, a, id)
	if err != nil {
		if proto.CodeOf(err) == proto.CodeNoSuchCall {
			m.awaitCallEnd(ctx, a)
		}
		if ctx.Err() == nil {
			m.log.Warn("call audio connection failed", "call", id, "err", err)
			r.end(proto.EndDropped, a.user.ID, 0)
			m.hangupOnServer(a, id, "")
		}
		return
	}
	defer link.close()

	dev := m.callAudio()
	m.calls.mu.Lock()
	input, output := m.calls.input, m.calls.output
	echoMode := call.EchoAuto
	if m.calls.echoOff {
		echoMode = call.EchoOff
	}
	m.calls.mu.Unlock()
	stream, err := m.openChosen(ctx, dev, input, output, true)
	if err != nil {
		// The devices went since they were checked: a call without sound
		// on one side is no call. Say why to the other side (while the
		// media link is up, so that the server does not see a drop first).
		m.log.Warn("call without sound devices: ending it", "call", id, "err", err)
		m.hangupOnServer(a, id, proto.EndNoAudio)
		r.end(proto.EndNoAudio, a.user.ID, 0)
		return
	}
	eng, err := call.Start(ctx, call.Config{Call: id, Codec: cd, Audio: stream, Send: link, Muted: muted, Echo: echoMode, Logger: m.log, Group: group})
	if err != nil {
		stream.Close()
		r.end(string(state.CodeLocal), 0, 0)
		m.hangupOnServer(a, id, "")
		return
	}
	m.calls.mu.Lock()
	r.engine, r.stream = eng, stream
	if r.view.Muted != muted { // muted or unmuted while the audio started
		eng.SetMuted(r.view.Muted)
	}
	m.calls.mu.Unlock()
	defer func() {
		eng.Close()
		m.calls.mu.Lock()
		st := r.stream
		r.engine, r.stream = nil, nil
		m.calls.mu.Unlock()
		if st != nil {
			st.Close()
		}
	}()

	linkDown := link.run(ctx, eng)
	m.calls.mu.Lock()
	if r.view.State != state.CallEnded {
		r.view.Carrier = state.CarrierWebSocket
		if group && r.view.State == state.CallConnecting {
			r.view.State = state.CallActive
		}
		r.publish()
	}
	noUDP := m.calls.noUDP
	m.calls.mu.Unlock()
	if cd.Name == "opus" && !noUDP {
		slots := 1
		if group {
			slots = proto.MaxGroupCall
		}
		go r.tryUDP(ctx, id, eng, slots)
	}
	tick := time.NewTicker(callTick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-linkDown:
			if ctx.Err() == nil {
				r.end(proto.EndDropped, a.user.ID, 0)
			}
			return
		case <-tick.C:
		}
		st := eng.Stats()
		switch {
		case a.sess.Conn() != conn:
			r.end(proto.EndDropped, a.user.ID, 0) // our connection went: the server ends the call too
			return
		case group:
		case st.Heard && st.SinceHeard > callSilenceLimit, !st.Heard && st.Elapsed > callStartLimit:
			r.end(proto.EndDropped, peer, 0)
			go m.hangupOnServer(a, id, "")
			return
		}
		m.calls.mu.Lock()
		r.tick(st)
		m.calls.mu.Unlock()
	}
}

// tick shows what the engine's snapshot st changed in the call bar, and
// publishes only if something did: a silent call does not redraw the UI
// ten times a second. Call with m.calls.mu held.
func (r *callRun) tick(st call.Stats) {
	v := &r.view
	if v.State == state.CallEnded {
		return
	}
	changed := false
	if v.State == state.CallConnecting && st.Heard {
		v.State, changed = state.CallActive, true
	}
	if v.Level != st.Level {
		v.Level, changed = st.Level, true
	}
	if v.Group != 0 && r.groupLevels(st, r.m.cfg.Now()) { // groupcalls.go
		changed = true
	}
	if changed {
		r.publish()
	}
}

// udpConnectWait is how long a call's UDP leg may take to connect.
const udpConnectWait = 3 * time.Second

// tryUDP offers a UDP leg for the call beside its media socket; once the
// leg connects within udpConnectWait, the engine sends through it (the
// server sends to it from then on too) and the call bar says so.
// Otherwise the WebSocket carries on, as it does when the server has UDP
// off. The leg closes with the call.
func (r *callRun) tryUDP(ctx context.Context, id proto.CallID, eng *call.Engine, slots int) {
	m := r.m
	m.calls.mu.Lock()
	wait, outcome := m.calls.udpWait, m.calls.udpOutcome
	m.calls.mu.Unlock()
	carrier := state.CarrierWebSocket
	defer func() {
		if outcome != nil {
			outcome <- carrier
		}
	}()
	if wait == nil {
		wait = func() <-chan time.Time { return time.After(udpConnectWait) }
	}
	timeout := wait() // from the start of the attempt: the offer's round trip counts
	l, err := dialUDP(ctx, r.a, id, eng, m.log, slots)
	if err != nil {
		if ctx.Err() == nil {
			m.log.Info("call audio stays on the websocket", "call", id, "why", err)
		}
		return
	}
	defer l.close()
	select {
	case <-l.connected:
	case <-l.failed:
		m.log.Info("call audio stays on the websocket: udp failed", "call", id)
		return
	case <-timeout:
		m.log.Info("call audio stays on the websocket: udp did not connect in time", "call", id, "wait", udpConnectWait)
		return
	case <-ctx.Done():
		return
	}
	eng.SetSender(l)
	m.log.Info("call audio over udp", "call", id)
	m.calls.mu.Lock()
	if r.view.State != state.CallEnded {
		r.view.Carrier = state.CarrierUDP
		r.publish()
	}
	m.calls.mu.Unlock()
	carrier = state.CarrierUDP
	if outcome != nil {
		outcome <- carrier
		outcome = nil
	}
	<-ctx.Done()
}

// awaitCallEnd waits, after the server refused to attach the media
// socket with no_such_call, for the call_end the server sent when it
// ended the call (the peer had no sound and hung up, say): that push
// comes on the session's connection, which is not ordered with the media
// socket, so under load the refusal can come first. The server answers a
// connection's requests in order behind the pushes it queued there, so a
// ping's reply comes after that call_end, which the read goroutine has
// handled by then (callPush) and which ended ctx. Without it the call
// would end here as our own drop, and the real reason would be lost.
func (m *Model) awaitCallEnd(ctx context.Context, a *account) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := a.sess.Ping(ctx); err != nil && ctx.Err() == nil {
		m.log.Info("no round trip after the call went: ending it as dropped", "err", err)
	}
}

// mediaLink is the call's audio carrier: a WebSocket of its own,
// attached to the call with the session token. It implements call.Sender.
type mediaLink struct {
	ws *websocket.Conn
	q  chan []byte
}

// dialMedia opens and attaches the media socket.
func dialMedia(ctx context.Context, a *account, id proto.CallID) (*mediaLink, error) {
	u := a.sess.URL() // the node the call was set up on
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(dctx, u, &websocket.DialOptions{Subprotocols: []string{proto.Subprotocol}})
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	ws.SetReadLimit(1 << 20)
	fail := func(err error) (*mediaLink, error) {
		ws.CloseNow()
		return nil, err
	}
	req, err := proto.EncodeRequest(proto.TypeCallMedia, "media", proto.CallMediaRequest{Call: id, Token: a.token})
	if err != nil {
		return fail(err)
	}
	if err := ws.Write(dctx, websocket.MessageText, req); err != nil {
		return fail(fmt.Errorf("attach: %w", err))
	}
	for { // hello, then the reply
		typ, data, err := ws.Read(dctx)
		if err != nil {
			return fail(fmt.Errorf("attach: %w", err))
		}
		if typ != websocket.MessageText {
			continue
		}
		f, err := proto.DecodeFrame(data)
		if err != nil {
			return fail(err)
		}
		if f.Type != proto.TypeReply || f.ID != "media" {
			continue
		}
		if f.Error != nil {
			return fail(f.Error)
		}
		return &mediaLink{ws: ws, q: make(chan []byte, mediaQueue)}, nil
	}
}

// SendPacket queues a packet; when the socket is behind, it drops it.
func (l *mediaLink) SendPacket(pkt []byte) error {
	select {
	case l.q <- append([]byte(nil), pkt...):
		return nil
	default:
		return errors.New("media socket behind: packet dropped")
	}
}

// run writes queued packets and hands received ones to eng, until ctx
// ends or the socket fails; the returned channel closes on failure.
func (l *mediaLink) run(ctx context.Context, eng *call.Engine) <-chan struct{} {
	down := make(chan struct{})
	var once sync.Once
	fail := func() { once.Do(func() { close(down) }) }
	go func() {
		for {
			select {
			case pkt := <-l.q:
				wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				err := l.ws.Write(wctx, websocket.MessageBinary, pkt)
				cancel()
				if err != nil {
					fail()
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		for {
			typ, data, err := l.ws.Read(ctx)
			if err != nil {
				fail()
				return
			}
			if typ == websocket.MessageBinary {
				eng.Receive(data)
			}
		}
	}()
	return down
}

// close drops the socket at once: the call is over (or the network is),
// so there is nothing to wait for.
func (l *mediaLink) close() { l.ws.CloseNow() }
