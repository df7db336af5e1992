package hub

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"parley/net/proto"
	"parley/server/storage"
)

// Read state, receipts, typing and search (docs/protocol.md, "Read state
// and receipts", "Typing", "Search").
//
// Read and delivered positions are stored (storage); a change is pushed at
// once to the reader's other connections (read), and, coalesced per
// conversation, to the members whose messages it concerns (receipt): the
// first change of a quiet conversation goes out at once, later ones at
// most once per ReceiptIntervalMs, so a big group reading a burst costs
// each sender one push per interval, not one per reader. Typing is never
// stored: it is forwarded to the other members' connections, at most once
// per TypingIntervalMs per connection and conversation.

// receiptLayer holds the coalescing receipt queues and typing limits.
type receiptLayer struct {
	h        *Hub
	interval time.Duration

	// push sends a receipt push (send; tests replace it).
	push func(conv proto.ConvID, changed, to []proto.UserID)

	mu      sync.Mutex
	pending map[proto.ConvID]*pendingReceipts
	typing  map[typingKey]typingState
}

// pendingReceipts is a conversation's receipt queue: whose positions
// changed and who must hear of it. cooling: a push went out less than an
// interval ago, and the timer will send what gathers meanwhile.
type pendingReceipts struct {
	changed map[proto.UserID]struct{}
	to      map[proto.UserID]struct{}
	cooling bool
}

type typingKey struct {
	c    *conn
	conv proto.ConvID
}

type typingState struct {
	last    time.Time // when the last typing (not stop) was forwarded
	stopped bool      // a stop was forwarded after it
}

func newReceiptLayer(h *Hub) *receiptLayer {
	r := &receiptLayer{
		h:        h,
		interval: proto.ReceiptIntervalMs * time.Millisecond,
		pending:  map[proto.ConvID]*pendingReceipts{},
		typing:   map[typingKey]typingState{},
	}
	r.push = r.send
	return r
}

func (h *Hub) receiptOps() map[string]op {
	return map[string]op{
		proto.TypeRead:       {authed: true, fn: h.read},
		proto.TypeDelivered:  {authed: true, fn: h.delivered},
		proto.TypeSeenBy:     {authed: true, fn: h.seenBy},
		proto.TypePrivacy:    {authed: true, fn: h.privacy},
		proto.TypeSetPrivacy: {authed: true, fn: h.setPrivacy},
		proto.TypeTyping:     {authed: true, fn: h.typing},
		proto.TypeSearch:     {authed: true, fn: h.search},
	}
}

func (h *Hub) read(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.ReadRequest](body)
	if err != nil {
		return nil, err
	}
	before, after, err := h.db.MarkRead(ctx, c.user.ID, req.Conv, req.Seq)
	if err != nil {
		return nil, err
	}
	state := proto.ReadState{Conv: req.Conv, Seq: after.Read}
	if after.Read > before.Read {
		if frame, err := proto.EncodePush(proto.TypeRead, state); err == nil {
			h.pushToOthers(c, frame)
		}
		// Senders hear of the newly read range; from a reader who does
		// not share read receipts, only of the newly delivered one.
		from, to := before.Read, after.Read
		on, err := h.db.ReadReceipts(ctx, c.user.ID)
		if err != nil {
			return nil, err
		}
		if !on {
			from, to = before.Delivered, after.Delivered
		}
		if err := h.receiptChanged(ctx, c.user.ID, req.Conv, from, to); err != nil {
			return nil, err
		}
	}
	return state, nil
}

func (h *Hub) delivered(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.DeliveredRequest](body)
	if err != nil {
		return nil, err
	}
	before, after, err := h.db.MarkDelivered(ctx, c.user.ID, req.Conv, req.Seq)
	if err != nil {
		return nil, err
	}
	if after.Delivered > before.Delivered {
		if err := h.receiptChanged(ctx, c.user.ID, req.Conv, before.Delivered, after.Delivered); err != nil {
			return nil, err
		}
	}
	return proto.ReadState{Conv: req.Conv, Seq: after.Delivered}, nil
}

// receiptChanged queues a receipt of user's positions in conv for the
// senders of the messages in (from, to], the range the change newly covers.
func (h *Hub) receiptChanged(ctx context.Context, user proto.UserID, conv proto.ConvID, from, to int64) error {
	senders, err := h.db.Senders(ctx, conv, from, to, user)
	if err != nil {
		return err
	}
	if senders, err = h.hiddenFrom(ctx, conv, user, senders); err != nil { // blocks.go
		return err
	}
	if len(senders) > 0 {
		h.rx.queue(conv, user, senders)
	}
	return nil
}

// queue records that user's positions in conv changed, for recipients,
// and sends at once unless a push for conv went out within the interval.
func (r *receiptLayer) queue(conv proto.ConvID, user proto.UserID, recipients []proto.UserID) {
	r.mu.Lock()
	p := r.pending[conv]
	if p == nil {
		p = &pendingReceipts{changed: map[proto.UserID]struct{}{}, to: map[proto.UserID]struct{}{}}
		r.pending[conv] = p
	}
	p.changed[user] = struct{}{}
	for _, u := range recipients {
		p.to[u] = struct{}{}
	}
	if p.cooling {
		r.mu.Unlock()
		return
	}
	p.cooling = true
	changed, to := r.take(p)
	r.mu.Unlock()
	r.push(conv, changed, to)
	time.AfterFunc(r.interval, func() { r.tick(conv) })
}

// tick ends an interval: it sends what gathered during it and starts
// another, or ends the cooling if nothing did.
func (r *receiptLayer) tick(conv proto.ConvID) {
	r.mu.Lock()
	p := r.pending[conv]
	if p == nil || len(p.changed) == 0 {
		delete(r.pending, conv)
		r.mu.Unlock()
		return
	}
	changed, to := r.take(p)
	r.mu.Unlock()
	r.push(conv, changed, to)
	time.AfterFunc(r.interval, func() { r.tick(conv) })
}

func (r *receiptLayer) take(p *pendingReceipts) (changed, to []proto.UserID) {
	for u := range p.changed {
		changed = append(changed, u)
	}
	for u := range p.to {
		to = append(to, u)
	}
	clear(p.changed)
	clear(p.to)
	slices.Sort(changed)
	return changed, to
}

// send pushes the current positions of changed to every recipient that
// is connected; a recipient who does not share read receipts gets them
// without read positions.
func (r *receiptLayer) send(conv proto.ConvID, changed, to []proto.UserID) {
	h := r.h
	if h.ctx.Err() != nil {
		return // the hub has closed
	}
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	rs, err := h.db.Receipts(ctx, conv, changed)
	if err != nil {
		h.log.Warn("receipt push", "conv", conv, "err", err)
		return
	}
	full, _ := proto.EncodePush(proto.TypeReceipt, proto.ReceiptPush{Conv: conv, Receipts: rs})
	var blind []byte
	var fullTo, blindTo []proto.UserID
	defer func() {
		h.pushTo(full, fullTo...)
		h.pushTo(blind, blindTo...)
	}()
	for _, u := range to {
		if !h.Online(u) {
			continue
		}
		on, err := h.db.ReadReceipts(ctx, u)
		if err != nil {
			h.log.Warn("receipt push", "conv", conv, "user", u, "err", err)
			continue
		}
		if on && len(to) == 1 && len(changed) == 1 { // a direct conversation
			// A request waiting for its reader: no read position (blocks.go).
			hides, err := h.db.Hides(ctx, conv, changed[0], u)
			if err != nil {
				h.log.Warn("receipt push", "conv", conv, "user", u, "err", err)
				continue
			}
			on = hides == storage.HideNothing
		}
		if on {
			fullTo = append(fullTo, u)
			continue
		}
		if blind == nil {
			hidden := slices.Clone(rs)
			for i := range hidden {
				hidden[i].Read = 0
			}
			blind, _ = proto.EncodePush(proto.TypeReceipt, proto.ReceiptPush{Conv: conv, Receipts: hidden})
		}
		blindTo = append(blindTo, u)
	}
}

// pushToOthers queues a push on every connection of c's user but c, on
// every node.
func (h *Hub) pushToOthers(c *conn, frame []byte) {
	h.mu.RLock()
	for _, o := range h.users[c.user.ID] {
		if o != c {
			o.enqueue(frame)
		}
	}
	h.mu.RUnlock()
	h.clusterPush([]proto.UserID{c.user.ID}, frame)
}

func (h *Hub) seenBy(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.SeenByRequest](body)
	if err != nil {
		return nil, err
	}
	us, err := h.db.SeenBy(ctx, c.user.ID, req.Conv, req.Seq)
	if err != nil {
		return nil, err
	}
	return proto.SeenByReply{Conv: req.Conv, Seq: req.Seq, Users: us}, nil
}

func (h *Hub) privacy(ctx context.Context, c *conn, _ json.RawMessage) (any, error) {
	on, err := h.db.ReadReceipts(ctx, c.user.ID)
	if err != nil {
		return nil, err
	}
	return proto.Privacy{ReadReceipts: on}, nil
}

func (h *Hub) setPrivacy(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.Privacy](body)
	if err != nil {
		return nil, err
	}
	if err := h.db.SetReadReceipts(ctx, c.user.ID, req.ReadReceipts); err != nil {
		return nil, err
	}
	return req, nil
}

func (h *Hub) typing(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.TypingRequest](body)
	if err != nil {
		return nil, err
	}
	members, err := h.db.Members(ctx, req.Conv, c.user.ID)
	if err != nil {
		return nil, err
	}
	now := h.now()
	forward, err := h.rx.allowTyping(c, req.Conv, req.Stop, now)
	if err != nil || !forward {
		return struct{}{}, err
	}
	push := proto.TypingPush{Conv: req.Conv, User: c.user.ID, Name: c.user.Name, Stop: req.Stop,
		Until: now.UnixMilli() + proto.TypingTTLMs}
	if req.Stop {
		push.Until = now.UnixMilli()
	}
	frame, err := proto.EncodePush(proto.TypeTyping, push)
	if err != nil {
		return nil, err
	}
	to := make([]proto.UserID, 0, len(members))
	for _, m := range members {
		if m.ID == c.user.ID {
			continue
		}
		if len(members) == 2 { // none across a block or a request (blocks.go)
			if quiet, err := h.eitherHides(ctx, req.Conv, c.user.ID, m.ID); err != nil || quiet {
				return struct{}{}, err
			}
		}
		to = append(to, m.ID)
	}
	h.pushTo(frame, to...)
	return struct{}{}, nil
}

// allowTyping applies the per-connection typing limit: one typing per
// conversation per TypingIntervalMs (more: rate_limited); a stop is
// forwarded once after a typing, and a stop that ends nothing is accepted
// and not forwarded. A stop lets the next typing through at once.
func (r *receiptLayer) allowTyping(c *conn, conv proto.ConvID, stop bool, now time.Time) (forward bool, err error) {
	interval := proto.TypingIntervalMs * time.Millisecond
	k := typingKey{c, conv}
	r.mu.Lock()
	defer r.mu.Unlock()
	st, seen := r.typing[k]
	if stop {
		if !seen || st.stopped {
			return false, nil
		}
		st.stopped = true
		r.typing[k] = st
		return true, nil
	}
	if seen && !st.stopped && now.Sub(st.last) < interval {
		return false, rateLimited("typing notices for this conversation", interval-now.Sub(st.last))
	}
	if len(r.typing) > 10000 { // forget connections long quiet (or gone)
		for k, s := range r.typing {
			if now.Sub(s.last) > interval {
				delete(r.typing, k)
			}
		}
	}
	r.typing[k] = typingState{last: now}
	return true, nil
}

func (h *Hub) search(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.SearchRequest](body)
	if err != nil {
		return nil, err
	}
	if len(req.Query) > proto.MaxQueryBytes {
		return nil, proto.Errorf(proto.CodeTooLarge, "a search query can hold at most %d bytes", proto.MaxQueryBytes)
	}
	if req.Before < 0 || req.Limit < 0 {
		return nil, proto.Errorf(proto.CodeBadRequest, "before and limit must not be negative")
	}
	limit := req.Limit
	if limit == 0 {
		limit = 20
	}
	limit = min(limit, proto.MaxSearchLimit)
	ms, next, err := h.db.Search(ctx, c.user.ID, req.Query, req.Conv, req.Before, limit)
	if err != nil {
		return nil, err
	}
	return proto.SearchReply{Messages: nonNil(ms), Next: next}, nil
}
