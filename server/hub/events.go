package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"parley/net/proto"
	"parley/server/calls"
	"parley/server/storage"
)

// History changes (docs/protocol.md, "Changing history"): edit, delete,
// react, pin, pins and hide, and the optional parts of send (reply_to,
// mentions, forward_of). Each change is an entry that storage appends
// and folds into its target in one job; the entry reaches the members as
// a message push (Publish), like any message.

// DefaultEditWindow is how long a message may be edited by default.
const DefaultEditWindow = 48 * time.Hour

func (h *Hub) eventOps() map[string]op {
	return map[string]op{
		proto.TypeEdit:   {authed: true, fn: h.edit},
		proto.TypeDelete: {authed: true, fn: h.deleteMessage},
		proto.TypeReact:  {authed: true, fn: h.react},
		proto.TypePin:    {authed: true, fn: h.pin},
		proto.TypePins:   {authed: true, fn: h.pins},
		proto.TypeHide:   {authed: true, fn: h.hide},
	}
}

func checkClientID(id string) error {
	if id == "" || len(id) > proto.MaxClientIDLen {
		return proto.Errorf(proto.CodeBadRequest, "client_id must be 1 to %d bytes", proto.MaxClientIDLen)
	}
	return nil
}

func checkTarget(seq int64) error {
	if seq <= 0 {
		return proto.Errorf(proto.CodeNoSuchMessage, "seq must be a message's seq (1 or more)")
	}
	return nil
}

func (h *Hub) editWindow() time.Duration {
	switch w := h.cfg.EditWindow; {
	case w == 0:
		return DefaultEditWindow
	case w < 0:
		return 0 // no bound
	default:
		return w
	}
}

// change applies ch for the caller and answers like send.
func (h *Hub) change(ctx context.Context, c *conn, ch storage.Change) (any, error) {
	if err := checkClientID(ch.ClientID); err != nil {
		return nil, err
	}
	if err := checkTarget(ch.Target); err != nil {
		return nil, err
	}
	r, err := h.db.ApplyChange(ctx, c.user, ch)
	if err != nil {
		return nil, err
	}
	if r.Released != "" && h.cfg.ReleaseBlob != nil {
		h.cfg.ReleaseBlob(ctx, r.Released)
	}
	reply := proto.SendReply{Message: r.Entry, Duplicate: r.Duplicate, Unchanged: r.Unchanged}
	if r.Target.Seq != 0 {
		reply.Target = &r.Target
	}
	return reply, nil
}

func (h *Hub) edit(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.EditRequest](body)
	if err != nil {
		return nil, err
	}
	if err := checkText(req.Text); err != nil {
		return nil, err
	}
	return h.change(ctx, c, storage.Change{Conv: req.Conv, Target: req.Seq, ClientID: req.ClientID, Kind: proto.MsgEdit, Text: req.Text, EditWindow: h.editWindow()})
}

func (h *Hub) deleteMessage(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.TargetRequest](body)
	if err != nil {
		return nil, err
	}
	return h.change(ctx, c, storage.Change{Conv: req.Conv, Target: req.Seq, ClientID: req.ClientID, Kind: proto.MsgDelete})
}

func (h *Hub) react(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.ReactRequest](body)
	if err != nil {
		return nil, err
	}
	if !proto.IsEmoji(req.Emoji) {
		return nil, proto.Errorf(proto.CodeBadEmoji, "a reaction is one emoji of at most %d bytes", proto.MaxEmojiBytes)
	}
	kind := proto.MsgReact
	if req.Remove {
		kind = proto.MsgUnreact
	}
	return h.change(ctx, c, storage.Change{Conv: req.Conv, Target: req.Seq, ClientID: req.ClientID, Kind: kind, Emoji: req.Emoji})
}

func (h *Hub) pin(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.PinRequest](body)
	if err != nil {
		return nil, err
	}
	kind := proto.MsgPin
	if req.Unpin {
		kind = proto.MsgUnpin
	}
	return h.change(ctx, c, storage.Change{Conv: req.Conv, Target: req.Seq, ClientID: req.ClientID, Kind: kind})
}

func (h *Hub) pins(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.PinsRequest](body)
	if err != nil {
		return nil, err
	}
	ms, err := h.db.Pins(ctx, c.user.ID, req.Conv)
	if err != nil {
		return nil, err
	}
	return proto.PinsReply{Messages: nonNil(ms)}, nil
}

// hide is "delete for me": stored per user, pushed to the user's devices
// (hidden), and listed by sync after hidden_after.
func (h *Hub) hide(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.TargetRequest](body)
	if err != nil {
		return nil, err
	}
	if err := checkTarget(req.Seq); err != nil {
		return nil, err
	}
	hd, err := h.db.Hide(ctx, c.user.ID, req.Conv, req.Seq)
	if err != nil {
		return nil, err
	}
	if frame, err := proto.EncodePush(proto.TypeHidden, hd); err == nil {
		h.pushTo(frame, c.user.ID)
	}
	return proto.HideReply{Hidden: hd}, nil
}

// hasExtras reports whether a send uses reply_to, mentions or forward_of
// (SendWith) rather than the plain path.
func hasExtras(req proto.SendRequest) bool {
	return req.ReplyTo != 0 || len(req.Mentions) > 0 || req.ForwardOf != nil
}

// sendWith answers a send with extras. It waits for its commit on the
// connection's reader, so later requests of the connection come after it.
func (h *Hub) sendWith(ctx context.Context, c *conn, id string, req proto.SendRequest) error {
	if req.ReplyTo < 0 {
		return proto.Errorf(proto.CodeNoSuchMessage, "reply_to must be a message's seq")
	}
	if len(req.Mentions) > proto.MaxMentions {
		return proto.Errorf(proto.CodeTooLarge, "at most %d mentions in one message", proto.MaxMentions)
	}
	if req.ForwardOf != nil {
		if req.Text != "" || req.ReplyTo != 0 {
			return proto.Errorf(proto.CodeBadRequest, "a forward copies its message: give no text and no reply_to")
		}
	} else if err := checkText(req.Text); err != nil {
		return err
	}
	start := h.now()
	m, dup, err := h.db.SendWith(ctx, c.user, req.Conv, req.ClientID, req.Text,
		storage.SendExtras{ReplyTo: req.ReplyTo, Mentions: req.Mentions, ForwardOf: req.ForwardOf})
	if err == nil && !dup {
		h.m.messagesIn.Inc()
		h.m.sendLatency.ObserveDuration(h.now().Sub(start))
	}
	c.reply(id, proto.SendReply{Message: m, Duplicate: dup}, err)
	return nil
}

// record writes the history entry of a call that ended, in the direct
// conversation of its two people (opened if needed, as a file sent to a
// user opens it), or a group call's in its group. The switchboard calls it locked, so it only queues the
// entry; one writer goroutine at a time writes the queue in the order
// the calls ended, so a conversation's entries keep that order. Close
// waits for it. The entry is idempotent (its client_id is the call's
// ID), so it is written once.
func (l *callLayer) record(e calls.Ended) {
	l.recMu.Lock()
	defer l.recMu.Unlock()
	l.recQ = append(l.recQ, e)
	if l.recWriting {
		return
	}
	l.recWriting = true
	l.records.Add(1)
	go l.writeRecords()
}

// writeRecords writes the queued call entries in order until none is left.
func (l *callLayer) writeRecords() {
	defer l.records.Done()
	h := l.h
	for {
		l.recMu.Lock()
		if len(l.recQ) == 0 {
			l.recWriting = false
			l.recMu.Unlock()
			return
		}
		e := l.recQ[0]
		l.recQ = l.recQ[1:]
		l.recMu.Unlock()

		ctx, cancel := context.WithTimeout(h.ctx, 30*time.Second)
		var err error
		if e.Caller.Name == "" { // an entry another node's death left to this one (clustercalls.go)
			if u, uerr := h.db.User(ctx, e.Caller.ID); uerr == nil {
				e.Caller = u
			}
		}
		conv := e.Conv // a group call's entry goes to its group
		if !e.Group {
			var direct proto.Conversation
			direct, err = h.Direct(ctx, e.Caller, e.Callee.ID)
			conv = direct.ID
		}
		if err == nil {
			_, err = h.db.RecordCall(ctx, e.Caller, conv, fmt.Sprintf("call-%d", e.ID), e.Entry())
		}
		cancel()
		if err != nil {
			h.log.Warn("record call in history", "call", e.ID, "err", err)
		}
	}
}
