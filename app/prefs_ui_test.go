package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"parley/app/model"
	"parley/ui"
)

func TestLanguageAndThemeChoicesAreRemembered(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	win := &window{ctx: ctx, log: log, lanes: map[string]*lane{}, prefs: prefsFile{path: filepath.Join(t.TempDir(), "ui.json")}}
	saved := make(chan uiPrefs, 3)
	// Each save runs on the prefs lane; queue a probe behind it.
	step := func(ev ui.Prefs) uiPrefs {
		win.dispatch(ev)
		win.lanes["prefs"].push(func() { saved <- win.prefs.load(log) })
		return <-saved
	}
	if p := step(ui.Prefs{Lang: ui.Chinese}); p != (uiPrefs{Lang: "zh-CN"}) {
		t.Fatalf("after switching the language: %+v; the theme should still follow the system", p)
	}
	if p := step(ui.Prefs{Lang: ui.Chinese, Dark: true, ThemeSwitched: true}); p != (uiPrefs{Lang: "zh-CN", Theme: "dark"}) {
		t.Fatalf("after switching the theme: %+v", p)
	}
	if p := step(ui.Prefs{Lang: ui.English, Dark: true}); p != (uiPrefs{Lang: "en", Theme: "dark"}) {
		t.Fatalf("switching the language forgot the theme: %+v", p)
	}
}

func TestEchoCancellingIsSwitchedAndRemembered(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	dir := t.TempDir()
	m, err := model.NewModel(model.Config{DataDir: dir, Server: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	win := &window{ctx: ctx, log: log, m: m, lanes: map[string]*lane{}, prefs: prefsFile{path: filepath.Join(dir, "ui.json")}}
	if err := win.prefs.save(uiPrefs{Lang: "zh-CN"}); err != nil {
		t.Fatal(err)
	}
	saved := make(chan uiPrefs, 1)
	step := func(on bool) uiPrefs {
		win.dispatch(ui.SetEchoCancelling{On: on})
		win.lanes["prefs"].push(func() { saved <- win.prefs.load(log) })
		return <-saved
	}
	echoOff := func() bool { _, _, off := m.AudioChoice(); return off }
	if p := step(false); p != (uiPrefs{Lang: "zh-CN", EchoOff: true}) || !echoOff() {
		t.Fatalf("switched off: saved %+v, model off %v", p, echoOff())
	}
	if p := step(true); p != (uiPrefs{Lang: "zh-CN"}) || echoOff() {
		t.Fatalf("switched on: saved %+v, model off %v", p, echoOff())
	}

	// The sound devices chosen are remembered too.
	win.dispatch(ui.SelectDevices{Input: "mic1", Output: "spk1"})
	chosen := make(chan [2]string, 1)
	win.lanes["devices"].push(func() {
		in, out, _ := m.AudioChoice()
		chosen <- [2]string{in, out}
	})
	if got := <-chosen; got != [2]string{"mic1", "spk1"} {
		t.Fatalf("the model uses %q", got)
	}
	win.lanes["prefs"].push(func() { saved <- win.prefs.load(log) })
	if p := <-saved; p != (uiPrefs{Lang: "zh-CN", Input: "mic1", Output: "spk1"}) {
		t.Fatalf("devices chosen: saved %+v", p)
	}
}

// The voice messages' playback speed is remembered: saved when chosen,
// and given back to a new model at start.
func TestVoiceSpeedIsRemembered(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	dir := t.TempDir()
	m, err := model.NewModel(model.Config{DataDir: dir, Server: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	win := &window{ctx: ctx, log: log, m: m, lanes: map[string]*lane{}, prefs: prefsFile{path: filepath.Join(dir, "ui.json")}}
	saved := make(chan uiPrefs, 1)
	step := func(speed float64) uiPrefs {
		win.dispatch(ui.VoiceSpeed{Speed: speed})
		win.lanes["prefs"].push(func() { saved <- win.prefs.load(log) })
		return <-saved
	}
	if p := step(2); p != (uiPrefs{VoiceSpeed: 2}) {
		t.Fatalf("chose 2×: saved %+v", p)
	}
	m2, err := model.NewModel(model.Config{DataDir: t.TempDir(), Server: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	win.prefs.load(log).apply(m2)
	if got := m2.State().Voice.SpeedOr1(); got != 2 {
		t.Fatalf("a new start plays at %v×, want 2×", got)
	}
	if p := step(1); p != (uiPrefs{}) {
		t.Fatalf("back to 1×: saved %+v", p)
	}
}
