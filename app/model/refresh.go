package model

import (
	"context"
	"reflect"
	"slices"

	"parley/app/state"
	"parley/net/proto"
	"parley/store"
)

// rebuild rebuilds the conversation list and the open conversation from
// the store and publishes them. Only the refresher goroutine runs it
// (owner.go), so rebuilds run one at a time: each reads the store as it
// is at its turn, and a slow one never publishes over a newer one.
func (a *account) rebuild() {
	ctx := a.ctx
	defer a.refreshOpen(ctx)
	cs, err := a.db.Conversations(ctx)
	if err != nil {
		if ctx.Err() == nil {
			a.m.log.Error("read conversations", "err", err)
		}
		return
	}
	list := make([]state.Conversation, 0, len(cs))
	for _, c := range cs {
		if c.Kind == "" {
			continue // a placeholder until the server's summary arrives
		}
		v := viewConversation(c)
		a.withSettings(&v)
		v.Unread = a.unreadOf(ctx, c) // the server's rule (receipts.go)
		a.mentions(ctx, c, &v)
		list = append(list, v)
	}
	a.mentionScan.forget(cs)
	a.withProfiles(list)      // settings.go
	a.wantGroupPictures(list) // settings.go
	if !a.current() {
		return
	}
	a.m.update(func(st *state.State) {
		a.withGroupCalls(list) // groupcalls.go
		st.Conversations = list
	})
}

func viewConversation(c store.Conversation) state.Conversation {
	return state.Conversation{ID: c.ID, Kind: c.Kind, Name: c.Name, Peer: c.Peer, Members: c.Members, Unread: c.Unread, Last: c.Last, Picture: c.Picture}
}

// refreshOpen rebuilds the open conversation: header, members with
// presence, the window of history, and my messages not yet acknowledged.
// Only rebuild calls it.
func (a *account) refreshOpen(ctx context.Context) {
	a.mu.Lock()
	conv, from, to, prepended := a.open, a.winFrom, a.winTo, a.prepended
	focus, focusGen, highlight := a.focus, a.focusGen, a.highlight
	a.prepended = 0
	a.mu.Unlock()
	startFrom := from // from may restart at the newest page below
	if conv == 0 {
		if a.current() {
			a.m.update(func(st *state.State) { st.Open = nil })
		}
		return
	}
	c, err := a.db.Conversation(ctx, conv)
	if err != nil {
		return
	}
	var window []proto.Message
	if from > 0 && to > 0 {
		window, err = windowTo(ctx, a.db, conv, from, to) // after a jump (jump.go)
	} else if from > 0 {
		window, err = a.db.After(ctx, conv, from-1, maxWindow)
		if err == nil && len(window) == maxWindow && window[len(window)-1].Seq < c.LastSeq {
			// Too far behind the bottom: start over at the newest page.
			from = 0
		}
	}
	if from == 0 && err == nil {
		window, err = a.db.Latest(ctx, conv, pageSize)
		window = newestRun(window)
	}
	if err != nil {
		a.m.log.Error("read open conversation", "err", err)
		return
	}
	outbox, err := a.db.Outbox(ctx)
	if err != nil {
		a.m.log.Error("read outbox", "err", err)
		return
	}
	members, err := a.db.Members(ctx, conv)
	if err != nil {
		a.m.log.Error("read members", "err", err)
	}

	a.mu.Lock()
	if a.open != conv || a.winFrom != startFrom || a.winTo != to {
		// The window moved while we read (another conversation, an older
		// page): whoever moved it refreshes after us with the new one.
		a.prepended += prepended
		a.mu.Unlock()
		return
	}
	a.window = window
	if len(window) > 0 {
		a.winFrom = window[0].Seq
	}
	for i := range members {
		if on, ok := a.presence[members[i].ID]; ok {
			members[i].Online = on
		}
	}
	msgs := make([]state.Message, 0, len(window)+len(outbox))
	// My messages stored already: the push of one may come before the
	// reply to its send, and its outbox item then waits for that ack.
	stored := map[string]bool{}
	for _, msg := range window {
		if msg.Sender == a.user.ID && msg.ClientID != "" {
			stored[msg.ClientID] = true
		}
	}
	for _, msg := range window {
		// Change entries are folded into their targets (store/fold.go),
		// and a message I hid is not shown; neither is a row.
		if !shownMessage(msg) {
			continue
		}
		msgs = append(msgs, state.Message{Message: msg, Mine: msg.Sender == a.user.ID})
	}
	for _, it := range outbox {
		if it.Conv == conv && !stored[it.ClientID] {
			msgs = append(msgs, state.Message{
				Message: proto.Message{Conv: conv, ClientID: it.ClientID, Sender: a.user.ID, SenderName: a.user.Name, Time: it.Created, Kind: proto.MsgText, Text: it.Text, ReplyTo: it.ReplyTo, Mentions: it.Mentions},
				Mine:    true, Status: state.Sending,
			})
		}
	}
	for _, f := range a.failed {
		if f.Conv == conv {
			msgs = append(msgs, f)
		}
	}
	hasOlder := len(window) > 0 && window[0].Seq > 1
	if to > 0 && to >= c.LastSeq {
		a.winTo, to = 0, 0 // the newest came within the window: follow
	}
	pins := a.pins.view(conv, window, a.user.ID)
	a.mu.Unlock()
	a.withReceipts(c, msgs)         // receipts.go
	a.renameMessages(msgs, members) // settings.go
	a.withVoices(msgs)              // voice.go
	c.Unread = a.unreadOf(ctx, c)
	view := viewConversation(c)
	a.withSettings(&view)
	if !a.current() {
		return
	}

	a.m.update(func(st *state.State) {
		view.GroupCall = a.gcalls[conv] // groupcalls.go
		o := &state.Open{Conversation: view, Members: members, Messages: msgs, HasOlder: hasOlder, Prepended: prepended,
			HasNewer: to > 0, Focus: focus, FocusGen: focusGen, Highlight: highlight, Pins: pins}
		if prev := st.Open; prev != nil && prev.ID == conv {
			o.Revision = prev.Revision
			o.LoadingOlder = prev.LoadingOlder
			// An older page of change entries only adds no row, but
			// the list must see a new revision to ask for the next.
			if !sameMessages(prev.Messages, msgs) || prepended > 0 {
				o.Revision++
			} else {
				// Another rebuild published this revision already, and
				// with it what the change was.
				o.Prepended = prev.Prepended
			}
		} else {
			o.Revision = 1
		}
		st.Open = o
		a.followMedia(st, conv, window) // media.go
	})
}

func sameMessages(a, b []state.Message) bool {
	return slices.EqualFunc(a, b, func(x, y state.Message) bool {
		return x.Conv == y.Conv && x.Seq == y.Seq && x.SenderName == y.SenderName && x.ClientID == y.ClientID && x.Status == y.Status &&
			x.Text == y.Text && x.Edited == y.Edited && x.Deleted == y.Deleted && x.Pinned == y.Pinned && x.SeenBy == y.SeenBy &&
			reflect.DeepEqual(x.Reactions, y.Reactions) && sameVoice(x, y)
	})
}

// shownMessage reports whether msg is a row of the conversation: not a
// change entry, nor a kind this version does not know, nor hidden.
func shownMessage(msg proto.Message) bool {
	switch msg.Kind {
	case proto.MsgText, proto.MsgFile, proto.MsgSystem, proto.MsgCall, proto.MsgGroupEvent:
		return !msg.Hidden
	}
	return false
}
