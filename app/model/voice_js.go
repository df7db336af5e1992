//go:build js

package model

import (
	"context"
	"sync"
	"syscall/js"
	"time"
)

// browserVoice plays a voice message with the browser's own audio: an
// <audio> element on a Blob URL of the Ogg Opus file (the browser build
// has no audio backend). The browser keeps the pitch at 1.5× and 2×
// itself (preservesPitch, on by default).
type browserVoice struct {
	mu     sync.Mutex
	el     js.Value
	url    string
	length time.Duration
	funcs  []js.Func
}

func newVoiceOut(m *Model, ctx context.Context, data []byte) (voiceOut, error) {
	length, err := voiceLength(data)
	if err != nil {
		return nil, err
	}
	arr := js.Global().Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(arr, data)
	blob := js.Global().Get("Blob").New([]any{arr}, map[string]any{"type": "audio/ogg"})
	url := js.Global().Get("URL").Call("createObjectURL", blob).String()
	el := js.Global().Get("Audio").New(url)
	el.Set("preload", "auto")
	b := &browserVoice{el: el, url: url, length: length}
	ended := js.FuncOf(func(js.Value, []js.Value) any {
		el.Set("currentTime", 0) // back to the start, paused
		return nil
	})
	b.funcs = append(b.funcs, ended)
	el.Call("addEventListener", "ended", ended)
	return b, nil
}

func (b *browserVoice) Play() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.el.Call("play") // a promise; a refusal (autoplay) leaves it paused
	return nil
}

func (b *browserVoice) Pause() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.el.Call("pause")
}

func (b *browserVoice) SeekTo(d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.el.Set("currentTime", d.Seconds())
}

func (b *browserVoice) SetSpeed(speed float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.el.Set("playbackRate", speed)
}

func (b *browserVoice) Position() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return time.Duration(b.el.Get("currentTime").Float() * float64(time.Second))
}

func (b *browserVoice) Length() time.Duration { return b.length }

func (b *browserVoice) Playing() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.el.Get("paused").Bool()
}

func (b *browserVoice) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.el.Call("pause")
	js.Global().Get("URL").Call("revokeObjectURL", b.url)
	for _, f := range b.funcs {
		f.Release()
	}
	b.funcs = nil
}
