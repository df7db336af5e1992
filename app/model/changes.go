package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
	"parley/store"
)

// Changing history (docs/protocol.md, "Changing history"): edit, delete
// for everyone, react, pin, and hide (delete for me). Each action gets a
// client ID once, when the user asks, and waits in a queue like the
// outbox: it is sent when connected, after the outbox, and sent again with
// the same client ID after a lost reply, a reconnect or a restart, so
// the server applies it once: the queue is in the store
// (store.PendingChanges), like the outbox. A refusal becomes a notice
// with the server's code (no_such_message, not_sender, deleted,
// edit_window, bad_emoji) and the action is dropped.
//
// The entry the server answers with is stored like a pushed message, and
// so folded into its target (store/fold.go): the change shows at once.

// pendingChange is one history change to queue (or a forward: a send
// with forward_of, forward.go).
type pendingChange struct {
	typ string // proto.TypeEdit, TypeDelete, TypeReact, TypePin, TypeHide or TypeSend
	req any    // its request, client ID included
}

// Edit replaces the text of my message seq of conv.
func (m *Model) Edit(ctx context.Context, conv proto.ConvID, seq int64, text string) error {
	if err := checkText(text); err != nil {
		return m.fail(err)
	}
	return m.queueChange(ctx, conv, seq, func(id string) pendingChange {
		return pendingChange{proto.TypeEdit, proto.EditRequest{Conv: conv, Seq: seq, ClientID: id, Text: text}}
	})
}

// Delete deletes my message seq of conv for everyone.
func (m *Model) Delete(ctx context.Context, conv proto.ConvID, seq int64) error {
	return m.queueChange(ctx, conv, seq, func(id string) pendingChange {
		return pendingChange{proto.TypeDelete, proto.TargetRequest{Conv: conv, Seq: seq, ClientID: id}}
	})
}

// DeleteForMe hides message seq of conv on my devices only.
func (m *Model) DeleteForMe(ctx context.Context, conv proto.ConvID, seq int64) error {
	return m.queueChange(ctx, conv, seq, func(id string) pendingChange {
		return pendingChange{proto.TypeHide, proto.TargetRequest{Conv: conv, Seq: seq, ClientID: id}}
	})
}

// React adds my reaction emoji to message seq of conv.
func (m *Model) React(ctx context.Context, conv proto.ConvID, seq int64, emoji string) error {
	return m.react(ctx, conv, seq, emoji, false)
}

// Unreact takes my reaction emoji back.
func (m *Model) Unreact(ctx context.Context, conv proto.ConvID, seq int64, emoji string) error {
	return m.react(ctx, conv, seq, emoji, true)
}

func (m *Model) react(ctx context.Context, conv proto.ConvID, seq int64, emoji string, remove bool) error {
	if !proto.IsEmoji(emoji) {
		return m.fail(&proto.Error{Code: proto.CodeBadEmoji, Message: "a reaction is one emoji"})
	}
	return m.queueChange(ctx, conv, seq, func(id string) pendingChange {
		return pendingChange{proto.TypeReact, proto.ReactRequest{Conv: conv, Seq: seq, ClientID: id, Emoji: emoji, Remove: remove}}
	})
}

// Pin pins message seq of conv, or with pin false unpins it.
func (m *Model) Pin(ctx context.Context, conv proto.ConvID, seq int64, pin bool) error {
	return m.queueChange(ctx, conv, seq, func(id string) pendingChange {
		return pendingChange{proto.TypePin, proto.PinRequest{Conv: conv, Seq: seq, ClientID: id, Unpin: !pin}}
	})
}

// Reply queues text answering message seq of conv: a message of the
// outbox, sent with reply_to.
func (m *Model) Reply(ctx context.Context, conv proto.ConvID, seq int64, text string) error {
	return m.withAccount(func(a *account) error {
		if err := checkText(text); err != nil {
			return err
		}
		if conv == 0 || seq <= 0 {
			return badInput(state.InputNoConversation, "open a conversation first")
		}
		it := store.OutboxItem{ClientID: client.NewClientID(), Conv: conv, Text: text, ReplyTo: seq}
		if err := a.db.Enqueue(ctx, it); err != nil {
			return err
		}
		a.toNewest(conv)
		a.refresh()
		a.kickFlusher()
		return nil
	})
}

func checkText(text string) error {
	switch {
	case strings.TrimSpace(text) == "":
		return badInput(state.InputMessageEmpty, "the message is empty")
	case len(text) > proto.MaxTextBytes:
		return badInput(state.InputMessageLong, "a message holds at most %d bytes; this one has %d", proto.MaxTextBytes, len(text))
	}
	return nil
}

func (m *Model) queueChange(ctx context.Context, conv proto.ConvID, seq int64, mk func(clientID string) pendingChange) error {
	return m.withAccount(func(a *account) error {
		if conv <= 0 || seq <= 0 {
			return badInput(state.InputNoConversation, "open a conversation first")
		}
		id := client.NewClientID()
		pc := mk(id)
		body, err := json.Marshal(pc.req)
		if err != nil {
			return fmt.Errorf("queue %s: %w", pc.typ, err)
		}
		if err := a.db.QueueChange(ctx, store.PendingChange{ClientID: id, Type: pc.typ, Body: body}); err != nil {
			return fmt.Errorf("queue %s: %w", pc.typ, err)
		}
		a.kickFlusher()
		return nil
	})
}

// flushChanges sends the queued changes in order. The caller holds
// flushMu. A network failure stops it; the rest waits for the next
// connection.
func (a *account) flushChanges(ctx context.Context, s sender) error {
	for {
		pcs, err := a.db.PendingChanges(ctx)
		if err != nil || len(pcs) == 0 {
			return err
		}
		for _, pc := range pcs {
			err := a.sendChange(ctx, s, pc)
			var pe *proto.Error
			if err != nil && !(errors.As(err, &pe) && permanent(pe.Code)) {
				return err
			}
			if dropErr := a.db.DropChange(ctx, pc.ClientID); dropErr != nil {
				return dropErr
			}
			if err != nil {
				a.m.log.Info("history change refused", "type", pc.Type, "err", err)
				a.m.fail(err)
			}
			a.requestRefresh()
		}
	}
}

// sendChange sends one change and stores what the server answers.
func (a *account) sendChange(ctx context.Context, s sender, pc store.PendingChange) error {
	if pc.Type == proto.TypeHide {
		var r proto.HideReply
		if err := s.Call(ctx, pc.Type, pc.Body, &r); err != nil {
			return err
		}
		return a.exec(ctx, func() error { return a.hidden(ctx, r.Hidden) })
	}
	var r proto.SendReply
	if err := s.Call(ctx, pc.Type, pc.Body, &r); err != nil {
		return err
	}
	return a.exec(ctx, func() error {
		if r.Message.Seq > 0 {
			if err := a.putMessages(ctx, []proto.Message{r.Message}, true); err != nil {
				return err
			}
			if _, err := a.advanceSynced(ctx, r.Message.Conv); err != nil {
				return err
			}
		}
		return nil
	})
}

// hiddenPush applies a hide made on another of my devices (the hidden
// push). The owner runs it.
func (a *account) hiddenPush(ctx context.Context, body json.RawMessage) {
	var h proto.Hidden
	if err := json.Unmarshal(body, &h); err != nil {
		a.m.log.Error("hidden push", "err", err)
		return
	}
	if err := a.hidden(ctx, h); err != nil {
		a.m.log.Error("hide", "err", err)
	}
	a.requestRefresh()
}

// hidden stores a hide of mine (a hide reply, push or sync's list): the
// message is hidden, and the next sync asks for the hides after it. The
// owner runs it.
func (a *account) hidden(ctx context.Context, h proto.Hidden) error {
	if err := a.db.Hide(ctx, h.Conv, h.Seq); err != nil {
		return err
	}
	return a.db.SetHiddenAfter(ctx, h.ID)
}
