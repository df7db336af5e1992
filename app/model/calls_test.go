package model

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/app/state"
	"parley/media/audio"
	"parley/net/proto"
	"parley/server/node/nodetest"
)

// virtualAudio is a CallAudio without hardware: the microphone says a
// tone, and what the speaker plays is measured.
type virtualAudio struct {
	voice     bool                          // the microphone says a 440 Hz tone (else silence)
	heard     atomic.Int64                  // call frames played with sound in them
	toneHeard atomic.Int64                  // ring tone frames played with sound in them
	broken    atomic.Bool                   // no device opens (none plugged in, or the sound system fails)
	exclusive bool                          // the speaker takes one stream at a time
	taken     atomic.Bool                   // exclusive: a stream has the speaker
	toneClose chan struct{}                 // if set, closing a ring tone's stream waits for it to close
	failLate  chan struct{}                 // if set, a broken microphone fails only once it closes
	onPlay    atomic.Pointer[func([]int16)] // if set, given every call frame the speaker plays
}

func (v *virtualAudio) Devices() ([]audio.Device, []audio.Device, error) {
	d := []audio.Device{{ID: "virtual", Name: "Virtual", Default: true}}
	return d, d, nil
}

func (v *virtualAudio) Open(ctx context.Context, input, output string, capture bool) (AudioStream, error) {
	if input == "unplugged" || output == "unplugged" {
		return nil, errors.New("no such device")
	}
	if v.broken.Load() {
		if capture && v.failLate != nil {
			select {
			case <-v.failLate:
			case <-ctx.Done():
			}
		}
		return nil, errors.New("ma_device_init: no backend")
	}
	if v.exclusive && !v.taken.CompareAndSwap(false, true) {
		return nil, errors.New("ma_device_init: device busy")
	}
	counter := &v.toneHeard
	var source func([]int16)
	if capture {
		counter = &v.heard
		if v.voice {
			n := 0
			source = func(f []int16) {
				for i := range f {
					f[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(n)/48000))
					n++
				}
			}
		}
	}
	sink := func(f []int16) {
		if on := v.onPlay.Load(); capture && on != nil {
			(*on)(f)
		}
		for _, s := range f {
			if s > 100 || s < -100 {
				counter.Add(1)
				return
			}
		}
	}
	closing := func() {
		if !capture && v.toneClose != nil {
			<-v.toneClose
		}
		if v.exclusive {
			v.taken.Store(false)
		}
	}
	return virtualStream{audio.NewVirtual(source, sink), closing}, nil
}

type virtualStream struct {
	*audio.Virtual
	closing func()
}

func (s virtualStream) Close() error {
	s.closing()
	return nil
}

func newCallModel(t *testing.T, srv *nodetest.Server, dev CallAudio) *testModel {
	t.Helper()
	return newTestModel(t, srv, t.TempDir(), func(c *Config) { c.Audio = dev })
}

// callIs waits for the call bar to show state s.
func (tm *testModel) callIs(s state.CallState) state.Call {
	tm.t.Helper()
	st := tm.waitFor("call "+s.String(), func(st state.State) bool { return st.Call != nil && st.Call.State == s })
	return *st.Call
}

// ended waits for the call to end and checks why.
func (tm *testModel) ended(reason string, by proto.UserID) state.Call {
	tm.t.Helper()
	c := tm.callIs(state.CallEnded)
	if c.EndReason != reason || c.EndedBy != by {
		tm.t.Fatalf("call ended with %q by %d, want %q by %d", c.EndReason, c.EndedBy, reason, by)
	}
	return c
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

func TestCallRingAnswerTalkMuteHangUp(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	liAudio, wangAudio := &virtualAudio{voice: true}, &virtualAudio{}
	li, wang := newCallModel(t, srv, liAudio), newCallModel(t, srv, wangAudio)
	liU, wangU := li.registerAndLogin(srv, "李华"), wang.registerAndLogin(srv, "Wang")

	if err := li.Call(ctx, fmt.Sprint(wangU.ID)); err != nil {
		t.Fatal(err)
	}
	if c := li.callIs(state.CallRinging); c.Peer != wangU || !c.Outgoing || c.ID == 0 {
		t.Fatalf("caller's call bar: %+v", c)
	}
	if c := wang.callIs(state.CallIncoming); c.Peer != liU || c.Outgoing {
		t.Fatalf("callee's dialog: %+v, want %+v calling", c, liU)
	}
	waitUntil(t, "the ring tone", func() bool { return wangAudio.toneHeard.Load() > 0 })
	waitUntil(t, "the ringback", func() bool { return liAudio.toneHeard.Load() > 0 })

	if err := wang.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	li.callIs(state.CallActive)
	c := wang.callIs(state.CallActive)
	if c.Started == 0 {
		t.Fatal("no start time for the timer")
	}
	waitUntil(t, "Li's voice at Wang's", func() bool { return wangAudio.heard.Load() > 10 })
	li.waitFor("a microphone level", func(st state.State) bool { return st.Call.Level > 0.5 })

	// A headset: echo cancellation off during the call, and on again.
	cancels := func() bool {
		li.calls.mu.Lock()
		defer li.calls.mu.Unlock()
		return li.calls.run.engine.Stats().Cancelling
	}
	if !cancels() {
		t.Fatal("the call does not cancel the echo by default")
	}
	li.SetEchoCancelling(false)
	if cancels() {
		t.Fatal("switched off, the call still cancels the echo")
	}
	li.SetEchoCancelling(true)
	if !cancels() {
		t.Fatal("switched on again, the call does not cancel the echo")
	}

	li.Mute(true)
	li.waitFor("muted", func(st state.State) bool { return st.Call.Muted && st.Call.Level == 0 })

	if err := li.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	li.ended(proto.EndHangup, liU.ID)
	if c := wang.ended(proto.EndHangup, liU.ID); c.Duration <= 0 {
		t.Fatalf("duration %d", c.Duration)
	}

	// Nothing stale: Wang calls back at once; Li cancels by declining.
	if err := wang.Call(ctx, fmt.Sprint(liU.ID)); err != nil {
		t.Fatal(err)
	}
	li.callIs(state.CallIncoming)
	if err := li.Decline(ctx); err != nil {
		t.Fatal(err)
	}
	wang.ended(proto.EndDeclined, liU.ID)
	li.ended(proto.EndDeclined, liU.ID)
	li.DismissCall()
	li.waitFor("the call bar cleared", func(st state.State) bool { return st.Call == nil })
}

func TestCallsThatCannotRing(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	li, wang, zhao := newCallModel(t, srv, &virtualAudio{}), newCallModel(t, srv, &virtualAudio{}), newCallModel(t, srv, &virtualAudio{})
	liU, wangU := li.registerAndLogin(srv, "李华"), wang.registerAndLogin(srv, "Wang")
	zhao.registerAndLogin(srv, "Zhao")

	if err := li.Call(ctx, fmt.Sprint(wangU.ID)); err != nil {
		t.Fatal(err)
	}
	wang.callIs(state.CallIncoming)
	if err := wang.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	li.callIs(state.CallActive)

	if err := zhao.Call(ctx, fmt.Sprint(liU.ID)); proto.CodeOf(err) != proto.CodeBusy {
		t.Fatalf("calling someone in a call: %v", err)
	}
	zhao.ended(string(proto.CodeBusy), 0)
	if err := li.Call(ctx, fmt.Sprint(wangU.ID)); proto.CodeOf(err) != proto.CodeInCall {
		t.Fatalf("a second call: %v", err)
	}

	// Wang quits the app mid-call: Li's call ends as dropped.
	wang.Close()
	li.ended(proto.EndDropped, wangU.ID)

	// Wang is offline now.
	if err := zhao.Call(ctx, fmt.Sprint(wangU.ID)); proto.CodeOf(err) != proto.CodeOffline {
		t.Fatalf("calling someone offline: %v", err)
	}
	zhao.ended(string(proto.CodeOffline), 0)
	if err := zhao.Call(ctx, "not a number"); err == nil {
		t.Fatal("a call to a malformed ID")
	}
}

// The real audio stack, on malgo's null backend: devices are listed,
// the call runs on them, and a device change mid-call keeps it going.
func TestCallOnTheNullBackend(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	null := audio.Config{Null: true}
	li, wang := newCallModel(t, srv, SystemAudio(null)), newCallModel(t, srv, SystemAudio(null))
	li.registerAndLogin(srv, "李华")
	wangU := wang.registerAndLogin(srv, "Wang")

	if err := li.ListAudioDevices(); err != nil {
		t.Fatal(err)
	}
	st := li.waitFor("devices", func(st state.State) bool { return st.AudioDevices != nil })
	if len(st.AudioDevices.Inputs) == 0 || len(st.AudioDevices.Outputs) == 0 || !st.AudioDevices.Inputs[0].Default {
		t.Fatalf("devices %+v", st.AudioDevices)
	}
	if err := li.Call(ctx, fmt.Sprint(wangU.ID)); err != nil {
		t.Fatal(err)
	}
	wang.callIs(state.CallIncoming)
	if err := wang.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	li.callIs(state.CallActive)
	wang.callIs(state.CallActive)

	in, out := st.AudioDevices.Inputs[0].ID, st.AudioDevices.Outputs[0].ID
	if err := li.SelectDevices(in, out); err != nil {
		t.Fatal(err)
	}
	li.waitFor("the choice shown", func(st state.State) bool {
		return st.AudioDevices.Input == in && st.AudioDevices.Output == out
	})
	if c := li.State().Call; c.State != state.CallActive {
		t.Fatalf("after switching devices: %+v", c)
	}
	if err := wang.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	li.ended(proto.EndHangup, wangU.ID)
}

// A chosen microphone and speaker that are gone by the time of the call
// (unplugged, or remembered from an earlier run): the call uses the
// system's instead of going silent.
func TestACallFallsBackToTheSystemDevicesWhenTheChosenAreGone(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	liAudio, wangAudio := &virtualAudio{voice: true}, &virtualAudio{}
	li, wang := newCallModel(t, srv, liAudio), newCallModel(t, srv, wangAudio)
	li.registerAndLogin(srv, "李华")
	wangU := wang.registerAndLogin(srv, "Wang")
	if err := li.SelectDevices("unplugged", "unplugged"); err != nil {
		t.Fatal(err)
	}
	if err := li.Call(ctx, fmt.Sprint(wangU.ID)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the ringback on the system's speaker", func() bool { return liAudio.toneHeard.Load() > 0 })
	wang.callIs(state.CallIncoming)
	if err := wang.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	li.callIs(state.CallActive)
	waitUntil(t, "Li's voice at Wang's", func() bool { return wangAudio.heard.Load() > 10 })
	if err := li.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

func brokenAudio() *virtualAudio {
	v := &virtualAudio{}
	v.broken.Store(true)
	return v
}

// A caller whose microphone and speaker do not open rings nobody: the
// call bar says why, and the callee is free for the next call.
func TestACallerWithoutSoundRingsNobody(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	li, wang, zhao := newCallModel(t, srv, brokenAudio()), newCallModel(t, srv, &virtualAudio{}), newCallModel(t, srv, &virtualAudio{})
	liU, wangU, zhaoU := li.registerAndLogin(srv, "李华"), wang.registerAndLogin(srv, "Wang"), zhao.registerAndLogin(srv, "Zhao")

	if err := li.Call(ctx, fmt.Sprint(wangU.ID)); err == nil {
		t.Fatal("a call without sound devices started")
	}
	li.ended(proto.EndNoAudio, liU.ID)
	// Had Li's call rung Wang, Wang would be busy with it now.
	if err := zhao.Call(ctx, fmt.Sprint(wangU.ID)); err != nil {
		t.Fatal(err)
	}
	if c := wang.callIs(state.CallIncoming); c.Peer != zhaoU {
		t.Fatalf("Wang's phone rings for %+v, want %+v", c.Peer, zhaoU)
	}
}

// A callee whose devices do not open as they answer ends the call with
// no_audio: both sides see why, and nobody is left in a silent call.
func TestACalleeWithoutSoundEndsTheCallOnBothSides(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	li, wang := newCallModel(t, srv, &virtualAudio{}), newCallModel(t, srv, brokenAudio())
	li.registerAndLogin(srv, "李华")
	wangU := wang.registerAndLogin(srv, "Wang")

	if err := li.Call(ctx, fmt.Sprint(wangU.ID)); err != nil {
		t.Fatal(err)
	}
	wang.callIs(state.CallIncoming)
	if err := wang.Accept(ctx); err == nil {
		t.Fatal("answered a call without sound devices")
	}
	wang.ended(proto.EndNoAudio, wangU.ID)
	li.ended(proto.EndNoAudio, wangU.ID)
}

// The caller's devices go between the check before ringing and the
// answer: the call ends with no_audio on both sides.
func TestDevicesThatGoBeforeTheAnswerEndTheCallOnBothSides(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	liAudio := &virtualAudio{}
	li, wang := newCallModel(t, srv, liAudio), newCallModel(t, srv, &virtualAudio{})
	liU := li.registerAndLogin(srv, "李华")
	wangU := wang.registerAndLogin(srv, "Wang")

	if err := li.Call(ctx, fmt.Sprint(wangU.ID)); err != nil {
		t.Fatal(err)
	}
	li.callIs(state.CallRinging)
	wang.callIs(state.CallIncoming)
	liAudio.broken.Store(true) // the headset is unplugged while it rings
	if err := wang.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	li.ended(proto.EndNoAudio, liU.ID)
	wang.ended(proto.EndNoAudio, liU.ID)
}

// The callee's audio connection reaches the server only after the caller,
// whose devices went, has ended the call with no_audio; the call_end of
// that is still on its way on the callee's signalling connection (two
// connections: nothing orders them). The callee's call bar says no_audio
// by the caller, not that the callee dropped.
func TestAnAudioConnectionTooLateForTheCallLeavesTheReasonToTheServer(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	h := startHolder(t, srv.Addr)
	liAudio := &virtualAudio{failLate: make(chan struct{})}
	li, wang := newCallModel(t, srv, liAudio), newCallModel(t, srv, &virtualAudio{})
	liU := li.registerAndLogin(srv, "李华")
	wangU := wang.registerAndLoginAt(h.URL(), "Wang")

	if err := li.Call(ctx, fmt.Sprint(wangU.ID)); err != nil {
		t.Fatal(err)
	}
	li.callIs(state.CallRinging)
	wang.callIs(state.CallIncoming)
	liAudio.broken.Store(true) // fails when Li's audio starts, once failLate closes
	h.holdNew()
	if err := wang.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	h.waitHeld(t)           // Wang's audio connection, not at the server yet
	sig := h.pauseDown()    // what the server says to Wang waits from here on
	close(liAudio.failLate) // Li hangs up with no_audio
	li.ended(proto.EndNoAudio, liU.ID)
	before := sig.sent()
	h.release() // the server refuses Wang's audio connection: no_such_call
	waitUntil(t, "Wang's app to speak on its connection", func() bool { return sig.sent() > before })
	sig.resume()
	wang.ended(proto.EndNoAudio, liU.ID)
}

// holder is a TCP proxy to a test server that can hold new connections
// before they reach the server, and pause what the server says on the
// connections it has.
type holder struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup
	held   chan struct{} // a value per connection held
	rel    chan struct{} // closed: held connections go on

	mu     sync.Mutex
	hold   bool
	links  []*holdLink
	pauses []*holdPause
	closed bool
}

// holdLink is one proxied connection.
type holdLink struct {
	down, up net.Conn
	up2down  sync.RWMutex // write-locked while paused
	bytesUp  atomic.Int64 // from the client
}

func startHolder(t *testing.T, target string) *holder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &holder{ln: ln, target: target, held: make(chan struct{}, 16), rel: make(chan struct{})}
	g.wg.Add(1)
	go g.accept()
	t.Cleanup(g.close)
	return g
}

func (g *holder) URL() string { return "http://" + g.ln.Addr().String() }

// holdNew makes the connections that open from now on wait for release.
func (g *holder) holdNew() {
	g.mu.Lock()
	g.hold = true
	g.mu.Unlock()
}

func (g *holder) release() { close(g.rel) }

// waitHeld waits until a connection is held.
func (g *holder) waitHeld(t *testing.T) {
	t.Helper()
	select {
	case <-g.held:
	case <-time.After(20 * time.Second):
		t.Fatal("timed out waiting for a connection to hold")
	}
}

// pauseDown holds what the server sends on every connection open now
// until resume.
func (g *holder) pauseDown() *holdPause {
	g.mu.Lock()
	links := append([]*holdLink(nil), g.links...)
	g.mu.Unlock()
	for _, l := range links {
		l.up2down.Lock()
	}
	p := &holdPause{links: links}
	g.mu.Lock()
	g.pauses = append(g.pauses, p)
	g.mu.Unlock()
	return p
}

// holdPause is what pauseDown paused.
type holdPause struct {
	once  sync.Once
	links []*holdLink
}

// sent is how many bytes the clients of the paused connections sent.
func (p *holdPause) sent() (n int64) {
	for _, l := range p.links {
		n += l.bytesUp.Load()
	}
	return n
}

func (p *holdPause) resume() {
	p.once.Do(func() {
		for _, l := range p.links {
			l.up2down.Unlock()
		}
	})
}

func (g *holder) accept() {
	defer g.wg.Done()
	for {
		down, err := g.ln.Accept()
		if err != nil {
			return
		}
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			g.link(down)
		}()
	}
}

func (g *holder) link(down net.Conn) {
	g.mu.Lock()
	hold := g.hold
	g.mu.Unlock()
	if hold {
		g.held <- struct{}{}
		<-g.rel
	}
	up, err := net.Dial("tcp", g.target)
	if err != nil {
		down.Close()
		return
	}
	l := &holdLink{down: down, up: up}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		down.Close()
		up.Close()
		return
	}
	g.links = append(g.links, l)
	g.mu.Unlock()
	done := make(chan struct{})
	go func() { // client to server, counted
		defer close(done)
		buf := make([]byte, 32<<10)
		for {
			n, err := down.Read(buf)
			if n > 0 {
				l.bytesUp.Add(int64(n))
				if _, werr := up.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		up.Close()
		down.Close()
	}()
	buf := make([]byte, 32<<10) // server to client, unless paused
	for {
		n, err := up.Read(buf)
		if n > 0 {
			l.up2down.RLock()
			_, werr := down.Write(buf[:n])
			l.up2down.RUnlock()
			if werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	up.Close()
	down.Close()
	<-done
}

func (g *holder) close() {
	g.ln.Close()
	g.mu.Lock()
	g.closed = true
	for _, l := range g.links {
		l.down.Close()
		l.up.Close()
	}
	pauses := g.pauses
	g.mu.Unlock()
	for _, p := range pauses {
		p.resume()
	}
	select {
	case <-g.rel:
	default:
		close(g.rel)
	}
	g.wg.Wait()
}

// A call to someone this device knows names them from the first ring,
// also when the call cannot ring.
func TestACallNamesThePersonBeforeTheServerDoes(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	li, wang := newCallModel(t, srv, &virtualAudio{}), newCallModel(t, srv, &virtualAudio{})
	li.registerAndLogin(srv, "李华")
	wangU := wang.registerAndLogin(srv, "Wang")
	if err := li.OpenDirect(ctx, fmt.Sprint(wangU.ID)); err != nil {
		t.Fatal(err)
	}
	li.waitFor("the direct chat", func(st state.State) bool { return st.Open != nil && st.Open.Peer != nil })
	wang.Close()
	if err := li.Call(ctx, fmt.Sprint(wangU.ID)); proto.CodeOf(err) != proto.CodeOffline {
		t.Fatalf("calling someone offline: %v", err)
	}
	if c := li.ended(string(proto.CodeOffline), 0); c.Peer != wangU {
		t.Fatalf("the call bar names %+v, want %+v", c.Peer, wangU)
	}
}

// A speaker that takes one stream at a time (some sound systems): the
// call's audio waits until the ring tone (the callee's) or the ringback
// (the caller's) has let go of it, rather than finding it busy and ending
// the call as no_audio.
func TestAnAnswerWaitsForTheRingToneToLetGoOfTheSpeaker(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	liAudio := &virtualAudio{voice: true, exclusive: true, toneClose: make(chan struct{})}
	wangAudio := &virtualAudio{exclusive: true, toneClose: make(chan struct{})}
	li, wang := newCallModel(t, srv, liAudio), newCallModel(t, srv, wangAudio)
	li.registerAndLogin(srv, "李华")
	wangU := wang.registerAndLogin(srv, "Wang")

	if err := li.Call(ctx, fmt.Sprint(wangU.ID)); err != nil {
		t.Fatal(err)
	}
	wang.callIs(state.CallIncoming)
	waitUntil(t, "the ring tone", func() bool { return wangAudio.toneHeard.Load() > 0 })
	waitUntil(t, "the ringback", func() bool { return liAudio.toneHeard.Load() > 0 })
	accepted := make(chan error, 1)
	go func() { accepted <- wang.Accept(ctx) }()
	wang.callIs(state.CallConnecting)
	close(wangAudio.toneClose) // the ring tone's stream closes only now
	if err := <-accepted; err != nil {
		t.Fatal(err)
	}
	li.callIs(state.CallConnecting)
	close(liAudio.toneClose) // and the ringback's
	li.callIs(state.CallActive)
	wang.callIs(state.CallActive)
	waitUntil(t, "Li's voice at Wang's", func() bool { return wangAudio.heard.Load() > 10 })
	if err := li.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	wang.ended(proto.EndHangup, li.State().Me.ID)
}

// unlistedAudio is sound whose devices cannot be listed.
type unlistedAudio struct{ virtualAudio }

func (*unlistedAudio) Devices() ([]audio.Device, []audio.Device, error) {
	return nil, nil, fmt.Errorf("audio: list devices: %w", errors.New("no sound card found"))
}

// When the sound devices cannot be listed, the notice carries its own
// code and the short reason, for the UI to say in plain words; the whole
// error stays in Text (and the log).
func TestUnlistableDevicesGiveAPlainNotice(t *testing.T) {
	srv := nodetest.Start(t)
	li := newCallModel(t, srv, &unlistedAudio{})
	li.registerAndLogin(srv, "李华")
	if err := li.ListAudioDevices(); err == nil {
		t.Fatal("listing devices that cannot be listed succeeded")
	}
	st := li.waitFor("the notice", func(st state.State) bool {
		return slices.ContainsFunc(st.Notices, func(n state.Notice) bool { return n.Code == state.CodeNoDevices })
	})
	i := slices.IndexFunc(st.Notices, func(n state.Notice) bool { return n.Code == state.CodeNoDevices })
	n := st.Notices[i]
	if n.Kind != state.NoticeError || !slices.Equal(n.Args, []string{"no sound card found"}) ||
		n.Text != "list sound devices: audio: list devices: no sound card found" || st.AudioDevices != nil {
		t.Fatalf("notice %+v, devices %+v", n, st.AudioDevices)
	}
}

// A call that rings while the callee's app is still syncing after a
// reconnect is answered at once: the answer neither waits for the sync
// nor fails as offline, the call carries on when the sync ends, and it
// ends when that connection goes.
func TestACallRingingDuringTheSyncIsAnswered(t *testing.T) {
	srv := nodetest.Start(t)
	proxy := startCutter(t, srv.Addr)
	var holding atomic.Bool
	entered, release := make(chan struct{}, 1), make(chan struct{})
	liAudio, wangAudio := &virtualAudio{voice: true}, &virtualAudio{}
	li := newCallModel(t, srv, liAudio)
	wang := newTestModel(t, srv, t.TempDir(), func(c *Config) {
		c.Audio = wangAudio
		c.syncing = func(ctx context.Context) {
			if holding.Load() {
				entered <- struct{}{}
				select {
				case <-release:
				case <-ctx.Done():
				}
			}
		}
	})
	liU := li.registerAndLogin(srv, "李华")
	wangU := wang.registerAndLoginAt(proxy.URL(), "Wang")

	holding.Store(true)
	proxy.dropAll()
	select { // Wang's app reconnected and is held in its sync
	case <-entered:
	case <-time.After(20 * time.Second):
		t.Fatal("Wang's app did not reconnect")
	}
	ctx := context.Background()
	if err := li.Call(ctx, fmt.Sprint(wangU.ID)); err != nil {
		t.Fatal(err)
	}
	if c := wang.callIs(state.CallIncoming); c.Peer != liU {
		t.Fatalf("Wang's dialog: %+v", c)
	}
	if err := wang.Accept(ctx); err != nil {
		t.Fatalf("answering during the sync: %v", err)
	}
	li.callIs(state.CallActive)
	wang.callIs(state.CallActive)
	waitUntil(t, "Li's voice at Wang's during the sync", func() bool { return wangAudio.heard.Load() > 10 })
	if st := wang.State(); st.Conn == state.Online {
		t.Fatal("the sync was not held: the test proves nothing")
	}

	holding.Store(false)
	close(release)
	wang.online()
	heard := wangAudio.heard.Load()
	waitUntil(t, "more of Li's voice after the sync", func() bool { return wangAudio.heard.Load() > heard+10 })
	if c := wang.State().Call; c == nil || c.State != state.CallActive {
		t.Fatalf("after the sync Wang's call is %+v, want active", c)
	}

	// The call lives on the connection that answered it: when that goes,
	// it ends on both sides.
	proxy.dropAll()
	wang.ended(proto.EndDropped, wangU.ID)
	li.ended(proto.EndDropped, wangU.ID)
}
