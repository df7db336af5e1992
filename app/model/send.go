package model

import (
	"context"
	"errors"
	"strings"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
	"parley/store"
)

// Send queues text for the open conversation. It shows at once as
// "sending", and is sent when connected: now, or after a reconnect or an
// app restart, exactly once (the client id makes a resend harmless).
func (m *Model) Send(ctx context.Context, text string) error {
	return m.SendTo(ctx, 0, text)
}

// SendTo queues text for conv (0: the open conversation), as Send does.
// The UI names the conversation the text was typed in: the user may have
// opened another one before the send runs.
func (m *Model) SendTo(ctx context.Context, conv proto.ConvID, text string) error {
	return m.withAccount(func(a *account) error {
		switch {
		case strings.TrimSpace(text) == "":
			return badInput(state.InputMessageEmpty, "the message is empty")
		case len(text) > proto.MaxTextBytes:
			return badInput(state.InputMessageLong, "a message holds at most %d bytes; this one has %d", proto.MaxTextBytes, len(text))
		}
		if conv == 0 {
			a.mu.Lock()
			conv = a.open
			a.mu.Unlock()
		}
		if conv == 0 {
			return badInput(state.InputNoConversation, "open a conversation first")
		}
		it := store.OutboxItem{ClientID: client.NewClientID(), Conv: conv, Text: text}
		if err := a.db.Enqueue(ctx, it); err != nil {
			return err
		}
		a.toNewest(conv)
		a.refresh()
		a.kickFlusher()
		return nil
	})
}

func (a *account) kickFlusher() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// flusher sends the outbox whenever kicked while online.
func (a *account) flusher() {
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-a.kick:
		}
		if a.sess.State() != client.Online {
			continue // onConnect flushes when the connection is back
		}
		if err := a.flush(a.ctx, a.sess); err != nil && a.ctx.Err() == nil {
			a.m.log.Info("outbox flush stopped", "err", err)
		}
	}
}

// sender is what flush sends with: the session, or during onConnect the
// new connection itself.
type sender interface {
	Send(ctx context.Context, conv proto.ConvID, clientID, text string) (proto.SendReply, error)
	Call(ctx context.Context, typ string, req, reply any) error
}

// flush sends the outbox in order, one at a time. A message the server
// refuses (not a member any more, too long) leaves the outbox and stays
// visible as failed, with its text; a network failure stops the flush and
// the message waits for the next connection.
func (a *account) flush(ctx context.Context, s sender) error {
	a.flushMu.Lock()
	defer a.flushMu.Unlock()
	for {
		items, err := a.db.Outbox(ctx)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return a.flushChanges(ctx, s)
		}
		for _, it := range items {
			if err := a.db.RecordAttempt(ctx, it.ClientID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			var r proto.SendReply
			if it.ReplyTo != 0 || len(it.Mentions) > 0 {
				err = s.Call(ctx, proto.TypeSend, proto.SendRequest{Conv: it.Conv, ClientID: it.ClientID, Text: it.Text, ReplyTo: it.ReplyTo, Mentions: it.Mentions}, &r)
			} else {
				r, err = s.Send(ctx, it.Conv, it.ClientID, it.Text)
			}
			var pe *proto.Error
			if errors.As(err, &pe) && permanent(pe.Code) {
				a.sendFailed(ctx, it, err)
				continue
			}
			if err != nil {
				return err
			}
			err = a.exec(ctx, func() error {
				if err := a.db.Ack(ctx, it.ClientID, r.Message); err != nil {
					return err
				}
				// My message: everything before it counts as read.
				if err := a.markRead(ctx, it.Conv, r.Message.Seq); err != nil {
					return err
				}
				_, err := a.advanceSynced(ctx, it.Conv)
				return err
			})
			if err != nil {
				return err
			}
			a.requestRefresh()
		}
	}
}

// permanent says whether a send refused with code will be refused again.
func permanent(code proto.Code) bool {
	switch code {
	case proto.CodeUnavailable, proto.CodeRateLimited, proto.CodeInternal, proto.CodeUnauthenticated:
		return false
	}
	return true
}

func (a *account) sendFailed(ctx context.Context, it store.OutboxItem, err error) {
	n := a.m.errorNotice(err)
	if rmErr := a.db.RemoveOutbox(ctx, it.ClientID); rmErr != nil && !errors.Is(rmErr, store.ErrNotFound) {
		a.m.log.Error("drop refused message from outbox", "err", rmErr)
	}
	a.mu.Lock()
	a.failed = append(a.failed, state.Message{
		Message: proto.Message{Conv: it.Conv, ClientID: it.ClientID, Sender: a.user.ID, SenderName: a.user.Name, Time: it.Created, Kind: proto.MsgText, Text: it.Text, ReplyTo: it.ReplyTo, Mentions: it.Mentions},
		Mine:    true, Status: state.Failed, Error: &n,
	})
	a.mu.Unlock()
	a.m.update(func(st *state.State) { st.Notices = a.m.appendNotice(st.Notices, n) })
}
