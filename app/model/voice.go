package model

// Voice messages, the model's side: recording into an Ogg Opus file as
// it is captured (media/voice, on the devices of Config.Audio, as calls
// use them), sending it as a file upload that carries the voice (length
// and waveform) through the same resumable queue as files (transfers.go:
// one recorded offline goes when the connection returns, and after a
// restart), fetching a received one into the voice cache
// (DataDir/voice/<file ID>, so it plays offline) and playing it, and the
// played marks kept in the store (the others' voice messages not marked
// are "unplayed").

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"parley/app/model/filecache"
	"parley/app/state"
	"parley/media/voice"
	"parley/net/client"
	"parley/net/proto"
	"parley/store"
)

// Voice tuning.
const (
	voiceTick = 100 * time.Millisecond // the recorder's meter and the player's position
	// minVoice: a shorter recording is a slip of the finger on the
	// microphone button, and is dropped rather than sent.
	minVoice = 500 * time.Millisecond
	// maxVoiceFetch bounds a voice file fetched: 15 minutes at Opus's
	// highest speech rates is far less.
	maxVoiceFetch = 32 << 20
)

// voices is an account's recorder and player.
type voices struct {
	mu   sync.Mutex
	rec  *recording
	play *playing
	// mem keeps fetched files that could not be kept in the file cache
	// (a browser page without Cache Storage), the newest up to
	// voiceMemory bytes; order is oldest first.
	mem      map[string][]byte
	memOrder []string
	memBytes int

	// Received voice messages are fetched into the cache as soon as the
	// open conversation shows them (voice files are small), so they play
	// at once and offline.
	tried   map[string]bool        // file IDs fetched or being fetched since start-up
	infos   map[string]proto.Voice // analysed here: the server did not pass the voice on
	queue   []proto.File           // to fetch, oldest first
	working bool                   // a fetcher runs
}

type recording struct {
	conv   proto.ConvID
	id     string // the transfer ID it will be sent as
	path   string
	file   *os.File
	stream AudioStream
	rec    *voice.Recorder
	cancel context.CancelFunc // ends the meter
	done   chan struct{}      // the meter ended
	closed sync.Once          // the stream's Close
}

// release closes the recording's microphone (once): at the limit, so
// that the system's microphone indicator goes off while the recording
// waits to be sent, and at the end.
func (r *recording) release() { r.closed.Do(func() { r.stream.Close() }) }

type playing struct {
	view   state.Playback
	out    voiceOut           // nil while loading
	seek   time.Duration      // asked for while loading; -1 none
	cancel context.CancelFunc // ends the loading and the position ticker
}

// voiceOut plays one voice message: media/audio on devices
// (voice_other.go), the browser's own audio element in the browser
// (voice_js.go). Its methods return at once.
type voiceOut interface {
	Play() error // from the position
	Pause()
	SeekTo(d time.Duration)
	SetSpeed(speed float64)
	Position() time.Duration
	Length() time.Duration
	Playing() bool // false once paused or at the end
	Close()
}

// loadPlayed publishes the played marks kept in the store.
func (a *account) loadPlayed() {
	played, err := a.db.Played(a.ctx)
	if err != nil {
		a.m.log.Error("read the played voice messages", "err", err)
		return
	}
	a.m.update(func(st *state.State) { st.Voice.Played = played })
}

// ---- Recording ----

// StartRecording starts recording a voice message for the open
// conversation, from the chosen microphone. The recording shows in
// State.Voice.Recording (length and level); StopRecording sends or
// discards it. At voice.MaxDuration it stops by itself and waits there.
func (m *Model) StartRecording(ctx context.Context) error {
	a := m.account()
	if a == nil {
		return m.fail(errLoggedOut)
	}
	a.mu.Lock()
	conv := a.open
	a.mu.Unlock()
	if conv == 0 {
		return m.fail(badInput(state.InputNoConversation, "open a conversation first"))
	}
	if a.files == nil || a.files.staging == "" {
		return m.fail(badInput(state.InputNoMicrophone, "no microphone here: %s", "this app cannot record"))
	}
	a.voice.mu.Lock()
	defer a.voice.mu.Unlock()
	if a.voice.rec != nil {
		return nil // already recording
	}
	r := &recording{conv: conv, id: client.NewClientID(), done: make(chan struct{})}
	dir := filepath.Join(a.files.staging, r.id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return m.fail(fmt.Errorf("record: %w", fileErrorKind(err)))
	}
	r.path = filepath.Join(dir, "voice-"+m.cfg.Now().Format("20060102-150405")+".ogg")
	f, err := os.OpenFile(r.path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		os.RemoveAll(dir)
		return m.fail(fmt.Errorf("record: %w", fileErrorKind(err)))
	}
	r.file = f
	input, output, _ := m.AudioChoice()
	st, err := m.openChosen(ctx, m.callAudio(), input, output, true)
	if err != nil {
		f.Close()
		os.RemoveAll(dir)
		return m.fail(badInput(state.InputNoMicrophone, "no microphone here: %s", err))
	}
	r.stream = st
	if m.cfg.VoiceLimit > 0 {
		r.rec, err = voice.RecordUpTo(a.ctx, st, f, m.cfg.VoiceLimit)
	} else {
		r.rec, err = voice.Record(a.ctx, st, f)
	}
	if err != nil {
		st.Close()
		f.Close()
		os.RemoveAll(dir)
		return m.fail(err)
	}
	mctx, cancel := context.WithCancel(a.ctx)
	r.cancel = cancel
	a.voice.rec = r
	m.update(func(st *state.State) { st.Voice.Recording = &state.Recording{Conv: conv} })
	if !a.spawn(func() { a.meter(mctx, r) }) {
		close(r.done)
	}
	return nil
}

// meter shows the recording's length and level until it ends.
func (a *account) meter(ctx context.Context, r *recording) {
	defer close(r.done)
	t := time.NewTicker(voiceTick)
	defer t.Stop()
	for {
		full := false
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.rec.Done():
			full = r.rec.Full()
		}
		if full {
			r.release()
		}
		a.m.update(func(st *state.State) {
			if st.Voice.Recording != nil {
				rec := *st.Voice.Recording
				rec.Elapsed, rec.Level, rec.Full = r.rec.Elapsed(), r.rec.Level(), full
				if full {
					rec.Level = 0
				}
				st.Voice.Recording = &rec
			}
		})
		if full {
			a.m.log.Info("a voice message reached its limit and stopped", "conv", r.conv)
			return
		}
		select {
		case <-r.rec.Done():
			if !r.rec.Full() {
				return // the device failed: StopRecording says why
			}
		default:
		}
	}
}

// StopRecording ends the recording: with send, it is queued as a voice
// message to the conversation it was recorded for (one shorter than half
// a second is dropped); without, it is discarded.
func (m *Model) StopRecording(ctx context.Context, send bool) error {
	a := m.account()
	if a == nil {
		return m.fail(errLoggedOut)
	}
	a.voice.mu.Lock()
	r := a.voice.rec
	a.voice.rec = nil
	a.voice.mu.Unlock()
	m.update(func(st *state.State) { st.Voice.Recording = nil })
	if r == nil {
		return nil
	}
	info, recErr := r.rec.Stop()
	r.cancel()
	<-r.done
	r.release()
	syncErr := r.file.Sync()
	closeErr := r.file.Close()
	dir := filepath.Dir(r.path)
	if !send || info.Duration < minVoice {
		os.RemoveAll(dir)
		return nil
	}
	if err := errors.Join(recErr, syncErr, closeErr); err != nil && (recErr == nil || info.Samples == 0) {
		os.RemoveAll(dir)
		return m.withFiles(func(*account) error { return fmt.Errorf("record: %w", err) })
	} else if recErr != nil {
		m.log.Warn("the microphone stopped; sending what was recorded", "err", recErr)
	}
	return m.withFiles(func(a *account) error {
		fi, err := os.Stat(r.path)
		if err != nil {
			os.RemoveAll(dir)
			return fmt.Errorf("record: %w", fileErrorKind(err))
		}
		rec := store.Transfer{ID: r.id, Direction: store.Up, Conv: r.conv, Name: filepath.Base(r.path), Size: fi.Size(),
			Path: r.path, State: store.TransferQueued,
			Voice: &proto.Voice{DurationMS: info.Duration.Milliseconds(), Waveform: info.Waveform}}
		if err := a.db.PutTransfer(ctx, rec); err != nil {
			os.RemoveAll(dir)
			return err
		}
		a.files.publish()
		a.files.kick(store.Up)
		return nil
	})
}

// keepSent moves a sent voice message's recording into the voice cache:
// it plays offline on this device too, without a download.
func (a *account) keepSent(rec store.Transfer, msg proto.Message) {
	if rec.Voice == nil || msg.File == nil || msg.File.ID == "" || strings.ContainsAny(msg.File.ID, `/\.`) {
		return
	}
	if err := filecache.Adopt(a.m.cfg.DataDir, filecache.Voice, msg.File.ID, rec.Path); err != nil {
		a.m.log.Info("keep a sent voice message", "err", err)
	}
}

// ---- Fetching ----

// withVoices fills in the voice of voice messages whose server did not
// pass it on (from the file, once fetched: withVoices queues it), and
// queues the fetch of voice messages not in the cache. msgs is the open
// window being built; its File pointers are replaced, not changed.
func (a *account) withVoices(msgs []state.Message) {
	v := &a.voice
	v.mu.Lock()
	defer v.mu.Unlock()
	start := false
	for i := range msgs {
		f := msgs[i].File
		if !state.IsVoice(f) || msgs[i].Deleted || f.ID == "" {
			continue
		}
		info, analysed := v.infos[f.ID]
		if f.Voice == nil && analysed {
			cp := *f
			cp.Voice = &info
			msgs[i].File = &cp
		}
		if !v.tried[f.ID] { // once: a failed fetch waits for a play
			if v.tried == nil {
				v.tried, v.infos = map[string]bool{}, map[string]proto.Voice{}
			}
			v.tried[f.ID] = true
			v.queue = append(v.queue, *f)
			start = true
		}
	}
	if start && !v.working {
		v.working = a.spawn(a.fetchVoices)
	}
}

// fetchVoices fetches the queued voice messages into the cache, one at a
// time, and analyses those that came without their voice.
func (a *account) fetchVoices() {
	v := &a.voice
	for {
		v.mu.Lock()
		if len(v.queue) == 0 || a.ctx.Err() != nil {
			v.queue, v.working = nil, false
			v.mu.Unlock()
			return
		}
		f := v.queue[0]
		v.queue = v.queue[1:]
		v.mu.Unlock()
		data, err := a.voiceFile(a.ctx, f)
		if err != nil {
			a.m.log.Info("fetch a voice message", "file", f.ID, "err", err)
			continue
		}
		if f.Voice != nil {
			a.requestRefresh() // nothing to show, but a test waits on it
			continue
		}
		info, err := voice.Analyze(bytes.NewReader(data))
		if err != nil {
			a.m.log.Info("read a voice message", "file", f.ID, "err", err)
			continue
		}
		v.mu.Lock()
		v.infos[f.ID] = proto.Voice{DurationMS: info.Duration.Milliseconds(), Waveform: info.Waveform}
		v.mu.Unlock()
		a.requestRefresh()
	}
}

// sameVoice says two versions of a message show the same voice.
func sameVoice(x, y state.Message) bool {
	if x.File == nil || y.File == nil {
		return x.File == y.File
	}
	vx, vy := x.File.Voice, y.File.Voice
	return vx == vy || vx != nil && vy != nil && vx.DurationMS == vy.DurationMS && bytes.Equal(vx.Waveform, vy.Waveform)
}

// ---- Playing ----

// PlayVoice plays the voice message of message seq in conv: from where
// it was paused if it is the one paused, else from the start (stopping
// another). The file comes from the voice cache, or is fetched and kept
// there. Playing marks it played.
func (m *Model) PlayVoice(ctx context.Context, conv proto.ConvID, seq int64) error {
	a := m.account()
	if a == nil {
		return m.fail(errLoggedOut)
	}
	a.voice.mu.Lock()
	if p := a.voice.play; p != nil && p.view.Conv == conv && p.view.Seq == seq {
		if p.out != nil && !p.out.Playing() {
			err := p.out.Play()
			a.voice.mu.Unlock()
			if err != nil {
				return m.fail(err)
			}
			a.showPlayback()
			return nil
		}
		a.voice.mu.Unlock()
		return nil // playing or loading
	}
	a.voice.mu.Unlock()
	f, err := a.fileOf(ctx, conv, seq)
	if err != nil {
		return m.fail(err)
	}
	if !Playable(f) {
		return m.fail(badInput(state.InputNotVoice, "message %d of %d is not a voice message", seq, conv))
	}
	pctx, cancel := context.WithCancel(a.ctx)
	p := &playing{view: state.Playback{Conv: conv, Seq: seq, FileID: f.ID, Loading: true}, cancel: cancel, seek: -1}
	if f.Voice != nil {
		p.view.Length = time.Duration(f.Voice.DurationMS) * time.Millisecond
	}
	a.voice.mu.Lock()
	old := a.voice.play
	a.voice.play = p
	a.voice.mu.Unlock()
	if old != nil {
		old.stop()
	}
	a.showPlayback()
	if err := a.db.MarkPlayed(ctx, f.ID); err != nil {
		m.log.Warn("mark a voice message played", "err", err)
	}
	m.update(func(st *state.State) {
		played := make(map[string]bool, len(st.Voice.Played)+1)
		for k := range st.Voice.Played {
			played[k] = true
		}
		played[f.ID] = true
		st.Voice.Played = played
	})
	if !a.spawn(func() { a.runPlayback(pctx, p, f) }) {
		cancel()
	}
	return nil
}

// Playable says the voice player plays f: a voice message, or any Ogg
// Opus file (one made by opusenc, say: its length is read from the file).
func Playable(f proto.File) bool {
	name := strings.ToLower(f.Name)
	return f.Voice != nil || f.Type == voice.Type || strings.HasSuffix(name, ".opus") || strings.HasSuffix(name, ".ogg")
}

// runPlayback loads the file, starts it, and shows the position until
// the message is stopped (another plays, logout).
func (a *account) runPlayback(ctx context.Context, p *playing, f proto.File) {
	data, err := a.voiceFile(ctx, f)
	if err == nil {
		var out voiceOut
		out, err = newVoiceOut(a.m, ctx, data)
		if err == nil {
			a.voice.mu.Lock()
			p.out = out
			out.SetSpeed(a.speed())
			if p.seek >= 0 {
				out.SeekTo(p.seek)
			}
			err = out.Play()
			a.voice.mu.Unlock()
		}
	}
	if err != nil {
		if ctx.Err() == nil {
			a.m.log.Info("play a voice message", "err", err)
			a.m.withFiles(func(*account) error { return fmt.Errorf("play the voice message: %w", err) })
			a.voice.mu.Lock()
			if a.voice.play == p {
				a.voice.play = nil
			}
			a.voice.mu.Unlock()
			a.showPlayback()
		}
		return
	}
	a.showPlayback()
	t := time.NewTicker(voiceTick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.showPlayback()
		}
	}
}

func (p *playing) stop() {
	p.cancel()
	if p.out != nil {
		p.out.Close()
	}
}

func (a *account) speed() float64 {
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	return a.m.st.Voice.SpeedOr1()
}

// showPlayback publishes the player's state.
func (a *account) showPlayback() {
	a.voice.mu.Lock()
	var view *state.Playback
	if p := a.voice.play; p != nil {
		v := p.view
		if p.out != nil {
			v.Loading = false
			v.Playing = p.out.Playing()
			v.Position = p.out.Position()
			if l := p.out.Length(); l > 0 {
				v.Length = l
			}
		}
		view = &v
	}
	a.voice.mu.Unlock()
	// Unchanged (paused): no update, so no redraw ten times a second.
	a.m.mu.Lock()
	old := a.m.st.Voice.Playing
	same := old == view || old != nil && view != nil && *old == *view
	a.m.mu.Unlock()
	if !same {
		a.m.update(func(st *state.State) { st.Voice.Playing = view })
	}
}

// PauseVoice pauses the voice message playing.
func (m *Model) PauseVoice() {
	a := m.account()
	if a == nil {
		return
	}
	a.voice.mu.Lock()
	if p := a.voice.play; p != nil && p.out != nil {
		p.out.Pause()
	}
	a.voice.mu.Unlock()
	a.showPlayback()
}

// SeekVoice moves the voice message playing or paused (or loading) to
// pos.
func (m *Model) SeekVoice(pos time.Duration) {
	a := m.account()
	if a == nil {
		return
	}
	a.voice.mu.Lock()
	if p := a.voice.play; p != nil {
		if p.out != nil {
			p.out.SeekTo(max(0, pos))
		} else {
			p.seek = max(0, pos) // once loaded
		}
	}
	a.voice.mu.Unlock()
	a.showPlayback()
}

// SetVoiceSpeed sets the playback speed of voice messages: 1, 1.5 or 2
// (anything else is 1). The message playing changes at once.
func (m *Model) SetVoiceSpeed(speed float64) {
	if speed != 1.5 && speed != 2 {
		speed = 1
	}
	m.update(func(st *state.State) { st.Voice.Speed = speed })
	a := m.account()
	if a == nil {
		return
	}
	a.voice.mu.Lock()
	if p := a.voice.play; p != nil && p.out != nil {
		p.out.SetSpeed(speed)
	}
	a.voice.mu.Unlock()
}

// stopVoice ends recording (discarding it) and playing: the account is
// stopping.
func (a *account) stopVoice() {
	a.voice.mu.Lock()
	r, p := a.voice.rec, a.voice.play
	a.voice.rec, a.voice.play = nil, nil
	a.voice.mu.Unlock()
	if p != nil {
		p.stop()
	}
	if r != nil {
		r.rec.Stop()
		r.cancel()
		r.release()
		r.file.Close()
		os.RemoveAll(filepath.Dir(r.path)) // never sent: start-up would sweep it anyway
	}
}

// voiceFile returns a voice message's file: from the voice cache
// (filecache: files, or the browser's Cache Storage), or fetched, checked
// against its SHA-256 and kept there.
func (a *account) voiceFile(ctx context.Context, f proto.File) ([]byte, error) {
	dir := a.m.cfg.DataDir
	if data, err := filecache.Read(dir, filecache.Voice, f.ID); err == nil {
		return data, nil
	} else if !errors.Is(err, filecache.ErrNotCached) {
		return nil, err // a bad ID
	}
	a.voice.mu.Lock()
	data, ok := a.voice.mem[f.ID]
	a.voice.mu.Unlock()
	if ok {
		return data, nil
	}
	if a.files == nil || a.files.http() == nil {
		return nil, errors.New("no file client")
	}
	data, err := a.files.http().Picture(ctx, f.ID, maxVoiceFetch) // a plain GET of a small file
	if err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(data); f.SHA256 != "" && hex.EncodeToString(sum[:]) != f.SHA256 {
		return nil, fmt.Errorf("voice message %s: the file does not match its SHA-256", f.ID)
	}
	if err := filecache.Write(dir, filecache.Voice, f.ID, data); err != nil {
		a.m.log.Info("cache a voice message", "err", err)
		a.voice.mu.Lock()
		a.voice.remember(f.ID, data)
		a.voice.mu.Unlock()
	}
	return data, nil
}

// voiceMemory bounds the voice files kept in memory when the file cache
// cannot keep them: a few long messages, or dozens of short ones.
const voiceMemory = 16 << 20

// remember keeps data in memory, dropping the oldest files kept beyond
// voiceMemory (never the one just kept). Call with v.mu held.
func (v *voices) remember(id string, data []byte) {
	if _, ok := v.mem[id]; ok {
		return
	}
	if v.mem == nil {
		v.mem = map[string][]byte{}
	}
	v.mem[id] = data
	v.memOrder = append(v.memOrder, id)
	v.memBytes += len(data)
	for v.memBytes > voiceMemory && len(v.memOrder) > 1 {
		old := v.memOrder[0]
		v.memOrder = v.memOrder[1:]
		v.memBytes -= len(v.mem[old])
		delete(v.mem, old)
	}
}

// voiceLength reads a voice file's length (media/voice), for players
// that do not decode themselves.
func voiceLength(data []byte) (time.Duration, error) {
	n, err := voice.Length(bytes.NewReader(data))
	return voice.SamplesToDuration(n), err
}
