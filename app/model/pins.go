package model

import (
	"context"
	"slices"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
)

// The pin bar (State.Open.Pins) shows the open conversation's pinned
// messages. The server lists them (the pins request) when the
// conversation opens and after every connect (and so after sync); a pin,
// unpin, or a delete or edit of a pinned message stored since asks again.
// Until the answer comes, the window's copies, which the store folds
// every change into at once, win over the list: a pin or unpin of a
// message on screen shows at once.

// pinned is the open conversation's pinned messages as the server last
// listed them.
type pinned struct {
	conv proto.ConvID
	msgs []proto.Message
}

// view is the pin bar of conv: the server's list, with the window's
// copies of the same messages, and the window's other pinned messages,
// in seq order. The caller holds a.mu.
func (p pinned) view(conv proto.ConvID, window []proto.Message, me proto.UserID) []state.Message {
	byseq := map[int64]proto.Message{}
	if p.conv == conv {
		for _, m := range p.msgs {
			byseq[m.Seq] = m
		}
	}
	for _, m := range window {
		if _, ok := byseq[m.Seq]; ok || m.Pinned {
			byseq[m.Seq] = m
		}
	}
	var out []state.Message
	for _, m := range byseq {
		if m.Pinned && !m.Deleted && !m.Hidden {
			out = append(out, state.Message{Message: m, Mine: m.Sender == me})
		}
	}
	slices.SortFunc(out, func(x, y state.Message) int { return int(x.Seq - y.Seq) })
	return out
}

// caller is the session, or during onConnect the new connection.
type caller interface {
	Call(ctx context.Context, typ string, req, reply any) error
}

// loadPins asks for conv's pinned messages, if it is still open.
func (a *account) loadPins(ctx context.Context, c caller, conv proto.ConvID) {
	var r proto.PinsReply
	if err := c.Call(ctx, proto.TypePins, proto.PinsRequest{Conv: conv}, &r); err != nil {
		if ctx.Err() == nil {
			a.m.log.Debug("pins", "conv", conv, "err", err)
		}
		return
	}
	a.mu.Lock()
	if a.open == conv {
		a.pins = pinned{conv: conv, msgs: r.Messages}
	}
	a.mu.Unlock()
	a.requestRefresh()
}

// watchPins loads conv's pins in the background when online (the next
// connect loads them otherwise).
func (a *account) watchPins(conv proto.ConvID) {
	if conv != 0 && a.sess.State() == client.Online {
		a.spawn(func() { a.loadPins(a.ctx, a.sess, conv) })
	}
}

// refreshPins loads the open conversation's pins on a new connection.
func (a *account) refreshPins(ctx context.Context, c caller) {
	a.mu.Lock()
	open := a.open
	a.mu.Unlock()
	if open != 0 {
		a.loadPins(ctx, c, open)
	}
}

// pinsTouched asks for the open conversation's pins again if msgs pin or
// unpin one of its messages, or delete or edit a pinned one.
func (a *account) pinsTouched(msgs []proto.Message) {
	a.mu.Lock()
	open, pins := a.open, a.pins
	a.mu.Unlock()
	for _, m := range msgs {
		if m.Conv != open {
			continue
		}
		switch m.Kind {
		case proto.MsgPin, proto.MsgUnpin:
		case proto.MsgDelete, proto.MsgEdit:
			if pins.conv != open || !slices.ContainsFunc(pins.msgs, func(p proto.Message) bool { return p.Seq == m.Target }) {
				continue
			}
		default:
			continue
		}
		a.watchPins(open)
		return
	}
}
