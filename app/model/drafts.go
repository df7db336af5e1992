package model

import (
	"context"
	"errors"
	"io"
	"maps"
	"strings"
	"sync"
	"time"

	"parley/app/state"
	"parley/net/proto"
	"parley/store"
)

// draftSaveDelay is how long a changed draft waits before it is written:
// typing changes it at every key, the store needs it only now and then.
// Close and logout write what is still waiting.
const draftSaveDelay = 500 * time.Millisecond

// drafts are what the user typed in each conversation and did not send,
// and the conversation open last, of one account. The UI reports every
// change (SetDraft); the model keeps them in memory, publishes them in
// state.Drafts and writes them to the store a little later, off the
// caller's goroutine, so typing never waits for the disk.
type drafts struct {
	a *account

	mu       sync.Mutex
	dirty    map[proto.ConvID]string // changed since the last write
	lastOpen proto.ConvID            // -1: written; else to write
	timer    *time.Timer             // pending write, nil if none
	stopped  bool

	writeMu sync.Mutex // one write at a time, in order
}

func newDrafts(a *account) *drafts {
	return &drafts{a: a, dirty: map[proto.ConvID]string{}, lastOpen: -1}
}

// start loads the account's drafts into the state and reopens the
// conversation that was open when the app last ran (or the account last
// logged in on this device).
func (d *drafts) start() {
	a := d.a
	ctx := a.ctx
	saved, err := a.db.Drafts(ctx)
	if err != nil {
		a.m.log.Error("read drafts", "err", err)
	}
	for conv := range saved {
		// A conversation left (here, or elsewhere and synced since) takes
		// its draft with it.
		if _, err := a.db.Conversation(ctx, conv); errors.Is(err, store.ErrNotFound) {
			delete(saved, conv)
			if err := a.db.SaveDraft(ctx, conv, ""); err != nil {
				a.m.log.Error("drop the draft of a conversation left", "conv", conv, "err", err)
			}
		}
	}
	a.m.update(func(st *state.State) { st.Drafts = saved })
	last, err := a.db.LastOpen(ctx)
	if err != nil {
		a.m.log.Error("read the last open conversation", "err", err)
	}
	if last != 0 {
		a.spawn(func() {
			if _, err := a.db.Conversation(ctx, last); err != nil {
				return // left meanwhile
			}
			a.mu.Lock()
			untouched := a.open == 0
			a.mu.Unlock()
			if untouched {
				if err := a.openConv(ctx, last); err != nil && ctx.Err() == nil {
					a.m.log.Info("reopen the last conversation", "conv", last, "err", err)
				}
			}
		})
	}
}

// SetDraft records what the composer holds for conv. It only updates
// memory: quick enough to call on the UI goroutine at every key.
func (m *Model) SetDraft(conv proto.ConvID, text string) {
	a := m.account()
	if a == nil || conv <= 0 {
		return
	}
	m.mu.Lock()
	if m.st.Drafts[conv] == text {
		m.mu.Unlock()
		return
	}
	ds := maps.Clone(m.st.Drafts)
	if ds == nil {
		ds = map[proto.ConvID]string{}
	}
	if text == "" {
		delete(ds, conv)
	} else {
		ds[conv] = text
	}
	m.st.Drafts = ds
	m.mu.Unlock()
	a.drafts.change(func(d *drafts) { d.dirty[conv] = text })
}

// opened remembers conv as the conversation open last.
func (d *drafts) opened(conv proto.ConvID) {
	d.change(func(d *drafts) { d.lastOpen = conv })
}

// change applies f and writes the result after draftSaveDelay, unless a
// write is already waiting (it takes this change too).
func (d *drafts) change(f func(d *drafts)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f(d)
	if d.timer == nil && !d.stopped {
		d.timer = time.AfterFunc(draftSaveDelay, d.write)
	}
}

// write stores what changed.
func (d *drafts) write() {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	d.mu.Lock()
	dirty, last := d.dirty, d.lastOpen
	d.dirty, d.lastOpen, d.timer = map[proto.ConvID]string{}, -1, nil
	d.mu.Unlock()
	ctx := context.Background() // the account's may be cancelled: this is its last write
	for conv, text := range dirty {
		if err := d.a.db.SaveDraft(ctx, conv, text); err != nil && !errors.Is(err, store.ErrClosed) {
			d.a.m.log.Error("save draft", "conv", conv, "err", err)
		}
	}
	if last >= 0 {
		if err := d.a.db.SetLastOpen(ctx, last); err != nil && !errors.Is(err, store.ErrClosed) {
			d.a.m.log.Error("remember the open conversation", "err", err)
		}
	}
}

// stop writes what is waiting; later changes are not written. Call it
// before the store closes.
func (d *drafts) stop() {
	d.mu.Lock()
	d.stopped = true
	if d.timer != nil {
		d.timer.Stop()
	}
	d.mu.Unlock()
	d.write()
}

// SendAsFile sends text to conv as a UTF-8 .txt file: the way to share a
// text longer than a message may be. The file is named after the time,
// "message-20260314-1530.txt".
func (m *Model) SendAsFile(ctx context.Context, conv proto.ConvID, text string) error {
	if strings.TrimSpace(text) == "" {
		return m.fail(badInput(state.InputMessageEmpty, "the message is empty"))
	}
	if conv <= 0 {
		return m.fail(badInput(state.InputNoConversation, "open a conversation first"))
	}
	return m.withFiles(func(a *account) error {
		name := "message-" + m.cfg.Now().Format("20060102-1504") + ".txt"
		s := Stream{ReadCloser: io.NopCloser(strings.NewReader(text)), Name: name, Size: int64(len(text))}
		return a.files.prepare(ctx, s, conv, "")
	})
}
