package model

import (
	"context"
	"errors"
	"fmt"

	"parley/net/client"
	"parley/net/proto"
	"parley/store"
)

// sync fetches what was missed since the last seq held in each
// conversation, and learns of conversations joined or left elsewhere. It
// stores as it goes: each page is stored, and the synced seq moved over
// it, before the next is asked for, so a connection that drops halfway
// keeps what it brought and the next sync goes on from there. Memory
// holds one page at a time.
func (a *account) sync(ctx context.Context, c *client.Conn) error {
	have, err := a.db.Have(ctx)
	if err != nil {
		return err
	}
	r, err := a.syncRound(ctx, c, have)
	if err != nil {
		return err
	}
	if err := a.exec(ctx, func() error { return a.syncSummaries(ctx, have, r) }); err != nil {
		return err
	}
	// The server lists at most a page of hides: while a page is full,
	// sync again from the newest (syncSummaries stored it).
	for len(r.Hidden) == proto.MaxHistoryLimit {
		if r, err = a.syncRound(ctx, c, have); err != nil {
			return err
		}
		if err := a.exec(ctx, func() error { return a.storeHidden(ctx, r.Hidden) }); err != nil {
			return err
		}
	}
	a.requestRefresh()
	for _, conv := range r.More {
		if err := a.syncConversation(ctx, c, conv); err != nil {
			return err
		}
	}
	return nil
}

// syncRound is one sync request: the conversations, a page of each
// after have, and my hides after the newest this device holds.
func (a *account) syncRound(ctx context.Context, c *client.Conn, have map[proto.ConvID]int64) (proto.SyncReply, error) {
	after, err := a.db.HiddenAfter(ctx)
	if err != nil {
		return proto.SyncReply{}, err
	}
	var r proto.SyncReply
	a.mu.Lock()
	rev := a.profileRev
	a.mu.Unlock()
	if err := c.Call(ctx, proto.TypeSync, proto.SyncRequest{Have: have, HiddenAfter: after, ProfilesAfter: rev}, &r); err != nil {
		return proto.SyncReply{}, fmt.Errorf("sync: %w", err)
	}
	// The profiles changed while away rename people at once (settings.go).
	for _, u := range r.Profiles {
		a.profileChanged(ctx, u)
	}
	if r.ProfilesRev > 0 {
		a.mu.Lock()
		a.profileRev = max(a.profileRev, r.ProfilesRev)
		a.mu.Unlock()
	}
	return r, nil
}

// storeHidden stores the hides made on other devices while this one was
// away. The owner runs it.
func (a *account) storeHidden(ctx context.Context, hs []proto.Hidden) error {
	for _, h := range hs {
		if err := a.hidden(ctx, h); err != nil {
			return err
		}
	}
	return nil
}

// syncConversation pages in what follows conv's synced seq until the
// server has no more.
func (a *account) syncConversation(ctx context.Context, c *client.Conn, conv proto.ConvID) error {
	for {
		cv, err := a.db.Conversation(ctx, conv)
		if errors.Is(err, store.ErrNotFound) {
			return nil // left meanwhile
		}
		if err != nil {
			return err
		}
		after := cv.SyncedSeq
		h, err := c.History(ctx, proto.HistoryRequest{Conv: conv, After: &after, Limit: proto.MaxHistoryLimit})
		if err != nil {
			return fmt.Errorf("sync conversation %d after %d: %w", conv, after, err)
		}
		var synced int64
		err = a.exec(ctx, func() error {
			if err := a.putMessages(ctx, h.Messages, false); err != nil {
				return err
			}
			synced, err = a.advanceSynced(ctx, conv)
			return err
		})
		if err != nil {
			return fmt.Errorf("store conversation %d after %d: %w", conv, after, err)
		}
		a.queueDelivered(conv, synced)
		a.requestRefresh()
		if !h.More {
			return nil
		}
		if synced <= after {
			return fmt.Errorf("sync conversation %d after %d: the server says more but sent nothing that follows", conv, after)
		}
	}
}

// syncSummaries stores the sync reply: every conversation's summary (its
// member count among them), the first page of each, and forgets the
// conversations left elsewhere. The owner runs it.
func (a *account) syncSummaries(ctx context.Context, have map[proto.ConvID]int64, r proto.SyncReply) error {
	learnPeers(a, r.Conversations...)
	if err := a.db.PutConversations(ctx, r.Conversations...); err != nil {
		return err
	}
	a.noteSettings(r.Conversations...)
	if err := a.putMessages(ctx, r.Messages, false); err != nil {
		return err
	}
	if err := a.storeHidden(ctx, r.Hidden); err != nil {
		return err
	}
	member := map[proto.ConvID]bool{}
	for _, cv := range r.Conversations {
		member[cv.ID] = true
	}
	for id := range have {
		if !member[id] { // left or removed on another device
			if err := a.db.DeleteConversation(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	// A conversation seen for the first time starts where its newest page
	// starts: what lies before is older history, paged in on demand.
	first := map[proto.ConvID]int64{}
	for _, msg := range r.Messages {
		if f, ok := first[msg.Conv]; !ok || msg.Seq < f {
			first[msg.Conv] = msg.Seq
		}
	}
	for _, cv := range r.Conversations {
		if _, known := have[cv.ID]; known {
			continue
		}
		start := cv.LastSeq
		if f, ok := first[cv.ID]; ok {
			start = f - 1
		}
		if err := a.db.SetSynced(ctx, cv.ID, start); err != nil {
			return err
		}
	}
	// The read positions are the server's (receipts.go).
	if err := a.noteSummaries(ctx, r.Conversations); err != nil {
		return err
	}
	for _, cv := range r.Conversations {
		synced, err := a.advanceSynced(ctx, cv.ID)
		if err != nil {
			return err
		}
		if h, known := have[cv.ID]; synced > h || !known {
			a.queueDelivered(cv.ID, synced)
		}
	}
	return nil
}
