package model

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
	"parley/store"
)

// Read state and receipts (docs/protocol.md, "Read state and receipts").
//
// The server's read position is the one every device shows. This device
// moves its own (store.MarkRead) when the user has seen a conversation —
// it is open, the window has the focus and the list shows the newest
// message — or wrote in it, and sends it (read); it takes the server's
// from the summaries of sync and from read pushes. The unread count is
// the server's rule applied to the messages held: text and file messages
// of others above the read position, capped at maxUnread; where the
// store does not hold them all, the summary's count stands in for what
// it lacks. After storing messages it says how far it holds them
// (delivered), so that senders see Delivered.
//
// Receipts of others: the peer's positions of a direct conversation (from
// summaries and receipt pushes) make my messages Delivered or Read; in a
// group, the read positions learnt from receipt pushes and seen_by count
// who has seen each of my messages. With my read receipts off
// (set_privacy) none are shown.

// maxUnread caps an unread count, as the server caps its own.
const maxUnread = 1000

// readState is an account's read state beyond the store.
type readState struct {
	mu        sync.Mutex
	atBottom  bool                                      // the open conversation's list shows its newest message
	srv       map[proto.ConvID]srvUnread                // the read state of the last summary
	pos       map[proto.ConvID]map[proto.UserID]peerPos // others' positions, as far as known
	reads     map[proto.ConvID]int64                    // read positions to send
	delivered map[proto.ConvID]int64                    // delivered positions to send
	sentRead  map[proto.ConvID]int64                    // the server's read position, as last heard
	sentDeliv map[proto.ConvID]int64                    // the delivered position the server holds
	memo      map[proto.ConvID]unreadMemo               // unread counts computed, by what they depend on
	kick      chan struct{}                             // wakes the reporter
}

// srvUnread is the read state a summary carried: the read position and
// the unread count as of last seq at.
type srvUnread struct {
	read, at int64
	unread   int
}

type peerPos struct{ read, delivered int64 }

type unreadMemo struct {
	read, last, synced int64
	n                  int64
}

func newReadState() *readState {
	return &readState{
		atBottom: true,
		srv:      map[proto.ConvID]srvUnread{}, pos: map[proto.ConvID]map[proto.UserID]peerPos{},
		reads: map[proto.ConvID]int64{}, delivered: map[proto.ConvID]int64{},
		sentRead: map[proto.ConvID]int64{}, sentDeliv: map[proto.ConvID]int64{},
		memo: map[proto.ConvID]unreadMemo{}, kick: make(chan struct{}, 1),
	}
}

func (rs *readState) wake() {
	select {
	case rs.kick <- struct{}{}:
	default:
	}
}

// SetFocused tells the model whether the app's window has the focus: the
// open conversation counts as read only while it has (true until told).
func (m *Model) SetFocused(focused bool) {
	m.unfocused.Store(!focused)
	if a := m.account(); a != nil && focused {
		a.spawn(func() { a.readOpen(a.ctx) })
	}
}

// SetAtBottom tells the model whether the list of the open conversation
// conv shows its newest message: it counts as read only while it does.
// Opening a conversation starts at the bottom.
func (m *Model) SetAtBottom(conv proto.ConvID, atBottom bool) {
	a := m.account()
	if a == nil || !a.isOpen(conv) {
		return
	}
	a.rs.mu.Lock()
	a.rs.atBottom = atBottom
	a.rs.mu.Unlock()
	if atBottom {
		a.spawn(func() { a.readOpen(a.ctx) })
	}
}

// viewing reports whether the user sees conv's newest messages now.
func (a *account) viewing(conv proto.ConvID) bool {
	if conv == 0 || a.m.unfocused.Load() || !a.isOpen(conv) {
		return false
	}
	a.rs.mu.Lock()
	defer a.rs.mu.Unlock()
	return a.rs.atBottom
}

// readOpen marks the open conversation read up to its newest message if
// the user sees it.
func (a *account) readOpen(ctx context.Context) {
	a.mu.Lock()
	conv := a.open
	a.mu.Unlock()
	if !a.viewing(conv) {
		return
	}
	err := a.exec(ctx, func() error {
		seq, err := a.newestHeld(ctx, conv)
		if err != nil {
			return err
		}
		return a.markRead(ctx, conv, seq)
	})
	if err != nil && ctx.Err() == nil && !errors.Is(err, store.ErrNotFound) {
		a.m.log.Error("mark read", "conv", conv, "err", err)
	}
	a.requestRefresh()
}

// newestHeld is the seq of the newest message stored of conv: the
// newest the list can show.
func (a *account) newestHeld(ctx context.Context, conv proto.ConvID) (int64, error) {
	ms, err := a.db.Latest(ctx, conv, 1)
	if err != nil || len(ms) == 0 {
		return 0, err
	}
	return ms[0].Seq, nil
}

// markRead moves my read position in conv up to seq here and, unless the
// server has it already, sends it.
func (a *account) markRead(ctx context.Context, conv proto.ConvID, seq int64) error {
	if seq <= 0 {
		return nil
	}
	if err := a.db.MarkRead(ctx, conv, seq); err != nil {
		return err
	}
	rs := a.rs
	rs.mu.Lock()
	if seq > rs.sentRead[conv] && seq > rs.reads[conv] {
		rs.reads[conv] = seq
		rs.wake()
	}
	rs.mu.Unlock()
	return nil
}

// queueDelivered sends, soon, that this device holds conv up to seq.
func (a *account) queueDelivered(conv proto.ConvID, seq int64) {
	rs := a.rs
	rs.mu.Lock()
	if seq > rs.sentDeliv[conv] && seq > rs.delivered[conv] {
		rs.delivered[conv] = seq
		rs.wake()
	}
	rs.mu.Unlock()
}

// reporter sends the queued read and delivered positions whenever woken
// while online (onState wakes it when the connection is back).
func (a *account) reporter() {
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-a.rs.kick:
		}
		if a.sess.State() != client.Online {
			continue
		}
		a.sendPositions(a.ctx)
	}
}

// sendPositions sends the queued positions, reads first. A network
// failure leaves the rest for the next connection; a refusal drops one.
func (a *account) sendPositions(ctx context.Context) {
	rs := a.rs
	for {
		rs.mu.Lock()
		typ, queue, sent := proto.TypeRead, rs.reads, rs.sentRead
		if len(queue) == 0 {
			typ, queue, sent = proto.TypeDelivered, rs.delivered, rs.sentDeliv
		}
		var conv proto.ConvID
		var seq int64
		for c, s := range queue {
			conv, seq = c, s
			break
		}
		rs.mu.Unlock()
		if conv == 0 {
			return
		}
		var r proto.ReadState
		err := a.sess.Call(ctx, typ, proto.ReadRequest{Conv: conv, Seq: seq}, &r)
		var pe *proto.Error
		if err != nil && !(errors.As(err, &pe) && permanent(pe.Code)) {
			return
		}
		rs.mu.Lock()
		if queue[conv] == seq {
			delete(queue, conv)
		}
		if err == nil {
			sent[conv] = max(sent[conv], r.Seq)
		}
		rs.mu.Unlock()
		if err != nil {
			a.m.log.Info("position refused", "type", typ, "conv", conv, "seq", seq, "err", err)
		}
	}
}

// noteSummaries takes the read state of the summaries of a sync: my read
// position (which moves mine here up), the unread count, and the peer's
// positions. A read position of mine the server lacks (marked while
// offline) is sent. The owner runs it.
func (a *account) noteSummaries(ctx context.Context, cs []proto.Conversation) error {
	rs := a.rs
	for _, cv := range cs {
		if cv.ReadSeq > 0 {
			if err := a.db.MarkRead(ctx, cv.ID, cv.ReadSeq); err != nil {
				return err
			}
		}
		rs.mu.Lock()
		rs.srv[cv.ID] = srvUnread{read: cv.ReadSeq, at: cv.LastSeq, unread: cv.Unread}
		delete(rs.memo, cv.ID)
		rs.sentRead[cv.ID] = max(rs.sentRead[cv.ID], cv.ReadSeq)
		if cv.Peer != nil {
			ps := rs.pos[cv.ID]
			if ps == nil {
				ps = map[proto.UserID]peerPos{}
				rs.pos[cv.ID] = ps
			}
			ps[cv.Peer.ID] = peerPos{read: cv.PeerRead, delivered: cv.PeerDelivered}
		}
		rs.mu.Unlock()
		local, err := a.db.Conversation(ctx, cv.ID)
		if err != nil {
			return err
		}
		if local.ReadSeq > cv.ReadSeq && local.ReadSeq <= cv.LastSeq {
			rs.mu.Lock()
			if local.ReadSeq > rs.reads[cv.ID] {
				rs.reads[cv.ID] = local.ReadSeq
				rs.wake()
			}
			rs.mu.Unlock()
		}
	}
	return nil
}

// readPush: my read position moved on another of my devices.
func (a *account) readPush(body json.RawMessage) {
	var r proto.ReadState
	if err := json.Unmarshal(body, &r); err != nil {
		a.m.log.Error("read push", "err", err)
		return
	}
	a.inbox.post(event{do: func() error {
		a.rs.mu.Lock()
		a.rs.sentRead[r.Conv] = max(a.rs.sentRead[r.Conv], r.Seq)
		a.rs.mu.Unlock()
		if err := a.db.MarkRead(a.ctx, r.Conv, r.Seq); err != nil && !errors.Is(err, store.ErrNotFound) {
			a.m.log.Error("mark read from push", "err", err)
		}
		a.requestRefresh()
		return nil
	}, done: make(chan error, 1)})
}

// receiptPush: members' positions in a conversation changed.
func (a *account) receiptPush(body json.RawMessage) {
	var p proto.ReceiptPush
	if err := json.Unmarshal(body, &p); err != nil {
		a.m.log.Error("receipt push", "err", err)
		return
	}
	rs := a.rs
	rs.mu.Lock()
	ps := rs.pos[p.Conv]
	if ps == nil {
		ps = map[proto.UserID]peerPos{}
		rs.pos[p.Conv] = ps
	}
	for _, r := range p.Receipts {
		old := ps[r.User]
		ps[r.User] = peerPos{read: r.Read, delivered: max(old.delivered, r.Delivered)}
	}
	rs.mu.Unlock()
	a.requestRefresh()
}

// countable reports whether msg counts as unread for me (the server's
// rule: text and file messages of others).
func countable(msg proto.Message, me proto.UserID) bool {
	return msg.Sender != me && (msg.Kind == proto.MsgText || msg.Kind == proto.MsgFile)
}

// unreadOf counts c's unread messages by the server's rule: from the
// messages held above the read position if the store holds them all, else
// the last summary's count plus what came after it.
func (a *account) unreadOf(ctx context.Context, c store.Conversation) int64 {
	if c.Unread == 0 {
		return 0 // nothing but change entries above the read position
	}
	rs := a.rs
	rs.mu.Lock()
	memo, ok := rs.memo[c.ID]
	srv, haveSrv := rs.srv[c.ID]
	rs.mu.Unlock()
	if ok && memo.read == c.ReadSeq && memo.last == c.LastSeq && memo.synced == c.SyncedSeq {
		return memo.n
	}
	msgs, err := a.db.After(ctx, c.ID, c.ReadSeq, store.MaxLimit)
	if err != nil {
		return c.Unread
	}
	var n, after int64
	prev, complete := c.ReadSeq, true
	for _, msg := range msgs {
		if msg.Seq != prev+1 {
			complete = false
		}
		prev = msg.Seq
		if countable(msg, a.user.ID) {
			n++
			if msg.Seq > srv.at {
				after++
			}
		}
	}
	if prev < c.LastSeq && len(msgs) < store.MaxLimit {
		complete = false
	}
	if !complete && haveSrv && c.ReadSeq <= srv.read {
		n = int64(srv.unread) + after
	}
	n = min(n, maxUnread)
	rs.mu.Lock()
	rs.memo[c.ID] = unreadMemo{read: c.ReadSeq, last: c.LastSeq, synced: c.SyncedSeq, n: n}
	rs.mu.Unlock()
	return n
}

// withReceipts sets the receipts of my messages in msgs: Delivered and
// Read in a direct conversation, SeenBy in a group. With my read receipts
// off, only Delivered.
func (a *account) withReceipts(c store.Conversation, msgs []state.Message) {
	off := a.m.State().ReceiptsOff
	rs := a.rs
	rs.mu.Lock()
	defer rs.mu.Unlock()
	ps := rs.pos[c.ID]
	if len(ps) == 0 {
		return
	}
	for i := range msgs {
		m := &msgs[i]
		if !m.Mine || m.Seq == 0 || m.Status != state.Sent {
			continue
		}
		if c.Peer != nil {
			p := ps[c.Peer.ID]
			switch {
			case p.read >= m.Seq && !off:
				m.Status = state.Read
			case p.delivered >= m.Seq || p.read >= m.Seq:
				m.Status = state.Delivered
			}
			continue
		}
		if off {
			continue
		}
		for u, p := range ps {
			if u != a.user.ID && p.read >= m.Seq {
				m.SeenBy++
			}
		}
	}
}

// seedSeen asks who has seen my newest message in the group conv, so
// that "Seen by" counts are right before any receipt push comes.
func (a *account) seedSeen(conv proto.ConvID, msgs []proto.Message) {
	if a.m.State().ReceiptsOff || a.sess.State() != client.Online {
		return
	}
	var seq int64
	for i := len(msgs) - 1; i >= 0; i-- {
		if k := msgs[i].Kind; msgs[i].Sender == a.user.ID && (k == proto.MsgText || k == proto.MsgFile) {
			seq = msgs[i].Seq
			break
		}
	}
	if seq == 0 {
		return
	}
	a.spawn(func() {
		var r proto.SeenByReply
		if err := a.sess.Call(a.ctx, proto.TypeSeenBy, proto.SeenByRequest{Conv: conv, Seq: seq}, &r); err != nil {
			return
		}
		a.noteSeen(r)
		a.requestRefresh()
	})
}

// noteSeen records that the users of r have read up to r.Seq at least.
func (a *account) noteSeen(r proto.SeenByReply) {
	rs := a.rs
	rs.mu.Lock()
	defer rs.mu.Unlock()
	ps := rs.pos[r.Conv]
	if ps == nil {
		ps = map[proto.UserID]peerPos{}
		rs.pos[r.Conv] = ps
	}
	for _, u := range r.Users {
		p := ps[u.ID]
		p.read = max(p.read, r.Seq)
		p.delivered = max(p.delivered, r.Seq)
		ps[u.ID] = p
	}
}

// SeenBy asks who has read my message seq of conv; State.SeenBy holds
// the list (Loading until it comes).
func (m *Model) SeenBy(ctx context.Context, conv proto.ConvID, seq int64) error {
	return m.withAccount(func(a *account) error {
		if conv <= 0 || seq <= 0 {
			return badInput(state.InputNoConversation, "open a conversation first")
		}
		m.update(func(st *state.State) { st.SeenBy = &state.SeenList{Conv: conv, Seq: seq, Loading: true} })
		var r proto.SeenByReply
		err := a.sess.Call(ctx, proto.TypeSeenBy, proto.SeenByRequest{Conv: conv, Seq: seq}, &r)
		if err != nil {
			n := m.errorNotice(err)
			m.update(func(st *state.State) {
				if st.SeenBy != nil && st.SeenBy.Conv == conv && st.SeenBy.Seq == seq {
					st.SeenBy = &state.SeenList{Conv: conv, Seq: seq, Error: &n}
				}
			})
			return nil // shown in the list
		}
		a.noteSeen(r)
		users := r.Users
		if users == nil {
			users = []proto.User{}
		}
		m.update(func(st *state.State) {
			if st.SeenBy != nil && st.SeenBy.Conv == conv && st.SeenBy.Seq == seq {
				st.SeenBy = &state.SeenList{Conv: conv, Seq: seq, Users: users}
			}
		})
		a.requestRefresh()
		return nil
	})
}

// SetReadReceipts switches my read receipts on or off (set_privacy).
// Off, nobody sees how far I read, and the app shows nobody's.
func (m *Model) SetReadReceipts(ctx context.Context, on bool) error {
	return m.withAccount(func(a *account) error {
		var p proto.Privacy
		if err := a.sess.Call(ctx, proto.TypeSetPrivacy, proto.Privacy{ReadReceipts: on}, &p); err != nil {
			return err
		}
		m.update(func(st *state.State) { st.ReceiptsOff = !p.ReadReceipts })
		a.refresh()
		return nil
	})
}

// loadPrivacy reads my read-receipt switch after connecting.
func (a *account) loadPrivacy(ctx context.Context, c *client.Conn) {
	var p proto.Privacy
	if err := c.Call(ctx, proto.TypePrivacy, nil, &p); err != nil {
		a.m.log.Info("read privacy settings", "err", err)
		return
	}
	a.m.update(func(st *state.State) { st.ReceiptsOff = !p.ReadReceipts })
}
