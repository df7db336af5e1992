package web

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"parley/app/model"
	"parley/app/state"
	"parley/media/audio"
	"parley/net/proto"
	"parley/server/node"
	"parley/server/node/nodetest"
	"parley/server/rtc"
	"parley/ui/uitest"
)

// hearing is a Go client's sound devices: a microphone saying say (nil:
// silence), and a speaker that counts the call's frames it plays, and
// those with sound.
type hearing struct {
	played, loud atomic.Int64
	say          func([]int16)
}

func (h *hearing) Devices() ([]audio.Device, []audio.Device, error) {
	d := []audio.Device{{ID: "virtual", Name: "Virtual", Default: true}}
	return d, d, nil
}

func (h *hearing) Open(_ context.Context, _, _ string, capture bool) (model.AudioStream, error) {
	sink := func(f []int16) {
		if !capture { // a ring tone
			return
		}
		h.played.Add(1)
		var e float64
		for _, s := range f {
			e += float64(s) * float64(s)
		}
		if e/float64(len(f)) > 100*100 { // well above silence and comfort noise
			h.loud.Add(1)
		}
	}
	var say func([]int16)
	if capture {
		say = h.say
	}
	return virtualStream{audio.NewVirtual(say, sink)}, nil
}

// tone says a sine of freq Hz at amp of full scale, frame after frame.
func tone(freq, amp float64) func([]int16) {
	var n int
	return func(f []int16) {
		for i := range f {
			f[i] = int16(amp * 32767 * math.Sin(2*math.Pi*freq*float64(n)/48000))
			n++
		}
	}
}

// callLevels is what the browser app measured of its call, as it puts it
// on a page opened with ?automation (app/model/meters_js.go).
type callLevels struct {
	Level        float32   `json:"level"` // the microphone's
	Slots        []float32 `json:"slots"` // each received track's
	Participants []struct {
		User     proto.User `json:"User"`
		Slot     int        `json:"Slot"`
		Me       bool       `json:"Me"`
		Level    float32    `json:"Level"`
		Speaking bool       `json:"Speaking"`
	} `json:"participants"`
}

// untilLevels reads the browser's call levels about ten times a second
// (as often as it measures them) until ok holds, failing after a
// generous deadline; it returns the last ones read.
func (b *browser) untilLevels(what string, ok func(callLevels) bool) callLevels {
	b.t.Helper()
	const next = `new Promise((resolve) => setTimeout(() => resolve(globalThis.parleyCallLevels || "{}"), 100))`
	deadline := time.Now().Add(60 * time.Second)
	for {
		var raw string
		if err := b.dt.eval(ctxFor(b.t, 30*time.Second), next, &raw); err != nil {
			b.fail("read the call's levels: %v", err)
		}
		var cl callLevels
		if err := json.Unmarshal([]byte(raw), &cl); err != nil {
			b.fail("decode the call's levels %q: %v", raw, err)
		}
		if ok(cl) {
			return cl
		}
		if time.Now().After(deadline) {
			b.fail("timed out waiting for %s; the call's levels: %s", what, raw)
		}
	}
}

type virtualStream struct{ *audio.Virtual }

func (virtualStream) Close() error { return nil }

// A browser user calls a Go client through a server with UDP on: the
// browser's own microphone (Chromium's fake one, a tone), Opus and
// RTCPeerConnection carry the call; the Go client answers, hears it, and
// hangs up; the browser's call bar shows the call over UDP, then its end.
func TestBrowserCallsAGoClientOverUDP(t *testing.T) {
	web := buildWeb(t)
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) {
		c.WebDir, c.WebFont, c.WebEmojiFont = web, uitest.NotoCJKRegular, NotoColorEmoji
		c.UDP, c.UDPPublicIP = &rtc.Ports{}, "127.0.0.1"
	}))
	ears := &hearing{say: tone(440, 0.25)}
	wang, wangID, changed, waitState := goCallee(t, srv, ears)
	ctx := ctxFor(t, 3*time.Minute)

	b := startBrowser(t)
	b.open(srv.HTTPURL + "/?automation")
	b.signUp()
	b.click("Call a user ID…")
	b.enter("User ID to call", fmt.Sprint(wangID), func() { b.typeText(fmt.Sprint(wangID)) })
	b.click("Call")

	waitState("the browser's call ringing", func(st state.State) bool { return st.Call != nil && st.Call.State == state.CallIncoming })
	if err := wang.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	b.seeMatch(regexp.MustCompile(`^In call · .* · via UDP$`))
	// The Go client hears the browser's microphone: half a second of
	// frames with sound in them.
	var heard int64
	deadline := time.Now().Add(60 * time.Second)
	for heard = ears.loud.Load(); heard < 25; heard = ears.loud.Load() {
		if time.Now().After(deadline) {
			b.fail("the Go client heard %d frames with sound from the browser", heard)
		}
		select {
		case <-changed:
		case <-time.After(100 * time.Millisecond):
		}
	}
	if c := wang.State().Call; c == nil || c.State != state.CallActive {
		t.Fatalf("the Go client's call: %+v, want active", c)
	}
	// The browser measures both ends of the call: its microphone, and
	// the Go client's tone on the track it receives.
	cl := b.untilLevels("the browser's microphone and the Go client's tone measured", func(cl callLevels) bool {
		return cl.Level > 0.3 && len(cl.Slots) == 1 && cl.Slots[0] > 0.6
	})
	t.Logf("the browser measured its microphone at %.2f, the Go client's tone at %.2f", cl.Level, cl.Slots[0])
	playMore := func(n int64) {
		t.Helper()
		from := ears.played.Load()
		deadline := time.Now().Add(60 * time.Second)
		for ears.played.Load() < from+n {
			if time.Now().After(deadline) {
				b.fail("the Go client played no more of the call")
			}
			select {
			case <-changed:
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	// Unmuted, a second of the call has sound in it (the control for
	// the check below).
	loud := ears.loud.Load()
	playMore(50)
	if ears.loud.Load() == loud {
		t.Fatal("a second of the unmuted call had no sound")
	}
	// Muted in the browser (the track disabled), the browser sends
	// silence: once what was on the way has played (a second), the Go
	// client plays a second more of it with no sound.
	b.click("Mute")
	b.see("Unmute")
	playMore(50)
	loud = ears.loud.Load()
	playMore(50)
	if more := ears.loud.Load() - loud; more > 0 {
		t.Fatalf("muted, the browser still sent sound: %d loud frames", more)
	}
	b.click("Unmute")
	loud = ears.loud.Load()
	for range 100 { // up to 10 s of the call
		if ears.loud.Load() >= loud+25 {
			break
		}
		playMore(10)
	}
	if ears.loud.Load() < loud+25 {
		t.Fatal("unmuted, the browser sends no sound")
	}
	if err := wang.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	b.seeMatch(regexp.MustCompile(`^Call ended \(`))
}

// goCallee is a Go client (the model, with ears as its sound devices)
// registered and logged in at srv: its ID, a channel told of its state
// changes, and a wait for its state.
func goCallee(t *testing.T, srv *nodetest.Server, ears *hearing) (*model.Model, int64, chan struct{}, func(string, func(state.State) bool)) {
	t.Helper()
	changed := make(chan struct{}, 1)
	wang, err := model.NewModel(model.Config{
		DataDir: t.TempDir(), Server: srv.HTTPURL, Device: "test", Audio: ears,
		Invalidate: func() {
			select {
			case changed <- struct{}{}:
			default:
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wang.Close() })
	ctx := ctxFor(t, 30*time.Second)
	if err := wang.Register(ctx, srv.HTTPURL, "Wang", "secret-password", "secret-password"); err != nil {
		t.Fatal(err)
	}
	wangID := wang.State().Registered.ID
	waitState := func(what string, ok func(state.State) bool) {
		t.Helper()
		deadline := time.After(90 * time.Second)
		for !ok(wang.State()) {
			select {
			case <-changed:
			case <-deadline:
				t.Fatalf("the Go client: timed out waiting for %s; state: %+v", what, wang.State().Call)
			}
		}
	}

	return wang, int64(wangID), changed, waitState
}

// On a server with UDP off the browser has no carrier for a call: once
// the Go client answers, the call ends there at once, and the browser says
// that its calls need UDP on this server.
func TestBrowserCallsNeedUDPOnTheServer(t *testing.T) {
	srv := serveWeb(t)
	wang, _, _, waitState := goCallee(t, srv, &hearing{})
	b := startBrowser(t)
	b.open(srv.HTTPURL + "/?automation")
	li := b.signUp()
	// The server's hello said it has UDP off: no way to call, from the
	// start (not only after a call failed).
	b.until("no way to call a user ID", func(sc uitest.Screen) bool {
		_, ok := sc.Find("Call a user ID…")
		return !ok
	})
	// A call from the desktop rings here and says why it cannot be
	// answered in the browser.
	if err := wang.Call(ctxFor(t, 30*time.Second), fmt.Sprint(li)); err != nil {
		t.Fatal(err)
	}
	b.see("Calls in the browser need UDP on this server, which has it off: use the desktop app")
	if err := wang.Hangup(ctxFor(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	waitState("the call's end", func(st state.State) bool { return st.Call != nil && st.Call.State == state.CallEnded })
}

// A Go client calls the browser: the browser rings, answers, sends its
// microphone, and hangs up.
func TestBrowserAnswersACallFromAGoClient(t *testing.T) {
	web := buildWeb(t)
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) {
		c.WebDir, c.WebFont, c.WebEmojiFont = web, uitest.NotoCJKRegular, NotoColorEmoji
		c.UDP, c.UDPPublicIP = &rtc.Ports{}, "127.0.0.1"
	}))
	ears := &hearing{}
	wang, _, changed, waitState := goCallee(t, srv, ears)
	b := startBrowser(t)
	b.open(srv.HTTPURL + "/?automation")
	li := b.signUp()
	if err := wang.Call(ctxFor(t, 30*time.Second), fmt.Sprint(li)); err != nil {
		t.Fatal(err)
	}
	b.click("Accept")
	b.seeMatch(regexp.MustCompile(`^In call · .* · via UDP$`))
	waitState("the call active", func(st state.State) bool { return st.Call != nil && st.Call.State == state.CallActive })
	deadline := time.Now().Add(60 * time.Second)
	for ears.loud.Load() < 25 {
		if time.Now().After(deadline) {
			b.fail("the Go client heard %d frames with sound from the browser", ears.loud.Load())
		}
		select {
		case <-changed:
		case <-time.After(100 * time.Millisecond):
		}
	}
	b.click("Hang up")
	b.seeMatch(regexp.MustCompile(`^Call ended \(`))
	waitState("the call's end, by the browser", func(st state.State) bool {
		return st.Call != nil && st.Call.State == state.CallEnded && int64(st.Call.EndedBy) == li
	})
}
