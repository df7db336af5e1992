package model

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
	"parley/store"
)

// pageSize is how many messages one page of history holds; maxWindow how
// many the open conversation keeps loaded before it starts over at the
// newest page.
const (
	pageSize  = 50
	maxWindow = 1000
)

// errLoggedOut is returned by actions that need an account.
var errLoggedOut = badInput(state.InputLoggedOut, "log in first")

// withAccount runs an action of the logged-in account, showing its error.
func (m *Model) withAccount(f func(a *account) error) error {
	a := m.account()
	if a == nil {
		return m.fail(errLoggedOut)
	}
	return m.fail(f(a))
}

// CreateGroup creates a group with the server's default join policy; the
// notice bar shows its new ID. CreateGroupWith (groups.go) chooses one.
func (m *Model) CreateGroup(ctx context.Context, name string) error {
	return m.CreateGroupWith(ctx, name, "")
}

// JoinGroup joins a group by the ID a person typed. A group that asks
// files a request instead, which the notice bar says (groups.go).
func (m *Model) JoinGroup(ctx context.Context, groupID string) error {
	return m.withAccount(func(a *account) error {
		id, err := parseID(groupID, state.InputGroupID)
		if err != nil {
			return err
		}
		r, err := a.sess.RequestJoin(ctx, proto.ConvID(id))
		if err != nil {
			return about(err, id)
		}
		return a.joined(ctx, r)
	})
}

// Invite adds a user to a group; an empty groupID means the open one.
func (m *Model) Invite(ctx context.Context, userID, groupID string) error {
	return m.withAccount(func(a *account) error {
		uid, err := parseID(userID, state.InputUserID)
		if err != nil {
			return err
		}
		var gid int64
		if strings.TrimSpace(groupID) == "" {
			a.mu.Lock()
			gid = int64(a.open)
			a.mu.Unlock()
			if gid == 0 {
				return badInput(state.InputWhichGroup, "open a group or enter its ID")
			}
		} else if gid, err = parseID(groupID, state.InputGroupID); err != nil {
			return err
		}
		u, err := a.sess.Invite(ctx, proto.UserID(uid), proto.ConvID(gid))
		if err != nil {
			if proto.CodeOf(err) == proto.CodeNoSuchUser {
				return about(err, uid)
			}
			return about(err, gid)
		}
		name := ""
		if cv, err := a.db.Conversation(ctx, proto.ConvID(gid)); err == nil {
			name = cv.Name
		}
		m.notify(state.NoticeInvited, u.Name, fmt.Sprint(u.ID), name, fmt.Sprint(gid))
		return nil
	})
}

// Leave leaves a group and forgets its cached history.
func (m *Model) Leave(ctx context.Context, conv proto.ConvID) error {
	return m.withAccount(func(a *account) error {
		name := ""
		if cv, err := a.db.Conversation(ctx, conv); err == nil {
			name = cv.Name
		}
		if err := a.sess.Leave(ctx, conv); err != nil {
			return err
		}
		err := a.exec(ctx, func() error {
			if err := a.db.DeleteConversation(ctx, conv); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			a.mu.Lock()
			if a.open == conv {
				a.open, a.window = 0, nil
			}
			a.mu.Unlock()
			return nil
		})
		if err != nil {
			return err
		}
		a.refresh()
		m.notify(state.NoticeLeft, name, fmt.Sprint(conv))
		return nil
	})
}

// OpenDirect opens (creating on first use) the direct conversation with a
// user ID.
func (m *Model) OpenDirect(ctx context.Context, userID string) error {
	return m.withAccount(func(a *account) error {
		uid, err := parseID(userID, state.InputUserID)
		if err != nil {
			return err
		}
		cv, err := a.sess.Direct(ctx, proto.UserID(uid))
		if err != nil {
			return about(err, uid)
		}
		if err := a.adopt(ctx, cv); err != nil {
			return err
		}
		m.notify(state.NoticeDirect, cv.Name, fmt.Sprint(uid))
		return a.openConv(ctx, cv.ID)
	})
}

// adopt stores a conversation this device just joined or created. What
// came before its newest message is older history, not a gap.
func (a *account) adopt(ctx context.Context, cv proto.Conversation) error {
	if err := a.exec(ctx, func() error { return a.storeAdopted(ctx, cv) }); err != nil {
		return err
	}
	a.refresh()
	return nil
}

// storeAdopted is adopt's store writes; the owner runs it.
func (a *account) storeAdopted(ctx context.Context, cv proto.Conversation) error {
	_, err := a.db.Conversation(ctx, cv.ID)
	isNew := errors.Is(err, store.ErrNotFound)
	learnPeers(a, cv)
	if err := a.db.PutConversations(ctx, cv); err != nil {
		return err
	}
	a.noteSettings(cv)
	if cv.Last != nil {
		if err := a.putMessages(ctx, []proto.Message{*cv.Last}, false); err != nil {
			return err
		}
	}
	if isNew {
		start := cv.LastSeq
		if cv.Last != nil {
			start = cv.Last.Seq - 1
		}
		if err := a.db.SetSynced(ctx, cv.ID, start); err != nil {
			return err
		}
		if err := a.markRead(ctx, cv.ID, cv.LastSeq); err != nil { // I just joined it
			return err
		}
	}
	_, err = a.advanceSynced(ctx, cv.ID)
	return err
}

// Open opens a conversation: its newest page from the cache (fetched from
// the server if the cache has none), its members, and marks it read.
// Conversation 0 closes the open one.
func (m *Model) Open(ctx context.Context, conv proto.ConvID) error {
	return m.withAccount(func(a *account) error { return a.openConv(ctx, conv) })
}

func (a *account) openConv(ctx context.Context, conv proto.ConvID) error {
	a.drafts.opened(conv)
	a.mu.Lock()
	if prev := a.open; prev != conv && prev != 0 {
		// Typing there ends when I leave it, not 5 s later (typing.go).
		a.spawn(func() { a.m.Typing(a.ctx, prev, true) })
	}
	a.open, a.window, a.winFrom, a.winTo = conv, nil, 0, 0
	a.focus, a.highlight = 0, ""
	if a.pins.conv != conv {
		a.pins = pinned{}
	}
	clear(a.presence)
	a.mu.Unlock()
	a.rs.mu.Lock()
	a.rs.atBottom = true // a conversation opens at its newest message
	a.rs.mu.Unlock()
	if conv == 0 {
		a.refresh()
		return nil
	}
	cv, err := a.db.Conversation(ctx, conv)
	if err != nil {
		return err
	}
	latest, err := a.db.Latest(ctx, conv, pageSize)
	if err != nil {
		return err
	}
	latest = newestRun(latest)
	if len(latest) == 0 && cv.LastSeq > 0 {
		// Known from a summary only: fetch its newest page.
		if h, err := a.sess.History(ctx, proto.HistoryRequest{Conv: conv, Limit: pageSize}); err == nil {
			if err := a.exec(ctx, func() error { return a.putMessages(ctx, h.Messages, false) }); err != nil {
				return err
			}
			latest = h.Messages
		}
	}
	a.mu.Lock()
	if a.open == conv {
		a.window = latest
		if len(latest) > 0 {
			a.winFrom = latest[0].Seq
		}
	}
	a.mu.Unlock()
	if a.viewing(conv) && len(latest) > 0 { // not while the window is in the background
		if err := a.exec(ctx, func() error { return a.markRead(ctx, conv, latest[len(latest)-1].Seq) }); err != nil {
			return err
		}
	}
	a.refresh()
	a.watchMembers(conv)
	a.watchPins(conv)
	if cv.Kind == proto.KindGroup {
		a.seedSeen(conv, latest)
	}
	return nil
}

func (a *account) isOpen(conv proto.ConvID) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.open == conv
}

// membersLister is the session, or during onConnect the new connection.
type membersLister interface {
	Members(context.Context, proto.ConvID) ([]proto.Member, error)
}

// loadMembers fetches the members of conv with their presence; the server
// then pushes presence changes of that conversation to this connection.
// The list's length is the member count from now on.
func (a *account) loadMembers(ctx context.Context, c membersLister, conv proto.ConvID) {
	ms, err := c.Members(ctx, conv)
	if err != nil {
		return
	}
	for _, mb := range ms {
		a.learnProfile(mb.User) // settings.go: the cache keeps names only
	}
	err = a.exec(ctx, func() error {
		if err := a.db.ReplaceMembers(ctx, conv, ms); err != nil {
			return err
		}
		return a.setMemberCount(ctx, conv, len(ms))
	})
	if err != nil {
		if ctx.Err() == nil {
			a.m.log.Error("store members", "err", err)
		}
		return
	}
	a.mu.Lock()
	if a.open == conv {
		for _, mb := range ms {
			a.presence[mb.ID] = mb.Online
		}
	}
	a.mu.Unlock()
	a.requestRefresh()
}

// watchMembers loads conv's members in the background when online (the
// next connect loads them otherwise).
func (a *account) watchMembers(conv proto.ConvID) {
	if a.sess.State() == client.Online {
		a.spawn(func() { a.loadMembers(a.ctx, a.sess, conv) })
	}
}

// setMemberCount stores conv's member count; the owner runs it.
func (a *account) setMemberCount(ctx context.Context, conv proto.ConvID, n int) error {
	return a.updateConversation(ctx, conv, func(cv *proto.Conversation) bool {
		changed := cv.Members != n
		cv.Members = n
		return changed
	}) // groups.go
}

// lastSeqs returns, for each conversation of msgs with a membership event,
// the last seq it had before msgs: the member count held is as of then.
// The owner runs it.
func (a *account) lastSeqs(ctx context.Context, msgs []proto.Message) map[proto.ConvID]int64 {
	var last map[proto.ConvID]int64
	for _, msg := range msgs {
		if msg.Event == nil {
			continue
		}
		if _, ok := last[msg.Conv]; ok {
			continue
		}
		if cv, err := a.db.Conversation(ctx, msg.Conv); err == nil {
			if last == nil {
				last = map[proto.ConvID]int64{}
			}
			last[msg.Conv] = cv.LastSeq
		}
	}
	return last
}

// membershipChanged keeps member counts live: a join, invite or leave
// after the count held moves it by one (a summary from sync or a member
// list replaces it), and the open conversation's member list is loaded
// again. before is lastSeqs from before msgs were stored. The owner runs
// it.
func (a *account) membershipChanged(ctx context.Context, msgs []proto.Message, before map[proto.ConvID]int64) {
	delta := map[proto.ConvID]int{}
	for _, msg := range msgs {
		last, ok := before[msg.Conv]
		if !ok || msg.Event == nil || msg.Seq <= last {
			continue
		}
		switch msg.Event.Type {
		case proto.EventJoined, proto.EventInvited:
			delta[msg.Conv]++
		case proto.EventLeft, proto.EventRemoved:
			delta[msg.Conv]--
		case proto.EventApproved:
			delta[msg.Conv]++
		case proto.EventBanned: // also of users who were not members
			if msg.Event.Subject != nil && a.wasMember(ctx, msg.Conv, msg.Event.Subject.ID) {
				delta[msg.Conv]--
			}
		default:
			continue
		}
	}
	for conv, d := range delta {
		cv, err := a.db.Conversation(ctx, conv)
		if err != nil {
			continue // left
		}
		if err := a.setMemberCount(ctx, conv, max(cv.Members+d, 0)); err != nil {
			a.m.log.Error("store member count", "conv", conv, "err", err)
		}
		if a.isOpen(conv) {
			a.watchMembers(conv)
		}
	}
}

// refreshMembers reloads the open conversation's members after a
// reconnect (presence watching is per connection).
func (a *account) refreshMembers(ctx context.Context, c *client.Conn) {
	a.mu.Lock()
	open := a.open
	a.mu.Unlock()
	if open != 0 {
		a.loadMembers(ctx, c, open)
	}
}

// LoadOlder puts the page before the open window in front of it, from the
// cache where it is complete there, otherwise from the server.
func (m *Model) LoadOlder(ctx context.Context) error {
	return m.withAccount(func(a *account) error { return a.loadOlder(ctx) })
}

func (a *account) loadOlder(ctx context.Context) error {
	a.mu.Lock()
	conv, from := a.open, a.winFrom
	a.mu.Unlock()
	if conv == 0 || from <= 1 {
		return nil
	}
	a.setLoadingOlder(true)
	defer a.setLoadingOlder(false)
	older, err := a.db.Before(ctx, conv, from, pageSize)
	if err != nil {
		return err
	}
	want := min(int64(pageSize), from-1)
	if !contiguousBefore(older, from, want) {
		h, err := a.sess.History(ctx, proto.HistoryRequest{Conv: conv, Before: new(from), Limit: pageSize})
		if err != nil {
			return err
		}
		if err := a.exec(ctx, func() error { return a.putMessages(ctx, h.Messages, false) }); err != nil {
			return err
		}
		if older, err = a.db.Before(ctx, conv, from, pageSize); err != nil {
			return err
		}
	}
	if len(older) == 0 {
		return nil
	}
	a.mu.Lock()
	if a.open == conv && a.winFrom == from {
		a.window = append(slices.Clone(older), a.window...)
		a.winFrom = older[0].Seq
		a.prepended = len(older)
	}
	a.mu.Unlock()
	a.refresh()
	return nil
}

// contiguousBefore reports whether ms are the want messages just below seq.
func contiguousBefore(ms []proto.Message, seq, want int64) bool {
	if int64(len(ms)) < want {
		return false
	}
	for i := range ms {
		if ms[len(ms)-1-i].Seq != seq-1-int64(i) {
			return false
		}
	}
	return true
}

func (a *account) setLoadingOlder(on bool) {
	a.m.update(func(st *state.State) {
		if st.Open != nil {
			o := *st.Open
			o.LoadingOlder = on
			st.Open = &o
		}
	})
}

// Reconnect retries the connection now instead of after the backoff.
func (m *Model) Reconnect() {
	if a := m.account(); a != nil {
		a.sess.Kick()
	}
}
