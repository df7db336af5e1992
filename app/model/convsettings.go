package model

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
)

// My settings of people and conversations (docs/protocol.md, "Blocking,
// requests and muting"): whom I blocked, which direct conversations wait
// as first-contact requests, how each conversation notifies me and which
// I archived. The server keeps them so that all my devices agree; the
// model holds the latest it was told (summaries of sync, direct and
// conversation pushes; conv_settings and blocks pushes; the replies of
// the actions below) and the rebuild copies them into the conversation
// list. They are kept in the store too (putSettings), so that a start
// without the server shows them (loadConvSettings); the first sync brings
// the server's. The owner goroutine applies every change, in the order of the pushes,
// so that a message that un-archives a conversation and a later archive
// land in the order they happened.

// settings is what the model knows of my settings.
type settings struct {
	mu     sync.Mutex
	conv   map[proto.ConvID]proto.ConvSettings
	blocks []proto.User
}

func newSettings() *settings { return &settings{conv: map[proto.ConvID]proto.ConvSettings{}} }

// of returns the settings of conv (the defaults if none are known).
func (s *settings) of(conv proto.ConvID) proto.ConvSettings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conv[conv]
}

func (s *settings) put(cs proto.ConvSettings) {
	s.mu.Lock()
	s.conv[cs.Conv] = cs
	s.mu.Unlock()
}

func (s *settings) forget(conv proto.ConvID) {
	s.mu.Lock()
	delete(s.conv, conv)
	s.mu.Unlock()
}

// summarySettings are the settings a summary carries.
func summarySettings(cv proto.Conversation) proto.ConvSettings {
	return proto.ConvSettings{Conv: cv.ID, Request: cv.Request, Notify: cv.Notify, NotifyUntil: cv.NotifyUntil, Archived: cv.Archived}
}

// noteSettings takes the settings of summaries. The owner runs it.
func (a *account) noteSettings(cvs ...proto.Conversation) {
	css := make([]proto.ConvSettings, len(cvs))
	for i, cv := range cvs {
		css[i] = summarySettings(cv)
	}
	a.putSettings(css...)
}

// putSettings takes settings and keeps them in the store. The owner
// runs it.
func (a *account) putSettings(css ...proto.ConvSettings) {
	for _, cs := range css {
		a.set.put(cs)
	}
	if err := a.db.SetConvSettings(a.ctx, css...); err != nil && a.ctx.Err() == nil {
		a.m.log.Error("store conversation settings", "err", err)
	}
}

// loadConvSettings takes the settings the store kept, when the account
// starts (before the server is reached).
func (a *account) loadConvSettings() {
	cs, err := a.db.Conversations(a.ctx)
	if err != nil {
		a.m.log.Error("read conversation settings", "err", err)
		return
	}
	for _, c := range cs {
		if c.Settings.Conv == c.ID {
			a.set.put(c.Settings)
		}
	}
}

// unarchive applies the server's rule to messages that reached me: a
// text or file message brings its conversation out of the archive. The
// owner runs it.
func (a *account) unarchive(msgs []proto.Message) {
	var back []proto.ConvSettings
	a.set.mu.Lock()
	for _, msg := range msgs {
		if msg.Hidden || msg.Kind != proto.MsgText && msg.Kind != proto.MsgFile {
			continue
		}
		if cs, ok := a.set.conv[msg.Conv]; ok && cs.Archived {
			cs.Archived = false
			a.set.conv[msg.Conv] = cs
			back = append(back, cs)
		}
	}
	a.set.mu.Unlock()
	if len(back) > 0 {
		a.putSettings(back...)
	}
}

// withSettings fills v's settings in.
func (a *account) withSettings(v *state.Conversation) {
	cs := a.set.of(v.ID)
	v.Request, v.Archived = cs.Request, cs.Archived
	v.Notify, v.NotifyUntil = cs.Notify, cs.NotifyUntil
	if v.Notify == proto.NotifyAll {
		v.Notify = ""
	}
}

// settingsPush handles a conv_settings or blocks push, on the read
// goroutine: it queues it for the owner, behind the messages pushed
// before it.
func (a *account) settingsPush(p client.Push) {
	a.inbox.post(event{do: func() error {
		switch p.Type {
		case proto.TypeConvSettings:
			var cs proto.ConvSettings
			if err := json.Unmarshal(p.Body, &cs); err != nil {
				a.m.log.Error("conv_settings push", "err", err)
				return nil
			}
			a.putSettings(cs)
		case proto.TypeBlocksPush:
			var r proto.BlocksReply
			if err := json.Unmarshal(p.Body, &r); err != nil {
				a.m.log.Error("blocks push", "err", err)
				return nil
			}
			a.setBlocks(r.Users)
		}
		a.requestRefresh()
		return nil
	}, done: make(chan error, 1)})
}

// setBlocks publishes the users I blocked.
func (a *account) setBlocks(users []proto.User) {
	users = slices.Clone(users)
	a.set.mu.Lock()
	a.set.blocks = users
	a.set.mu.Unlock()
	if a.current() {
		a.m.update(func(st *state.State) { st.Blocks = users })
	}
}

// loadBlocks fetches the users I blocked after a connect (the pushes of
// the time offline are lost).
func (a *account) loadBlocks(ctx context.Context, c *client.Conn) {
	users, err := c.Blocks(ctx)
	if err != nil {
		a.m.log.Info("blocks", "err", err)
		return
	}
	a.setBlocks(users)
}

// applySettings stores settings an action's reply carries.
func (a *account) applySettings(ctx context.Context, cs proto.ConvSettings) error {
	err := a.exec(ctx, func() error {
		a.putSettings(cs)
		return nil
	})
	if err != nil {
		return err
	}
	a.refresh()
	return nil
}

// AcceptRequest accepts the first-contact request conv: it becomes an
// ordinary conversation, where I can write.
func (m *Model) AcceptRequest(ctx context.Context, conv proto.ConvID) error {
	return m.withAccount(func(a *account) error {
		cs, err := a.sess.AcceptRequest(ctx, conv)
		if err != nil {
			return err
		}
		return a.applySettings(ctx, cs)
	})
}

// DeleteRequest deletes the first-contact request conv for me (its
// sender is not told); it leaves the list at once.
func (m *Model) DeleteRequest(ctx context.Context, conv proto.ConvID) error {
	return m.withAccount(func(a *account) error {
		if err := a.sess.DeleteRequest(ctx, conv); err != nil {
			return err
		}
		return a.dropConversation(ctx, conv)
	})
}

// dropConversation forgets conv as a conversation push with member
// false would (the server sends one too).
func (a *account) dropConversation(ctx context.Context, conv proto.ConvID) error {
	err := a.exec(ctx, func() error {
		a.conversationPush(ctx, proto.ConversationPush{Conversation: proto.Conversation{ID: conv}})
		return nil
	})
	if err != nil {
		return err
	}
	a.refresh()
	return nil
}

// Block blocks user. A first-contact request of theirs waiting for me is
// deleted with it.
func (m *Model) Block(ctx context.Context, user proto.UserID) error {
	return m.withAccount(func(a *account) error {
		if err := a.sess.Block(ctx, user); err != nil {
			return about(err, int64(user))
		}
		var requests []proto.ConvID
		for _, c := range m.State().Conversations {
			if c.Request && c.Peer != nil && c.Peer.ID == user {
				requests = append(requests, c.ID)
			}
		}
		for _, conv := range requests {
			if err := a.dropConversation(ctx, conv); err != nil {
				return err
			}
		}
		return a.reloadBlocks(ctx)
	})
}

// reloadBlocks asks for the list after a change of mine, so that it shows
// at once (the blocks push brings it too).
func (a *account) reloadBlocks(ctx context.Context) error {
	users, err := a.sess.Blocks(ctx)
	if err != nil {
		return err
	}
	return a.exec(ctx, func() error {
		a.setBlocks(users)
		return nil
	})
}

// SetNotify sets how conv notifies me: proto.NotifyAll, NotifyMentions or
// NotifyOff, for d (0: until I change it).
func (m *Model) SetNotify(ctx context.Context, conv proto.ConvID, level string, d time.Duration) error {
	return m.withAccount(func(a *account) error {
		var until int64
		if d > 0 && level != proto.NotifyAll {
			until = m.cfg.Now().Add(d).UnixMilli()
		}
		cs, err := a.sess.SetNotify(ctx, conv, level, until)
		if err != nil {
			return err
		}
		return a.applySettings(ctx, cs)
	})
}

// Archive archives conv for me (until its next message), or with false
// brings it back.
func (m *Model) Archive(ctx context.Context, conv proto.ConvID, archived bool) error {
	return m.withAccount(func(a *account) error {
		cs, err := a.sess.Archive(ctx, conv, archived)
		if err != nil {
			return err
		}
		return a.applySettings(ctx, cs)
	})
}
