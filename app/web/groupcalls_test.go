package web

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/media/codec"
	"parley/net/proto"
	"parley/server/node"
	"parley/server/node/nodetest"
	"parley/server/rtc"
	"parley/ui/uitest"
)

// groupPeer is a Go participant of a group call on the raw protocol: it
// says a tone over a media WebSocket of its own, in Opus packets every 20
// ms, and decodes the group audio packets it gets, slot by slot.
type groupPeer struct {
	t     *testing.T
	u     *nodetest.User
	call  proto.GroupCallReply
	ws    *websocket.Conn
	stop  context.CancelFunc // stops saying and listening
	heard [proto.MaxGroupCall]slotHeard
}

// slotHeard counts what a groupPeer got from one slot: packets, those
// with an Opus payload, and those that decode to a frame with sound.
type slotHeard struct{ packets, payloads, loud atomic.Int64 }

// joinGroupCall starts or joins the call in conv as u, attaches a media
// WebSocket to it, and says a sine of freq Hz at amp of full scale until
// the test ends.
func joinGroupCall(t *testing.T, srv *nodetest.Server, u *nodetest.User, conv proto.ConvID, freq, amp float64) *groupPeer {
	t.Helper()
	ctx := ctxFor(t, 30*time.Second)
	p := &groupPeer{t: t, u: u}
	if err := u.Conn.Call(ctx, proto.TypeGroupCall, proto.GroupCallRequest{Conv: conv}, &p.call); err != nil {
		t.Fatalf("%s: group_call: %v", u.Name, err)
	}
	ws, _, err := websocket.Dial(ctx, srv.URL, &websocket.DialOptions{Subprotocols: []string{proto.Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	ws.SetReadLimit(1 << 20)
	req, err := proto.EncodeRequest(proto.TypeCallMedia, "media", proto.CallMediaRequest{Call: p.call.Call, Token: u.Token})
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.Write(ctx, websocket.MessageText, req); err != nil {
		t.Fatal(err)
	}
	for attached := false; !attached; { // hello, then the reply
		typ, data, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("%s: attach the media socket: %v", u.Name, err)
		}
		if typ != websocket.MessageText {
			continue
		}
		f, err := proto.DecodeFrame(data)
		if err != nil {
			t.Fatal(err)
		}
		if f.Type == proto.TypeReply && f.ID == "media" {
			if f.Error != nil {
				t.Fatalf("%s: call_media: %v", u.Name, f.Error)
			}
			attached = true
		}
	}
	p.ws = ws
	run, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	p.stop = stop
	go p.say(run, tone(freq, amp))
	go p.listen(run)
	return p
}

// say sends a frame of src every 20 ms, in real time as a microphone
// would (the server forwards at most 100 packets a second).
func (p *groupPeer) say(ctx context.Context, src func([]int16)) {
	opus, _ := codec.Lookup("opus")
	enc := opus.NewEncoder()
	frame := make([]int16, codec.FrameSamples)
	var payload, pkt []byte
	tick := time.NewTicker(codec.FrameDuration)
	defer tick.Stop()
	for seq := uint16(0); ; seq++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		src(frame)
		var err error
		if payload, err = enc.Encode(payload[:0], frame); err != nil {
			p.t.Errorf("%s: encode: %v", p.u.Name, err)
			return
		}
		pkt = proto.AppendPacket(pkt[:0], proto.AudioPacket{Call: p.call.Call, Seq: seq, Timestamp: uint32(seq) * codec.FrameSamples, Payload: payload})
		if p.ws.Write(ctx, websocket.MessageBinary, pkt) != nil {
			return
		}
	}
}

// listen decodes the group audio packets that come, one decoder a slot,
// and counts them in p.heard.
func (p *groupPeer) listen(ctx context.Context) {
	opus, _ := codec.Lookup("opus")
	var decs [proto.MaxGroupCall]codec.Decoder
	var pcm []int16
	for {
		typ, data, err := p.ws.Read(ctx)
		if err != nil {
			return
		}
		if typ != websocket.MessageBinary || len(data) == 0 || data[0] != proto.PacketVersion<<4|proto.PacketGroupAudio {
			continue
		}
		gp, err := proto.ParseGroupPacket(data)
		if err != nil || gp.Call != p.call.Call {
			continue
		}
		h := &p.heard[gp.Slot]
		h.packets.Add(1)
		if len(gp.Payload) == 0 {
			continue
		}
		h.payloads.Add(1)
		if decs[gp.Slot] == nil {
			decs[gp.Slot] = opus.NewDecoder()
		}
		if pcm, err = decs[gp.Slot].Decode(pcm[:0], gp.Payload); err != nil {
			continue
		}
		var e float64
		for _, s := range pcm {
			e += float64(s) * float64(s)
		}
		if math.Sqrt(e/float64(len(pcm))) > 100 { // well above silence and comfort noise
			h.loud.Add(1)
		}
	}
}

// waitHeard waits until p has decoded n frames with sound from slot.
func (p *groupPeer) waitHeard(b *browser, slot int, n int64) {
	b.t.Helper()
	h := &p.heard[slot]
	deadline := time.Now().Add(60 * time.Second)
	for h.loud.Load() < n {
		if time.Now().After(deadline) {
			b.fail("%s heard %d frames with sound from slot %d (%d packets, %d with a payload)",
				p.u.Name, h.loud.Load(), slot, h.packets.Load(), h.payloads.Load())
		}
		b.screen() // a frame of the browser's, or a second
	}
}

// leave hangs up, and p stops saying its tone.
func (p *groupPeer) leave(b *browser) {
	b.t.Helper()
	// First: the media socket's end alone would drop p from the call.
	if err := p.u.Conn.Call(ctxFor(b.t, 30*time.Second), proto.TypeCallHangup, proto.CallHangupRequest{Call: p.call.Call}, nil); err != nil {
		b.fail("%s: hang up: %v", p.u.Name, err)
	}
	p.stop()
	p.ws.CloseNow()
}

// waitPackets waits until n more packets came from slot: the browser
// sends one every 20 ms, muted or not.
func (p *groupPeer) waitPackets(b *browser, slot int, n int64) {
	b.t.Helper()
	h := &p.heard[slot]
	want := h.packets.Load() + n
	deadline := time.Now().Add(60 * time.Second)
	for h.packets.Load() < want {
		if time.Now().After(deadline) {
			b.fail("%s got %d packets from slot %d, want %d", p.u.Name, h.packets.Load(), slot, want)
		}
		b.screen()
	}
}

// groupState waits for a group_call_state push of p's call that ok
// accepts.
func (p *groupPeer) groupState(b *browser, what string, ok func(proto.GroupCallState) bool) proto.GroupCallState {
	b.t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case push := <-p.u.Pushes:
			if push.Type != proto.TypeGroupCallState {
				continue
			}
			var st proto.GroupCallState
			if err := json.Unmarshal(push.Body, &st); err != nil {
				p.t.Fatal(err)
			}
			if st.Call == p.call.Call && ok(st) {
				return st
			}
		case <-timeout:
			b.fail("%s: no group_call_state with %s", p.u.Name, what)
		}
	}
}

// A browser user joins a group call with two Go clients in it, each on
// the raw protocol saying a tone of its own loudness over its media
// WebSocket: the browser's leg is one RTCPeerConnection with 16 audio
// m-lines. The browser shows the participants and measures each one's
// tone on its slot (the loud one louder than the quiet one, so the slots
// are not mixed up); each Go client decodes the browser's microphone
// (Chromium's fake one) from the browser's slot; the browser leaves.
func TestBrowserJoinsAGroupCallWithTwoGoClients(t *testing.T) {
	web := buildWeb(t)
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) {
		c.WebDir, c.WebFont, c.WebEmojiFont = web, uitest.NotoCJKRegular, NotoColorEmoji
		c.UDP, c.UDPPublicIP = &rtc.Ports{}, "127.0.0.1"
	}))
	b := startBrowser(t)
	b.open(srv.HTTPURL + "/?automation")
	li := proto.UserID(b.signUp())
	group := proto.ConvID(b.createGroup())
	tom, ann := srv.NewUser(t, "Tom"), srv.NewUser(t, "Ann")
	for _, u := range []*nodetest.User{tom, ann} {
		if _, err := u.Conn.JoinGroup(ctxFor(t, 30*time.Second), group); err != nil {
			t.Fatal(err)
		}
	}

	// Tom starts the call (the browser rings), Ann joins it.
	tp := joinGroupCall(t, srv, tom, group, 440, 0.25) // −15 dBFS: 0.75 on the 60 dB scale
	ap := joinGroupCall(t, srv, ann, group, 660, 0.05) // −29 dBFS: 0.52
	if tp.call.Call != ap.call.Call {
		t.Fatalf("Tom is in call %d, Ann in %d", tp.call.Call, ap.call.Call)
	}
	b.clickFor("Join", "Leave")
	st := tp.groupState(b, "the browser in it", func(st proto.GroupCallState) bool { return len(st.Participants) == 3 })
	var slot int
	for _, p := range st.Participants {
		if p.ID == li {
			slot = p.Slot
		}
	}
	if want := []int{tp.call.Slot, ap.call.Slot}; slot == want[0] || slot == want[1] {
		t.Fatalf("the browser's slot %d is Tom's or Ann's (%v)", slot, want)
	}

	// The browser hears each Go client on its slot, at its loudness.
	level := func(cl callLevels, id proto.UserID) (float32, bool) {
		for _, p := range cl.Participants {
			if p.User.ID == id {
				return p.Level, p.Speaking
			}
		}
		return -1, false
	}
	cl := b.untilLevels("Tom and Ann heard in the browser", func(cl callLevels) bool {
		tl, ts := level(cl, tom.ID)
		al, _ := level(cl, ann.ID)
		return ts && tl > 0.65 && al > 0.4 && al < 0.62
	})
	tl, _ := level(cl, tom.ID)
	al, _ := level(cl, ann.ID)
	t.Logf("the browser (slot %d) measured Tom (slot %d) at %.2f, Ann (slot %d) at %.2f; its slots: %.2f",
		slot, tp.call.Slot, tl, ap.call.Slot, al, cl.Slots)
	// The call screen shows them, speaking.
	b.see("Tom in the call · Speaking")
	b.see("Ann in the call · Speaking")

	// Both Go clients hear the browser's microphone on its slot.
	tp.waitHeard(b, slot, 25)
	ap.waitHeard(b, slot, 25)
	for _, p := range []*groupPeer{tp, ap} {
		h := &p.heard[slot]
		t.Logf("%s got %d packets from the browser's slot, %d with Opus in them, %d decoding to sound", p.u.Name, h.packets.Load(), h.payloads.Load(), h.loud.Load())
	}

	// Muted, the browser sends silence, and the others see it muted:
	// once what was on the way has come (a second), a second more of it
	// has no sound. Unmuted, sound again.
	b.clickFor("Mute", "Unmute")
	tp.groupState(b, "the browser muted", func(st proto.GroupCallState) bool {
		i := slices.IndexFunc(st.Participants, func(p proto.CallParticipant) bool { return p.ID == li })
		return i >= 0 && st.Participants[i].Muted
	})
	tp.waitPackets(b, slot, 50)
	loud := tp.heard[slot].loud.Load()
	tp.waitPackets(b, slot, 50)
	if more := tp.heard[slot].loud.Load() - loud; more > 0 {
		t.Fatalf("muted, the browser still sent sound: %d frames", more)
	}
	b.clickFor("Unmute", "Mute")
	tp.waitHeard(b, slot, tp.heard[slot].loud.Load()+25)

	// Ann leaves and Bob joins: he takes her slot, and the browser hears
	// him on it, at his loudness.
	ap.leave(b)
	tp.groupState(b, "Ann gone", func(st proto.GroupCallState) bool { return len(st.Participants) == 2 })
	bob := srv.NewUser(t, "Bob")
	if _, err := bob.Conn.JoinGroup(ctxFor(t, 30*time.Second), group); err != nil {
		t.Fatal(err)
	}
	bp := joinGroupCall(t, srv, bob, group, 550, 0.5) // −9 dBFS: 0.85
	if bp.call.Slot != ap.call.Slot {
		t.Fatalf("Bob has slot %d, not Ann's %d", bp.call.Slot, ap.call.Slot)
	}
	cl = b.untilLevels("Bob heard in the browser on Ann's slot", func(cl callLevels) bool {
		bl, bs := level(cl, bob.ID)
		return bs && bl > 0.8
	})
	bl, _ := level(cl, bob.ID)
	t.Logf("the browser measured Bob (slot %d, Ann's) at %.2f", bp.call.Slot, bl)
	b.see("Bob in the call · Speaking")
	bp.waitHeard(b, slot, 25)

	// The browser leaves; the others stay in the call.
	b.click("Leave")
	tp.groupState(b, "the browser gone", func(st proto.GroupCallState) bool { return len(st.Participants) == 2 && !st.Ended })
}

// A browser user starts a call in a group from the conversation; a Go
// client (the raw protocol, saying a tone) joins it: each hears the
// other, and the call goes on with the Go client alone once the browser
// leaves.
func TestBrowserStartsAGroupCallThatAGoClientJoins(t *testing.T) {
	web := buildWeb(t)
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) {
		c.WebDir, c.WebFont, c.WebEmojiFont = web, uitest.NotoCJKRegular, NotoColorEmoji
		c.UDP, c.UDPPublicIP = &rtc.Ports{}, "127.0.0.1"
	}))
	b := startBrowser(t)
	b.open(srv.HTTPURL + "/?automation")
	li := proto.UserID(b.signUp())
	group := proto.ConvID(b.createGroup())
	tom := srv.NewUser(t, "Tom")
	if _, err := tom.Conn.JoinGroup(ctxFor(t, 30*time.Second), group); err != nil {
		t.Fatal(err)
	}
	b.click("学习小组 Study Group")
	b.see(fmt.Sprintf("#%d · 2 members · 2 online", group))
	b.clickFor("Start a group call", "Leave")
	b.untilLevels("the browser's call connected", func(cl callLevels) bool { return len(cl.Slots) == proto.MaxGroupCall })

	tp := joinGroupCall(t, srv, tom, group, 440, 0.25)
	slot := -1
	for _, p := range tp.call.Participants {
		if p.ID == li {
			slot = p.Slot
		}
	}
	if slot < 0 || len(tp.call.Participants) != 2 {
		t.Fatalf("Tom joined a call of %+v, want the browser's and his", tp.call.Participants)
	}
	b.untilLevels("Tom heard in the browser", func(cl callLevels) bool {
		for _, p := range cl.Participants {
			if p.User.ID == tom.ID {
				return p.Level > 0.65 && p.Speaking
			}
		}
		return false
	})
	tp.waitHeard(b, slot, 25)
	b.click("Leave")
	tp.groupState(b, "the browser gone", func(st proto.GroupCallState) bool { return len(st.Participants) == 1 && !st.Ended })
}

// clickFor clicks the control labelled s until then is on screen: a
// click can miss when what is under the pointer moves between the frame
// read and the click (the incoming card changes as people join).
func (b *browser) clickFor(s, then string) {
	b.t.Helper()
	const tries, framesToShow = 3, 5
	for try := 1; ; try++ {
		b.click(s)
		for range framesToShow {
			if _, ok := b.screen().Find(then); ok {
				return
			}
		}
		if try == tries {
			b.fail("%q not on screen after clicking %q %d times; on screen: %q", then, s, tries, b.screen().Texts())
		}
		sc := b.until(fmt.Sprintf("%q or %q on screen", then, s), func(sc uitest.Screen) bool {
			_, done := sc.Find(then)
			_, again := sc.Find(s)
			return done || again
		})
		if _, ok := sc.Find(then); ok {
			return
		}
	}
}
