package model

import (
	"context"
	"slices"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
	"parley/store"
)

// Mentions (docs/protocol.md, "send: reply, mentions, forward"). A
// message I send may name members it mentions; the server keeps those
// that are members and every copy of the message carries them. Whether a
// conversation has an unread message that mentions me (its badge shows
// "@") is worked out from the stored messages above its read position,
// so every device of mine that holds them knows it, also after a sync or
// a restart. Messages a device never stored (older history it has not
// paged in) cannot count.

// SendMentioning queues text for conv (0: the open conversation),
// mentioning the members mentions; replyTo, if not 0, is the seq of conv
// it answers. It is sent like Send's text: once, after reconnects and
// restarts.
func (m *Model) SendMentioning(ctx context.Context, conv proto.ConvID, replyTo int64, text string, mentions []proto.UserID) error {
	return m.withAccount(func(a *account) error {
		if err := checkText(text); err != nil {
			return err
		}
		if conv == 0 {
			a.mu.Lock()
			conv = a.open
			a.mu.Unlock()
		}
		if conv == 0 || replyTo < 0 {
			return badInput(state.InputNoConversation, "open a conversation first")
		}
		var ids []proto.UserID
		for _, id := range mentions {
			if id > 0 && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		it := store.OutboxItem{ClientID: client.NewClientID(), Conv: conv, Text: text, ReplyTo: replyTo, Mentions: ids}
		if err := a.db.Enqueue(ctx, it); err != nil {
			return err
		}
		a.refresh()
		a.kickFlusher()
		return nil
	})
}

// mentionScan finds the messages that mention me, per conversation. Only
// the refresher (rebuild) uses it, so it needs no lock.
type mentionScan map[proto.ConvID]*convMentions

type convMentions struct {
	scanned int64          // the stored messages up to here were looked at (contiguous ones only)
	unread  []int64        // seqs of the messages mentioning me above the read position, ascending
	newest  *proto.Message // the newest message seen that mentions me, read or not
	checked int64          // the conversation's last seq when unread was last checked again
}

// mentionsMe reports whether msg is a message someone else wrote that
// mentions me, and still shows (not deleted, not hidden).
func mentionsMe(msg proto.Message, me proto.UserID) bool {
	return shownMessage(msg) && !msg.Deleted && msg.Sender != me && slices.Contains(msg.Mentions, me)
}

// mentions fills in v's mention fields from the store: it looks at the
// messages stored since the last look (at first, those above the read
// position), forgets the mentions read since, and, when the conversation
// has a new entry, checks the unread ones again (a mention deleted since
// no longer counts; one hidden since, at the next entry). The refresher
// runs it.
func (a *account) mentions(ctx context.Context, c store.Conversation, v *state.Conversation) {
	if a.mentionScan == nil {
		a.mentionScan = mentionScan{}
	}
	cm := a.mentionScan[c.ID]
	if cm == nil {
		cm = &convMentions{scanned: c.ReadSeq}
		a.mentionScan[c.ID] = cm
	}
	me := a.user.ID
	for from := cm.scanned; from < c.LastSeq; {
		page, err := a.db.After(ctx, c.ID, from, store.MaxLimit)
		if err != nil {
			a.m.log.Error("look for mentions", "conv", c.ID, "err", err)
			break
		}
		for _, msg := range page {
			from = msg.Seq
			if !mentionsMe(msg, me) {
				continue
			}
			if msg.Seq > c.ReadSeq {
				if i, found := slices.BinarySearch(cm.unread, msg.Seq); !found {
					cm.unread = slices.Insert(cm.unread, i, msg.Seq)
				}
			}
			if cm.newest == nil || msg.Seq > cm.newest.Seq {
				m := msg
				cm.newest = &m
			}
		}
		if len(page) < store.MaxLimit {
			break
		}
	}
	// A gap below the synced seq is filled later: look above it again.
	cm.scanned = max(cm.scanned, min(c.SyncedSeq, c.LastSeq))
	recheck := c.LastSeq != cm.checked
	cm.checked = c.LastSeq
	cm.unread = slices.DeleteFunc(cm.unread, func(seq int64) bool {
		if seq <= c.ReadSeq {
			return true
		}
		if !recheck {
			return false
		}
		got, err := a.db.After(ctx, c.ID, seq-1, 1)
		return err == nil && (len(got) == 0 || got[0].Seq != seq || !mentionsMe(got[0], me))
	})
	v.MentionUnread = len(cm.unread) > 0
	v.Mentioned = cm.newest
}

// forget drops what the scan knows of conversations not in cs (left, or
// removed).
func (s mentionScan) forget(cs []store.Conversation) {
	have := make(map[proto.ConvID]bool, len(cs))
	for _, c := range cs {
		have[c.ID] = true
	}
	for id := range s {
		if !have[id] {
			delete(s, id)
		}
	}
}
