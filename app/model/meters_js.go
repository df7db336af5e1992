//go:build js

package model

// Levels of a browser call, measured with WebAudio: one AnalyserNode on
// the microphone and one on each received track (a group call's slot),
// read at every tick of the call (callTick, ten times a second). They
// only listen: what plays goes through the <audio> elements of
// calls_js.go (Chromium plays a remote WebRTC track to WebAudio only
// while a media element plays it too), and the browser mixes those.

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"net/url"
	"strings"
	"sync"
	"syscall/js"
	"time"

	"parley/app/state"
)

const (
	// meterWindow is the samples an analyser holds (its fftSize): 85 ms
	// at 48 kHz, most of a tick.
	meterWindow = 4096
	// meterFrame is the piece of the window measured at once: 20 ms at
	// 48 kHz, a call's frame, as media/call's meter measures.
	meterFrame = 960
	// meterFall is how far a level falls in a tick at most: 1/150 of the
	// scale per 20 ms (about 20 dB a second), as media/call's meter.
	meterFall = float32(callTick/(20*time.Millisecond)) / 150
	// webSpeakingLevel is the level above which someone on a slot is
	// speaking (−40 dBFS), and webSpeakingHold how long they still are
	// after it, as media/call's group slots.
	webSpeakingLevel = 1 - 40.0/60
	webSpeakingHold  = 300 * time.Millisecond
)

// meter is one analyser and what it measured.
type meter struct {
	node, samples, bytes js.Value // the AnalyserNode, its Float32Array and a byte view of it
	buf                  []byte
	level                float32
	loud                 time.Time // the last time level was above webSpeakingLevel
}

// meters measures a call's microphone and received tracks.
type meters struct {
	ctx   js.Value // the AudioContext
	mic   *meter
	slots []*meter // by received track (slot), nil where none
}

// newMeters makes an AudioContext for the call's meters; nil if this
// browser has no WebAudio (the call goes on without levels).
func newMeters(slots int) *meters {
	ac := js.Global().Get("AudioContext")
	if !ac.Truthy() {
		return nil
	}
	ms := &meters{ctx: ac.New(), slots: make([]*meter, slots)}
	if ms.ctx.Get("state").String() == "suspended" {
		ms.ctx.Call("resume") // no autoplay yet: a later call may start it
	}
	return ms
}

// listen makes a meter of the tracks in stream.
func (ms *meters) listen(stream js.Value) *meter {
	src := ms.ctx.Call("createMediaStreamSource", stream)
	node := ms.ctx.Call("createAnalyser")
	node.Set("fftSize", meterWindow)
	node.Set("smoothingTimeConstant", 0)
	src.Call("connect", node)
	samples := js.Global().Get("Float32Array").New(meterWindow)
	return &meter{
		node:    node,
		samples: samples,
		bytes:   js.Global().Get("Uint8Array").New(samples.Get("buffer")),
		buf:     make([]byte, 4*meterWindow),
	}
}

// measure reads the analyser's window and updates the level: the
// loudest 20 ms in it on media/call's 60 dB scale, or the last level
// fallen by a tick's worth if that is more.
func (mt *meter) measure(now time.Time) {
	mt.node.Call("getFloatTimeDomainData", mt.samples)
	js.CopyBytesToGo(mt.buf, mt.bytes)
	level := frameLevels(mt.buf)
	if fallen := mt.level - meterFall; level < fallen {
		level = fallen
	}
	mt.level = max(0, level)
	if mt.level > webSpeakingLevel {
		mt.loud = now
	}
}

// speaking says whether the level was above webSpeakingLevel within
// webSpeakingHold.
func (mt *meter) speaking(now time.Time) bool {
	return !mt.loud.IsZero() && now.Sub(mt.loud) <= webSpeakingHold
}

// frameLevels is the loudest meterFrame of buf (little-endian float32
// samples, full scale 1) on the 60 dB scale: 0 at −60 dBFS RMS or
// below, 1 at full scale.
func frameLevels(buf []byte) float32 {
	var loudest float32
	n := len(buf) / 4
	for start := 0; start < n; start += meterFrame {
		end := min(n, start+meterFrame)
		var sum float64
		for i := start; i < end; i++ {
			s := float64(math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:])))
			sum += s * s
		}
		if rms := math.Sqrt(sum / float64(end-start)); rms > 0 {
			loudest = max(loudest, float32(max(0, 1+20*math.Log10(rms)/60)))
		}
	}
	return loudest
}

// measure updates every meter.
func (ms *meters) measure(now time.Time) {
	if ms.mic != nil {
		ms.mic.measure(now)
	}
	for _, mt := range ms.slots {
		if mt != nil {
			mt.measure(now)
		}
	}
}

func (ms *meters) close() { ms.ctx.Call("close") }

// automation says whether the page was opened with ?automation, the
// end-to-end tests' hook (app/automation_js.go).
var automation = sync.OnceValue(func() bool {
	q, _ := url.ParseQuery(strings.TrimPrefix(js.Global().Get("location").Get("search").String(), "?"))
	return q.Has("automation")
})

// callLevels is what publishLevels puts on the page.
type callLevels struct {
	Level        float32                 `json:"level"` // the call's (my microphone's)
	Slots        []float32               `json:"slots"` // each received track's, by slot
	Participants []state.CallParticipant `json:"participants"`
}

// publishLevels puts the call's levels in globalThis.parleyCallLevels
// (JSON) for the end-to-end tests, which cannot see the level meters:
// only on a page opened with ?automation.
func publishLevels(ms *meters, view state.Call) {
	if !automation() {
		return
	}
	cl := callLevels{Level: view.Level, Slots: make([]float32, len(ms.slots)), Participants: view.Participants}
	for i, mt := range ms.slots {
		if mt != nil {
			cl.Slots[i] = mt.level
		}
	}
	b, err := json.Marshal(cl)
	if err != nil {
		return
	}
	js.Global().Set("parleyCallLevels", string(b))
}
