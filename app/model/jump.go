package model

import (
	"context"
	"errors"
	"slices"

	"parley/app/state"
	"parley/net/proto"
	"parley/store"
)

// Jumps (a reply's quote, the pin bar, a search result) show a message
// that may lie far back in the history. If the open window holds it, the
// UI only scrolls there. Otherwise the window is replaced by the history
// around it, from the store where it holds those pages whole, else from
// the server (history before and after it); the window then ends below
// the newest message (winTo) and pages on both ways: LoadOlder and
// LoadNewer. Once LoadNewer reaches the newest message the window
// follows new messages again; Open (the jump-to-bottom button) goes back
// to the newest page at once.

// jumpHalf is how many messages a jump loads on each side of its target.
const jumpHalf = pageSize / 2

// JumpTo shows message seq of conv, opening conv if it is not open:
// State.Open.Focus becomes seq, with a new FocusGen, and the window holds
// it. highlight is the search query to mark in it ("" none).
func (m *Model) JumpTo(ctx context.Context, conv proto.ConvID, seq int64, highlight string) error {
	return m.withAccount(func(a *account) error { return a.jumpTo(ctx, conv, seq, highlight) })
}

func (a *account) jumpTo(ctx context.Context, conv proto.ConvID, seq int64, highlight string) error {
	if conv <= 0 || seq <= 0 {
		return badInput(state.InputNoConversation, "open a conversation first")
	}
	if !a.isOpen(conv) {
		if err := a.openConv(ctx, conv); err != nil {
			return err
		}
	}
	a.mu.Lock()
	held := a.open == conv && holds(a.window, seq)
	a.mu.Unlock()
	if !held {
		win, err := a.around(ctx, conv, seq)
		if err != nil {
			return err
		}
		cv, err := a.db.Conversation(ctx, conv)
		if err != nil {
			return err
		}
		if len(win) > 0 {
			a.mu.Lock()
			if a.open == conv {
				a.window, a.winFrom, a.winTo = win, win[0].Seq, win[len(win)-1].Seq
				if a.winTo >= cv.LastSeq {
					a.winTo = 0 // it reaches the newest: follow
				}
			}
			a.mu.Unlock()
		}
	}
	a.mu.Lock()
	if a.open == conv {
		a.focus, a.highlight = seq, highlight
		a.focusGen++
	}
	a.mu.Unlock()
	a.refresh()
	return nil
}

// holds reports whether the window ms holds message seq.
func holds(ms []proto.Message, seq int64) bool {
	_, ok := slices.BinarySearchFunc(ms, seq, func(m proto.Message, s int64) int { return int(m.Seq - s) })
	return ok
}

// around returns the contiguous history around seq: up to jumpHalf
// messages below it, and it with up to jumpHalf after it, from the store
// where it holds them all, otherwise fetched from the server first.
func (a *account) around(ctx context.Context, conv proto.ConvID, seq int64) ([]proto.Message, error) {
	cv, err := a.db.Conversation(ctx, conv)
	if err != nil {
		return nil, err
	}
	last := max(cv.LastSeq, seq)
	below, err := a.db.Before(ctx, conv, seq, jumpHalf)
	if err != nil {
		return nil, err
	}
	if !contiguousBefore(below, seq, min(int64(jumpHalf), seq-1)) {
		if err := a.fetch(ctx, proto.HistoryRequest{Conv: conv, Before: new(seq), Limit: jumpHalf}); err != nil {
			return nil, err
		}
		if below, err = a.db.Before(ctx, conv, seq, jumpHalf); err != nil {
			return nil, err
		}
	}
	from, err := a.db.After(ctx, conv, seq-1, jumpHalf+1)
	if err != nil {
		return nil, err
	}
	if !contiguousFrom(from, seq, min(int64(jumpHalf+1), last-seq+1)) {
		if err := a.fetch(ctx, proto.HistoryRequest{Conv: conv, After: new(seq - 1), Limit: jumpHalf + 1}); err != nil {
			return nil, err
		}
		if from, err = a.db.After(ctx, conv, seq-1, jumpHalf+1); err != nil {
			return nil, err
		}
	}
	// Keep only what joins up with seq: a gap in the store must not show
	// as history that follows on.
	below = tailFrom(below, seq)
	from = headFrom(from, seq)
	return append(slices.Clone(below), from...), nil
}

// fetch stores a page of history from the server.
func (a *account) fetch(ctx context.Context, req proto.HistoryRequest) error {
	h, err := a.sess.History(ctx, req)
	if err != nil {
		return err
	}
	return a.exec(ctx, func() error { return a.putMessages(ctx, h.Messages, false) })
}

// contiguousFrom reports whether ms are the want messages from seq on.
func contiguousFrom(ms []proto.Message, seq, want int64) bool {
	if int64(len(ms)) < want {
		return false
	}
	for i := range want {
		if ms[i].Seq != seq+i {
			return false
		}
	}
	return true
}

// tailFrom is the end of ms (ascending, below seq) that runs up to seq-1
// without a gap.
func tailFrom(ms []proto.Message, seq int64) []proto.Message {
	i := len(ms)
	for i > 0 && ms[i-1].Seq == seq-int64(len(ms)-i)-1 {
		i--
	}
	return ms[i:]
}

// headFrom is the start of ms (ascending, from seq) without a gap.
func headFrom(ms []proto.Message, seq int64) []proto.Message {
	i := 0
	for i < len(ms) && ms[i].Seq == seq+int64(i) {
		i++
	}
	return ms[:i]
}

// LoadNewer puts the page after the open window behind it, when the
// window stops before the newest message (after a jump): from the cache
// where it is complete there, otherwise from the server.
func (m *Model) LoadNewer(ctx context.Context) error {
	return m.withAccount(func(a *account) error { return a.loadNewer(ctx) })
}

func (a *account) loadNewer(ctx context.Context) error {
	a.mu.Lock()
	conv, to := a.open, a.winTo
	a.mu.Unlock()
	if conv == 0 || to == 0 {
		return nil
	}
	cv, err := a.db.Conversation(ctx, conv)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	newer, err := a.db.After(ctx, conv, to, pageSize)
	if err != nil {
		return err
	}
	if !contiguousFrom(newer, to+1, min(int64(pageSize), cv.LastSeq-to)) {
		if err := a.fetch(ctx, proto.HistoryRequest{Conv: conv, After: new(to), Limit: pageSize}); err != nil {
			return err
		}
		if newer, err = a.db.After(ctx, conv, to, pageSize); err != nil {
			return err
		}
	}
	newer = headFrom(newer, to+1)
	if cv, err = a.db.Conversation(ctx, conv); err != nil {
		return err
	}
	a.mu.Lock()
	if a.open == conv && a.winTo == to {
		if len(newer) > 0 {
			a.window = append(slices.Clone(a.window), newer...)
			a.winTo = newer[len(newer)-1].Seq
		}
		if a.winTo >= cv.LastSeq {
			a.winTo = 0 // the newest: follow new messages again
		}
		if n := len(a.window) - maxWindow; n > 0 {
			a.window = a.window[n:]
			a.winFrom = a.window[0].Seq
		}
	}
	a.mu.Unlock()
	a.refresh()
	return nil
}

// windowTo reads the window from seq from to seq to of conv from the
// store (at most maxWindow messages).
func windowTo(ctx context.Context, db store.Store, conv proto.ConvID, from, to int64) ([]proto.Message, error) {
	ms, err := db.After(ctx, conv, from-1, int(min(to-from+1, maxWindow)))
	if err != nil {
		return nil, err
	}
	i, _ := slices.BinarySearchFunc(ms, to+1, func(m proto.Message, s int64) int { return int(m.Seq - s) })
	return ms[:i], nil
}

// toNewest puts conv's window back at the newest page if it stops
// before it (after a jump): what I send shows under the newest message.
func (a *account) toNewest(conv proto.ConvID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.open == conv && a.winTo > 0 {
		a.window, a.winFrom, a.winTo = nil, 0, 0
	}
}

// newestRun is the end of ms (ascending) that runs without a gap up to
// its last message: the newest page of a cache that also holds islands
// of older history (jumps) never shows them as following on.
func newestRun(ms []proto.Message) []proto.Message {
	i := len(ms) - 1
	for i > 0 && ms[i-1].Seq == ms[i].Seq-1 {
		i--
	}
	return ms[max(i, 0):]
}
