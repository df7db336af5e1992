package model

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"parley/app/state"
	"parley/media/voice"
	"parley/server/node/nodetest"
)

// A voice message recorded while the server is down waits in the upload
// queue with its voice and goes when the server is back; the other side
// fetches it into its voice cache at once and plays it with the server gone,
// which marks it played, and the mark survives a restart of the app.
func TestVoiceRecordedOfflineIsSentAndPlayedOffline(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	liAudio, wangAudio := &virtualAudio{voice: true}, &virtualAudio{}
	li := newCallModel(t, srv, liAudio)
	wangDir := t.TempDir()
	wang := newTestModel(t, srv, wangDir, func(c *Config) { c.Audio = wangAudio })
	li.registerAndLogin(srv, "李华")
	wangU := wang.registerAndLogin(srv, "Wang")
	if err := li.OpenDirect(ctx, fmt.Sprint(wangU.ID)); err != nil {
		t.Fatal(err)
	}
	conv := li.waitFor("open", func(st state.State) bool { return st.Open != nil }).Open.ID

	srv.Stop()
	li.waitFor("offline", func(st state.State) bool { return st.Conn != state.Online })
	if err := li.StartRecording(ctx); err != nil {
		t.Fatal(err)
	}
	if err := li.StartRecording(ctx); err != nil { // a second start while recording changes nothing
		t.Fatal(err)
	}
	li.waitFor("a second recorded", func(st state.State) bool {
		r := st.Voice.Recording
		return r != nil && r.Conv == conv && r.Elapsed >= time.Second && r.Level > 0.5
	})
	if err := li.StopRecording(ctx, true); err != nil {
		t.Fatal(err)
	}
	st := li.waitFor("queued", func(st state.State) bool { return len(st.Transfers) == 1 && st.Voice.Recording == nil })
	rec, err := li.account().db.Transfer(ctx, st.Transfers[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Voice == nil || rec.Voice.DurationMS < 1000 || len(rec.Voice.Waveform) != min(voice.Levels, int(rec.Voice.DurationMS+19)/20) {
		t.Fatalf("the queued upload's voice is %+v", rec.Voice)
	}

	srv.Restart(t)
	li.waitFor("sent", func(st state.State) bool {
		return len(st.Transfers) == 1 && st.Transfers[0].State == state.TransferDone
	})
	if _, err := os.Stat(rec.Path); !os.IsNotExist(err) {
		t.Fatalf("the recording's staged file is still there: %v", err)
	}
	wang.waitFor("the conversation", func(st state.State) bool { return len(st.Conversations) > 0 })
	if err := wang.Open(ctx, conv); err != nil {
		t.Fatal(err)
	}
	st = wang.waitFor("the voice message", func(st state.State) bool {
		return st.Open != nil && slices.ContainsFunc(st.Open.Messages, func(m state.Message) bool { return state.IsVoice(m.File) })
	})
	// It is fetched into the cache at once, and shows its voice (from
	// the server, or read from the file where the server does not pass
	// it on).
	cached := func(id string) bool {
		_, err := os.Stat(filepath.Join(wangDir, "voice", id))
		return err == nil
	}
	st = wang.waitFor("the voice message cached", func(st state.State) bool {
		i := slices.IndexFunc(st.Open.Messages, func(m state.Message) bool { return state.IsVoice(m.File) })
		return i >= 0 && st.Open.Messages[i].File.Voice != nil && cached(st.Open.Messages[i].File.ID)
	})
	msg := st.Open.Messages[slices.IndexFunc(st.Open.Messages, func(m state.Message) bool { return state.IsVoice(m.File) })]
	if d := msg.File.Voice.DurationMS - rec.Voice.DurationMS; d < -20 || d > 20 || len(msg.File.Voice.Waveform) != len(rec.Voice.Waveform) {
		t.Fatalf("the message's voice is %d ms, %d levels; %d ms, %d levels were sent",
			msg.File.Voice.DurationMS, len(msg.File.Voice.Waveform), rec.Voice.DurationMS, len(rec.Voice.Waveform))
	}
	if !st.Voice.Unplayed(msg) {
		t.Fatal("not unplayed before playing")
	}
	if _, err := os.Stat(filepath.Join(li.cfg.DataDir, "voice", msg.File.ID)); err != nil {
		t.Fatalf("the sender's recording is not in its voice cache: %v", err)
	}
	srv.Stop() // from here on, offline
	play := func(what string) {
		t.Helper()
		before := wangAudio.toneHeard.Load()
		if err := wang.PlayVoice(ctx, conv, msg.Seq); err != nil {
			t.Fatal(err)
		}
		wang.waitFor(what, func(st state.State) bool {
			p := st.Voice.Playing
			return p != nil && !p.Loading && !p.Playing && p.Position == 0 && wangAudio.toneHeard.Load() > before
		})
	}
	play("played")
	if st := wang.State(); st.Voice.Unplayed(msg) || st.Voice.Playing.Length < time.Second {
		t.Fatalf("after playing: unplayed %v, %+v", st.Voice.Unplayed(msg), st.Voice.Playing)
	}
	play("played again")

	// Another message (mine) played and sought at once, as a click on
	// its waveform does: the seek waits for the file if it must, and only
	// the rest after it plays.
	mineSt := li.waitFor("my voice message", func(st state.State) bool {
		return st.Open != nil && slices.ContainsFunc(st.Open.Messages, func(m state.Message) bool { return state.IsVoice(m.File) })
	})
	mine := mineSt.Open.Messages[slices.IndexFunc(mineSt.Open.Messages, func(m state.Message) bool { return state.IsVoice(m.File) })]
	before := liAudio.toneHeard.Load()
	if err := li.PlayVoice(ctx, conv, mine.Seq); err != nil {
		t.Fatal(err)
	}
	li.SeekVoice(time.Duration(rec.Voice.DurationMS-200) * time.Millisecond)
	li.waitFor("played from the seek to the end", func(st state.State) bool {
		p := st.Voice.Playing
		return p != nil && !p.Loading && !p.Playing && p.Position == 0 && liAudio.toneHeard.Load() > before
	})
	if n := liAudio.toneHeard.Load() - before; n > 20 { // 0.2 s is 10 frames; the whole message 55
		t.Fatalf("%d frames played after a seek to 0.2 s before the end", n)
	}

	wang.Close()
	again := newTestModel(t, srv, wangDir, func(c *Config) { c.Audio = wangAudio })
	again.waitFor("the played marks", func(st state.State) bool { return st.Voice.Played[msg.File.ID] })
}

// Cancel discards a recording: nothing is queued and nothing is left in
// the data folder.
func TestVoiceRecordingCancelled(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	li := newCallModel(t, srv, &virtualAudio{voice: true})
	li.registerAndLogin(srv, "李华")
	if err := li.StartRecording(ctx); err == nil {
		t.Fatal("recording with no conversation open")
	}
	wang := newCallModel(t, srv, &virtualAudio{})
	wangU := wang.registerAndLogin(srv, "Wang")
	if err := li.OpenDirect(ctx, fmt.Sprint(wangU.ID)); err != nil {
		t.Fatal(err)
	}
	li.waitFor("open", func(st state.State) bool { return st.Open != nil })
	if err := li.StartRecording(ctx); err != nil {
		t.Fatal(err)
	}
	li.waitFor("recording", func(st state.State) bool { return st.Voice.Recording != nil && st.Voice.Recording.Elapsed > 0 })
	staging := li.account().files.staging
	if entries, _ := os.ReadDir(staging); len(entries) != 1 {
		t.Fatalf("%d folders staged while recording", len(entries))
	}
	if err := li.StopRecording(ctx, false); err != nil {
		t.Fatal(err)
	}
	if st := li.State(); st.Voice.Recording != nil || len(st.Transfers) != 0 {
		t.Fatalf("after cancel: %+v, %d transfers", st.Voice.Recording, len(st.Transfers))
	}
	if entries, _ := os.ReadDir(staging); len(entries) != 0 {
		t.Fatalf("%d folders left staged", len(entries))
	}
	if err := li.StopRecording(ctx, true); err != nil { // nothing to stop
		t.Fatal(err)
	}
}

// A recording that reaches its limit lets go of the microphone at once
// (the system's microphone indicator goes off) while it waits to be sent,
// and what it recorded is still sent.
func TestARecordingAtItsLimitReleasesTheMicrophone(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	mic := &virtualAudio{voice: true, exclusive: true}
	li := newTestModel(t, srv, t.TempDir(), func(c *Config) { c.Audio, c.VoiceLimit = mic, time.Second })
	li.registerAndLogin(srv, "李华")
	if err := li.CreateGroup(ctx, "voice"); err != nil {
		t.Fatal(err)
	}
	g := li.waitFor("the group", func(st state.State) bool { return len(st.Conversations) == 1 }).Conversations[0]
	if err := li.Open(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	li.waitFor("open", func(st state.State) bool { return st.Open != nil })
	if err := li.StartRecording(ctx); err != nil {
		t.Fatal(err)
	}
	if !mic.taken.Load() {
		t.Fatal("recording did not open the microphone")
	}
	li.waitFor("the limit", func(st state.State) bool { return st.Voice.Recording != nil && st.Voice.Recording.Full })
	if mic.taken.Load() {
		t.Fatal("the microphone is still open while the full recording waits")
	}
	if err := li.StopRecording(ctx, true); err != nil {
		t.Fatal(err)
	}
	li.waitFor("the voice message sent", func(st state.State) bool {
		return st.Open != nil && slices.ContainsFunc(st.Open.Messages, func(m state.Message) bool {
			return m.Status.Stored() && state.IsVoice(m.File) && m.File.Voice.DurationMS >= 900
		})
	})
}

// Voice files kept in memory (a browser page without Cache Storage) stay
// within voiceMemory: the oldest go first, and the one just fetched stays
// even when it alone is larger.
func TestVoiceFilesKeptInMemoryAreBounded(t *testing.T) {
	var v voices
	third := make([]byte, voiceMemory/3+1)
	for i := range 4 {
		v.remember(fmt.Sprint("f", i), third)
	}
	if _, ok := v.mem["f0"]; ok || len(v.mem) != 2 || v.memBytes != 2*len(third) {
		t.Fatalf("kept %d files, %d bytes; want the newest 2", len(v.mem), v.memBytes)
	}
	v.remember("huge", make([]byte, voiceMemory+1))
	if _, ok := v.mem["huge"]; !ok || len(v.mem) != 1 {
		t.Fatalf("kept %d files; want the huge one only", len(v.mem))
	}
}
